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
