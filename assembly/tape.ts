/** @file The tape: segments of struct-of-arrays columns in linear memory, and recording. */
//
//  tape header (64 B block)            segment (one 2^k-byte block, never moved)
//  ┌──────────────┐                    ┌──────────────────────────────────────────────┐
//  │ 0  first seg │──► seg ◄─► seg ◄─► │ 0 prev · 4 next · 8 cap · 12 rows · 16 slots │
//  │ 4  current   │                    │ 20 size class · 24 tape     (32 B header)    │
//  │ 8  live      │                    ├──────────────────────────────────────────────┤
//  │ 12 dirty     │                    │ slots: cap × { val f64 · adj f64 }   16 B    │
//  │ 16 max bytes │                    │ op:    cap × u8                       1 B    │
//  │ 24 held bytes│                    │ a:     cap × i32 (slot id of operand) 4 B    │
//  │ 32 first cap │                    │ b:     cap × i32 (slot id of operand) 4 B    │
//  └──────────────┘                    └──────────────────────────────────────────────┘
//
// 25 bytes per scalar node, as DESIGN's columns `op a b val adj`, with val and adj side by
// side so an operand is one address: slot id s lives at byte s·16 (val) and s·16+8 (adj).
// Operands name slots by absolute id, so a segment can live anywhere: growth allocates a
// new segment (doubling) and never copies. A row is one instruction; scalar rows own one
// slot each, Param rows none (they carry an extra operand for the row after them).
// Unary rows point b at the sink slot, whose value is 0 and whose adjoint nobody reads,
// so the reverse sweep updates two adjoints per row without asking the arity.
//
// Scalar rows are written by the facade straight into these columns (src/wasm/wasm-core.ts)
// and evaluated by sweeps.ts `forwardRows` when the tape is next read; vector rows and runs
// of leaves are recorded by the functions below.

import { Op } from './shared/ops';
import { allocate, release, sizeClass, takeGrewFlag } from './memory';
import { paramRows, vectorOutputs } from './shared/vector';
import { vectorRowForward } from './sweeps';

export const SEG_HEADER: usize = 32;
export const SEG_PREV: usize = 0;
export const SEG_NEXT: usize = 4;
export const SEG_CAP: usize = 8;
export const SEG_ROWS: usize = 12;
export const SEG_SLOTS: usize = 16;
export const SEG_CLASS: usize = 20;

const TAPE_FIRST: usize = 0;
const TAPE_CURRENT: usize = 4;
const TAPE_LIVE: usize = 8;
const TAPE_DIRTY: usize = 12;
const TAPE_MAX_BYTES: usize = 16;
const TAPE_HELD_BYTES: usize = 24;
const TAPE_FIRST_CLASS: usize = 32;
const TAPE_HEADER_CLASS: i32 = 6;

/** Result codes of `reserve` (and of calls that may allocate). */
export const GREW: i32 = 1;
export const OUT_OF_MEMORY: i32 = -1;
export const OVER_TAPE_LIMIT: i32 = -2;

/** The shared sink slot (see the diagram's note). */
const SINK_ADDR: usize = allocate(TAPE_HEADER_CLASS);
export const SINK: i32 = <i32>(SINK_ADDR >> 4);

// Column addresses of a segment.
// @ts-ignore: decorator
@inline export function slotsOf(seg: usize): usize { return seg + SEG_HEADER; }
// @ts-ignore: decorator
@inline export function opsOf(seg: usize, cap: usize): usize { return seg + SEG_HEADER + (cap << 4); }
// @ts-ignore: decorator
@inline export function aOf(seg: usize, cap: usize): usize { return seg + SEG_HEADER + cap * 17; }
// @ts-ignore: decorator
@inline export function bOf(seg: usize, cap: usize): usize { return seg + SEG_HEADER + cap * 21; }

/** Rows (= slots) a 2^k-byte segment holds: 25 bytes each after the header, a multiple of 4. */
function capacityOf(k: i32): i32 {
  return <i32>((((<u64>1 << k) - SEG_HEADER) / 25) & ~3);
}

/** The smallest size class whose segment holds `rows` rows. */
function classFor(rows: f64): i32 {
  return sizeClass(<f64>SEG_HEADER + rows * 25 + 100);
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
  store<u32>(seg, <u32>prev, SEG_PREV);
  store<u32>(seg, 0, SEG_NEXT);
  store<i32>(seg, capacityOf(k), SEG_CAP);
  store<i32>(seg, 0, SEG_ROWS);
  store<i32>(seg, 0, SEG_SLOTS);
  store<i32>(seg, k, SEG_CLASS);
  store<f64>(tape, load<f64>(tape, TAPE_HELD_BYTES) + <f64>(<u64>1 << k), TAPE_HELD_BYTES);
  return seg;
}

export function firstSegment(tape: usize): usize { return <usize>load<u32>(tape, TAPE_FIRST); }
export function currentSegment(tape: usize): usize { return <usize>load<u32>(tape, TAPE_CURRENT); }

