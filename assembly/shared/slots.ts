/** @file Slot access for the row walk and the kernels, as the pure-JS tape sees slots: typed
 *  arrays indexed by slot id. The wasm build replaces this file with assembly/slots.wasm.ts (the
 *  same functions over linear memory, where the layout lives), so assembly/shared/ is written
 *  once for both backends. */

let VAL: Float64Array = new Float64Array(0);
let ADJ: Float64Array = new Float64Array(0);

/** Points the walk and the kernels at a JS tape's value and adjoint columns. */
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

/** Points the higher-order sweeps at a JS tape's tangent columns. */
export function bindTangents(tangents: Float64Array, adjointTangents: Float64Array): void {
  TAN = tangents;
  TAN_ADJ = adjointTangents;
}

export function getTan(id: i32): f64 { return TAN[id]; }
export function setTan(id: i32, v: f64): void { TAN[id] = v; }
export function getTanAdj(id: i32): f64 { return TAN_ADJ[id]; }
export function setTanAdj(id: i32, v: f64): void { TAN_ADJ[id] = v; }
export function addTanAdj(id: i32, v: f64): void { TAN_ADJ[id] += v; }

// Stored partials (the second sweep design): per slot ∂y/∂a then ∂y/∂b.
let STORED: Float64Array = new Float64Array(0);

/** Points the stored-partials sweeps at a buffer of two doubles per slot. */
export function bindStored(partials: Float64Array): void {
  STORED = partials;
}

export function storePartials(id: i32, da: f64, db: f64): void {
  STORED[2 * id] = da;
  STORED[2 * id + 1] = db;
}
export function storedA(id: i32): f64 { return STORED[2 * id]; }
export function storedB(id: i32): f64 { return STORED[2 * id + 1]; }

/** A kernel met a code it has no rule for: a bug (tapes are validated before they run). */
export function unknownOp(op: i32): void {
  throw new Error(`wengert: no kernel for op code ${op}; every op must be handled by every sweep`);
}
