/** @file Row access for the row walk, as the pure-JS tape sees rows: three typed arrays. The wasm
 *  build replaces this file with assembly/rows.wasm.ts (the same functions over a segment's
 *  columns in linear memory). */

let OPS: Uint8Array = new Uint8Array(0);
let AS: Int32Array = new Int32Array(0);
let BS: Int32Array = new Int32Array(0);

/** Points the walk at a tape's (or a program's) op, a and b columns. */
export function bindRows(op: Uint8Array, a: Int32Array, b: Int32Array): void {
  OPS = op;
  AS = a;
  BS = b;
}

export function rowOp(r: i32): i32 { return OPS[r]; }
export function rowA(r: i32): i32 { return AS[r]; }
export function rowB(r: i32): i32 { return BS[r]; }
