/** @file Vector and matrix ops: each records one vector row (assembly/shared/vector.ts). */
import { Op, evaluate, isTrue } from '../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, TRANSPOSE_A, TRANSPOSE_B } from '../assembly/shared/vector.js';
import { Scalar, Vector, Matrix, shapeText, type AnyOperand, type Operand, type Tensor } from './handles.js';
import type { TapeCore } from './core.js';
import { ArgumentError, ShapeError, crossTapeError } from './errors.js';
import { JsCore } from './reference/js-core.js';
import { binary, describe, type Binary } from './ops.js';

/** A constant vector operand. */
export type ArrayOperand = Float64Array | readonly number[];

function isArrayOperand(x: unknown): x is ArrayOperand {
  return x instanceof Float64Array || (Array.isArray(x) && x.every((v) => typeof v === 'number'));
}

function isTensor(x: unknown): x is Tensor {
  return x instanceof Vector || x instanceof Matrix;
}

/** The one tape all handle operands share, or undefined when every operand is a constant. */
function commonCore(name: string, operands: unknown[]): TapeCore | undefined {
  let core: TapeCore | undefined;
  for (const x of operands) {
    if (x instanceof Scalar || x instanceof Vector || x instanceof Matrix) {
      if (core === undefined) core = x.core;
      else if (x.core !== core) throw crossTapeError(name, core, x.core);
    } else if (typeof x !== 'number' && !isArrayOperand(x)) {
      throw new ArgumentError(`${name} takes handles, numbers or arrays, got ${describe(x)}`);
    }
  }
  return core;
}

/** Runs `record` on a scratch pure-JS tape when every operand is a constant, so constant
 *  folding uses the very same kernels. */
function fold<T>(record: (core: TapeCore) => T, read: (core: TapeCore, result: T) => number | Float64Array): number | Float64Array {
  const core = JsCore.create({ reserve: 64 });
  try {
    return read(core, record(core));
  } finally {
    core.dispose();
  }
}

/** A tensor operand's slots on `core` (constant arrays are recorded as constants). */
function tensorStart(core: TapeCore, x: Tensor | ArrayOperand): number {
  return isTensor(x) ? x.start : core.constants(x);
}

/** A scalar operand's slot on `core`. */
function scalarSlot(core: TapeCore, x: Operand): number {
  return x instanceof Scalar ? x.id : core.constant(x);
}

/** The result handle: a tensor of the given operand's shape. */
function like(core: TapeCore, shape: Tensor | ArrayOperand, start: number): Tensor {
  return shape instanceof Matrix ? new Matrix(core, start, shape.rows, shape.cols) : new Vector(core, start, shape.length);
}

/** Plain arrays have no shape of their own: they fit any tensor of their length. */
function sameShape(x: Tensor | ArrayOperand, y: Tensor | ArrayOperand): boolean {
  if (isTensor(x) && isTensor(y) && (x instanceof Matrix || y instanceof Matrix)) {
    return x instanceof Matrix && y instanceof Matrix && x.rows === y.rows && x.cols === y.cols;
  }
  return x.length === y.length;
}

/** op applied elementwise over a tensor (and a second operand, broadcast if scalar). */
export function elementwise(op: Op, name: string, a: AnyOperand, b: AnyOperand | undefined): Tensor | Float64Array {
  const operands = b === undefined ? [a] : [a, b];
  const core = commonCore(name, operands);
  const aTensor = isTensor(a) || isArrayOperand(a);
  const bTensor = b !== undefined && (isTensor(b) || isArrayOperand(b));
  // The result takes a handle's shape in preference to a plain array's.
  const shape = (isTensor(a) ? a : isTensor(b) ? b : aTensor ? a : b) as Tensor | ArrayOperand;
  if (aTensor && bTensor && !sameShape(a as Tensor, b as Tensor)) {
    const rows = rowBroadcast(a as Tensor | ArrayOperand, b as Tensor | ArrayOperand);
    if (rows !== undefined) return broadcastOverRows(op, core, rows.matrix, rows.row, rows.matrixFirst);
    throw new ShapeError(
      `${name}: shapes ${shapeText(a as Tensor)} and ${shapeText(b as Tensor)} do not match (elementwise ops need equal shapes, ` +
        'a scalar to broadcast, or a vector as long as a matrix row)',
    );
  }
  if (core === undefined) {
    const n = shape.length;
    const out = new Float64Array(n);
    const av = a as number | ArrayOperand;
    const bv = b as number | ArrayOperand | undefined;
    for (let i = 0; i < n; i++) {
      out[i] = evaluate(op, typeof av === 'number' ? av : av[i], bv === undefined ? 0 : typeof bv === 'number' ? bv : bv[i]);
    }
    return out;
  }
  let flags = 0;
  let aSlot: number;
  let bSlot: number;
  if (aTensor) aSlot = tensorStart(core, a as Tensor | ArrayOperand);
  else {
    aSlot = scalarSlot(core, a as Operand);
    flags |= BROADCAST_A;
  }
  if (b === undefined) {
    bSlot = core.sink;
    flags |= BROADCAST_B;
  } else if (bTensor) bSlot = tensorStart(core, b as Tensor | ArrayOperand);
  else {
    bSlot = scalarSlot(core, b as Operand);
    flags |= BROADCAST_B;
  }
  return like(core, shape, core.vector(Op.VecMap, shape.length, op | flags, 0, 0, aSlot, bSlot));
}

