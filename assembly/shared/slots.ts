/** @file Slot access for the row walk and the kernels, as the pure-JS tape sees slots: typed
 *  arrays indexed by slot id. The wasm build replaces this file with assembly/slots.wasm.ts (the
 *  same functions over linear memory, where the layout lives), so assembly/shared/ is written
 *  once for both backends. */

// The bound columns live in one object: V8 keeps its field loads out of the walk's loops better
// than loads of module-level variables (a Rosenbrock replay measured 23.7 → 19.7 ms).
const C = { val: new Float64Array(0), adj: new Float64Array(0), tan: new Float64Array(0), tanAdj: new Float64Array(0), stored: new Float64Array(0) };

/** Points the walk and the kernels at a JS tape's value and adjoint columns. */
export function bindSlots(values: Float64Array, adjoints: Float64Array): void {
  C.val = values;
  C.adj = adjoints;
}

export function getVal(id: i32): f64 { return C.val[id]; }
export function setVal(id: i32, v: f64): void { C.val[id] = v; }
export function getAdj(id: i32): f64 { return C.adj[id]; }
export function setAdj(id: i32, v: f64): void { C.adj[id] = v; }
export function addAdj(id: i32, v: f64): void { C.adj[id] += v; }

// Tangents (assembly/shared/vector-higher.ts): per slot, the tangent of its value and the
// tangent of its adjoint, in two more columns indexed like the others.

/** Points the higher-order sweeps at a JS tape's tangent columns. */
export function bindTangents(tangents: Float64Array, adjointTangents: Float64Array): void {
  C.tan = tangents;
  C.tanAdj = adjointTangents;
}

export function getTan(id: i32): f64 { return C.tan[id]; }
export function setTan(id: i32, v: f64): void { C.tan[id] = v; }
export function getTanAdj(id: i32): f64 { return C.tanAdj[id]; }
export function setTanAdj(id: i32, v: f64): void { C.tanAdj[id] = v; }
export function addTanAdj(id: i32, v: f64): void { C.tanAdj[id] += v; }

// Stored partials (the second sweep design): per slot ∂y/∂a then ∂y/∂b.

/** Points the stored-partials sweeps at a buffer of two doubles per slot. */
export function bindStored(partials: Float64Array): void {
  C.stored = partials;
}

export function storePartials(id: i32, da: f64, db: f64): void {
  C.stored[2 * id] = da;
  C.stored[2 * id + 1] = db;
}
export function storedA(id: i32): f64 { return C.stored[2 * id]; }
export function storedB(id: i32): f64 { return C.stored[2 * id + 1]; }

/** A kernel met a code it has no rule for: a bug (tapes are validated before they run). */
export function unknownOp(op: i32): void {
  throw new Error(`wengert: no kernel for op code ${op}; every op must be handled by every sweep`);
}
