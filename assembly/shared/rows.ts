/** @file Row access for the row walk, as the pure-JS tape sees rows: three typed arrays. The wasm
 *  build replaces this file with assembly/rows.wasm.ts (the same functions over a segment's
 *  columns in linear memory). A sweep asks once for the columns and keeps them in locals, as
 *  ./slots.ts explains. */

/** The op column: a typed array here, a base address in the wasm build. */
export type OpColumn = Uint8Array;
/** An operand column (a or b). */
export type OperandColumn = Int32Array;

const bound: { op: Uint8Array; a: Int32Array; b: Int32Array } = { op: new Uint8Array(0), a: new Int32Array(0), b: new Int32Array(0) };

/** Points the walk at a tape's (or a program's) op, a and b columns. */
export function bindRows(op: Uint8Array, a: Int32Array, b: Int32Array): void {
  bound.op = op;
  bound.a = a;
  bound.b = b;
}

export function opColumn(): OpColumn { return bound.op; }
export function aColumn(): OperandColumn { return bound.a; }
export function bColumn(): OperandColumn { return bound.b; }

export function rowOp(o: OpColumn, r: i32): i32 { return o[r]; }
export function rowOperand(c: OperandColumn, r: i32): i32 { return c[r]; }
