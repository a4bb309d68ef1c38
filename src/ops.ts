/** @file The public ops: one line each, all built from the op table by three makers. */
import { Op, evaluate, isTrue } from '../assembly/shared/ops.js';
import { Scalar, Vector, Matrix, type Operand, type Tensor, type AnyOperand } from './handles.js';
import { ArgumentError, crossTapeError } from './errors.js';
import { elementwise, whereElementwise } from './vector-ops.js';

export function describe(value: unknown): string {
  if (value instanceof Vector) return `a vector handle of length ${value.length} (use .at(i) for an element)`;
  if (value instanceof Matrix) return `a ${value.rows}×${value.cols} matrix handle`;
  if (value instanceof Scalar) return 'a scalar handle';
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}${value.every((v) => typeof v === 'number') ? '' : ' with non-number elements'}`;
  if (ArrayBuffer.isView(value) && 'length' in value) return `a ${value.constructor.name} of length ${value.length as number}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name ?? 'Object'})` : `${typeof value} ${String(value)}`;
}

export function operandError(name: string, value: unknown): ArgumentError {
  return new ArgumentError(`${name} takes handles or numbers, got ${describe(value)}`);
}



/** An elementwise op of one operand: scalars give scalars, tensors tensors of the same shape. */
export interface Unary {
  (a: number): number;
  (a: Scalar): Scalar;
  (a: Operand): Operand;
  <T extends Tensor>(a: T): T;
  (a: Float64Array | readonly number[]): Float64Array;
}

/** An elementwise op of two operands; a scalar operand is broadcast over a tensor. */
export interface Binary {
  (a: number, b: number): number;
  (a: Scalar, b: Operand): Scalar;
  (a: Operand, b: Scalar): Scalar;
  (a: Operand, b: Operand): Operand;
  <T extends Tensor>(a: T, b: AnyOperand): T;
  <T extends Tensor>(a: AnyOperand, b: T): T;
  (a: AnyOperand, b: AnyOperand): Operand | Tensor | Float64Array;
}

/** y = op(a); on a vector or matrix, one instruction applying op to every element. */
export function unary(op: Op, name: string): Unary {
  return ((a: AnyOperand) => {
    if (a instanceof Scalar) return a.core.op2(op, a.id, a.core.sink);
    if (typeof a === 'number') return evaluate(op, a, 0);
    return elementwise(op, name, a, undefined);
  }) as Unary;
}

/** y = op(a, b); a number operand becomes a constant on the other operand's tape. The scalar
 *  cases come first and stay small: they are the hot path of scalar code. */
export function binary(op: Op, name: string): Binary {
  return ((a: AnyOperand, b: AnyOperand) => {
    if (a instanceof Scalar) {
      const core = a.core;
      if (b instanceof Scalar) {
        if (b.core !== core) throw crossTapeError(name, core, b.core);
        return core.op2(op, a.id, b.id);
      }
      if (typeof b === 'number') return core.opConstant(op, a.id, b, false);
    } else if (typeof a === 'number') {
      if (b instanceof Scalar) return b.core.opConstant(op, b.id, a, true);
      if (typeof b === 'number') return evaluate(op, a, b);
    }
    if (a === undefined || b === undefined) {
      throw new ArgumentError(`${name} takes two operands (handles or numbers), got ${describe(a)} and ${describe(b)}`);
    }
    return elementwise(op, name, a, b);
  }) as Binary;
}

// ── arithmetic ──
export const add = binary(Op.Add, 'add');
export const sub = binary(Op.Sub, 'sub');
export const mul = binary(Op.Mul, 'mul');
export const div = binary(Op.Div, 'div');
export const neg = unary(Op.Neg, 'neg');
export const square = unary(Op.Square, 'square');
export const sqrt = unary(Op.Sqrt, 'sqrt');
export const cbrt = unary(Op.Cbrt, 'cbrt');
export const pow = binary(Op.Pow, 'pow');
// ── exponentials and logarithms ──
export const exp = unary(Op.Exp, 'exp');
export const expm1 = unary(Op.Expm1, 'expm1');
export const log = unary(Op.Log, 'log');
export const log1p = unary(Op.Log1p, 'log1p');
export const log2 = unary(Op.Log2, 'log2');
export const log10 = unary(Op.Log10, 'log10');
// ── trigonometric and hyperbolic ──
export const sin = unary(Op.Sin, 'sin');
export const cos = unary(Op.Cos, 'cos');
export const tan = unary(Op.Tan, 'tan');
export const asin = unary(Op.Asin, 'asin');
export const acos = unary(Op.Acos, 'acos');
export const atan = unary(Op.Atan, 'atan');
export const atan2 = binary(Op.Atan2, 'atan2');
export const sinh = unary(Op.Sinh, 'sinh');
export const cosh = unary(Op.Cosh, 'cosh');
export const tanh = unary(Op.Tanh, 'tanh');
export const asinh = unary(Op.Asinh, 'asinh');
export const acosh = unary(Op.Acosh, 'acosh');
export const atanh = unary(Op.Atanh, 'atanh');
// ── piecewise and special ──
export const abs = unary(Op.Abs, 'abs');
export { min, max } from './vector-ops.js';
export const hypot = binary(Op.Hypot, 'hypot');
export const sigmoid = unary(Op.Sigmoid, 'sigmoid');
export const relu = unary(Op.Relu, 'relu');
export const softplus = unary(Op.Softplus, 'softplus');
export const erf = unary(Op.Erf, 'erf');
// ── comparisons: 0 or 1, derivative 0 ──
export const lt = binary(Op.Lt, 'lt');
export const le = binary(Op.Le, 'le');
export const gt = binary(Op.Gt, 'gt');
export const ge = binary(Op.Ge, 'ge');
export const eq = binary(Op.Eq, 'eq');

/** where(cond, a, b) = a if cond is true (nonzero, not NaN), else b; recorded on the tape, so a
 *  replay follows the branch its own inputs take. ∂/∂a = [cond], ∂/∂b = 1 − [cond], ∂/∂cond = 0. */
export function where(cond: Scalar, a: Operand, b: Operand): Scalar;
export function where(cond: Operand, a: Scalar, b: Operand): Scalar;
export function where(cond: Operand, a: Operand, b: Scalar): Scalar;
export function where(cond: Operand, a: Operand, b: Operand): Operand;
export function where<T extends Tensor>(cond: AnyOperand, a: AnyOperand, b: AnyOperand): T;
export function where(cond: AnyOperand, a: AnyOperand, b: AnyOperand): Operand | Tensor | Float64Array {
  const args = [cond, a, b];
  if (args.some((x) => x instanceof Vector || x instanceof Matrix || ArrayBuffer.isView(x) || Array.isArray(x))) {
    return whereElementwise(cond, a, b);
  }
  let core: Scalar['core'] | undefined;
  for (const x of args) {
    if (x instanceof Scalar) {
      if (core === undefined) core = x.core;
      else if (x.core !== core) throw crossTapeError('where', core, x.core);
    } else if (typeof x !== 'number') throw operandError('where', x);
  }
  if (core === undefined) return isTrue(cond as number) ? (a as number) : (b as number);
  const c = core;
  const id = (x: Operand) => (x instanceof Scalar ? x.id : c.constant(x));
  return c.where(id(cond as Operand), id(a as Operand), id(b as Operand));
}