/** What reductions accept in their types. A scalar is refused at run time; it is in the type
 *  because untyped code (`(x) => sum(mul(x, x))`) sees the elementwise ops' scalar overload. */
/** What a reduction (sum, mean, prod, logsumexp, dot, one-argument max/min) accepts. */
export type Reducible = Tensor | ArrayOperand | Operand;

/** An [m, n] matrix with an [n] vector (either order): the vector meets every row. */
function rowBroadcast(a: Tensor | ArrayOperand, b: Tensor | ArrayOperand): { matrix: Matrix; row: Vector | ArrayOperand; matrixFirst: boolean } | undefined {
  if (a instanceof Matrix && !(b instanceof Matrix) && b.length === a.cols) return { matrix: a, row: b, matrixFirst: true };
  if (b instanceof Matrix && !(a instanceof Matrix) && a.length === b.cols) return { matrix: b, row: a, matrixFirst: false };
  return undefined;
}

/** op(M[i, :], v) for every row i: one VecMap row per matrix row, back to back, so the results
 *  form one matrix. */
function broadcastOverRows(op: Op, core: TapeCore | undefined, m: Matrix, v: Vector | ArrayOperand, matrixFirst: boolean): Matrix {
  const c = core ?? m.core;
  const row = tensorStart(c, v); // constants first: the rows below must stay contiguous
  c.reserve(2 * m.rows, m.length);
  let start = -1;
  for (let i = 0; i < m.rows; i++) {
    const mi = m.start + i * m.cols;
    const s = c.vector(Op.VecMap, m.cols, op, 0, 0, matrixFirst ? mi : row, matrixFirst ? row : mi);
    if (i === 0) start = s;
  }
  return new Matrix(c, m.rows === 0 ? c.constants([]) : start, m.rows, m.cols);
}

/** A reduction of one tensor to a scalar. */
function reduce(op: Op, name: string, x: Reducible): Operand {
  const core = commonCore(name, [x]);
  if (!isTensor(x) && !isArrayOperand(x)) throw new ArgumentError(`${name} takes a vector or matrix, got ${describe(x)}`);
  if (core === undefined) return fold((c) => c.vector(op, x.length, 0, 0, 0, c.constants(x as ArrayOperand), c.sink), (c, id) => c.value(id)) as number;
  return new Scalar(core, core.vector(op, x.length, 0, 0, 0, tensorStart(core, x), core.sink));
}

/** Σ xᵢ over every element. */
export function sum(x: Tensor): Scalar;
export function sum(x: ArrayOperand): number;
export function sum(x: Reducible): Operand;
export function sum(x: Reducible): Operand {
  return reduce(Op.VecSum, 'sum', x);
}

/** (Σ xᵢ)/n; NaN for an empty vector. */
export function mean(x: Tensor): Scalar;
export function mean(x: ArrayOperand): number;
export function mean(x: Reducible): Operand;
export function mean(x: Reducible): Operand {
  const total = sum(x);
  return mulScalar(total, 1 / (x as Tensor).length);
}

