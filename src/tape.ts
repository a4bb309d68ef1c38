/** @file The explicit tape for eager use: inputs, ops, backward, adjoints, reset, dispose. */
import type { TapeCore } from './core.js';
import { Scalar, Vector, Matrix } from './handles.js';
import { ArgumentError, StaleHandleError, TapeMismatchError } from './errors.js';
import { createCore, type Backend } from './backends.js';

export type { Backend };

/** Options of `new Tape(options)`. */
export interface TapeOptions {
  /** 'wasm' (default) or 'js', the pure-JS tape. */
  backend?: Backend;
  /** Rows to hold before the first growth (growth is cheap, but reserving is cheaper). */
  reserve?: number;
  /** Ceiling on the bytes this tape may hold; exceeding it throws OutOfMemoryError. */
  maxBytes?: number;
}

/** What a tape holds: `tape.stats`. */
export interface TapeStats {
  /** Scalar values on the tape (inputs, constants and results). */
  nodes: number;
  /** Instructions, counting the extra row of each where(). */
  rows: number;
  /** Bytes the tape holds, spare capacity included. */
  bytes: number;
}

/** An explicit tape for eager use: record inputs and ops on it, call `backward(output)`, read
 *  adjoints; `reset()` keeps its memory for the next recording, `dispose()` frees it. Use it for
 *  data-dependent control flow; `grad` and `compile` make their own tapes. */
export class Tape {
  /** The backend the tape records on: 'wasm' or 'js' (the pure-JS tape). */
  readonly backend: Backend;
  /** The current recording; reset() swaps in a new one so old handles are caught. */
  private state: { core: TapeCore };

  constructor(options: TapeOptions = {}) {
    const backend = options.backend ?? 'wasm';
    if (backend !== 'wasm' && backend !== 'js') {
      throw new ArgumentError(`unknown backend ${JSON.stringify(backend)}: use 'wasm' (default) or 'js'`);
    }
    validateCount('reserve', options.reserve);
    if (options.maxBytes !== undefined && !(options.maxBytes > 0)) {
      throw new ArgumentError(`maxBytes must be a positive number of bytes, got ${options.maxBytes}`);
    }
    this.backend = backend;
    const core = createCore(backend, options);
    // A tape nobody disposes gives its wasm memory back once neither it nor any of its handles
    // is reachable (src/wasm/wasm-core.ts): handles keep it alive, not this object.
    this.state = { core };
  }

  /** The recording handles belong to (internal: used by grad and compile). */
  get core(): TapeCore {
    return this.state.core;
  }

  /** A new input: a scalar handle for a number, a vector handle for an array. */
  input(x: number): Scalar;
  input(x: ArrayLike<number>): Vector;
  input(x: number | ArrayLike<number>): Scalar | Vector;
  input(x: number | ArrayLike<number>): Scalar | Vector {
    const core = this.live();
    if (typeof x === 'number') return new Scalar(core, core.input(x));
    if (isNumberArray(x)) return new Vector(core, core.inputs(x), x.length);
    throw new ArgumentError(`Tape.input takes a number, a Float64Array or a number[], got ${typeName(x)}`);
  }

  /** Data: a value no gradient is taken for (a batch, labels). A vector comes back flagged
   *  `data`, so vector ops on it skip its partials (a matmul with data X computes no X̄) and
   *  its adjoints stay 0; a number is recorded as a constant. */
  data(x: number): Scalar;
  data(x: ArrayLike<number>): Vector;
  data(x: number | ArrayLike<number>): Scalar | Vector;
  data(x: number | ArrayLike<number>): Scalar | Vector {
    const core = this.live();
    if (typeof x === 'number') return new Scalar(core, core.constant(x));
    if (isNumberArray(x)) return new Vector(core, core.constants(x), x.length, true);
    throw new ArgumentError(`Tape.data takes a number, a Float64Array or a number[], got ${typeName(x)}`);
  }

  /** A constant on this tape (ops also accept plain numbers directly). */
  constant(x: number): Scalar {
    const core = this.live();
    if (typeof x !== 'number') throw new ArgumentError(`Tape.constant takes a number, got ${typeName(x)}`);
    return new Scalar(core, core.constant(x));
  }

  /** Accumulates ∂output/∂v into every node v's adjoint (earlier adjoints are cleared). */
  backward(output: Scalar): void {
    this.own(output, 'backward');
    this.state.core.backward(output.id);
  }

