/** @file The second sweep design: the forward sweep stores each row's partials, so the reverse
 *  sweep never asks which op a row is (Stan's precomputed gradients). Costs 16 bytes per slot
 *  more; compiled tapes choose it with { partials: 'store' } (measured in bench/, see README).
 *
 *  partials buffer: one { ∂y/∂a f64 · ∂y/∂b f64 } per slot of the tape's single segment, at
 *  buffer + 16·(slot − first slot). Vector rows keep their own reverse kernels. */
import { Op } from './shared/ops';
import { SEG_CAP, SEG_ROWS, SEG_SLOTS, slotsOf, opsOf, aOf, bOf, firstSegment, setDirty } from './tape';
import { forwardSweep, vectorRowReverse } from './sweeps';

/** Forward sweep that also writes every scalar row's partials into `buffer`. */
export function forwardStoring(tape: usize, buffer: usize): void {
  const seg = firstSegment(tape);
  forwardSweep(seg, 0, <usize>load<i32>(seg, SEG_ROWS), slotsOf(seg), buffer, true);
  setDirty(tape, false);
}

/** Reverse sweep over stored partials: v̄ₐ += v̄·∂ₐ, v̄_b += v̄·∂_b with no dispatch. Starts at
 *  the tape's last row (compiled tapes end with their outputs). */
export function reverseStored(tape: usize, buffer: usize): void {
  setDirty(tape, true);
  const seg = firstSegment(tape);
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const ops = opsOf(seg, cap), as = aOf(seg, cap), bs = bOf(seg, cap);
  const base = slotsOf(seg);
  let s = base + (<usize>load<i32>(seg, SEG_SLOTS) << 4);
  for (let r = <isize>load<i32>(seg, SEG_ROWS) - 1; r >= 0; r--) {
    const op = <i32>load<u8>(ops + <usize>r);
    if (op <= Op.Input) {
      if (op != Op.Param) s -= 16;
      continue;
    }
    if (op >= Op.VecMap) {
      s = vectorRowReverse(op, as, bs, <usize>r, s);
      continue;
    }
    s -= 16;
    const g = load<f64>(s, 8);
    if (g == 0) continue; // as in sweeps.ts: no 0·∞ from rows nothing depends on
    const p = buffer + (s - base);
    const pa = <usize>load<i32>(as + (<usize>r << 2)) << 4;
    const pb = <usize>load<i32>(bs + (<usize>r << 2)) << 4;
    store<f64>(pa, load<f64>(pa, 8) + g * load<f64>(p), 8);
    store<f64>(pb, load<f64>(pb, 8) + g * load<f64>(p, 8), 8);
  }
}
