/** @file What the TypeScript facade reads of the layout (layout.ts), as exported functions: it
 *  writes rows and reads values at these addresses and never computes one itself. */
import {
  SEG_ROWS, SEG_SLOTS, SEG_EVALUATED_ROWS, SEG_EVALUATED_SLOTS, SLOT_STRIDE, TANGENT_STRIDE, BYTES_PER_ROW,
  capOf, opsOf, aOf, bOf, firstSlotOf, rowsOf, slotCountOf, nextOf, valueAddress, adjointAddress, tangentAddress, adjointTangentAddress,
  storedBufferBytes,
} from './layout';
import { SINK, firstSegment } from './tape';

export function segmentCapacity(seg: usize): i32 { return <i32>capOf(seg); }
export function segmentOpColumn(seg: usize): usize { return opsOf(seg); }
export function segmentAColumn(seg: usize): usize { return aOf(seg); }
export function segmentBColumn(seg: usize): usize { return bOf(seg); }
export function segmentFirstSlot(seg: usize): i32 { return firstSlotOf(seg); }
/** Addresses of the segment's row and slot counters (i32), which facade and core share. */
export function segmentRowsField(seg: usize): usize { return seg + SEG_ROWS; }
export function segmentSlotsField(seg: usize): usize { return seg + SEG_SLOTS; }
/** Address of the count of rows the core has evaluated (rows past it wait for `flush`). */
export function segmentEvaluatedField(seg: usize): usize { return seg + SEG_EVALUATED_ROWS; }
/** Address of the count of slots the evaluated rows wrote (beside the evaluated rows' count). */
export function segmentEvaluatedSlotsField(seg: usize): usize { return seg + SEG_EVALUATED_SLOTS; }
export function segmentRows(seg: usize): i32 { return rowsOf(seg); }
export function segmentSlots(seg: usize): i32 { return slotCountOf(seg); }
export function segmentNext(seg: usize): usize { return nextOf(seg); }

export function slotValueAddress(id: i32): usize { return valueAddress(id); }
export function slotAdjointAddress(id: i32): usize { return adjointAddress(id); }
/** Bytes from one slot's value (or adjoint) to the next slot's: within a segment, slot ids are
 *  consecutive and their values (and adjoints) evenly spaced by this many bytes. */
export function slotStride(): i32 { return <i32>SLOT_STRIDE; }
/** Bytes a scalar node takes in a segment. */
export function bytesPerRow(): i32 { return <i32>BYTES_PER_ROW; }

/** The tangent of slot `id`'s value in the tangent buffer of a one-segment tape. */
export function tangentValueAddress(buffer: usize, tape: usize, id: i32): usize {
  const seg = firstSegment(tape);
  return tangentAddress(buffer, slotCountOf(seg), firstSlotOf(seg), SINK, id);
}
export function tangentAdjointAddress(buffer: usize, tape: usize, id: i32): usize {
  const seg = firstSegment(tape);
  return adjointTangentAddress(buffer, slotCountOf(seg), firstSlotOf(seg), SINK, id);
}
export function tangentStride(): i32 { return <i32>TANGENT_STRIDE; }

/** Bytes of the stored-partials buffer of a one-segment tape. */
export function storedBytes(tape: usize): f64 { return storedBufferBytes(slotCountOf(firstSegment(tape))); }
