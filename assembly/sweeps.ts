/** @file The sweeps over a tape: segment iteration around the row walk (shared/walk.ts), which
 *  does the work for both backends. Every entry point first evaluates rows the facade recorded
 *  but did not evaluate yet (`flush`). */
import { forwardRows, reverseRows, tangentRows, secondOrderRows, locateRow, locatedEnd } from './shared/walk';
import { bindRows } from './shared/rows';
import { adjointColumn, setAdj, bindStored, bindTangents } from './shared/slots';
import {
  SEG_EVALUATED_ROWS, SEG_EVALUATED_SLOTS, SLOT_STRIDE, firstSlotOf, rowsOf, slotCountOf, nextOf, prevOf, tangentBufferBytes, adjointAddress,
} from './layout';
import { SINK, firstSegment, currentSegment, isDirty, setDirty, reserve } from './tape';

/** Evaluates the rows recorded since the last flush (they are all in the current segment). */
export function flush(tape: usize): void {
  const seg = currentSegment(tape);
  const rows = rowsOf(seg);
  const done = load<i32>(seg, SEG_EVALUATED_ROWS);
  if (done == rows) return;
  bindRows(seg);
  forwardRows(done, rows, firstSlotOf(seg) + load<i32>(seg, SEG_EVALUATED_SLOTS), false);
  markEvaluated(seg);
}

function markEvaluated(seg: usize): void {
  store<i32>(seg, rowsOf(seg), SEG_EVALUATED_ROWS);
  store<i32>(seg, slotCountOf(seg), SEG_EVALUATED_SLOTS);
}

/** `reserve` after a flush: rows are evaluated before the recording moves to another segment. */
export function makeRoom(tape: usize, rows: i32, slots: i32): i32 {
  flush(tape);
  return reserve(tape, rows, slots);
}

/** Recomputes every value from the tape's current inputs and zeroes every adjoint. */
export function forward(tape: usize): void {
  const last = currentSegment(tape);
  let seg = firstSegment(tape);
  while (seg != 0) {
    bindRows(seg);
    forwardRows(0, rowsOf(seg), firstSlotOf(seg), false);
    markEvaluated(seg);
    if (seg == last) break;
    seg = nextOf(seg);
  }
  setDirty(tape, false);
}

/** Sets every adjoint of the tape to 0. */
export function zeroAdjoints(tape: usize): void {
  flush(tape);
  const last = currentSegment(tape);
  let seg = firstSegment(tape);
  while (seg != 0) {
    // A segment's adjoints are one run (layout.ts).
    memory.fill(adjointAddress(firstSlotOf(seg)), 0, <usize>slotCountOf(seg) * SLOT_STRIDE);
    if (seg == last) break;
    seg = nextOf(seg);
  }
  setDirty(tape, false);
}

/** Accumulates adjoints from `output` (seeded with 1) back to the inputs. */
export function backward(tape: usize, output: i32): void {
  flush(tape);
  if (isDirty(tape)) zeroAdjoints(tape);
  setAdj(adjointColumn(), output, 1);
  reverseFrom(tape, output);
}

/** The segment holding slot `id`, searched from the current one back; 0 if none. */
function segmentHolding(tape: usize, id: i32): usize {
  let seg = currentSegment(tape);
  while (seg != 0 && !(id >= firstSlotOf(seg) && id < firstSlotOf(seg) + slotCountOf(seg))) seg = prevOf(seg);
  return seg;
}

/** The reverse sweep from the row that wrote slot `last` down to the first row, with whatever
 *  adjoints the caller seeded. Rows recorded after `last` are skipped: they cannot influence
 *  it, and visiting them could add 0·∞. */
// @ts-ignore: decorator
@inline function reverseSegmentsFrom(tape: usize, last: i32, storing: bool): void {
  flush(tape);
  setDirty(tape, true);
  let seg = segmentHolding(tape, last);
  if (seg == 0) return;
  bindRows(seg);
  const r = locateRow(rowsOf(seg) - 1, firstSlotOf(seg) + slotCountOf(seg), last);
  reverseRows(r, locatedEnd, storing);
  seg = prevOf(seg);
  while (seg != 0) {
    bindRows(seg);
    reverseRows(rowsOf(seg) - 1, firstSlotOf(seg) + slotCountOf(seg), storing);
    seg = prevOf(seg);
  }
}

export function reverseFrom(tape: usize, last: i32): void {
  reverseSegmentsFrom(tape, last, false);
}

// ── rows a generated module leaves to the interpreter (src/codegen/vector-module.ts) ──

/** Rows [from, to) of a one-segment tape forward from slot s (values, output adjoints zeroed). */
export function forwardRun(tape: usize, from: i32, to: i32, s: i32): void {
  bindRows(firstSegment(tape));
  forwardRows(from, to, s, false);
}

/** Rows to − 1 … from of a one-segment tape in reverse; `end` is the slot after row to − 1's. */
export function reverseRun(tape: usize, from: i32, to: i32, end: i32): void {
  bindRows(firstSegment(tape));
  reverseRows(to - 1, end, false, from);
}

// ── the second sweep design (compiled tapes in one segment): stored partials ──

/** Forward sweep that also writes every scalar row's partials into `buffer` (layout.ts). */
export function forwardStoring(tape: usize, buffer: usize): void {
  const seg = firstSegment(tape);
  bindRows(seg);
  bindStored(buffer, firstSlotOf(seg));
  forwardRows(0, rowsOf(seg), firstSlotOf(seg), true);
  markEvaluated(seg);
  setDirty(tape, false);
}

/** Reverse sweep over stored partials from the row that wrote `last`: v̄ₐ += v̄·∂ₐ, v̄_b += v̄·∂_b. */
export function reverseStored(tape: usize, buffer: usize, last: i32): void {
  bindStored(buffer, firstSlotOf(firstSegment(tape)));
  reverseSegmentsFrom(tape, last, true);
}

// ── higher order (compiled tapes in one segment): tangents forward, forward-over-reverse ──

/** Bytes of the tangent buffer of a one-segment tape (the facade allocates and zeroes it). */
export function tangentBytes(tape: usize): f64 {
  return tangentBufferBytes(slotCountOf(firstSegment(tape)));
}

function bindHigher(tape: usize, buffer: usize): usize {
  const seg = firstSegment(tape);
  bindRows(seg);
  bindTangents(buffer, slotCountOf(seg), firstSlotOf(seg), SINK);
  return seg;
}

/** Values (when `values`) and tangents of every row from the inputs' tangents, which the
 *  caller wrote; with `thenReverse`, zeroes every adjoint and adjoint tangent, ready for
 *  `secondOrderReverse` (without it the adjoints are left as they were). */
export function tangentForward(tape: usize, buffer: usize, values: bool, thenReverse: bool): void {
  const seg = bindHigher(tape, buffer);
  tangentRows(0, rowsOf(seg), firstSlotOf(seg), values, thenReverse);
  markEvaluated(seg);
  if (thenReverse) setDirty(tape, false);
}

/** The reverse sweep from the row that wrote slot `last`, carrying adjoints and their tangents. */
export function secondOrderReverse(tape: usize, buffer: usize, last: i32): void {
  const seg = bindHigher(tape, buffer);
  setDirty(tape, true);
  const r = locateRow(rowsOf(seg) - 1, firstSlotOf(seg) + slotCountOf(seg), last);
  secondOrderRows(r, locatedEnd);
}
