/** @file Slot access for the row walk and the kernels over wasm linear memory, at the addresses
 *  assembly/layout.ts states. scripts/build-wasm.mjs puts this file in place of
 *  assembly/shared/slots.ts, whose typed-array version serves the JS tape. */
import { valueAddress, adjointAddress, tangentAddress, storedAddress, TANGENT_ADJOINT_OFFSET } from '../layout';

// @ts-ignore: decorator
@inline export function getVal(id: i32): f64 { return load<f64>(valueAddress(id)); }
// @ts-ignore: decorator
@inline export function setVal(id: i32, v: f64): void { store<f64>(valueAddress(id), v); }
// @ts-ignore: decorator
@inline export function getAdj(id: i32): f64 { return load<f64>(adjointAddress(id)); }
// @ts-ignore: decorator
@inline export function setAdj(id: i32, v: f64): void { store<f64>(adjointAddress(id), v); }
// @ts-ignore: decorator
@inline export function addAdj(id: i32, v: f64): void { const p = adjointAddress(id); store<f64>(p, load<f64>(p) + v); }

// Tangents live in a side buffer beside a one-segment tape (layout.ts).
let tanBuffer: usize = 0;
let tanFirst: i32 = 0;
let tanSink: i32 = 0;

/** Points the higher-order sweeps at a tangent buffer for the segment whose first slot is `first`. */
export function bindTangents(buffer: usize, first: i32, sink: i32): void {
  tanBuffer = buffer;
  tanFirst = first;
  tanSink = sink;
}

// @ts-ignore: decorator
@inline function tanAt(id: i32): usize { return tangentAddress(tanBuffer, tanFirst, tanSink, id); }
// @ts-ignore: decorator
@inline export function getTan(id: i32): f64 { return load<f64>(tanAt(id)); }
// @ts-ignore: decorator
@inline export function setTan(id: i32, v: f64): void { store<f64>(tanAt(id), v); }
// @ts-ignore: decorator
@inline export function getTanAdj(id: i32): f64 { return load<f64>(tanAt(id) + TANGENT_ADJOINT_OFFSET); }
// @ts-ignore: decorator
@inline export function setTanAdj(id: i32, v: f64): void { store<f64>(tanAt(id) + TANGENT_ADJOINT_OFFSET, v); }
// @ts-ignore: decorator
@inline export function addTanAdj(id: i32, v: f64): void { const p = tanAt(id) + TANGENT_ADJOINT_OFFSET; store<f64>(p, load<f64>(p) + v); }

// Stored partials (the second sweep design) of a one-segment tape.
let storedBuffer: usize = 0;
let storedFirst: i32 = 0;

export function bindStored(buffer: usize, first: i32): void {
  storedBuffer = buffer;
  storedFirst = first;
}

// @ts-ignore: decorator
@inline export function storePartials(id: i32, da: f64, db: f64): void {
  const p = storedAddress(storedBuffer, storedFirst, id);
  store<f64>(p, da);
  store<f64>(p, db, 8);
}
// @ts-ignore: decorator
@inline export function storedA(id: i32): f64 { return load<f64>(storedAddress(storedBuffer, storedFirst, id)); }
// @ts-ignore: decorator
@inline export function storedB(id: i32): f64 { return load<f64>(storedAddress(storedBuffer, storedFirst, id), 8); }

/** A kernel met a code it has no rule for: tapes are validated before they run, so this is a bug. */
export function unknownOp(op: i32): void {
  unreachable();
}
