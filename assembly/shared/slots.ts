/** @file Slot access for the row walk and the kernels, as the pure-JS tape sees slots: typed
 *  arrays indexed by slot id. The wasm build replaces this file with assembly/slots.wasm.ts (the
 *  same functions over linear memory, where the layout lives), so assembly/shared/ is written
 *  once for both backends.
 *
 *  A sweep asks once for the columns it uses (`valueColumn()`, …) and keeps them in locals: V8
 *  then reads them like its own arrays (a JS Rosenbrock replay measured 13 ms this way, 20–24 ms
 *  through module-level columns read at every access). */

/** A column of doubles: a typed array here, a base address in the wasm build. */
export type Column = Float64Array;

const bound: Record<'val' | 'adj' | 'tan' | 'tanAdj' | 'stored', Float64Array> = {
  val: new Float64Array(0), adj: new Float64Array(0), tan: new Float64Array(0), tanAdj: new Float64Array(0), stored: new Float64Array(0),
};

/** Points the walk and the kernels at a JS tape's value and adjoint columns. */
export function bindSlots(values: Float64Array, adjoints: Float64Array): void {
  bound.val = values;
  bound.adj = adjoints;
}

/** Points the higher-order sweeps at a JS tape's tangent columns (value and adjoint tangents). */
export function bindTangents(tangents: Float64Array, adjointTangents: Float64Array): void {
  bound.tan = tangents;
  bound.tanAdj = adjointTangents;
}

/** Points the stored-partials sweeps at a buffer of two doubles per slot. */
export function bindStored(partials: Float64Array): void {
  bound.stored = partials;
}

export function valueColumn(): Column { return bound.val; }
export function adjointColumn(): Column { return bound.adj; }
export function tangentColumn(): Column { return bound.tan; }
export function adjointTangentColumn(): Column { return bound.tanAdj; }
export function storedColumn(): Column { return bound.stored; }

export function getVal(v: Column, id: i32): f64 { return v[id]; }
export function setVal(v: Column, id: i32, x: f64): void { v[id] = x; }
export function getAdj(a: Column, id: i32): f64 { return a[id]; }
export function setAdj(a: Column, id: i32, x: f64): void { a[id] = x; }
export function addAdj(a: Column, id: i32, x: f64): void { a[id] += x; }
export function getTan(t: Column, id: i32): f64 { return t[id]; }
export function setTan(t: Column, id: i32, x: f64): void { t[id] = x; }
export function getTanAdj(t: Column, id: i32): f64 { return t[id]; }
export function setTanAdj(t: Column, id: i32, x: f64): void { t[id] = x; }
export function addTanAdj(t: Column, id: i32, x: f64): void { t[id] += x; }
/** An operand's tangent, where the operand may be the sink (a unary row's b): 0 for the sink. */
export function getOperandTan(t: Column, id: i32): f64 { return t[id]; }
/** Adds to an operand's adjoint tangent, where the operand may be the sink (whose is scratch). */
export function addOperandTanAdj(t: Column, id: i32, x: f64): void { t[id] += x; }

/** The adjoints of a one-segment tape's slots, as the higher-order sweeps read them (the wasm
 *  build skips its per-page delta there); here the adjoint column itself. */
export function segmentAdjointColumn(): Column { return bound.adj; }
export function getSegAdj(a: Column, id: i32): f64 { return a[id]; }
export function setSegAdj(a: Column, id: i32, x: f64): void { a[id] = x; }
export function addSegAdj(a: Column, id: i32, x: f64): void { a[id] += x; }
/** Adds to an operand's adjoint, where the operand may be the sink (whose is scratch). */
export function addOperandSegAdj(a: Column, id: i32, x: f64): void { a[id] += x; }

/** Stored partials, per slot ∂y/∂a then ∂y/∂b. */
export function storePartials(p: Column, id: i32, da: f64, db: f64): void {
  p[2 * id] = da;
  p[2 * id + 1] = db;
}
export function storedA(p: Column, id: i32): f64 { return p[2 * id]; }
export function storedB(p: Column, id: i32): f64 { return p[2 * id + 1]; }

/** A kernel met a code it has no rule for: a bug (tapes are validated before they run). */
export function unknownOp(op: i32): void {
  throw new Error(`wengert: no kernel for op code ${op}; every op must be handled by every sweep`);
}
