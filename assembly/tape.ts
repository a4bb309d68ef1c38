/** @file The tape: segments of columns (layout.ts), growth, reset, leaves recorded in bulk.
 *
 *  Scalar and vector rows are written by the facade straight into the current segment's columns
 *  (src/wasm/wasm-core.ts, at the addresses index.ts exports) and evaluated by sweeps.ts
 *  `flush` when the tape is next read; runs of leaves are recorded by the functions below. The
 *  row and slot counters live in the segment header only: facade and core both read and write
 *  them there. */
import { allocate, release, sizeClass } from './memory';
import {
  SEG_PREV, SEG_NEXT, SEG_CAP, SEG_ROWS, SEG_SLOTS, SEG_CLASS, SEG_EVALUATED_ROWS, SEG_EVALUATED_SLOTS,
  TAPE_FIRST, TAPE_CURRENT, TAPE_LIVE, TAPE_DIRTY, TAPE_MAX_BYTES, TAPE_HELD_BYTES, TAPE_FIRST_CLASS, TAPE_HEADER_CLASS,
  capacityOf, segmentBytesFor, slotsOf, opsOf, aOf, bOf, slotAt, valueAddress, adjointAddress, nextOf, rowsOf, slotCountOf,
  setAdjointDelta, adjointDeltaOf, SLOT_STRIDE,
} from './layout';

/** Failure codes of `reserve` (0 is success). */
export const OUT_OF_MEMORY: i32 = -1;
export const OVER_TAPE_LIMIT: i32 = -2;

/** The shared sink slot: value 0, then its adjoint (scratch), 8 bytes on (layout.ts). */
const SINK_BLOCK: usize = allocate(TAPE_HEADER_CLASS);
export const SINK: i32 = slotAt(SINK_BLOCK);
setAdjointDelta(SINK_BLOCK, 16, 8);

/** The smallest size class whose segment holds `rows` rows. */
function classFor(rows: f64): i32 {
  return sizeClass(segmentBytesFor(rows));
}

/** A new tape with a first segment of at least `rows` rows; 0 if memory is exhausted. */
export function tapeCreate(rows: i32, maxBytes: f64): usize {
  const tape = allocate(TAPE_HEADER_CLASS);
  if (tape == 0) return 0;
  memory.fill(tape, 0, 64);
  store<f64>(tape, maxBytes, TAPE_MAX_BYTES);
  store<f64>(tape, 64, TAPE_HELD_BYTES);
  store<i32>(tape, 1, TAPE_LIVE);
  const k = classFor(<f64>(rows < 64 ? 64 : rows));
  store<i32>(tape, k, TAPE_FIRST_CLASS);
  if (64 + <f64>(<u64>1 << k) > maxBytes) {
    release(tape, TAPE_HEADER_CLASS);
    return 0;
  }
  const seg = newSegment(tape, k, 0);
  if (seg == 0) {
    release(tape, TAPE_HEADER_CLASS);
    return 0;
  }
  store<u32>(tape, <u32>seg, TAPE_FIRST);
  store<u32>(tape, <u32>seg, TAPE_CURRENT);
  return tape;
}

function newSegment(tape: usize, k: i32, prev: usize): usize {
  const seg = allocate(k);
  if (seg == 0) return 0;
  memory.fill(seg, 0, 32);
  setAdjointDelta(seg, <usize>1 << k, adjointDeltaOf(capacityOf(k)));
  store<u32>(seg, <u32>prev, SEG_PREV);
  store<i32>(seg, capacityOf(k), SEG_CAP);
  store<i32>(seg, k, SEG_CLASS);
  store<f64>(tape, load<f64>(tape, TAPE_HELD_BYTES) + <f64>(<u64>1 << k), TAPE_HELD_BYTES);
  return seg;
}

export function firstSegment(tape: usize): usize { return <usize>load<u32>(tape, TAPE_FIRST); }
export function currentSegment(tape: usize): usize { return <usize>load<u32>(tape, TAPE_CURRENT); }

/** Makes room for `rows` rows and `slots` contiguous slots in the current segment, moving on
 *  to a kept segment (after reset) or a new one (`growthClass`); the caller has evaluated the
 *  current segment (sweeps.ts `flush`). 0, or a failure code. */
