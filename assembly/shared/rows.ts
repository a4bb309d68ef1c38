/** @file Row access for the row walk, as the pure-JS tape sees rows: three typed arrays. The wasm
 *  build replaces this file with assembly/rows.wasm.ts (the same functions over a segment's
 *  columns in linear memory). */

// One object for the bound columns, as in ./slots.ts (V8 keeps its field loads out of loops).
const R = { op: new Uint8Array(0), a: new Int32Array(0), b: new Int32Array(0) };

/** Points the walk at a tape's (or a program's) op, a and b columns. */
export function bindRows(op: Uint8Array, a: Int32Array, b: Int32Array): void {
  R.op = op;
  R.a = a;
  R.b = b;
}

export function rowOp(r: i32): i32 { return R.op[r]; }
export function rowA(r: i32): i32 { return R.a[r]; }
export function rowB(r: i32): i32 { return R.b[r]; }
