/** @file Vector and matrix ops: reductions, softmax, matmul, concat; each records one vector row
 *  (assembly/shared/vector.ts). */
import { Op } from '../assembly/shared/ops.js';
import { TRANSPOSE_A, TRANSPOSE_B } from '../assembly/shared/vector.js';
import { Scalar, Vector, Matrix, shapeText, type AnyOperand, type Operand, type Tensor } from './handles.js';
import { ArgumentError, ShapeError } from './errors.js';
import { commonCore, dataBits, describe, fold, isArrayOperand, isData, isTensor, scalarSlot, tensorStart, type ArrayOperand } from './operands.js';
import { binary, type Binary } from './makers.js';
import { reduceAlongAxis, sumsByRows, type AxisOptions, type LogSumExpOptions } from './axis-ops.js';
import type { TapeCore } from './core.js';
import { ConstantMatrix, asConstantMatrix, foldCaptured, foldConstants, onTape, type MatrixOperand } from './constant-matrix.js';

/** What reductions accept in their types. A scalar is refused at run time; it is in the type
 *  because untyped code (`(x) => sum(mul(x, x))`) sees the elementwise ops' scalar overload. */
/** What a reduction (sum, mean, prod, logsumexp, dot, one-argument max/min) accepts. */
export type Reducible = Tensor | ArrayOperand | Operand;

/** A reduction of one tensor to a scalar. */
function reduce(op: Op, name: string, x: Reducible): Operand {
  const core = commonCore(name, [x]);
  if (!isTensor(x) && !isArrayOperand(x)) throw new ArgumentError(`${name} takes a vector or matrix, got ${describe(x)}`);
  if (core === undefined) return fold((c) => c.vector(op, x.length, 0, 0, 0, c.constants(x as ArrayOperand), c.sink), (c, id) => c.value(id)) as number;
  const d = isData(x);
  return new Scalar(core, core.vector(op, x.length, dataBits(d, d), 0, 0, tensorStart(core, x), core.sink));
}