export function reserve(tape: usize, rows: i32, slots: i32): i32 {
  let seg = currentSegment(tape);
  if (fits(seg, rows, slots)) return 0;
  // Leftovers from before a reset are reused in order while they are big enough.
  let next = nextOf(seg);
  while (next != 0) {
    store<u32>(tape, <u32>next, TAPE_CURRENT);
    seg = next;
    if (fits(seg, rows, slots)) return 0;
    next = nextOf(seg);
  }
  const need = <f64>(rows > slots ? rows : slots);
  const kNeed = classFor(need);
  if (kNeed < 0) return OUT_OF_MEMORY;
  let k = growthClass(load<i32>(seg, SEG_CLASS), load<f64>(tape, TAPE_HELD_BYTES));
  if (k < kNeed) k = kNeed;
  if (k > 31) k = 31;
  if (load<f64>(tape, TAPE_HELD_BYTES) + <f64>(<u64>1 << k) > load<f64>(tape, TAPE_MAX_BYTES)) {
    // Under a tape limit, a smaller segment that still fits the request may do.
    k = kNeed;
    if (load<f64>(tape, TAPE_HELD_BYTES) + <f64>(<u64>1 << k) > load<f64>(tape, TAPE_MAX_BYTES)) return OVER_TAPE_LIMIT;
  }
  // Near the memory ceiling, halve the segment until one fits rather than fail: a tape can
  // then fill wasm32's 4 GiB with segments of 2 GiB, 1 GiB, …
  let fresh = newSegment(tape, k, seg);
  while (fresh == 0 && k > kNeed) fresh = newSegment(tape, --k, seg);
  if (fresh == 0) return OUT_OF_MEMORY;
  store<u32>(fresh, <u32>load<u32>(seg, SEG_NEXT), SEG_NEXT);
  store<u32>(seg, <u32>fresh, SEG_NEXT);
  store<u32>(tape, <u32>fresh, TAPE_CURRENT);
  return 0;
}

/** Segments are at least a page (64 KiB, layout.ts); past that each new one is the largest power
 *  of two at most a quarter of what the tape holds (4 segments per size, about 55 up to 2.5 GB), so spare
 *  capacity stays under 25 %: ≤ 32 B/node at 25 B/node, where doubling held up to 50 (33.4 at
 *  10⁶ nodes). */
function growthClass(previous: i32, held: f64): i32 {
  let k = previous < 16 ? previous + 1 : 16;
  while (<f64>(<u64>1 << (k + 1)) <= held * 0.25) k++;
  return k;
}

function fits(seg: usize, rows: i32, slots: i32): bool {
  const cap = load<i32>(seg, SEG_CAP);
  return rowsOf(seg) + rows <= cap && slotCountOf(seg) + slots <= cap;
}

/** Records `count` contiguous leaves of kind `op` (Input or Const, value 0: the caller writes
 *  the values) and returns the first slot id; −1 when the segment cannot hold them all. */
export function recordLeaves(tape: usize, count: i32, op: i32): i32 {
  const seg = currentSegment(tape);
  const cap = load<i32>(seg, SEG_CAP);
  const row = rowsOf(seg);
  const slot = slotCountOf(seg);
  if (row + count > cap || slot + count > cap) return -1;
  const first = slotAt(slotsOf(seg)) + slot;
  const ops = opsOf(seg), as = aOf(seg), bs = bOf(seg);
  memory.fill(valueAddress(first), 0, <usize>count * SLOT_STRIDE);
  memory.fill(adjointAddress(first), 0, <usize>count * SLOT_STRIDE);
  for (let i = 0; i < count; i++) {
    const r = <usize>(row + i);
    store<u8>(ops + r, <u8>op);
    store<i32>(as + (r << 2), SINK);
    store<i32>(bs + (r << 2), SINK);
  }
  store<i32>(seg, row + count, SEG_ROWS);
  store<i32>(seg, slot + count, SEG_SLOTS);
  return first;
}

/** Forgets every row but keeps every segment for the next recording. */
export function tapeReset(tape: usize): void {
  let seg = firstSegment(tape);
  while (seg != 0) {
    store<i32>(seg, 0, SEG_ROWS);
    store<i32>(seg, 0, SEG_SLOTS);
    store<i32>(seg, 0, SEG_EVALUATED_ROWS);
    store<i32>(seg, 0, SEG_EVALUATED_SLOTS);
    seg = nextOf(seg);
  }
  store<u32>(tape, load<u32>(tape, TAPE_FIRST), TAPE_CURRENT);
  store<i32>(tape, 0, TAPE_DIRTY);
}

/** Returns every block of the tape to the allocator. */
export function tapeDispose(tape: usize): void {
  let seg = firstSegment(tape);
  while (seg != 0) {
    const next = nextOf(seg);
    release(seg, load<i32>(seg, SEG_CLASS));
    seg = next;
  }
  store<i32>(tape, 0, TAPE_LIVE);
  release(tape, TAPE_HEADER_CLASS);
}

export function isDirty(tape: usize): bool { return load<i32>(tape, TAPE_DIRTY) != 0; }
export function setDirty(tape: usize, dirty: bool): void { store<i32>(tape, dirty ? 1 : 0, TAPE_DIRTY); }

/** Sum of one header field over the recording's segments. */
function sumOverSegments(tape: usize, field: usize): f64 {
  let n: f64 = 0;
  const last = currentSegment(tape);
  let seg = firstSegment(tape);
  while (seg != 0) {
    n += <f64>load<i32>(seg + field);
    if (seg == last) break;
    seg = nextOf(seg);
  }
  return n;
}

/** Rows recorded (Param rows included). */
export function tapeRows(tape: usize): f64 {
  return sumOverSegments(tape, SEG_ROWS);
}

/** Slots recorded: values on the tape. */
export function tapeSlots(tape: usize): f64 {
  return sumOverSegments(tape, SEG_SLOTS);
}

/** Bytes the tape holds, kept segments included. */
export function tapeHeldBytes(tape: usize): f64 {
  return load<f64>(tape, TAPE_HELD_BYTES);
}
