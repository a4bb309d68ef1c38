/** @file Handles: what user code holds while a function is recorded. */
import type { TapeCore } from './core.js';
import { ArgumentError, ShapeError, tracingReadError } from './errors.js';

/** JS operators on a handle would silently give NaN; inside compile() they would also freeze
 *  a branch, which TracingError explains. */
function operatorError(core: TapeCore, what: string): Error {
  if (core.tracing) return tracingReadError();
  return new ArgumentError(what);
}

/** Marks Scalar's prototype. The ops' hot path tests `x?.[IS_SCALAR] === true`, not `instanceof`:
 *  V8 can then keep a handle the next op consumes out of the heap (escape analysis), which
 *  `instanceof` prevents (8% of an eager recording, measured). */
export const IS_SCALAR: unique symbol = Symbol('wengert.Scalar');

/** What the hot path sees of an operand before it knows it is a handle. */
export type MaybeScalar = { readonly [IS_SCALAR]?: true; readonly core: TapeCore; readonly id: number } | undefined;

/** A scalar value on a tape. One small class for every backend keeps op call sites monomorphic. */
export class Scalar {
  // Declared rather than class fields: V8 defines a class field before the constructor assigns
  // it, and a handle is made per op (8% of an eager recording, measured).
  /** The recording this handle belongs to; replaced on reset, so old handles are caught. */
  declare readonly core: TapeCore;
  /** Slot id on that tape. */
  declare readonly id: number;

  constructor(core: TapeCore, id: number) {
    this.core = core;
    this.id = id;
  }

  /** The recorded value (eager tapes). */
  get value(): number {
    return this.core.value(this.id);
  }

  /** Arithmetic on a handle with JS operators would silently give NaN: stop it loudly. */
  [Symbol.toPrimitive](): never {
    throw operatorError(
      this.core,
      'a wengert handle is not a number: use the ops (add, mul, lt, where, …) instead of JS operators, ' +
        'and `handle.value` to read the recorded value',
    );
  }
}

Object.defineProperty(Scalar.prototype, IS_SCALAR, { value: true });

/** A vector of contiguous slots on a tape (e.g. an array argument). */
export class Vector {
  /** [length]. */
  readonly shape: readonly [number];

  constructor(
    /** The recording this handle belongs to (internal). */
    readonly core: TapeCore,
    /** Slot id of element 0. */
    readonly start: number,
    /** Number of elements. */
    readonly length: number,
    /** True for data: an argument outside grad's or compile's `wrt`, or a result of data alone.
     *  Nothing differentiated depends on it, so no adjoint is accumulated into it. */
    readonly data: boolean = false,
  ) {
    this.shape = [length];
  }

  /** Elements [from, to) as a vector handle over the same slots (no new node). */
  slice(from: number, to: number = this.length): Vector {
    const [a, b] = sliceBounds(from, to, this.length);
    return new Vector(this.core, this.start + a, b - a, this.data);
  }

  /** The same slots as a rows × cols row-major matrix (no new node). */
  reshape(rows: number, cols: number): Matrix {
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0 && rows * cols === this.length)) {
      throw new ShapeError(`reshape: a vector of length ${this.length} cannot be viewed as ${rows} × ${cols}`);
    }
    return new Matrix(this.core, this.start, rows, cols, this.data);
  }

  /** Element i as a scalar handle (no new node). Negative i counts from the end. */
  at(i: number): Scalar {
    const k = i < 0 ? i + this.length : i;
    if (!Number.isInteger(k) || k < 0 || k >= this.length) {
      throw new ArgumentError(`index ${i} is out of range for a vector of length ${this.length}`);
    }
    return new Scalar(this.core, this.start + k);
  }

  /** The recorded values (eager tapes). */
  get value(): Float64Array {
    // One copy of the run the values are (a read per element took ≈60 ns each on wasm).
    return this.core.valuesView(this.start, this.length).slice();
  }

  /** The elements as scalar handles, in order (no new node). */
  *[Symbol.iterator](): IterableIterator<Scalar> {
    for (let i = 0; i < this.length; i++) yield new Scalar(this.core, this.start + i);
  }

  /** JS operators on a vector handle would silently give NaN: stop it loudly. */
  [Symbol.toPrimitive](): never {
    throw operatorError(this.core, 'a wengert vector handle is not a number: use .at(i) or the ops');
  }
}

