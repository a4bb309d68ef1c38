/** @file Slot access for the shared kernels over wasm linear memory: slot id s holds its value
 *  at byte 16s and its adjoint at 16s + 8 (assembly/tape.ts). scripts/build-wasm.mjs puts this
 *  file in place of assembly/shared/slots.ts, whose typed-array version serves the JS tape. */

// @ts-ignore: decorator
@inline export function getVal(id: i32): f64 { return load<f64>(<usize>id << 4); }
// @ts-ignore: decorator
@inline export function setVal(id: i32, v: f64): void { store<f64>(<usize>id << 4, v); }
// @ts-ignore: decorator
@inline export function getAdj(id: i32): f64 { return load<f64>(<usize>id << 4, 8); }
// @ts-ignore: decorator
@inline export function setAdj(id: i32, v: f64): void { store<f64>(<usize>id << 4, v, 8); }
// @ts-ignore: decorator
@inline export function addAdj(id: i32, v: f64): void { const p = <usize>id << 4; store<f64>(p, load<f64>(p, 8) + v, 8); }

// Tangents live in a side buffer (assembly/higher.ts): slot id s has the tangent of its value
// at byte tanDelta + 16s and the tangent of its adjoint 8 bytes on; the sink, far from the
// tape, maps to a scratch pair whose value tangent stays 0.
let tanDelta: usize = 0;
let tanSink: usize = 0;
let sinkId: i32 = 0;

/** Points the higher-order kernels at a tangent buffer: `delta` = its address minus the
 *  address of the slot it mirrors; `sinkPair` = the scratch pair for slot id `sink`. */
export function bindTangents(delta: usize, sinkPair: usize, sink: i32): void {
  tanDelta = delta;
  tanSink = sinkPair;
  sinkId = sink;
}

// @ts-ignore: decorator
@inline function tanAt(id: i32): usize { return id == sinkId ? tanSink : tanDelta + (<usize>id << 4); }
// @ts-ignore: decorator
@inline export function getTan(id: i32): f64 { return load<f64>(tanAt(id)); }
// @ts-ignore: decorator
@inline export function setTan(id: i32, v: f64): void { store<f64>(tanAt(id), v); }
// @ts-ignore: decorator
@inline export function getTanAdj(id: i32): f64 { return load<f64>(tanAt(id), 8); }
// @ts-ignore: decorator
@inline export function addTanAdj(id: i32, v: f64): void { const p = tanAt(id); store<f64>(p, load<f64>(p, 8) + v, 8); }