/** Π xᵢ; its gradient is exact with zeros among the xᵢ (no division by them). */
export function prod(x: Tensor): Scalar;
export function prod(x: ArrayOperand): number;
export function prod(x: Reducible): Operand;
export function prod(x: Reducible): Operand {
  return reduce(Op.VecProd, 'prod', x);
}

/** log Σ exp(xᵢ), computed stably (shifted by the max). */
export function logsumexp(x: Tensor): Scalar;
export function logsumexp(x: ArrayOperand): number;
export function logsumexp(x: Reducible): Operand;
export function logsumexp(x: Reducible): Operand {
  return reduce(Op.VecLogSumExp, 'logsumexp', x);
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
  return new Scalar(core, core.vector(Op.VecDot, a.length, 0, 0, 0, tensorStart(core, a), tensorStart(core, b)));
}

const maxElementwise = binary(Op.Max, 'max');
const minElementwise = binary(Op.Min, 'min');

/** max(a, b) elementwise (ties: ½ of the adjoint to each), or max(x): the largest element of
 *  a vector or matrix (ties share the adjoint evenly; NaN if any element is NaN). */
export const max = ((a: AnyOperand, b?: AnyOperand) => {
  if (b === undefined) return reduce(Op.VecMax, 'max', a as Tensor);
  return maxElementwise(a, b);
}) as Binary & { (x: Tensor): Scalar; (x: ArrayOperand): number; (x: Reducible): Operand };

/** min(a, b) elementwise, or min(x) over a vector or matrix (same tie rules as max). */
export const min = ((a: AnyOperand, b?: AnyOperand) => {
  if (b === undefined) return reduce(Op.VecMin, 'min', a as Tensor);
  return minElementwise(a, b);
}) as Binary & { (x: Tensor): Scalar; (x: ArrayOperand): number; (x: Reducible): Operand };

const mulScalar = binary(Op.Mul, 'mean') as (a: Operand, b: Operand) => Operand;

/** softmax over a vector, or over each row of a matrix. */
export function softmax<T extends Tensor>(x: T): T;
export function softmax(x: Reducible): Tensor;
export function softmax(x: Reducible): Tensor {
  return rowwise(Op.VecSoftmax, 'softmax', x as Tensor);
}

/** log softmax (x − logsumexp x) over a vector, or over each row of a matrix. */
export function logSoftmax<T extends Tensor>(x: T): T;
export function logSoftmax(x: Reducible): Tensor;
export function logSoftmax(x: Reducible): Tensor {
  return rowwise(Op.VecLogSoftmax, 'logSoftmax', x as Tensor);
}

function rowwise<T extends Tensor>(op: Op, name: string, x: T): T {
  if (!isTensor(x)) throw new ArgumentError(`${name} takes a vector or matrix handle, got ${describe(x)}`);
  const core = x.core;
  if (x instanceof Vector) return new Vector(core, core.vector(op, x.length, 0, 0, 0, x.start, core.sink), x.length) as T;
  // One row per matrix row, back to back, so the outputs form one matrix.
  core.reserve(2 * x.rows, x.length);
  let start = -1;
  for (let i = 0; i < x.rows; i++) {
    const s = core.vector(op, x.cols, 0, 0, 0, x.start + i * x.cols, core.sink);
    if (i === 0) start = s;
  }
  return new Matrix(core, x.rows === 0 ? core.constants([]) : start, x.rows, x.cols) as T;
}

/** matmul's options: multiply by a transposed operand without copying it. */
export interface MatMulOptions {
  /** Use Aᵀ. */
  transposeA?: boolean;
  /** Use Bᵀ. */
  transposeB?: boolean;
}

/** op(A)·op(B) for row-major matrices, op = transpose when asked. */
export function matmul(a: Matrix, b: Matrix, options: MatMulOptions = {}): Matrix {
  const core = commonCore('matmul', [a, b]);
  for (const x of [a, b]) if (!(x instanceof Matrix)) throw new ShapeError(`matmul takes two matrix handles (use reshape), got ${describe(x)}`);
  if (core === undefined) throw new ArgumentError('matmul needs matrix handles');
  const ta = options.transposeA === true;
  const tb = options.transposeB === true;
  const [m, k] = ta ? [a.cols, a.rows] : [a.rows, a.cols];
  const [k2, n] = tb ? [b.cols, b.rows] : [b.rows, b.cols];
  if (k !== k2) {
    throw new ShapeError(`matmul: ${ta ? 'Aᵀ' : 'A'} is ${m} × ${k} but ${tb ? 'Bᵀ' : 'B'} is ${k2} × ${n} (inner sizes differ; shapes ${shapeText(a)} and ${shapeText(b)})`);
  }
  const flags = (ta ? TRANSPOSE_A : 0) | (tb ? TRANSPOSE_B : 0);
  return new Matrix(core, core.vector(Op.MatMul, m, k, n, flags, a.start, b.start), m, n);
}

