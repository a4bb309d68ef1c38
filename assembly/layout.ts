/** @file The tape's memory layout, stated once: headers, columns, slots, side buffers. Every
 *  other file (and the TypeScript facade, through the exports in facade.ts) asks here.
 *
 *  tape header (64 B block)               segment (one 2^k-byte block, k ≥ 16, page-aligned, never moved)
 *  ┌─────────────────────┐                ┌───────────────────────────────────────────────────┐
 *  │ 0  first segment    │──► seg ◄─► seg │ 0 prev · 4 next · 8 cap · 12 rows · 16 slots       │
 *  │ 4  current segment  │                │ 20 size class · 24 evaluated rows · 28 ev. slots   │
 *  │ 8  live             │                │                                     (32 B header)  │
 *  │ 12 dirty            │                ├───────────────────────────────────────────────────┤
 *  │ 16 max bytes  f64   │                │ val: cap × f64                              8 B    │
 *  │ 24 held bytes f64   │                │ adj: cap × f64                              8 B    │
 *  │ 32 first size class │                │ op:  cap × u8                               1 B    │
 *  └─────────────────────┘                │ a:   cap × i32 (slot id of operand)         4 B    │
 *                                         │ b:   cap × i32 (slot id of operand)         4 B    │
 *                                         └───────────────────────────────────────────────────┘
 *
 *  25 bytes per scalar node, DESIGN's columns `op a b val adj`, struct of arrays: a vector's
 *  values are one contiguous run of doubles and its adjoints another (views with no copy, two
 *  useful numbers per f64x2 lane). A slot id is its value's address ÷ 8, so operands name slots
 *  anywhere in memory and growth allocates a new segment (doubling) and never copies. A slot's
 *  adjoint is its value's address plus its segment's column distance (8 · cap), which the
 *  delta table holds per 64 KiB page: segments start on a page and own their pages, so
 *  adjoint = value + DELTAS[value ÷ 65536] for any slot, one load from a table that stays in
 *  cache. Scalar rows own one slot each, Param rows none (they carry an extra operand for the
 *  row after them). Unary rows point b at the sink slot, whose value is 0 and whose adjoint
 *  nobody reads, so the reverse sweep updates two adjoints per row without asking the arity.
 *  Rows [evaluated rows, rows) of the current segment were recorded by the facade and are not
 *  evaluated yet (sweeps.ts `flush`).
 *
 *  tangent buffer of a one-segment tape          stored partials of a one-segment tape
 *  ┌───────────────────────────────────────┐     ┌──────────────────────────────────────┐
 *  │ 0 the sink's tangent (0) · 8 its ā̇    │     │ 16(s − first): { ∂y/∂a · ∂y/∂b }      │
 *  │ 16: slots × ṡ · then slots × s̄̇        │     └──────────────────────────────────────┘
 *  └───────────────────────────────────────┘
 */
import { allocate, PAGE_CLASS } from './memory';

export const SEG_HEADER: usize = 32;
export const SEG_PREV: usize = 0;
export const SEG_NEXT: usize = 4;
export const SEG_CAP: usize = 8;
export const SEG_ROWS: usize = 12;
export const SEG_SLOTS: usize = 16;
export const SEG_CLASS: usize = 20;
export const SEG_EVALUATED_ROWS: usize = 24;
export const SEG_EVALUATED_SLOTS: usize = 28;

export const TAPE_FIRST: usize = 0;
export const TAPE_CURRENT: usize = 4;
export const TAPE_LIVE: usize = 8;
export const TAPE_DIRTY: usize = 12;
export const TAPE_MAX_BYTES: usize = 16;
export const TAPE_HELD_BYTES: usize = 24;
export const TAPE_FIRST_CLASS: usize = 32;
export const TAPE_HEADER_CLASS: i32 = 6;

/** Bytes a node costs in a segment: slot (val + adj), op, a, b. */
export const BYTES_PER_ROW: usize = 25;

// ── slots ──

/** Bytes from one slot's value (or adjoint) to the next one's in a segment. */
export const SLOT_STRIDE: usize = 8;

const PAGE_SHIFT: usize = 16;

/** Per 64 KiB page of memory, the distance from a value there to its adjoint (a segment's 8·cap). */
const DELTAS: usize = allocate(PAGE_CLASS + 2);

/** Records that the slots whose values lie in [block, block + bytes) have their adjoints `delta`
 *  bytes on (a new segment's pages, or the sink's). */
export function setAdjointDelta(block: usize, bytes: usize, delta: i32): void {
  const last = (block + bytes - 1) >> PAGE_SHIFT;
  for (let page = block >> PAGE_SHIFT; page <= last; page++) store<i32>(DELTAS + (page << 2), delta);
}