/** Makes room for `rows` rows and `slots` contiguous slots in the current segment, moving on
 *  to a kept segment (after reset) or a new one twice the size. 0, GREW, or a failure code. */
export function reserve(tape: usize, rows: i32, slots: i32): i32 {
  let seg = currentSegment(tape);
  if (fits(seg, rows, slots)) return 0;
  // Leftovers from before a reset are reused in order while they are big enough.
  let next = <usize>load<u32>(seg, SEG_NEXT);
  while (next != 0) {
    store<u32>(tape, <u32>next, TAPE_CURRENT);
    seg = next;
    if (fits(seg, rows, slots)) return 0;
    next = <usize>load<u32>(seg, SEG_NEXT);
  }
  const need = <f64>(rows > slots ? rows : slots);
  let k = load<i32>(seg, SEG_CLASS) + 1;
  const kNeed = classFor(need);
  if (kNeed < 0) return OUT_OF_MEMORY;
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
  return takeGrew();
}

function fits(seg: usize, rows: i32, slots: i32): bool {
  const cap = load<i32>(seg, SEG_CAP);
  return load<i32>(seg, SEG_ROWS) + rows <= cap && load<i32>(seg, SEG_SLOTS) + slots <= cap;
}

function takeGrew(): i32 {
  return takeGrewFlag() ? GREW : 0;
}

// @ts-ignore: decorator
@inline function writeRow(seg: usize, cap: usize, row: usize, op: i32, a: i32, b: i32): void {
  store<u8>(opsOf(seg, cap) + row, <u8>op);
  store<i32>(aOf(seg, cap) + (row << 2), a);
  store<i32>(bOf(seg, cap) + (row << 2), b);
}

/** Records `count` contiguous Input leaves (value 0, to be written by the caller) and returns
 *  the first slot id; −1 when the segment cannot hold them all. */
export function recordInputs(tape: usize, count: i32): i32 {
  const seg = currentSegment(tape);
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const row = <usize>load<i32>(seg, SEG_ROWS);
  const slot = <usize>load<i32>(seg, SEG_SLOTS);
  if (row + <usize>count > cap || slot + <usize>count > cap) return -1;
  const at = slotsOf(seg) + (slot << 4);
  memory.fill(at, 0, <usize>count << 4);
  for (let i: usize = 0; i < <usize>count; i++) writeRow(seg, cap, row + i, Op.Input, SINK, SINK);
  store<i32>(seg, <i32>row + count, SEG_ROWS);
  store<i32>(seg, <i32>slot + count, SEG_SLOTS);
  return <i32>(at >> 4);
}

/** Records a vector row with its Param rows (see assembly/shared/vector.ts), runs it forward
 *  and returns its first output slot id; −1 when the segment cannot hold it. */
export function recordVector(tape: usize, op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32): i32 {
  const seg = currentSegment(tape);
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const row = <usize>load<i32>(seg, SEG_ROWS);
  const slot = <usize>load<i32>(seg, SEG_SLOTS);
  const params = <usize>paramRows(op);
  const count = <usize>vectorOutputs(op, p1a, p2a);
  if (row + params + 1 > cap || slot + count > cap) return -1;
  if (params == 2) writeRow(seg, cap, row, Op.Param, p2a, p2b);
  writeRow(seg, cap, row + params - 1, Op.Param, p1a, p1b);
  writeRow(seg, cap, row + params, op, a, b);
  const at = slotsOf(seg) + (slot << 4);
  vectorRowForward(op, aOf(seg, cap), bOf(seg, cap), row + params, at);
  store<i32>(seg, <i32>(row + params + 1), SEG_ROWS);
  store<i32>(seg, <i32>(slot + count), SEG_SLOTS);
  return <i32>(at >> 4);
}

/** Records `count` contiguous Const leaves (value 0, written by the caller); −1 when full. */
export function recordConsts(tape: usize, count: i32): i32 {
  const start = recordInputs(tape, count);
  if (start < 0) return -1;
  const seg = currentSegment(tape);
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const end = <usize>load<i32>(seg, SEG_ROWS);
  for (let r = end - <usize>count; r < end; r++) store<u8>(opsOf(seg, cap) + r, <u8>Op.Const);
  return start;
}

/** Forgets every row but keeps every segment for the next recording. */
export function tapeReset(tape: usize): void {
  let seg = firstSegment(tape);
  while (seg != 0) {
    store<i32>(seg, 0, SEG_ROWS);
    store<i32>(seg, 0, SEG_SLOTS);
    seg = <usize>load<u32>(seg, SEG_NEXT);
  }
  store<u32>(tape, load<u32>(tape, TAPE_FIRST), TAPE_CURRENT);
  store<i32>(tape, 0, TAPE_DIRTY);
}

/** Returns every block of the tape to the allocator. */
export function tapeDispose(tape: usize): void {
  let seg = firstSegment(tape);
  while (seg != 0) {
    const next = <usize>load<u32>(seg, SEG_NEXT);
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
    seg = <usize>load<u32>(seg, SEG_NEXT);
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

