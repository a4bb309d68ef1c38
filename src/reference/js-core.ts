/** @file The pure-JS tape: the same rows, slots and op table as the wasm core, in typed arrays.
 *  It is the baseline of every benchmark, the oracle of the tests, and the fallback where
 *  WebAssembly is unavailable. Growth copies (typed arrays cannot grow in place). */
import { Op, evaluate } from '../../assembly/shared/ops.js';
import { paramRows, vectorOutputs } from '../../assembly/shared/vector.js';
import { bindSlots, bindStored } from '../../assembly/shared/slots.js';
import { bindRows } from '../../assembly/shared/rows.js';
import { forwardRows, reverseRows, locateRow, locatedEnd } from './walk.generated.js';
import type { Snapshot, TapeCore, Tangents } from '../core.js';
import { OutOfMemoryError, staleTapeError, tracingReadError } from '../errors.js';
import { JsTangents } from './js-higher.js';
import { RecentConstants } from '../recent-constants.js';
import { paramNamesSlot } from '../param-rows.js';

/** Slot 0 is the sink: value 0, adjoint never read. */
const SINK = 0;

/** Columns shared by every recording of one JS tape (reset keeps them). */
export class JsStorage {
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  val: Float64Array;
  adj: Float64Array;
  rows = 0;
  slots = 1;
  dirty = false;
  /** The stored-partials buffer (two per slot) when the tape uses that sweep design. */
  stored: Float64Array | undefined;

  constructor(
    capacity: number,
    readonly maxBytes: number,
  ) {
    this.op = new Uint8Array(capacity);
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
    // One more slot than rows: slot 0 is the sink.
    this.val = new Float64Array(capacity + 1);
    this.adj = new Float64Array(capacity + 1);
  }

  bytes(): number {
    return this.op.length * 9 + this.val.length * 16 + (this.stored?.length ?? 0) * 8;
  }

  /** Room for `rows` more rows and `slots` more slots, doubling (and copying) as needed. */
  ensure(rows: number, slots: number): void {
    if (this.rows + rows > this.op.length) {
      const n = grownLength(this.op.length, this.rows + rows);
      this.checkLimit(n * 9 + this.val.length * 16);
      this.op = copyInto(new Uint8Array(n), this.op);
      this.a = copyInto(new Int32Array(n), this.a);
      this.b = copyInto(new Int32Array(n), this.b);
    }
    if (this.slots + slots > this.val.length) {
      const n = grownLength(this.val.length, this.slots + slots);
      this.checkLimit(this.op.length * 9 + n * 16);
      this.val = copyInto(new Float64Array(n), this.val);
      this.adj = copyInto(new Float64Array(n), this.adj);
    }
  }

  private checkLimit(bytes: number): void {
    if (bytes > this.maxBytes) {
      throw new OutOfMemoryError(
        `the tape reached its limit of ${this.maxBytes} bytes (maxBytes option; it holds ${this.bytes()}). ` +
          'Raise maxBytes, record fewer nodes, or reset() the tape. The tape is unchanged.',
      );
    }
  }
}

function grownLength(current: number, needed: number): number {
  let n = Math.max(current * 2, 64);
  while (n < needed) n *= 2;
  return n;
}

function copyInto<T extends Uint8Array | Int32Array | Float64Array>(fresh: T, old: T): T {
  fresh.set(old as never);
  return fresh;
}

export interface JsTapeOptions {
  reserve?: number;
  maxBytes?: number;
}

export class JsCore implements TapeCore {
  readonly backend = 'js' as const;
  readonly tape = -1;
  live = true;
  tracing = false;
  readonly sink = SINK;
  readonly recentConstants = new RecentConstants();

  private constructor(private readonly s: JsStorage) {}

  static create(options: JsTapeOptions = {}): JsCore {
    const maxBytes = options.maxBytes ?? Infinity;
    const capacity = Math.max(64, options.reserve ?? 4096);
    if (capacity * 25 > maxBytes) {
      throw new OutOfMemoryError(`a tape of ${capacity} rows needs ${capacity * 25} bytes, over maxBytes ${maxBytes}: raise maxBytes or reserve fewer rows`);
    }
    return new JsCore(new JsStorage(capacity, maxBytes));
  }