// @ts-ignore: decorator
@inline export function valueAddress(id: i32): usize { return <usize>id << 3; }
// @ts-ignore: decorator
@inline export function adjointAddress(id: i32): usize {
  const value = <usize>id << 3;
  return value + <usize>load<i32>(DELTAS + ((value >> PAGE_SHIFT) << 2));
}
/** The slot id whose value is at `address` (the first slot of a segment, for example). */
// @ts-ignore: decorator
@inline export function slotAt(address: usize): i32 { return <i32>(address >> 3); }

// ── segments ──

// @ts-ignore: decorator
@inline export function capOf(seg: usize): usize { return <usize>load<i32>(seg, SEG_CAP); }
// @ts-ignore: decorator
@inline export function slotsOf(seg: usize): usize { return seg + SEG_HEADER; }
/** Distance from a segment's value column to its adjoint column. */
// @ts-ignore: decorator
@inline export function adjointDeltaOf(cap: i32): i32 { return cap << 3; }
// @ts-ignore: decorator
@inline export function opsOf(seg: usize): usize { return seg + SEG_HEADER + (capOf(seg) << 4); }
// @ts-ignore: decorator
@inline export function aOf(seg: usize): usize { return seg + SEG_HEADER + capOf(seg) * 17; }
// @ts-ignore: decorator
@inline export function bOf(seg: usize): usize { return seg + SEG_HEADER + capOf(seg) * 21; }
/** The id of the segment's first slot. */
// @ts-ignore: decorator
@inline export function firstSlotOf(seg: usize): i32 { return slotAt(slotsOf(seg)); }
// @ts-ignore: decorator
@inline export function rowsOf(seg: usize): i32 { return load<i32>(seg, SEG_ROWS); }
// @ts-ignore: decorator
@inline export function slotCountOf(seg: usize): i32 { return load<i32>(seg, SEG_SLOTS); }
// @ts-ignore: decorator
@inline export function nextOf(seg: usize): usize { return <usize>load<u32>(seg, SEG_NEXT); }
// @ts-ignore: decorator
@inline export function prevOf(seg: usize): usize { return <usize>load<u32>(seg, SEG_PREV); }

/** Rows (= slots) a 2^k-byte segment holds: 25 bytes each after the header, a multiple of 4. */
export function capacityOf(k: i32): i32 {
  return <i32>((((<u64>1 << k) - SEG_HEADER) / BYTES_PER_ROW) & ~3);
}

/** Segment bytes for `rows` rows, with room for the header and alignment: a page at least. */
export function segmentBytesFor(rows: f64): f64 {
  const bytes = <f64>SEG_HEADER + rows * <f64>BYTES_PER_ROW + 100;
  return bytes < <f64>(1 << PAGE_CLASS) ? <f64>(1 << PAGE_CLASS) : bytes;
}

// ── side buffers of a one-segment (compiled) tape ──

/** Bytes of the tangent buffer of a segment with `slots` slots. */
export function tangentBufferBytes(slots: i32): f64 {
  return 16 + 16 * <f64>slots;
}

/** Bytes from one slot's tangent to the next one's. */
export const TANGENT_STRIDE: usize = 8;

/** A base from which base + 8·id is the tangent of slot id of the segment (not the sink). */
// @ts-ignore: decorator
@inline export function tangentColumnBase(buffer: usize, first: i32): usize {
  return buffer + 16 - (<usize>first << 3);
}

/** Likewise for the adjoint tangents. */
// @ts-ignore: decorator
@inline export function adjointTangentColumnBase(buffer: usize, slots: i32, first: i32): usize {
  return buffer + 16 + (<usize>slots << 3) - (<usize>first << 3);
}

/** The tangent of slot `id`'s value in a tangent buffer whose segment has `slots` slots from
 *  `first`; the sink's is the buffer's first double. */
// @ts-ignore: decorator
@inline export function tangentAddress(buffer: usize, slots: i32, first: i32, sink: i32, id: i32): usize {
  return id == sink ? buffer : tangentColumnBase(buffer, first) + (<usize>id << 3);
}

/** The tangent of slot `id`'s adjoint: the second column (the sink's: the buffer's second double). */
// @ts-ignore: decorator
@inline export function adjointTangentAddress(buffer: usize, slots: i32, first: i32, sink: i32, id: i32): usize {
  return id == sink ? buffer + 8 : adjointTangentColumnBase(buffer, slots, first) + (<usize>id << 3);
}

/** Bytes of the stored-partials buffer of a segment with `slots` slots. */
export function storedBufferBytes(slots: i32): f64 {
  return 16 * <f64>(slots > 0 ? slots : 1);
}

// @ts-ignore: decorator
@inline export function storedAddress(buffer: usize, first: i32, id: i32): usize {
  return buffer + (<usize>(id - first) << 4);
}