  /** ∂output/∂h after backward(output). */
  adjoint(h: Scalar): number {
    this.own(h, 'adjoint');
    return this.state.core.adjoint(h.id);
  }

  /** Adjoints of a vector or matrix handle (row-major), or of a list of scalar handles, as one
   *  Float64Array. */
  adjoints(hs: Vector | Matrix | readonly Scalar[], out?: Float64Array): Float64Array {
    const core = this.live();
    const n = hs.length;
    if (out !== undefined && out.length !== n) {
      throw new ArgumentError(`adjoints: out has length ${out.length} but ${n} adjoints were asked for`);
    }
    const result = out ?? new Float64Array(n);
    if (hs instanceof Vector || hs instanceof Matrix) {
      this.ownVector(hs, 'adjoints');
      core.readAdjoints(hs.start, n, result, 0);
    } else {
      for (let i = 0; i < n; i++) {
        this.own(hs[i], 'adjoints');
        result[i] = core.adjoint(hs[i].id);
      }
    }
    return result;
  }

  /** The adjoints of a vector or matrix handle as a Float64Array over the tape's own memory: no
   *  copy. Valid until the tape next records, replays, resets or is disposed (read it or copy it
   *  before then); where wasm memory is shared (Node, cross-origin-isolated pages) its growth
   *  never invalidates a view, elsewhere a growth detaches it (length 0: take a new one). */
  adjointsView(v: Vector | Matrix): Float64Array {
    const core = this.live();
    this.ownTensor(v, 'adjointsView');
    return core.adjointsView(v.start, v.length);
  }

  /** The values of a vector or matrix handle as a view, valid as `adjointsView`'s. */
  valuesView(v: Vector | Matrix): Float64Array {
    const core = this.live();
    this.ownTensor(v, 'valuesView');
    return core.valuesView(v.start, v.length);
  }

  /** The recorded value of a handle. */
  value(h: Scalar): number {
    this.own(h, 'value');
    return this.state.core.value(h.id);
  }

  /** Forgets every node but keeps the memory for the next recording. Handles recorded before
   *  are invalidated (using one throws StaleHandleError). */
  reset(): void {
    this.state.core = this.live().reset();
  }

  /** Frees the tape's memory. The tape and its handles cannot be used afterwards. */
  dispose(): void {
    this.state.core.dispose();
  }

  /** True once `dispose()` was called: the tape and its handles can no longer be used. */
  get disposed(): boolean {
    return !this.state.core.live;
  }

  /** Nodes, rows and bytes the current recording holds. */
  get stats(): TapeStats {
    const { rows, slots, bytes } = this.live().stats();
    return { nodes: slots, rows, bytes };
  }

  private live(): TapeCore {
    const core = this.state.core;
    if (!core.live) {
      throw new StaleHandleError('this tape was disposed: create a new Tape (dispose() is final; reset() keeps a tape usable)');
    }
    return core;
  }

  private own(h: unknown, what: string): void {
    const core = this.live();
    if (!(h instanceof Scalar)) throw new ArgumentError(`Tape.${what} takes a scalar handle, got ${typeName(h)}`);
    if (h.core !== core) {
      if (!h.core.live) throw new StaleHandleError(`Tape.${what}: the handle was recorded before a reset() or on a disposed tape; record it again`);
      throw new TapeMismatchError(`Tape.${what}: the handle belongs to another tape; use that tape's ${what}()`);
    }
  }

  private ownTensor(v: unknown, what: string): void {
    if (!(v instanceof Vector || v instanceof Matrix)) throw new ArgumentError(`Tape.${what} takes a vector or matrix handle, got ${typeName(v)}`);
    this.ownVector(v, what);
  }

  private ownVector(v: Vector | Matrix, what: string): void {
    if (v.core !== this.state.core) {
      if (!v.core.live) throw new StaleHandleError(`Tape.${what}: the vector was recorded before a reset() or on a disposed tape`);
      throw new TapeMismatchError(`Tape.${what}: the vector belongs to another tape`);
    }
  }
}

export function isNumberArray(x: unknown): x is ArrayLike<number> {
  if (x instanceof Float64Array) return true;
  if (Array.isArray(x)) return x.every((v) => typeof v === 'number');
  return ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array);
}

export function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array with non-number elements';
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'Object'})`;
  return `${typeof x}${typeof x === 'string' ? ` "${x}"` : ''}`;
}

function validateCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new ArgumentError(`${name} must be a non-negative integer, got ${value}`);
  }
}
