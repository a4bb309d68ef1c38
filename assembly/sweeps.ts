/** @file The forward (replay) and reverse (adjoint) sweeps over a tape's rows. */
// Both dispatch through the op table's if-chains (no `switch`: see DESIGN on br_table).
// Structural rows are peeled off first by one compare, since Param < Const < Input < Where.

import { Op, evaluate, partials, partialA, partialB, isTrue } from './shared/ops';
import { vectorForward, vectorReverse, vectorOutputs } from './shared/vector';
import { matmulForward, matmulReverse, hasScratch } from './matmul';
import { readParams, locateRow, locatedEnd, p1a, p1b, p2a, p2b } from './rows';
import { vecMapForward, vecMapReverse } from './vecmap';
import {
  SEG_CAP, SEG_ROWS, SEG_SLOTS, SEG_PREV, SEG_NEXT,
  slotsOf, opsOf, aOf, bOf, firstSegment, currentSegment, isDirty, setDirty,
} from './tape';

/** Recomputes every value from the tape's current inputs and zeroes every adjoint. */
export function forward(tape: usize): void {
  const last = currentSegment(tape);
  let seg = firstSegment(tape);
  while (seg != 0) {
    forwardRows(seg, 0, <usize>load<i32>(seg, SEG_ROWS), slotsOf(seg));
    if (seg == last) break;
    seg = <usize>load<u32>(seg, SEG_NEXT);
  }
  setDirty(tape, false);
}

/** The forward sweep over rows [from, to) of one segment, whose first slot is at address s:
 *  values of op rows computed, leaves kept, every adjoint zeroed. Returns the address after.
 *  Eager tapes use it to evaluate the rows the facade wrote since the last flush. */
export function forwardRows(seg: usize, from: usize, to: usize, s: usize): usize {
  return forwardSweep(seg, from, to, s, 0, false);
}

/** The forward row loop of both sweep designs. With `storing` (a constant at each call, so asc
 *  folds it away) each scalar row's ∂y/∂a and ∂y/∂b also go to partialsAt + (slot − s's start),
 *  for stored.ts's dispatch-free reverse sweep. */
// @ts-ignore: decorator
@inline export function forwardSweep(seg: usize, from: usize, to: usize, s: usize, partialsAt: usize, storing: bool): usize {
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const ops = opsOf(seg, cap), as = aOf(seg, cap), bs = bOf(seg, cap);
  const base = s;
  for (let r = from; r < to; r++) {
    const op = <i32>load<u8>(ops + r);
    if (op <= Op.Input) {
      if (op != Op.Param) {
        store<f64>(s, 0, 8);
        s += 16;
      }
      continue;
    }
    if (op >= Op.VecMap) {
      s = vectorRowForward(op, as, bs, r, s);
      continue;
    }
    const x = load<f64>(<usize>load<i32>(as + (r << 2)) << 4);
    const w = load<f64>(<usize>load<i32>(bs + (r << 2)) << 4);
    let y: f64;
    if (op == Op.Where) {
      const taken = isTrue(load<f64>(<usize>load<i32>(as + ((r - 1) << 2)) << 4));
      y = taken ? x : w;
      if (storing) {
        store<f64>(partialsAt + (s - base), taken ? 1 : 0);
        store<f64>(partialsAt + (s - base), taken ? 0 : 1, 8);
      }
    } else {
      y = evaluate(op, x, w);
      if (storing) {
        partials(op, x, w, y);
        store<f64>(partialsAt + (s - base), partialA);
        store<f64>(partialsAt + (s - base), partialB, 8);
      }
    }
    store<f64>(s, y);
    store<f64>(s, 0, 8);
    s += 16;
  }
  return s;
}

/** Sets every adjoint of the tape to 0. */
export function zeroAdjoints(tape: usize): void {
  const last = currentSegment(tape);
  let seg = firstSegment(tape);
  while (seg != 0) {
    const slots = <usize>load<i32>(seg, SEG_SLOTS);
    const base = slotsOf(seg);
    for (let i: usize = 0; i < slots; i++) store<f64>(base + (i << 4), 0, 8);
    if (seg == last) break;
    seg = <usize>load<u32>(seg, SEG_NEXT);
  }
  setDirty(tape, false);
}

/** Accumulates adjoints from `output` (seeded with 1) back to the inputs. */
export function backward(tape: usize, output: i32): void {
  if (isDirty(tape)) zeroAdjoints(tape);
  store<f64>(<usize>output << 4, 1, 8);
  reverseFrom(tape, output);
}

