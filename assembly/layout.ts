/** @file The tape's memory layout, stated once: headers, columns, slots, side buffers. Every
 *  other file (and the TypeScript facade, through the exports in index.ts) asks here.
 *
 *  tape header (64 B block)               segment (one 2^k-byte block, never moved)
 *  ┌─────────────────────┐                ┌───────────────────────────────────────────────────┐
 *  │ 0  first segment    │──► seg ◄─► seg │ 0 prev · 4 next · 8 cap · 12 rows · 16 slots       │
 *  │ 4  current segment  │                │ 20 size class · 24 evaluated rows · 28 ev. slots   │
 *  │ 8  live             │                │                                     (32 B header)  │
 *  │ 12 dirty            │                ├───────────────────────────────────────────────────┤
 *  │ 16 max bytes  f64   │                │ slots: cap × { val f64 · adj f64 }         16 B    │
 *  │ 24 held bytes f64   │                │ op:    cap × u8                             1 B    │
 *  │ 32 first size class │                │ a:     cap × i32 (slot id of operand)       4 B    │
 *  └─────────────────────┘                │ b:     cap × i32 (slot id of operand)       4 B    │
 *                                         └───────────────────────────────────────────────────┘
 *
 *  25 bytes per scalar node, DESIGN's columns `op a b val adj`, with val and adj side by side so
 *  an operand is one address: slot id s lives at byte 16s (val) and 16s + 8 (adj). Operands name
 *  slots by absolute id, so a segment can live anywhere: growth allocates a new segment
 *  (doubling) and never copies. Scalar rows own one slot each, Param rows none (they carry an
 *  extra operand for the row after them). Unary rows point b at the sink slot, whose value is 0
 *  and whose adjoint nobody reads, so the reverse sweep updates two adjoints per row without
 *  asking the arity. Rows [evaluated rows, rows) of the current segment were recorded by the
 *  facade and are not evaluated yet (sweeps.ts `flush`).
 *
 *  tangent buffer of a one-segment tape     stored partials of a one-segment tape
 *  ┌────────────────────────────────────┐   ┌──────────────────────────────────────┐
 *  │ 0   the sink's pair (tangent 0)    │   │ 16(s − first): { ∂y/∂a · ∂y/∂b }      │
 *  │ 16 + 16(s − first): { ṡ · s̄̇ }      │   └──────────────────────────────────────┘
 *  └────────────────────────────────────┘
 */

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

/** Bytes from one slot's value to the next one's. */
export const SLOT_STRIDE: usize = 16;
/** Where the value and the adjoint columns start: slot id s's value is at VALUE_COLUMN +
 *  slotOffset(s), its adjoint at ADJOINT_COLUMN + slotOffset(s). */
export const VALUE_COLUMN: usize = 0;
export const ADJOINT_COLUMN: usize = 8;

// @ts-ignore: decorator
@inline export function slotOffset(id: i32): usize { return <usize>id << 4; }
// @ts-ignore: decorator
@inline export function valueAddress(id: i32): usize { return VALUE_COLUMN + slotOffset(id); }
// @ts-ignore: decorator
@inline export function adjointAddress(id: i32): usize { return ADJOINT_COLUMN + slotOffset(id); }
/** The slot id whose value is at `address` (the first slot of a segment, for example). */
// @ts-ignore: decorator
@inline export function slotAt(address: usize): i32 { return <i32>(address >> 4); }

// ── segments ──

// @ts-ignore: decorator
@inline export function capOf(seg: usize): usize { return <usize>load<i32>(seg, SEG_CAP); }
// @ts-ignore: decorator
@inline export function slotsOf(seg: usize): usize { return seg + SEG_HEADER; }
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

/** Segment bytes for `rows` rows, with room for the header and alignment. */
export function segmentBytesFor(rows: f64): f64 {
  return <f64>SEG_HEADER + rows * <f64>BYTES_PER_ROW + 100;
}

// ── side buffers of a one-segment (compiled) tape ──

/** Bytes of the tangent buffer of a segment with `slots` slots. */
export function tangentBufferBytes(slots: i32): f64 {
  return 16 + 16 * <f64>slots;
}

/** The tangent of slot `id`'s value: its pair in the buffer, the sink's pair for the sink. */
// @ts-ignore: decorator
@inline export function tangentAddress(buffer: usize, first: i32, sink: i32, id: i32): usize {
  return id == sink ? buffer : buffer + 16 + (<usize>(id - first) << 4);
}

/** The tangent of slot `id`'s adjoint: 8 bytes after its value's tangent. */
export const TANGENT_ADJOINT_OFFSET: usize = 8;
/** Bytes from one slot's tangent to the next one's. */
export const TANGENT_STRIDE: usize = 16;

/** Bytes of the stored-partials buffer of a segment with `slots` slots. */
export function storedBufferBytes(slots: i32): f64 {
  return 16 * <f64>(slots > 0 ? slots : 1);
}

// @ts-ignore: decorator
@inline export function storedAddress(buffer: usize, first: i32, id: i32): usize {
  return buffer + (<usize>(id - first) << 4);
}
