/** @file The public scalar ops: one line each, every one made by unary or binary from its
 *  op-table code (src/makers.ts), plus where. */
import { Op, isTrue } from '../assembly/shared/ops.js';
import { Scalar, Vector, Matrix, type Operand, type Tensor, type AnyOperand } from './handles.js';
import { crossTapeError } from './errors.js';
import { operandError } from './operands.js';
import { whereElementwise } from './elementwise.js';
import { unary, binary } from './makers.js';

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
// ── no derivative ──
/** x's value with its adjoint blocked: ∂/∂x = 0 (a constant to the derivative, recorded so that
 *  a replay still follows x). Elementwise on tensors. */
export const stopGradient = unary(Op.StopGradient, 'stopGradient');

/** where(cond, a, b) = a if cond is true (nonzero, not NaN), else b; recorded on the tape, so a
 *  replay follows the branch its own inputs take. ∂/∂a = [cond], ∂/∂b = 1 − [cond], ∂/∂cond = 0. */
export function where(cond: Scalar, a: Operand, b: Operand): Scalar;
export function where(cond: Operand, a: Scalar, b: Operand): Scalar;
export function where(cond: Operand, a: Operand, b: Scalar): Scalar;
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
  return new Scalar(c, c.where(id(cond as Operand), id(a as Operand), id(b as Operand)));
}
