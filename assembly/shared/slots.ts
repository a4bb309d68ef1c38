/** @file Slot access for the shared kernels, as the pure-JS tape sees slots: two typed arrays.
 *  The wasm build replaces this file with assembly/slots.wasm.ts (same functions over linear
 *  memory), so assembly/shared/vector.ts is written once for both backends. */

let VAL: Float64Array = new Float64Array(0);
let ADJ: Float64Array = new Float64Array(0);

/** Points the kernels at a JS tape's value and adjoint columns. */
export function bindSlots(values: Float64Array, adjoints: Float64Array): void {
  VAL = values;
  ADJ = adjoints;
}

export function getVal(id: i32): f64 { return VAL[id]; }
export function setVal(id: i32, v: f64): void { VAL[id] = v; }
export function getAdj(id: i32): f64 { return ADJ[id]; }
export function setAdj(id: i32, v: f64): void { ADJ[id] = v; }
export function addAdj(id: i32, v: f64): void { ADJ[id] += v; }

// Tangents (assembly/shared/vector-higher.ts): per slot, the tangent of its value and the
// tangent of its adjoint, in two more columns indexed like the others.
let TAN: Float64Array = new Float64Array(0);
let TAN_ADJ: Float64Array = new Float64Array(0);

/** Points the higher-order kernels at a JS tape's tangent columns. */
export function bindTangents(tangents: Float64Array, adjointTangents: Float64Array): void {
  TAN = tangents;
  TAN_ADJ = adjointTangents;
}

export function getTan(id: i32): f64 { return TAN[id]; }
export function setTan(id: i32, v: f64): void { TAN[id] = v; }
export function getTanAdj(id: i32): f64 { return TAN_ADJ[id]; }
export function addTanAdj(id: i32, v: f64): void { TAN_ADJ[id] += v; }
