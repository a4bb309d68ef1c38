/** @file Captured data with a shape: reshape of a Float64Array or number[] (or a number[][] given
 *  to matmul) is a ConstantMatrix, its values row-major. It belongs to no tape: an op that meets
 *  it with a handle records it there as one VecConst row, a data matrix (no adjoint flows into
 *  it); an op on constants alone folds to another constant, as ops on plain arrays do. */
import { Matrix, Vector } from './handles.js';
import type { TapeCore } from './core.js';
import { ShapeError } from './errors.js';
import { fold, isArrayOperand } from './operands.js';

/** A rows × cols matrix of constants: a Float64Array (so every op that takes a captured array
 *  takes it) that knows its shape. */
export class ConstantMatrix extends Float64Array {
  /** Operations that build a new array from it (map, slice, …) give plain Float64Arrays: they
   *  need not keep the shape. */
  static get [Symbol.species](): Float64ArrayConstructor {
    return Float64Array;
  }

  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** [rows, cols]. */
  readonly shape: readonly [number, number];

  /** `values` viewed as rows × cols (a Float64Array's memory is shared, a number[] copied). */
  constructor(values: Float64Array | readonly number[], rows: number, cols: number) {
    if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0) || rows * cols !== values.length) {
      throw new ShapeError(`reshape: an array of length ${values.length} cannot be viewed as ${rows} × ${cols}`);
    }
    const source = values instanceof Float64Array ? values : Float64Array.from(values);
    super(source.buffer as ArrayBuffer, source.byteOffset, source.length);
    this.rows = rows;
    this.cols = cols;
    this.shape = [rows, cols];
  }

  /** The same values as another shape (no copy). */
  reshape(rows: number, cols: number): ConstantMatrix {
    return new ConstantMatrix(this, rows, cols);
  }
}

/** An operand matmul takes as a matrix: a handle, a ConstantMatrix, or rows of numbers. */
export type MatrixOperand = Matrix | ConstantMatrix | readonly (readonly number[])[];

/** Whether x is rows of numbers, all of one length (number[][]). */
export function isRowsOfNumbers(x: unknown): x is readonly (readonly number[])[] {
  return Array.isArray(x) && x.length > 0 && x.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number'));
}

/** number[][] as a ConstantMatrix (rows of unequal length refused); anything else as it is. */
export function asConstantMatrix(name: string, x: unknown): unknown {
  if (!isRowsOfNumbers(x)) return x;
  const cols = x[0].length;
  const bad = x.findIndex((row) => row.length !== cols);
  if (bad >= 0) throw new ShapeError(`${name}: row ${bad} of the number[][] has ${x[bad].length} numbers but row 0 has ${cols} (a matrix needs rows of one length)`);
  return new ConstantMatrix(x.flat(), x.length, cols);
}

/** x on `core`: a ConstantMatrix becomes a data matrix handle (one VecConst row; a Const row
 *  for one value), any other operand stays as it is. */
export function onTape<T>(core: TapeCore, x: T): Exclude<T, ConstantMatrix> | Matrix {
  return x instanceof ConstantMatrix ? new Matrix(core, core.constants(x), x.rows, x.cols, true) : (x as Exclude<T, ConstantMatrix>);
}

/** Records `record` on a scratch tape (ops on constants alone: the same kernels as on a tape) and
 *  returns its result's values: a ConstantMatrix for a matrix, else a Float64Array. */
export function foldConstants(record: (core: TapeCore) => Vector | Matrix): Float64Array {
  return fold(record, (core, t) => {
    const values = core.valuesView(t.start, t.length).slice();
    return t instanceof Matrix ? new ConstantMatrix(values, t.rows, t.cols) : values;
  }) as Float64Array;
}

/** A one-operand op (transpose, softmax, a reduction along an axis) on captured data: a
 *  ConstantMatrix, or with `vectors` any array of numbers, becomes a tensor on a scratch tape, the
 *  op runs there and its result folds to a constant. Undefined for anything else (a handle). */
export function foldCaptured(x: unknown, op: (t: Vector | Matrix) => Vector | Matrix, vectors = false): Float64Array | undefined {
  if (x instanceof ConstantMatrix) return foldConstants((c) => op(onTape(c, x) as Matrix));
  if (vectors && isArrayOperand(x)) return foldConstants((c) => op(new Vector(c, c.constants(x), x.length, true)));
  return undefined;
}