/** op(A)·x for a row-major matrix A and a vector x. */
export function matvec(a: Matrix, x: Vector | ArrayOperand, options: { transpose?: boolean } = {}): Vector {
  if (!(a instanceof Matrix)) throw new ShapeError(`matvec takes a matrix handle first (use reshape), got ${describe(a)}`);
  if (!(x instanceof Vector) && !isArrayOperand(x)) throw new ShapeError(`matvec takes a vector second, got ${describe(x)}`);
  const core = commonCore('matvec', [a, x])!;
  const t = options.transpose === true;
  const [m, k] = t ? [a.cols, a.rows] : [a.rows, a.cols];
  if (x.length !== k) throw new ShapeError(`matvec: ${t ? 'Aᵀ' : 'A'} is ${m} × ${k} but the vector has length ${x.length} (A has shape ${shapeText(a)})`);
  const start = core.vector(Op.MatMul, m, k, 1, t ? TRANSPOSE_A : 0, a.start, tensorStart(core, x));
  return new Vector(core, start, m);
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
  for (const [slot, n] of sources) {
    const s = core.vector(Op.VecCopy, n, 0, 0, 0, slot, core.sink);
    if (start < 0) start = s;
  }
  return new Vector(core, total === 0 ? core.constants([]) : start, total);
}

/** Elements [from, to) of a vector (no new node). */
export function slice(v: Vector, from: number, to?: number): Vector {
  if (!(v instanceof Vector)) throw new ArgumentError(`slice takes a vector handle, got ${describe(v)}`);
  return v.slice(from, to);
}

/** A vector's slots viewed as a rows × cols matrix, or a matrix's as another shape (no new node). */
export function reshape(x: Tensor, rows: number, cols: number): Matrix {
  if (!isTensor(x)) throw new ArgumentError(`reshape takes a vector or matrix handle, got ${describe(x)}`);
  return x.reshape(rows, cols);
}

/** where(cond, a, b) over tensors (scalars broadcast): one VecWhere row selecting from a block
 *  that holds a then b (two copies), so the row keeps two operands. */
export function whereElementwise(cond: AnyOperand, a: AnyOperand, b: AnyOperand): Tensor | Float64Array {
  const operands = [cond, a, b];
  const core = commonCore('where', operands);
  const tensors = operands.filter((x): x is Tensor | ArrayOperand => isTensor(x) || isArrayOperand(x));
  const shape = tensors.find(isTensor) ?? tensors[0];
  for (const t of tensors) {
    if (!sameShape(t, shape)) throw new ShapeError(`where: shapes ${shapeText(shape)} and ${shapeText(t)} do not match (elementwise ops need equal shapes, or a scalar to broadcast)`);
  }
  const n = shape.length;
  const element = (x: AnyOperand, i: number) => (typeof x === 'number' ? x : (x as ArrayOperand)[i]);
  if (core === undefined) return Float64Array.from({ length: n }, (_, i) => (isTrue(element(cond, i)) ? element(a, i) : element(b, i)));
  const source = (x: AnyOperand): [number, number] =>
    isTensor(x) || isArrayOperand(x) ? [tensorStart(core, x), 0] : [scalarSlot(core, x as Operand), BROADCAST_A];
  const [c, cFlag] = source(cond);
  const [sa, aFlag] = source(a);
  const [sb, bFlag] = source(b);
  core.reserve(4, 2 * n);
  const pair = core.vector(Op.VecCopy, n, aFlag, 0, 0, sa, core.sink);
  core.vector(Op.VecCopy, n, bFlag, 0, 0, sb, core.sink);
  return like(core, shape, core.vector(Op.VecWhere, n, cFlag, 0, 0, c, pair));
}
