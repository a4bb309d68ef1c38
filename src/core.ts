/** @file The contract between the facade and a backend's recording (wasm or pure JS): the only
 *  door between them. Slot ids are plain integers; the facade wraps them in handles. */
import type { RecentConstants } from './recent-constants.js';

/** One recording on one tape. Tape.reset() retires it and starts a new one, so handles from
 *  before the reset fail `live` instead of reading someone else's slots. */
export interface TapeCore {
  readonly backend: 'wasm' | 'js';
  /** The wasm tape header's address in the core's memory (−1 on the JS tape): generated code
   *  hands the rows it does not generate back to the core's interpreter for this tape. */
  readonly tape: number;
  /** False once the tape was reset or disposed. */
  live: boolean;
  /** Set while compile() traces: reading a value would freeze a branch, so it throws. */
  tracing: boolean;
  /** Records y = op(a, b) (b = the sink for unary ops) and returns y's slot id. */
  op2(op: number, a: number, b: number): number;
  /** Records a vector row (assembly/shared/vector.ts) and returns its first output slot id. */
  vector(op: number, p1a: number, p1b: number, p2a: number, p2b: number, a: number, b: number): number;
  /** Records a Custom row (src/custom/) of host rule `rule` over the argument runs `args` (pairs:
   *  first slot, then the length or −1 for a number) with its output already computed (the facade
   *  needs its shape first); returns the first output slot id. */
  custom(rule: number, args: ArrayLike<number>, output: number | Float64Array): number;
  /** Makes room so the next rows (up to `rows` rows, `slots` slots) land in one segment. */
  reserve(rows: number, slots: number): void;
  /** Slot id of the first of `values.length` contiguous new constants (one VecConst row for two
   *  or more, as `constantRow`; a Const row for one). */
  constants(values: ArrayLike<number>): number;
  /** Records `values` as constants in one VecConst row, whatever their number; returns the first
   *  slot id. */
  constantRow(values: ArrayLike<number>): number;
  /** Constants recorded for number operands, reused by the ops while this recording lasts. */
  readonly recentConstants: RecentConstants;
  /** Records a constant and y = op(a, constant), or op(constant, a) when `constantFirst`, in
   *  consecutive slots; returns y's slot id (the constant's is one less). */
  opConstant(op: number, a: number, value: number, constantFirst: boolean): number;
  /** Records where(c, a, b) and returns its slot id. */
  where(c: number, a: number, b: number): number;
  /** Slot id of a new constant. */
  constant(value: number): number;
  /** Slot id of a new input. */
  input(value: number): number;
  /** Slot id of the first of `values.length` contiguous new inputs: one VecInput row for two or
   *  more (a vector argument enters as one row, its values copied with one `set()`), an Input
   *  row for one. */
  inputs(values: ArrayLike<number>): number;
  value(id: number): number;
  adjoint(id: number): number;
  /** Copies `count` adjoints from slot `start` on into out[offset…]. */
  readAdjoints(start: number, count: number, out: Float64Array, offset: number): void;
  /** The values of slots start…start+count−1 as a Float64Array over the tape's own memory (no
   *  copy), valid until the tape next records, replays or is reset. */
  valuesView(start: number, count: number): Float64Array;
  /** The adjoints of slots start…start+count−1, likewise. */
  adjointsView(start: number, count: number): Float64Array;
  backward(output: number): void;
  /** Recomputes every value from the inputs' current values; zeroes every adjoint. */
  forward(): void;
  /** Reverse sweep from the row that wrote `last`, with adjoints the caller seeded. */
  reverseFrom(last: number): void;
  setValue(id: number, value: number): void;
  /** Writes values[from…from+count−1] (default: all of values) into the slots from `start` on. */
  writeValues(start: number, values: ArrayLike<number>, from?: number, count?: number): void;
  setAdjoint(id: number, value: number): void;
  /** Sets every adjoint to 0 (between reverse sweeps from one forward sweep). */
  zeroAdjoints(): void;
  /** Tangent storage and the higher-order sweeps for this (compiled, one-segment) tape. */
  tangents(): Tangents;
  /** The rows in recording order with operands as relative slot indices (−1: none). */
  snapshot(): Snapshot;
  /** The sink slot: the b-operand of unary rows. */
  readonly sink: number;
  /** Rows, slots and bytes held. */
  stats(): { rows: number; slots: number; bytes: number };
  /** Switches a compiled (single-segment) tape to the stored-partials sweeps: forward writes
   *  each row's partials, reverse reads them (16 more bytes per slot). No-op on the JS tape. */
  storePartials(): void;
  /** Completes whatever the recording deferred (the wasm tape evaluates rows lazily), so the
   *  tape's memory can be read or swept directly. */
  flush(): void;
  /** Retires this recording and returns a fresh one on the same storage. */
  reset(): TapeCore;
  dispose(): void;
}

/** A backend-neutral copy of a recording: what toBytes, toString and toDot read. Slots are
 *  numbered 0… in recording order; `relative` maps a slot id of the recording to that number. */
export interface Snapshot {
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  values: Float64Array;
  relative(id: number): number;
}

/** Per slot of a compiled tape: the tangent of its value and the tangent of its adjoint. */
export interface Tangents {
  /** Writes values[i] as the tangent of slot start + i (the inputs' direction). */
  writeTangents(start: number, values: ArrayLike<number>): void;
  setTangent(id: number, value: number): void;
  tangent(id: number): number;
  /** out[at[q]] = the tangent of slot ids[q], for q in from…to−1 (a sparse Jacobian's colour). */
  scatterTangents(ids: Int32Array, at: Int32Array, from: number, to: number, out: Float64Array): void;
  /** Seeds the tangent of slot id's adjoint (after `forward`, before `reverse`). */
  setAdjointTangent(id: number, value: number): void;
  /** Copies the adjoint tangents of slots start…start+count−1 into out[offset…]. */
  readAdjointTangents(start: number, count: number, out: Float64Array, offset: number): void;
  /** Values (unless `values` is false: the stored ones are kept) and tangents of every row from
   *  the inputs' tangents; with `thenReverse`, zeroes every adjoint and adjoint tangent for
   *  `reverse` (a JVP alone leaves the adjoints as they were). */
  forward(values: boolean, thenReverse: boolean): void;
  /** Adjoints and their tangents from the seeded output `last` back to the inputs. */
  reverse(last: number): void;
  dispose(): void;
}