/** The reverse sweep from the row that wrote slot `last` down to the first row, with whatever
 *  adjoints the caller seeded. Rows recorded after `last` are skipped: they cannot influence
 *  it, and visiting them could add 0·∞. */
export function reverseFrom(tape: usize, last: i32): void {
  setDirty(tape, true);
  const target = <usize>last << 4;
  let seg = currentSegment(tape);
  while (seg != 0 && !(target >= slotsOf(seg) && target < slotsOf(seg) + (<usize>load<i32>(seg, SEG_SLOTS) << 4))) {
    seg = <usize>load<u32>(seg, SEG_PREV);
  }
  if (seg == 0) return;
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const r = locateRow(seg, opsOf(seg, cap), aOf(seg, cap), target);
  const s = locatedEnd;
  reverseSegment(seg, r, s);
  seg = <usize>load<u32>(seg, SEG_PREV);
  while (seg != 0) {
    reverseSegment(seg, <isize>load<i32>(seg, SEG_ROWS) - 1, slotsOf(seg) + (<usize>load<i32>(seg, SEG_SLOTS) << 4));
    seg = <usize>load<u32>(seg, SEG_PREV);
  }
}

/** Adjoint accumulation over rows `top`..0 of one segment; `end` is the slot address after
 *  row `top`'s slot. v̄ₐ += v̄ · ∂v/∂a and v̄_b += v̄ · ∂v/∂b, for every row. */
function reverseSegment(seg: usize, top: isize, end: usize): void {
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const ops = opsOf(seg, cap), as = aOf(seg, cap), bs = bOf(seg, cap);
  let s = end;
  for (let r = top; r >= 0; r--) {
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
    // A row nothing depends on contributes 0, even where its partial is ±∞ (an untaken
    // where() branch: sqrt at 0, log at a negative…), instead of 0·∞ = NaN.
    if (g == 0) continue;
    const pa = <usize>load<i32>(as + (<usize>r << 2)) << 4;
    const pb = <usize>load<i32>(bs + (<usize>r << 2)) << 4;
    let da: f64, db: f64;
    if (op == Op.Where) {
      da = isTrue(load<f64>(<usize>load<i32>(as + (<usize>(r - 1) << 2)) << 4)) ? 1 : 0;
      db = 1 - da;
    } else {
      partials(op, load<f64>(pa), load<f64>(pb), load<f64>(s));
      da = partialA;
      db = partialB;
    }
    store<f64>(pa, load<f64>(pa, 8) + g * da, 8);
    store<f64>(pb, load<f64>(pb, 8) + g * db, 8);
  }
}

/** Runs vector row r forward into the slots from address s; returns the address after them. */
export function vectorRowForward(op: i32, as: usize, bs: usize, r: usize, s: usize): usize {
  readParams(op, as, bs, r);
  const count = <usize>vectorOutputs(op, p1a, p2a);
  const a = load<i32>(as + (r << 2)), b = load<i32>(bs + (r << 2));
  // The fast kernels zero the adjoints as they write the values; the generic ones leave it here.
  let zeroed = false;
  if (op == Op.VecMap) zeroed = vecMapForward(p1a, p1b, a, b, <i32>(s >> 4));
  else if (op == Op.MatMul && hasScratch(p1a, p1b, p2a)) {
    matmulForward(p1a, p1b, p2a, p2b, a, b, <i32>(s >> 4));
    zeroed = true;
  } else vectorForward(op, p1a, p1b, p2a, p2b, a, b, <i32>(s >> 4));
  if (!zeroed) for (let i: usize = 0; i < count; i++) store<f64>(s + (i << 4), 0, 8);
  return s + (count << 4);
}

/** Runs vector row r's reverse rule; `end` is the address after its slots; returns their start. */
export function vectorRowReverse(op: i32, as: usize, bs: usize, r: usize, end: usize): usize {
  readParams(op, as, bs, r);
  const start = end - (<usize>vectorOutputs(op, p1a, p2a) << 4);
  const a = load<i32>(as + (r << 2)), b = load<i32>(bs + (r << 2));
  if (op == Op.VecMap) vecMapReverse(p1a, p1b, a, b, <i32>(start >> 4));
  else if (op == Op.MatMul && hasScratch(p1a, p1b, p2a)) matmulReverse(p1a, p1b, p2a, p2b, a, b, <i32>(start >> 4));
  else vectorReverse(op, p1a, p1b, p2a, p2b, a, b, <i32>(start >> 4));
  return start;
}
