/** @file Handles: what user code holds while a function is recorded. */
import type { TapeCore } from './core.js';
import { ArgumentError } from './errors.js';

/** A scalar value on a tape. One small class for every backend keeps op call sites monomorphic. */
export class Scalar {
  constructor(
    /** The recording this handle belongs to; replaced on reset, so old handles are caught. */
    readonly core: TapeCore,
    /** Slot id on that tape. */
    readonly id: number,
  ) {}

  /** The recorded value (eager tapes). */
  get value(): number {
    return this.core.value(this.id);
  }

  /** Arithmetic on a handle with JS operators would silently give NaN: stop it loudly. */
  [Symbol.toPrimitive](): never {
    throw new ArgumentError(
      'a wengert handle is not a number: use the ops (add, mul, lt, where, …) instead of JS operators, ' +
        'and `handle.value` to read the recorded value',
    );
  }
}

/** A vector of contiguous slots on a tape (e.g. an array argument). */
export class Vector {
  constructor(
    readonly core: TapeCore,
    /** Slot id of element 0. */
    readonly start: number,
    readonly length: number,
  ) {}

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
    const out = new Float64Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.core.value(this.start + i);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<Scalar> {
    for (let i = 0; i < this.length; i++) yield new Scalar(this.core, this.start + i);
  }

  [Symbol.toPrimitive](): never {
    throw new ArgumentError('a wengert vector handle is not a number: use .at(i) or the ops');
  }
}

/** What ops accept: a handle or a plain number (a constant). */
export type Operand = Scalar | number;
