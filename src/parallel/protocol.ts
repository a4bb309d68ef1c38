/** @file The messages between dataParallel and its workers, and errors carried across as their own classes. */
import {
  ArgumentError,
  OutOfMemoryError,
  ShapeError,
  StaleHandleError,
  TapeFormatError,
  TapeMismatchError,
  TracingError,
  WengertError,
} from '../errors.js';
import type { CompileOptions } from '../compile/compile.js';

/** A worker failed outside wengert's own checks: it could not start, crashed or exited. */
export class WorkerError extends WengertError {}

/** Where a worker's arguments and gradients live in shared memory, one range per argument
 *  (in Float64 elements; a scalar argument takes one). */
export interface SharedLayout {
  inputs: SharedArrayBuffer;
  outputs: SharedArrayBuffer;
  inputRanges: [start: number, length: number][];
  outputRanges: [start: number, length: number][];
}

export type ToWorker =
  /** Loads the shard's tape; `shared` absent: each step carries its inputs (transfer mode). */
  | { type: 'init'; bytes: Uint8Array; options: CompileOptions; scalar: boolean[]; shared?: SharedLayout }
  /** One value and gradient: `inputs` per argument in transfer mode, none with shared memory. */
  | { type: 'step'; inputs?: Float64Array[] };

export type FromWorker =
  | { type: 'loaded' }
  | { type: 'ready' }
  /** `outputs` (one gradient per argument) in transfer mode; with shared memory they are in place. */
  | { type: 'result'; value: number; outputs?: Float64Array[] }
  | { type: 'error'; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

const CLASSES: Record<string, new (message: string) => Error> = {
  WengertError,
  TapeMismatchError,
  StaleHandleError,
  ArgumentError,
  OutOfMemoryError,
  ShapeError,
  TracingError,
  TapeFormatError,
  WorkerError,
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
};

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The error again, as an instance of its own class (a WorkerError for classes it does not know). */
export function reviveError(error: SerializedError): Error {
  const known = Object.hasOwn(CLASSES, error.name) ? CLASSES[error.name] : undefined;
  const revived = known ? new known(error.message) : new WorkerError(`${error.name}: ${error.message}`);
  if (error.stack !== undefined) revived.stack = `${revived.name}: ${revived.message}\n    (thrown in a dataParallel worker)\n${error.stack.split('\n').slice(1).join('\n')}`;
  return revived;
}