/** The axis of a reduction's options object, or undefined when there is none. */
function axisOf(name: string, options: unknown): unknown {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${name}: options must be an object such as { axis: 0 }, got ${describe(options)}`);
  return (options as { axis?: unknown }).axis;
}

/** Σ xᵢ over every element, or with `{ axis }` over each column (0) or row (1) of a matrix. */
export function sum(x: Matrix, options: AxisOptions): Vector;
export function sum(x: ConstantMatrix, options: AxisOptions): Float64Array;
export function sum(x: Tensor): Scalar;
export function sum(x: ArrayOperand): number;
export function sum(x: Reducible): Operand;
export function sum(x: Reducible, options?: AxisOptions): Operand | Vector | Float64Array {
  const axis = axisOf('sum', options);
  if (axis !== undefined) return foldCaptured(x, (t) => sum(t as Matrix, options as AxisOptions)) ?? reduceAlongAxis(Op.VecSum, 'sum', x, axis);
  return reduce(Op.VecSum, 'sum', x);
}

/** (Σ xᵢ)/n; NaN for an empty vector. With `{ axis }`, the mean of each column (0) or row (1). */
export function mean(x: Matrix, options: AxisOptions): Vector;
export function mean(x: ConstantMatrix, options: AxisOptions): Float64Array;
export function mean(x: Tensor): Scalar;
export function mean(x: ArrayOperand): number;
export function mean(x: Reducible): Operand;
export function mean(x: Reducible, options?: AxisOptions): Operand | Vector | Float64Array {
  const axis = axisOf('mean', options);
  const folded = axis === undefined ? undefined : foldCaptured(x, (t) => mean(t as Matrix, options as AxisOptions));
  if (folded !== undefined) return folded;
  // A wide matrix's column means scale its column sums (rows − 1 adds of whole rows); every
  // other mean is one row per line (VecMean: the same bits as a sum times 1/n).
  if (axis === 0 && x instanceof Matrix && sumsByRows(x)) return mulVector(reduceAlongAxis(Op.VecSum, 'mean', x, axis), 1 / x.rows);
  if (axis !== undefined) return reduceAlongAxis(Op.VecMean, 'mean', x, axis);
  return reduce(Op.VecMean, 'mean', x);
}

/** Π xᵢ; its gradient is exact with zeros among the xᵢ (no division by them). */
export function prod(x: Tensor): Scalar;
export function prod(x: ArrayOperand): number;
export function prod(x: Reducible): Operand;
export function prod(x: Reducible): Operand {
  return reduce(Op.VecProd, 'prod', x);
}

/** log Σ exp(xᵢ), computed stably (shifted by the max). `{ axis }` reduces each column (0) or
 *  row (1) of a matrix; `{ extra: c }` adds e^c inside the sum: log(e^c + Σ exp(xᵢ)). */
export function logsumexp(x: Matrix, options: LogSumExpOptions & AxisOptions): Vector;
export function logsumexp(x: ConstantMatrix, options: { extra?: number; axis: 0 | 1 }): Float64Array;
export function logsumexp(x: ConstantMatrix, options: LogSumExpOptions & AxisOptions): Vector;
export function logsumexp(x: Tensor, options?: LogSumExpOptions & { axis?: undefined }): Scalar;
export function logsumexp(x: ArrayOperand, options?: { extra?: number; axis?: undefined }): number;
export function logsumexp(x: Reducible, options?: LogSumExpOptions & { axis?: undefined }): Operand;
export function logsumexp(x: Reducible, options?: LogSumExpOptions): Operand | Vector | Float64Array {
  const axis = axisOf('logsumexp', options);
  const extra = options?.extra;
  if (axis !== undefined) {
    // Captured data meets a handle's tape through the extra term, else folds.
    if (x instanceof ConstantMatrix && extra instanceof Scalar) return reduceAlongAxis(Op.VecLogSumExp, 'logsumexp', onTape(extra.core, x), axis, extra);
    return foldCaptured(x, (t) => logsumexp(t as Matrix, options as LogSumExpOptions & AxisOptions)) ?? reduceAlongAxis(Op.VecLogSumExp, 'logsumexp', x, axis, extra);
  }
  if (extra === undefined) return reduce(Op.VecLogSumExp, 'logsumexp', x);
  // Every element as one row, the extra term in front of it.
  if (typeof extra !== 'number' && !(extra instanceof Scalar)) throw new ArgumentError(`logsumexp: extra must be a number or a scalar handle, got ${describe(extra)}`);
  const core = commonCore('logsumexp', [x, extra]);
  if (!isTensor(x) && !isArrayOperand(x)) throw new ArgumentError(`logsumexp takes a vector or matrix, got ${describe(x)}`);
  const record = (c: TapeCore) => reduceAlongAxis(Op.VecLogSumExp, 'logsumexp', new Matrix(c, tensorStart(c, x), 1, x.length), 1, extra).start;
  if (core === undefined) return fold(record, (c, id) => c.value(id)) as number;
  return new Scalar(core, record(core));
}

/** a · b for two vectors (or matrices) of one length. */
export function dot(a: Tensor, b: Reducible): Scalar;
export function dot(a: Reducible, b: Tensor): Scalar;
export function dot(a: ArrayOperand, b: ArrayOperand): number;
export function dot(a: Reducible, b: Reducible): Operand;
export function dot(a: Reducible, b: Reducible): Operand {
  const core = commonCore('dot', [a, b]);
  for (const x of [a, b]) if (!isTensor(x) && !isArrayOperand(x)) throw new ArgumentError(`dot takes two vectors, got ${describe(x)}`);
  if (!(isTensor(a) || isArrayOperand(a)) || !(isTensor(b) || isArrayOperand(b))) throw new ArgumentError('dot takes two vectors');
  if (a.length !== b.length) throw new ShapeError(`dot: shapes ${shapeText(a)} and ${shapeText(b)} have different lengths`);
  if (core === undefined) return fold((c) => c.vector(Op.VecDot, a.length, 0, 0, 0, c.constants(a as ArrayOperand), c.constants(b as ArrayOperand)), (c, id) => c.value(id)) as number;
  return new Scalar(core, core.vector(Op.VecDot, a.length, dataBits(isData(a), isData(b)), 0, 0, tensorStart(core, a), tensorStart(core, b)));
}

const maxElementwise = binary(Op.Max, 'max');
const minElementwise = binary(Op.Min, 'min');

/** Whether max/min's second argument is an options object rather than an operand. */
function isOptions(b: unknown): boolean {
  return typeof b === 'object' && b !== null && !isTensor(b) && !isArrayOperand(b) && !(b instanceof Scalar) && !ArrayBuffer.isView(b);
}

/** max/min with an options object: along its axis, or over every element when it has none. */
function alongAxisOrAll(op: Op, name: string, x: unknown, options: unknown): Operand | Vector | Float64Array {
  const axis = axisOf(name, options);
  if (axis === undefined) return reduce(op, name, x as Reducible);
  return foldCaptured(x, (t) => alongAxisOrAll(op, name, t, options) as Vector) ?? reduceAlongAxis(op, name, x, axis);
}

/** max(a, b) elementwise (ties: ½ of the adjoint to each), or max(x): the largest element of
 *  a vector or matrix (ties share the adjoint evenly; NaN if any element is NaN), or
 *  max(m, { axis }): the largest of each column (0) or row (1), with the same rules per line. */
export const max = ((a: AnyOperand, b?: AnyOperand | AxisOptions) => {
  if (b === undefined) return reduce(Op.VecMax, 'max', a as Tensor);
  if (isOptions(b)) return alongAxisOrAll(Op.VecMax, 'max', a, b);
  return maxElementwise(a, b as AnyOperand);
}) as Binary & { (x: Matrix, options: AxisOptions): Vector; (x: ConstantMatrix, options: AxisOptions): Float64Array; (x: Tensor): Scalar; (x: ArrayOperand): number; (x: Reducible): Operand };

/** min(a, b) elementwise, or min(x) over a vector or matrix, or min(m, { axis }) per column (0)
 *  or row (1) (same tie and NaN rules as max). */
export const min = ((a: AnyOperand, b?: AnyOperand | AxisOptions) => {
  if (b === undefined) return reduce(Op.VecMin, 'min', a as Tensor);
  if (isOptions(b)) return alongAxisOrAll(Op.VecMin, 'min', a, b);
  return minElementwise(a, b as AnyOperand);
}) as Binary & { (x: Matrix, options: AxisOptions): Vector; (x: ConstantMatrix, options: AxisOptions): Float64Array; (x: Tensor): Scalar; (x: ArrayOperand): number; (x: Reducible): Operand };

const mulVector = binary(Op.Mul, 'mean') as (a: Vector, b: number) => Vector;

/** softmax over a vector, or over each row of a matrix. */
export function softmax<T extends Tensor>(x: T): T;
export function softmax(x: ConstantMatrix): ConstantMatrix;
export function softmax(x: ArrayOperand): Float64Array;
export function softmax(x: Reducible): Tensor;
export function softmax(x: Reducible): Tensor | Float64Array {
  return foldCaptured(x, (t) => softmax(t), true) ?? rowwise(Op.VecSoftmax, 'softmax', x as Tensor);
}

/** log softmax (x − logsumexp x) over a vector, or over each row of a matrix. */
export function logSoftmax<T extends Tensor>(x: T): T;
export function logSoftmax(x: ConstantMatrix): ConstantMatrix;
export function logSoftmax(x: ArrayOperand): Float64Array;
export function logSoftmax(x: Reducible): Tensor;
export function logSoftmax(x: Reducible): Tensor | Float64Array {
  return foldCaptured(x, (t) => logSoftmax(t), true) ?? rowwise(Op.VecLogSoftmax, 'logSoftmax', x as Tensor);
}

function rowwise<T extends Tensor>(op: Op, name: string, x: T): T {
  if (!isTensor(x)) throw new ArgumentError(`${name} takes a vector or matrix handle, got ${describe(x)}`);
  const core = x.core;
  const flags = dataBits(x.data, x.data);
  if (x instanceof Vector) return new Vector(core, core.vector(op, x.length, flags, 0, 0, x.start, core.sink), x.length, x.data) as T;
  // One row per matrix row, back to back, so the outputs form one matrix.
  core.reserve(2 * x.rows, x.length);
  let start = -1;
  for (let i = 0; i < x.rows; i++) {
    const s = core.vector(op, x.cols, flags, 0, 0, x.start + i * x.cols, core.sink);
    if (i === 0) start = s;
  }
  return new Matrix(core, x.rows === 0 ? core.constants([]) : start, x.rows, x.cols, x.data) as T;
}

/** matmul's options: multiply by a transposed operand without copying it. */
export interface MatMulOptions {
  /** Use Aᵀ. */
  transposeA?: boolean;
  /** Use Bᵀ. */
  transposeB?: boolean;
}

/** An operand as a matrix (a number[][] becomes a ConstantMatrix), or a ShapeError. */
function asMatrix(name: string, what: string, x: unknown): Matrix | ConstantMatrix {
  const m = asConstantMatrix(name, x);
  if (m instanceof Matrix || m instanceof ConstantMatrix) return m;
  throw new ShapeError(`${name} takes ${what} as a matrix: a matrix handle, reshape(array, rows, cols) of captured data, or a number[][] (rows of one length); got ${describe(x)}`);
}

/** op(A)·op(B) for row-major matrices, op = transpose when asked. Either may be captured data
 *  (reshape(array, rows, cols), or a number[][]): one VecConst row, no adjoint computed for it. */
export function matmul(a: Matrix, b: MatrixOperand, options?: MatMulOptions): Matrix;
export function matmul(a: MatrixOperand, b: Matrix, options?: MatMulOptions): Matrix;
export function matmul(a: ConstantMatrix | readonly (readonly number[])[], b: ConstantMatrix | readonly (readonly number[])[], options?: MatMulOptions): ConstantMatrix;
export function matmul(a: MatrixOperand, b: MatrixOperand, options?: MatMulOptions): Matrix | ConstantMatrix;
export function matmul(a: MatrixOperand, b: MatrixOperand, options: MatMulOptions = {}): Matrix | ConstantMatrix {
  const A = asMatrix('matmul', 'A', a), B = asMatrix('matmul', 'B', b);
  const core = commonCore('matmul', [A, B]);
  const ta = options.transposeA === true;
  const tb = options.transposeB === true;
  const [m, k] = ta ? [A.cols, A.rows] : [A.rows, A.cols];
  const [k2, n] = tb ? [B.cols, B.rows] : [B.rows, B.cols];
  if (k !== k2) {
    throw new ShapeError(`matmul: ${ta ? 'Aᵀ' : 'A'} is ${m} × ${k} but ${tb ? 'Bᵀ' : 'B'} is ${k2} × ${n} (inner sizes differ; shapes ${shapeText(A)} and ${shapeText(B)})`);
  }
  if (core === undefined) return foldConstants((c) => matmul(onTape(c, A), onTape(c, B), options) as Matrix) as ConstantMatrix;
  const x = onTape(core, A), y = onTape(core, B);
  const flags = (ta ? TRANSPOSE_A : 0) | (tb ? TRANSPOSE_B : 0) | dataBits(x.data, y.data);
  return new Matrix(core, core.vector(Op.MatMul, m, k, n, flags, x.start, y.start), m, n, x.data && y.data);
}

/** op(A)·x for a row-major matrix A and a vector x; A may be captured data as in matmul. */
export function matvec(a: Matrix, x: Vector | ArrayOperand, options?: { transpose?: boolean }): Vector;
export function matvec(a: MatrixOperand, x: Vector, options?: { transpose?: boolean }): Vector;
export function matvec(a: ConstantMatrix | readonly (readonly number[])[], x: ArrayOperand, options?: { transpose?: boolean }): Float64Array;
export function matvec(a: MatrixOperand, x: Vector | ArrayOperand, options?: { transpose?: boolean }): Vector | Float64Array;
export function matvec(a: MatrixOperand, x: Vector | ArrayOperand, options: { transpose?: boolean } = {}): Vector | Float64Array {
  const A = asMatrix('matvec', 'A (its first argument)', a);
  if (!(x instanceof Vector) && !isArrayOperand(x)) throw new ShapeError(`matvec takes a vector second, got ${describe(x)}`);
  const core = commonCore('matvec', [A, x]);
  const t = options.transpose === true;
  const [m, k] = t ? [A.cols, A.rows] : [A.rows, A.cols];
  if (x.length !== k) throw new ShapeError(`matvec: ${t ? 'Aᵀ' : 'A'} is ${m} × ${k} but the vector has length ${x.length} (A has shape ${shapeText(A)})`);
  if (core === undefined) return foldConstants((c) => matvec(onTape(c, A), x as ArrayOperand, options) as Vector);
  const M = onTape(core, A);
  const xData = isData(x);
  const start = core.vector(Op.MatMul, m, k, 1, (t ? TRANSPOSE_A : 0) | dataBits(M.data, xData), M.start, tensorStart(core, x));
  return new Vector(core, start, m, M.data && xData);
}

/** The elements of every part, in order, as one vector. */
export function concat(...parts: (Operand | Tensor | ArrayOperand)[]): Vector {
  const core = commonCore('concat', parts);
  if (core === undefined) throw new ArgumentError('concat needs at least one handle among its parts (for plain arrays, concatenate them in JS)');
  let total = 0;
  for (const p of parts) total += typeof p === 'number' || p instanceof Scalar ? 1 : p.length;
  // Copies recorded back to back in one segment give contiguous slots.
  core.reserve(2 * parts.length + total, 2 * total);
  const sources = parts.map((p) => (typeof p === 'number' || p instanceof Scalar ? [scalarSlot(core, p), 1] : [tensorStart(core, p), p.length]));
  let start = -1;
  sources.forEach(([slot, n], i) => {
    const d = isData(parts[i]);
    const s = core.vector(Op.VecCopy, n, dataBits(d, d), 0, 0, slot, core.sink);
    if (start < 0) start = s;
  });
  return new Vector(core, total === 0 ? core.constants([]) : start, total, parts.every(isData));
}

/** Elements [from, to) of a vector (no new node). */
export function slice(v: Vector, from: number, to?: number): Vector {
  if (!(v instanceof Vector)) throw new ArgumentError(`slice takes a vector handle, got ${describe(v)}`);
  return v.slice(from, to);
}

/** A vector's slots viewed as a rows × cols matrix, or a matrix's as another shape (no new node);
 *  captured data (a Float64Array, shared, or a number[], copied) as a ConstantMatrix, which
 *  matmul, matvec and the elementwise ops take as a matrix. */
export function reshape(x: Tensor, rows: number, cols: number): Matrix;
export function reshape(x: ArrayOperand, rows: number, cols: number): ConstantMatrix;
export function reshape(x: Tensor | ArrayOperand, rows: number, cols: number): Matrix | ConstantMatrix;
export function reshape(x: Tensor | ArrayOperand, rows: number, cols: number): Matrix | ConstantMatrix {
  if (isArrayOperand(x)) return new ConstantMatrix(x, rows, cols);
  if (!isTensor(x)) throw new ArgumentError(`reshape takes a vector or matrix handle, or an array of numbers, got ${describe(x)}`);
  return x.reshape(rows, cols);
}