  /** Points the shared row walk at this tape's columns. */
  private bind(): JsStorage {
    const s = this.s;
    bindRows(s.op, s.a, s.b);
    bindSlots(s.val, s.adj);
    if (s.stored !== undefined) bindStored(s.stored);
    return s;
  }

  op2(op: number, a: number, b: number): number {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    if (s.rows >= s.op.length || s.slots >= s.val.length) s.ensure(1, 1);
    const r = s.rows++;
    const y = s.slots++;
    s.op[r] = op;
    s.a[r] = a;
    s.b[r] = b;
    s.val[y] = evaluate(op, s.val[a], s.val[b]);
    return y;
  }

  opConstant(op: number, a: number, value: number, constantFirst: boolean): number {
    const c = this.constant(value);
    return constantFirst ? this.op2(op, c, a) : this.op2(op, a, c);
  }

  where(c: number, a: number, b: number): number {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    s.ensure(2, 1);
    s.op[s.rows] = Op.Param;
    s.a[s.rows] = c;
    s.b[s.rows++] = SINK;
    s.op[s.rows] = Op.Where;
    s.a[s.rows] = a;
    s.b[s.rows++] = b;
    const y = s.slots++;
    s.val[y] = evaluate(Op.Where, s.val[a], s.val[b], s.val[c]);
    return y;
  }

  vector(op: number, p1a: number, p1b: number, p2a: number, p2b: number, a: number, b: number): number {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const params = paramRows(op);
    const count = vectorOutputs(op, p1a, p2a);
    s.ensure(params + 1, count);
    const first = s.rows;
    if (params === 2) this.row(Op.Param, p2a, p2b);
    this.row(Op.Param, p1a, p1b);
    this.row(op, a, b);
    const start = s.slots;
    s.slots += count;
    this.bind();
    forwardRows(first, s.rows, start, false);
    return start;
  }

  custom(rule: number, args: ArrayLike<number>, output: number | Float64Array): number {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const count = typeof output === 'number' ? 1 : output.length;
    const argc = args.length / 2;
    s.ensure(argc + 3, count);
    for (let i = 0; i < argc; i++) this.row(Op.Param, args[2 * i], args[2 * i + 1]);
    this.row(Op.Param, rule, 0);
    this.row(Op.Param, typeof output === 'number' ? -1 : count, argc);
    this.row(Op.Custom, SINK, SINK);
    const start = s.slots;
    s.slots += count;
    if (typeof output === 'number') s.val[start] = output;
    else s.val.set(output, start);
    s.adj.fill(0, start, start + count);
    return start;
  }

  flush(): void {
    // The JS tape evaluates each row as it records it.
  }

  storePartials(): void {
    this.s.stored = new Float64Array(2 * this.s.val.length);
  }

  zeroAdjoints(): void {
    const s = this.s;
    s.adj.fill(0, 0, s.slots);
    s.dirty = false;
  }

  tangents(): Tangents {
    if (!this.live) throw staleTapeError();
    return new JsTangents(this.s);
  }

  reserve(rows: number, slots: number): void {
    if (!this.live) throw staleTapeError();
    this.s.ensure(rows, slots);
  }

  constants(values: ArrayLike<number>): number {
    if (values.length >= 2) return this.constantRow(values);
    const start = this.inputs(values);
    for (let r = this.s.rows - values.length; r < this.s.rows; r++) this.s.op[r] = Op.Const;
    return start;
  }

  constantRow(values: ArrayLike<number>): number {
    const start = this.vector(Op.VecConst, values.length, 0, 0, 0, SINK, SINK);
    for (let i = 0; i < values.length; i++) this.s.val[start + i] = values[i];
    return start;
  }

  private row(op: number, a: number, b: number): void {
    const s = this.s;
    s.op[s.rows] = op;
    s.a[s.rows] = a;
    s.b[s.rows++] = b;
  }

  constant(value: number): number {
    return this.leaf(Op.Const, value);
  }

  input(value: number): number {
    return this.leaf(Op.Input, value);
  }

  private leaf(op: number, value: number): number {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    if (s.rows >= s.op.length || s.slots >= s.val.length) s.ensure(1, 1);
    const r = s.rows++;
    s.op[r] = op;
    s.a[r] = SINK;
    s.b[r] = SINK;
    s.val[s.slots] = value;
    return s.slots++;
  }

