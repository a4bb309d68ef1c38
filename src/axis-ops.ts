/** @file Ops that real models needed: transpose, gather, cross, and the reductions along one axis
 *  of a matrix. Transpose and gather are vector rows of their own (assembly/shared/vector.ts);
 *  the rest are recorded from rows that already exist, so their derivative rules are theirs. */
import { Op } from '../assembly/shared/ops.js';
import { Scalar, Vector, Matrix, type Operand, type Tensor } from './handles.js';
import type { TapeCore } from './core.js';
import { ArgumentError, ShapeError, crossTapeError } from './errors.js';
import { commonCore, describe, isArrayOperand, isTensor, scalarSlot, type ArrayOperand } from './operands.js';
import { binary } from './makers.js';
import { ConstantMatrix, foldCaptured } from './constant-matrix.js';

/** Which axis of a matrix a reduction runs along: 0 reduces each column (an r × c matrix gives
 *  a length-c vector), 1 each row (a length-r vector). */
export interface AxisOptions {
  /** 0: down the columns; 1: along the rows. */
  axis: 0 | 1;
}

/** logsumexp's options: an axis, and an extra term e^extra inside the sum. */
export interface LogSumExpOptions {
  /** Reduce each column (0) or each row (1) of a matrix instead of every element. */
  axis?: 0 | 1;
  /** log(e^extra + Σ e^xᵢ): the implicit 0 logit of GMM/LSTM-style objectives (`extra: 0`). A
   *  number or a scalar handle (then it is differentiated too). */
  extra?: Operand;
}

const mul = binary(Op.Mul, 'mul');
const add = binary(Op.Add, 'sum');
const sub = binary(Op.Sub, 'sub');

/** The transpose of an r × c matrix: a c × r matrix (one row that copies the slots). */
export function transpose(m: Matrix): Matrix;
export function transpose(m: ConstantMatrix): ConstantMatrix;
export function transpose(m: Matrix | ConstantMatrix): Matrix | ConstantMatrix {
  const folded = foldCaptured(m, (t) => transpose(t as Matrix));
  if (folded !== undefined) return folded as ConstantMatrix;
  if (!(m instanceof Matrix)) {
    throw new ShapeError(`transpose takes a matrix handle, got ${describe(m)} (view a vector as a column with reshape(v, v.length, 1))`);
  }
  const core = m.core;
  if (m.length === 0) return new Matrix(core, core.constants([]), m.cols, m.rows);
  return new Matrix(core, core.vector(Op.VecTranspose, m.length, m.cols, 0, 0, m.start, core.sink), m.cols, m.rows);
}

/** The index list, checked: integers in [0, length). */
function checkedIndices(indices: ArrayLike<number>, length: number): ArrayLike<number> {
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
    throw new ArgumentError(`gather takes an array of indices, got ${describe(indices)}`);
  }
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!(typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < length)) {
      throw new ArgumentError(`gather: index ${String(k)} at position ${i} is not an integer in [0, ${length}) (the source has ${length} elements)`);
    }
  }
  return indices;
}

/** [v[k] for k in indices]: elements picked by position, repeats allowed (a matrix is read
 *  row-major, as its flattened vector). The adjoint is a scatter-add: a repeated index sums. */
export function gather(v: Tensor, indices: ArrayLike<number>): Vector;
export function gather(v: ArrayOperand, indices: ArrayLike<number>): Float64Array;
export function gather(v: Tensor | ArrayOperand, indices: ArrayLike<number>): Vector | Float64Array;
export function gather(v: Tensor | ArrayOperand, indices: ArrayLike<number>): Vector | Float64Array {
  if (isArrayOperand(v)) {
    const ks = checkedIndices(indices, v.length);
    return Float64Array.from({ length: ks.length }, (_, i) => v[ks[i]]);
  }
  if (!isTensor(v)) throw new ArgumentError(`gather takes a vector or matrix first, got ${describe(v)}`);
  const ks = checkedIndices(indices, v.length);
  const core = v.core;
  if (ks.length === 0) return new Vector(core, core.constants([]), 0);
  const at = core.constants(ks);
  return new Vector(core, core.vector(Op.VecGather, ks.length, v.length, 0, 0, v.start, at), ks.length);
}

