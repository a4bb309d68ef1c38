/** @file Slot access for the row walk and the kernels over wasm linear memory, at the addresses
 *  assembly/layout.ts states. scripts/build-wasm.mjs puts this file in place of
 *  assembly/shared/slots.ts, whose typed-array version serves the JS tape. */
import { valueAddress, adjointAddress, tangentColumnBase, adjointTangentColumnBase, storedAddress } from '../layout';

/** A column of doubles: a base address added to the slot's own (0 for values and adjoints,
 *  whose addresses layout.ts derives from the slot id alone). */
export type Column = usize;

// @ts-ignore: decorator
@inline export function valueColumn(): Column { return 0; }
// @ts-ignore: decorator
@inline export function adjointColumn(): Column { return 0; }

// @ts-ignore: decorator
@inline export function getVal(v: Column, id: i32): f64 { return load<f64>(v + valueAddress(id)); }
// @ts-ignore: decorator
@inline export function setVal(v: Column, id: i32, x: f64): void { store<f64>(v + valueAddress(id), x); }
// @ts-ignore: decorator
@inline export function getAdj(a: Column, id: i32): f64 { return load<f64>(a + adjointAddress(id)); }
// @ts-ignore: decorator
@inline export function setAdj(a: Column, id: i32, x: f64): void { store<f64>(a + adjointAddress(id), x); }
// @ts-ignore: decorator
@inline export function addAdj(a: Column, id: i32, x: f64): void { const p = a + adjointAddress(id); store<f64>(p, load<f64>(p) + x); }

// Tangents live in a side buffer beside a one-segment tape (layout.ts).
// A column base such that base + 8·id is slot id's entry: the segment's slots only. The sink,
// outside the segment, is met only as an operand (getOperandTan, addOperandTanAdj).
let tanBase: usize = 0;
let tanAdjBase: usize = 0;
let tanSink: i32 = 0;
let segmentAdjointDelta: usize = 0;

/** Points the higher-order sweeps at a tangent buffer for the segment of `slots` slots from `first`. */
export function bindTangents(buffer: usize, slots: i32, first: i32, sink: i32): void {
  tanBase = tangentColumnBase(buffer, first);
  tanAdjBase = adjointTangentColumnBase(buffer, slots, first);
  tanSink = sink;
}

/** The sink as the tangent accessors know it (saved and restored around a host row). */
export function tangentSink(): i32 { return tanSink; }

/** Points the tangent accessors back at column bases they had (after a host row's own sweeps). */
export function rebindTangents(t: usize, ta: usize, sink: i32): void {
  tanBase = t;
  tanAdjBase = ta;
  tanSink = sink;
}

/** Points the segment accessors below at a segment whose adjoints lie `delta` bytes past its
 *  values (rows.wasm.ts's bindRows does, for the segment it binds). */
export function bindSegmentAdjoints(delta: usize): void {
  segmentAdjointDelta = delta;
}

// A sweep's run lies in one segment: the slots its rows write have their adjoints at a fixed
// distance from their values, with no delta-table load per access (the table cost the eager
// forward sweep and HVP 8–90% against the interleaved 0.1.0 layout). Operands may lie in other
// segments (eager tapes) except in the higher-order sweeps, whose tape is one segment and the sink.
// @ts-ignore: decorator
@inline export function segmentAdjointColumn(): Column { return segmentAdjointDelta; }
// @ts-ignore: decorator
@inline export function getSegAdj(a: Column, id: i32): f64 { return load<f64>(a + (<usize>id << 3)); }
// @ts-ignore: decorator
@inline export function setSegAdj(a: Column, id: i32, x: f64): void { store<f64>(a + (<usize>id << 3), x); }
// @ts-ignore: decorator
@inline export function addSegAdj(a: Column, id: i32, x: f64): void { const p = a + (<usize>id << 3); store<f64>(p, load<f64>(p) + x); }
/** The sink's adjoint is scratch nobody reads, and lies outside the segment: not written. */
// @ts-ignore: decorator
@inline export function addOperandSegAdj(a: Column, id: i32, x: f64): void { if (id != tanSink) addSegAdj(a, id, x); }

// @ts-ignore: decorator
@inline export function tangentColumn(): Column { return tanBase; }
// @ts-ignore: decorator
@inline export function adjointTangentColumn(): Column { return tanAdjBase; }

// @ts-ignore: decorator
@inline export function getTan(t: Column, id: i32): f64 { return load<f64>(t + (<usize>id << 3)); }
// @ts-ignore: decorator
@inline export function setTan(t: Column, id: i32, x: f64): void { store<f64>(t + (<usize>id << 3), x); }
// @ts-ignore: decorator
@inline export function getTanAdj(t: Column, id: i32): f64 { return load<f64>(t + (<usize>id << 3)); }
// @ts-ignore: decorator
@inline export function setTanAdj(t: Column, id: i32, x: f64): void { store<f64>(t + (<usize>id << 3), x); }
// @ts-ignore: decorator
@inline export function addTanAdj(t: Column, id: i32, x: f64): void { const p = t + (<usize>id << 3); store<f64>(p, load<f64>(p) + x); }
/** The sink's tangent is 0. */
// @ts-ignore: decorator
@inline export function getOperandTan(t: Column, id: i32): f64 { return id == tanSink ? 0 : load<f64>(t + (<usize>id << 3)); }
/** The sink's adjoint tangent is scratch nobody reads: not written. */
// @ts-ignore: decorator
@inline export function addOperandTanAdj(t: Column, id: i32, x: f64): void { if (id != tanSink) addTanAdj(t, id, x); }

// Stored partials (the second sweep design) of a one-segment tape.
let storedBuffer: usize = 0;
let storedFirst: i32 = 0;

export function bindStored(buffer: usize, first: i32): void {
  storedBuffer = buffer;
  storedFirst = first;
}

export function storedFirstSlot(): i32 { return storedFirst; }

// @ts-ignore: decorator
@inline export function storedColumn(): Column { return storedBuffer; }
// @ts-ignore: decorator
@inline export function storePartials(p: Column, id: i32, da: f64, db: f64): void {
  const at = storedAddress(p, storedFirst, id);
  store<f64>(at, da);
  store<f64>(at, db, 8);
}
// @ts-ignore: decorator
@inline export function storedA(p: Column, id: i32): f64 { return load<f64>(storedAddress(p, storedFirst, id)); }
// @ts-ignore: decorator
@inline export function storedB(p: Column, id: i32): f64 { return load<f64>(storedAddress(p, storedFirst, id), 8); }

/** A kernel met a code it has no rule for: tapes are validated before they run, so this is a bug. */
export function unknownOp(op: i32): void {
  unreachable();
}