  inputs(values: ArrayLike<number>): number {
    if (values.length >= 2) {
      const start = this.vector(Op.VecInput, values.length, 0, 0, 0, SINK, SINK);
      this.s.val.set(values, start);
      return start;
    }
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const n = values.length;
    s.ensure(n, n);
    const start = s.slots;
    for (let i = 0; i < n; i++) {
      s.op[s.rows] = Op.Input;
      s.a[s.rows] = SINK;
      s.b[s.rows++] = SINK;
      s.val[s.slots++] = values[i];
    }
    return start;
  }

  value(id: number): number {
    if (!this.live) throw staleTapeError();
    if (this.tracing) throw tracingReadError();
    return this.s.val[id];
  }

  setValue(id: number, value: number): void {
    this.s.val[id] = value;
  }

  writeValues(start: number, values: ArrayLike<number>, from = 0, count = values.length - from): void {
    const val = this.s.val;
    if (from === 0 && count === values.length) val.set(values, start);
    else for (let k = 0; k < count; k++) val[start + k] = values[from + k];
  }

  setAdjoint(id: number, value: number): void {
    this.s.adj[id] = value;
  }

  /** The shared forward walk over the whole tape (slot 0 is the sink; rows write from slot 1). */
  forward(): void {
    if (!this.live) throw staleTapeError();
    const s = this.bind();
    forwardRows(0, s.rows, 1, s.stored !== undefined);
    s.dirty = false;
  }

  snapshot(): Snapshot {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const rel = (id: number) => id - 1; // slot 0 is the sink → −1
    const a = new Int32Array(s.rows);
    const b = new Int32Array(s.rows);
    for (let r = 0; r < s.rows; r++) {
      // A Param row carries integers, except the condition slot of a Where or VecSelect and a Custom row's
      // arguments (first slot; the length stays in b).
      const isParam = s.op[r] === Op.Param;
      const namesSlot = isParam && paramNamesSlot((k) => s.op[k], r, s.rows);
      const whereCond = namesSlot && s.op[r + 1] === Op.Where;
      a[r] = !isParam || namesSlot ? rel(s.a[r]) : s.a[r];
      b[r] = !isParam ? rel(s.b[r]) : whereCond ? -1 : s.b[r];
    }
    return { op: s.op.slice(0, s.rows), a, b, values: s.val.slice(1, s.slots), relative: (id) => (id >= 1 && id < s.slots ? id - 1 : id === SINK ? -1 : -2) };
  }

  adjoint(id: number): number {
    if (!this.live) throw staleTapeError();
    return this.s.adj[id];
  }

  valuesView(start: number, count: number): Float64Array {
    if (!this.live) throw staleTapeError();
    if (this.tracing) throw tracingReadError();
    return this.s.val.subarray(start, start + count);
  }

  adjointsView(start: number, count: number): Float64Array {
    if (!this.live) throw staleTapeError();
    return this.s.adj.subarray(start, start + count);
  }

  readAdjoints(start: number, count: number, out: Float64Array, offset: number): void {
    out.set(this.s.adj.subarray(start, start + count), offset);
  }

  /** Seeds the output, then reverseFrom. */
  backward(output: number): void {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    if (s.dirty) s.adj.fill(0, 0, s.slots);
    s.adj[output] = 1;
    this.reverseFrom(output);
  }

  /** The shared reverse walk from the row that wrote `output`: rows after it cannot influence it. */
  reverseFrom(output: number): void {
    if (!this.live) throw staleTapeError();
    const s = this.bind();
    s.dirty = true;
    const r = locateRow(s.rows - 1, s.slots, output);
    reverseRows(r, locatedEnd, s.stored !== undefined);
  }

  stats(): { rows: number; slots: number; bytes: number } {
    return { rows: this.s.rows, slots: this.s.slots - 1, bytes: this.s.bytes() };
  }

  reset(): TapeCore {
    if (!this.live) throw staleTapeError();
    this.live = false;
    const s = this.s;
    s.adj.fill(0, 0, s.slots);
    s.rows = 0;
    s.slots = 1;
    s.dirty = false;
    return new JsCore(s);
  }

  dispose(): void {
    this.live = false;
  }
}