/** A row-major matrix of contiguous slots on a tape. */
export class Matrix {
  /** Number of elements: rows × cols. */
  readonly length: number;
  /** [rows, cols]. */
  readonly shape: readonly [number, number];

  constructor(
    /** The recording this handle belongs to (internal). */
    readonly core: TapeCore,
    /** Slot id of element (0, 0); row i starts at start + i·cols. */
    readonly start: number,
    /** Number of rows. */
    readonly rows: number,
    /** Number of columns. */
    readonly cols: number,
    /** True for data (see Vector.data). */
    readonly data: boolean = false,
  ) {
    this.length = rows * cols;
    this.shape = [rows, cols];
  }

  /** Element (i, j) as a scalar handle (no new node). */
  at(i: number, j: number): Scalar {
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < this.rows && j < this.cols)) {
      throw new ArgumentError(`index (${i}, ${j}) is out of range for a ${this.rows} × ${this.cols} matrix`);
    }
    return new Scalar(this.core, this.start + i * this.cols + j);
  }

  /** Row i as a vector handle (no new node). */
  row(i: number): Vector {
    if (!(Number.isInteger(i) && i >= 0 && i < this.rows)) {
      throw new ArgumentError(`row ${i} is out of range for a ${this.rows} × ${this.cols} matrix`);
    }
    return new Vector(this.core, this.start + i * this.cols, this.cols, this.data);
  }

  /** Rows [from, to) as a matrix handle (no new node). */
  sliceRows(from: number, to: number = this.rows): Matrix {
    const [a, b] = sliceBounds(from, to, this.rows);
    return new Matrix(this.core, this.start + a * this.cols, b - a, this.cols, this.data);
  }

  /** All elements, row after row, as a vector handle (no new node). */
  flatten(): Vector {
    return new Vector(this.core, this.start, this.length, this.data);
  }

  /** The same slots as another rows × cols shape (no new node). */
  reshape(rows: number, cols: number): Matrix {
    return this.flatten().reshape(rows, cols);
  }

  /** The recorded values, row-major (eager tapes). */
  get value(): Float64Array {
    return this.flatten().value;
  }

  /** JS operators on a matrix handle would silently give NaN: stop it loudly. */
  [Symbol.toPrimitive](): never {
    throw operatorError(this.core, 'a wengert matrix handle is not a number: use .at(i, j), .row(i) or the ops');
  }
}

function sliceBounds(from: number, to: number, length: number): [number, number] {
  const a = from < 0 ? from + length : from;
  const b = to < 0 ? to + length : to;
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= a && b <= length)) {
    throw new ArgumentError(`slice(${from}, ${to}) is out of range for length ${length}`);
  }
  return [a, b];
}

/** A vector or matrix handle. */
export type Tensor = Vector | Matrix;

/** What ops accept: a handle or a plain number (a constant). */
export type Operand = Scalar | number;

/** What elementwise ops accept: scalars, tensors, and arrays (constant vectors). */
export type AnyOperand = Operand | Tensor | Float64Array | readonly number[];

/** The shape as users write it: [n] or [rows, cols]. */
export function shapeText(x: Tensor | Float64Array | readonly number[]): string {
  // A matrix handle's shape, or a ConstantMatrix's (src/constant-matrix.ts); a plain array's length.
  const shape = (x as { shape?: readonly number[] }).shape;
  return shape !== undefined ? `[${shape.join(', ')}]` : `[${x.length}]`;
}
