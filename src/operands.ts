/** @file What ops accept, checked once: handles, numbers and constant arrays, their tape, their
 *  slots on it, and constant folding when no handle is involved. */
import { Scalar, Vector, Matrix, type Operand, type Tensor } from './handles.js';
import type { TapeCore } from './core.js';
import { ArgumentError, crossTapeError } from './errors.js';
import { createCore } from './backends.js';
import { DATA_A, DATA_B } from '../assembly/shared/vector.js';

export function describe(value: unknown): string {
  if (value instanceof Vector) return `a vector handle of length ${value.length} (use .at(i) for an element)`;
  if (value instanceof Matrix) return `a ${value.rows}×${value.cols} matrix handle`;
  if (value instanceof Scalar) return 'a scalar handle';
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}${value.every((v) => typeof v === 'number') ? '' : ' with non-number elements'}`;
  const shape = (value as { shape?: readonly number[] } | null)?.shape;
  if (value instanceof Float64Array && shape?.length === 2) return `a ${shape[0]} × ${shape[1]} ConstantMatrix (captured data)`;
  if (ArrayBuffer.isView(value) && 'length' in value) return `a ${value.constructor.name} of length ${value.length as number}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name ?? 'Object'})` : `${typeof value} ${String(value)}`;
}

export function operandError(name: string, value: unknown): ArgumentError {
  return new ArgumentError(`${name} takes handles or numbers, got ${describe(value)}`);
}

/** A constant vector operand. */
export type ArrayOperand = Float64Array | readonly number[];

export function isArrayOperand(x: unknown): x is ArrayOperand {
  return x instanceof Float64Array || (Array.isArray(x) && x.every((v) => typeof v === 'number'));
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Vector || x instanceof Matrix;
}

/** The one tape all handle operands share, or undefined when every operand is a constant. */
export function commonCore(name: string, operands: unknown[]): TapeCore | undefined {
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
export function fold<T>(record: (core: TapeCore) => T, read: (core: TapeCore, result: T) => number | Float64Array): number | Float64Array {
  const core = createCore('js', { reserve: 64 });
  try {
    return read(core, record(core));
  } finally {
    core.dispose();
  }
}

/** A tensor operand's slots on `core` (constant arrays are recorded as constants). */
export function tensorStart(core: TapeCore, x: Tensor | ArrayOperand): number {
  return isTensor(x) ? x.start : core.constants(x);
}

/** A scalar operand's slot on `core`. */
export function scalarSlot(core: TapeCore, x: Operand): number {
  return x instanceof Scalar ? x.id : core.constant(x);
}

/** The result handle: a tensor of the given operand's shape (data when computed from data alone). */
export function like(core: TapeCore, shape: Tensor | ArrayOperand, start: number, data = false): Tensor {
  return shape instanceof Matrix ? new Matrix(core, start, shape.rows, shape.cols, data) : new Vector(core, start, shape.length, data);
}

/** Whether no differentiated value flows into x: a constant, or a data tensor. A scalar handle
 *  counts as live (it carries no flag), which only costs a little reverse work. */
export function isData(x: unknown): boolean {
  return typeof x === 'number' || isArrayOperand(x) || ((x instanceof Vector || x instanceof Matrix) && x.data);
}

/** A vector row's data flags (assembly/shared/vector.ts) for a binary row's operands; a unary
 *  row passes its one operand's twice (its b, the sink, is data only when the row is). */
export function dataBits(aData: boolean, bData: boolean): number {
  return (aData ? DATA_A : 0) | (bData ? DATA_B : 0);
}

/** Plain arrays have no shape of their own: they fit any tensor of their length. */
export function sameShape(x: Tensor | ArrayOperand, y: Tensor | ArrayOperand): boolean {
  if (isTensor(x) && isTensor(y) && (x instanceof Matrix || y instanceof Matrix)) {
    return x instanceof Matrix && y instanceof Matrix && x.rows === y.rows && x.cols === y.cols;
  }
  return x.length === y.length;
}