/** a × b for two 3-vectors: (a₁b₂ − a₂b₁, a₂b₀ − a₀b₂, a₀b₁ − a₁b₀). */
export function cross(a: Vector, b: Vector | ArrayOperand): Vector;
export function cross(a: Vector | ArrayOperand, b: Vector): Vector;
export function cross(a: ArrayOperand, b: ArrayOperand): Float64Array;
export function cross(a: Vector | ArrayOperand, b: Vector | ArrayOperand): Vector | Float64Array;
export function cross(a: Vector | ArrayOperand, b: Vector | ArrayOperand): Vector | Float64Array {
  commonCore('cross', [a, b]);
  for (const x of [a, b]) {
    if (!(x instanceof Vector) && !isArrayOperand(x)) throw new ShapeError(`cross takes two 3-vectors, got ${describe(x)}`);
    if (x.length !== 3) throw new ShapeError(`cross takes two 3-vectors, got one of length ${x.length}`);
  }
  // a × b = a_yzx ⊙ b_zxy − a_zxy ⊙ b_yzx, from gathers and elementwise rows.
  const yzx = [1, 2, 0];
  const zxy = [2, 0, 1];
  return sub(mul(gather(a, yzx), gather(b, zxy)), mul(gather(a, zxy), gather(b, yzx))) as Vector | Float64Array;
}

/** The reduction op (VecSum, VecMax, …) along an axis of a matrix: one row per reduced line,
 *  back to back, so the results form one vector; `extra` joins every line first (logsumexp). */
export function reduceAlongAxis(op: Op, name: string, x: unknown, axis: unknown, extra?: Operand): Vector {
  if (axis !== 0 && axis !== 1) throw new ArgumentError(`${name}: axis must be 0 (reduce each column) or 1 (reduce each row), got ${describe(axis)}`);
  if (!(x instanceof Matrix)) {
    throw new ArgumentError(`${name} along an axis takes a matrix handle, got ${describe(x)} (without an axis it reduces every element)`);
  }
  const core = x.core;
  // A wide matrix's column sums as rows − 1 elementwise adds of whole rows: fewer rows recorded
  // than one transpose and a reduction per column (the same sums, in the same order).
  if (op === Op.VecSum && axis === 0 && extra === undefined && sumsByRows(x)) return columnSums(x);
  let lines = axis === 1 ? x : transpose(x);
  if (extra !== undefined) lines = withLeadingColumn(core, lines, checkedExtra(core, name, extra));
  const count = lines.rows;
  if (count === 0) return new Vector(core, core.constants([]), 0);
  core.reserve(2 * count, count);
  let start = -1;
  for (let i = 0; i < count; i++) {
    const s = core.vector(op, lines.cols, 0, 0, 0, lines.start + i * lines.cols, core.sink);
    if (i === 0) start = s;
  }
  return new Vector(core, start, count);
}

/** Whether a matrix's column sums take fewer rows as adds of whole rows (rows − 1 of them) than
 *  as a transpose and a reduction per column. */
export function sumsByRows(m: Matrix): boolean {
  return m.rows > 0 && m.rows - 1 < m.cols + 1;
}

/** M(0, :) + M(1, :) + … as a vector (a single row is its own sum: a view, no node). */
function columnSums(m: Matrix): Vector {
  let total: Vector = m.row(0);
  for (let i = 1; i < m.rows; i++) total = add(total, m.row(i));
  return total;
}

/** The slot of logsumexp's extra term on `core`. */
function checkedExtra(core: TapeCore, name: string, extra: unknown): number {
  if (typeof extra === 'number') return core.constant(extra);
  if (extra instanceof Scalar) {
    if (extra.core !== core) throw crossTapeError(name, core, extra.core);
    return scalarSlot(core, extra);
  }
  throw new ArgumentError(`${name}: extra must be a number or a scalar handle, got ${describe(extra)}`);
}

/** [e, M(i, :)] for every row i: the extra slot copied in front of each row. */
function withLeadingColumn(core: TapeCore, m: Matrix, extra: number): Matrix {
  const cols = m.cols + 1;
  core.reserve(4 * m.rows, m.rows * cols);
  let start = -1;
  for (let i = 0; i < m.rows; i++) {
    const s = core.vector(Op.VecCopy, 1, 0, 0, 0, extra, core.sink);
    if (m.cols > 0) core.vector(Op.VecCopy, m.cols, 0, 0, 0, m.start + i * m.cols, core.sink);
    if (i === 0) start = s;
  }
  return new Matrix(core, m.rows === 0 ? core.constants([]) : start, m.rows, cols);
}
