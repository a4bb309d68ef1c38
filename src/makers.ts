/** @file The two op makers: every public scalar op is unary(op) or binary(op) of an op-table
 *  code. Scalars record one row; tensors and arrays go to the elementwise ops. */
import { Op, evaluate } from '../assembly/shared/ops.js';
import type { TapeCore } from './core.js';
import { Scalar, IS_SCALAR, type MaybeScalar, type Matrix, type Operand, type Tensor, type AnyOperand } from './handles.js';
import type { ConstantMatrix } from './constant-matrix.js';
import { ArgumentError, crossTapeError } from './errors.js';
import { describe } from './operands.js';
import { elementwise } from './elementwise.js';

/** An elementwise op of one operand: scalars give scalars, tensors tensors of the same shape. */
export interface Unary {
  (a: number): number;
  (a: Scalar): Scalar;
  (a: Operand): Operand;
  <T extends Tensor>(a: T): T;
  (a: ConstantMatrix): ConstantMatrix;
  (a: Float64Array | readonly number[]): Float64Array;
}

/** An elementwise op of two operands; a scalar operand is broadcast over a tensor. */
export interface Binary {
  (a: number, b: number): number;
  (a: Scalar, b: Operand): Scalar;
  (a: Operand, b: Scalar): Scalar;
  (a: Operand, b: Operand): Operand;
  // Captured data with a shape meets a handle as a matrix, constants as a constant.
  (a: Scalar | Tensor, b: ConstantMatrix): Matrix;
  (a: ConstantMatrix, b: Scalar | Tensor): Matrix;
  (a: ConstantMatrix, b: number | Float64Array | readonly number[]): ConstantMatrix;
  (a: number | Float64Array | readonly number[], b: ConstantMatrix): ConstantMatrix;
  <T extends Tensor>(a: T, b: AnyOperand): T;
  <T extends Tensor>(a: AnyOperand, b: T): T;
  (a: AnyOperand, b: AnyOperand): Operand | Tensor | Float64Array;
}

/** y = op(a); on a vector or matrix, one instruction applying op to every element. */
export function unary(op: Op, name: string): Unary {
  return ((a: AnyOperand) => {
    // The scalar hot path stays this small so that V8 inlines it into the caller.
    const x = a as MaybeScalar;
    if (x?.[IS_SCALAR] === true) return new Scalar(x.core, x.core.op2(op, x.id, x.core.sink));
    return unaryOther(op, name, a);
  }) as Unary;
}

function unaryOther(op: Op, name: string, a: AnyOperand): AnyOperand {
  if (typeof a === 'number') return evaluate(op, a, 0);
  return elementwise(op, name, a, undefined);
}

/** y = op(a, b); a number operand becomes a constant on the other operand's tape. Two handles
 *  on one tape, the hot path of scalar code, take the first line, kept small for V8 to inline. */
export function binary(op: Op, name: string): Binary {
  return ((a: AnyOperand, b: AnyOperand) => {
    const x = a as MaybeScalar, y = b as MaybeScalar;
    if (x?.[IS_SCALAR] === true) {
      if (y?.[IS_SCALAR] === true && x.core === y.core) return new Scalar(x.core, x.core.op2(op, x.id, y.id));
      if (typeof b === 'number') return new Scalar(x.core, withConstant(x.core, op, x.id, b));
    }
    return binaryOther(op, name, a, b);
  }) as Binary;
}

/** Every other pair of operands: a number and a handle, two numbers, handles of two tapes, tensors. */
function binaryOther(op: Op, name: string, a: AnyOperand, b: AnyOperand): AnyOperand {
  if (a instanceof Scalar) {
    if (b instanceof Scalar) throw crossTapeError(name, a.core, b.core);
  } else if (typeof a === 'number') {
    // A number before a handle (c·x, as data meets weights) is recorded without looking for a
    // recent constant: that lookup measured 6–10% of an eager MLP over number data.
    if (b instanceof Scalar) return new Scalar(b.core, b.core.opConstant(op, b.id, a, true));
    if (typeof b === 'number') return evaluate(op, a, b);
  }
  if (a === undefined || b === undefined) {
    throw new ArgumentError(`${name} takes two operands (handles or numbers), got ${describe(a)} and ${describe(b)}`);
  }
  return elementwise(op, name, a, b);
}

/** y = op(a, value): the number reuses the constant recorded for one of the last two number
 *  operands when equal, else it is recorded with the op in one call (its slot is the one just
 *  before y's). */
function withConstant(core: TapeCore, op: Op, a: number, value: number): number {
  const recent = core.recentConstants;
  const known = recent.find(value);
  if (known >= 0) return core.op2(op, a, known);
  const y = core.opConstant(op, a, value, false);
  recent.remember(value, y - 1);
  return y;
}
