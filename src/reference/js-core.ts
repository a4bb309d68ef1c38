/** @file The pure-JS tape: the same rows, slots and op table as the wasm core, in typed arrays.
 *  It is the baseline of every benchmark, the oracle of the tests, and the fallback where
 *  WebAssembly is unavailable. Growth copies (typed arrays cannot grow in place). */
import { Op, evaluate, partials, partialA, partialB, isTrue } from '../../assembly/shared/ops.js';
import { paramRows, vectorForward, vectorOutputs, vectorReverse } from '../../assembly/shared/vector.js';
import { bindSlots } from '../../assembly/shared/slots.js';
import type { Snapshot, TapeCore } from '../core.js';
import { Scalar } from '../handles.js';
import { OutOfMemoryError, staleTapeError, tracingReadError } from '../errors.js';

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
    return this.op.length * 9 + this.val.length * 16;
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
  live = true;
  tracing = false;
  readonly sink = SINK;

  private constructor(private readonly s: JsStorage) {}

  static create(options: JsTapeOptions = {}): JsCore {
    const maxBytes = options.maxBytes ?? Infinity;
    const capacity = Math.max(64, options.reserve ?? 4096);
    if (capacity * 25 > maxBytes) {
      throw new OutOfMemoryError(`a tape of ${capacity} rows needs ${capacity * 25} bytes, over maxBytes ${maxBytes}: raise maxBytes or reserve fewer rows`);
    }
    return new JsCore(new JsStorage(capacity, maxBytes));
  }

  /** The columns, for the higher-order sweeps in src/reference/. */
  get storage(): JsStorage {
    return this.s;
  }

  op2(op: number, a: number, b: number): Scalar {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    if (s.rows >= s.op.length || s.slots >= s.val.length) s.ensure(1, 1);
    const r = s.rows++;
    const y = s.slots++;
    s.op[r] = op;
    s.a[r] = a;
    s.b[r] = b;
    s.val[y] = evaluate(op, s.val[a], s.val[b]);
    return new Scalar(this, y);
  }

  opConstant(op: number, a: number, value: number, constantFirst: boolean): Scalar {
    const c = this.constant(value);
    return constantFirst ? this.op2(op, c, a) : this.op2(op, a, c);
  }

  where(c: number, a: number, b: number): Scalar {
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
    s.val[y] = isTrue(s.val[c]) ? s.val[a] : s.val[b];
    return new Scalar(this, y);
  }

  vector(op: number, p1a: number, p1b: number, p2a: number, p2b: number, a: number, b: number): number {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const params = paramRows(op);
    const count = vectorOutputs(op, p1a, p2a);
    s.ensure(params + 1, count);
    if (params === 2) this.row(Op.Param, p2a, p2b);
    this.row(Op.Param, p1a, p1b);
    this.row(op, a, b);
    const start = s.slots;
    s.slots += count;
    bindSlots(s.val, s.adj);
    vectorForward(op, p1a, p1b, p2a, p2b, a, b, start);
    return start;
  }

  flush(): void {
    // The JS tape evaluates each row as it records it.
  }

  storePartials(): void {
    // The pure-JS tape always recomputes partials: it is the oracle, kept simple.
  }

  reserve(rows: number, slots: number): void {
    if (!this.live) throw staleTapeError();
    this.s.ensure(rows, slots);
  }

  constants(values: ArrayLike<number>): number {
    const start = this.inputs(values);
    for (let r = this.s.rows - values.length; r < this.s.rows; r++) this.s.op[r] = Op.Const;
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

  writeValues(start: number, values: ArrayLike<number>): void {
    this.s.val.set(values, start);
  }

  setAdjoint(id: number, value: number): void {
    this.s.adj[id] = value;
  }

  /** Mirrors assembly/sweeps.ts `forward`. */
  forward(): void {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const { op: ops, a: as, b: bs, val, adj } = s;
    let slot = 1;
    for (let r = 0; r < s.rows; r++) {
      const op = ops[r];
      if (op <= Op.Input) {
        if (op !== Op.Param) adj[slot++] = 0;
        continue;
      }
      if (op >= Op.VecMap) {
        slot = vectorRow(vectorForward, ops, as, bs, r, slot, val, adj);
        continue;
      }
      const x = val[as[r]];
      const w = val[bs[r]];
      val[slot] = op === Op.Where ? (isTrue(val[as[r - 1]]) ? x : w) : evaluate(op, x, w);
      adj[slot++] = 0;
    }
    s.dirty = false;
  }

  snapshot(): Snapshot {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const rel = (id: number) => id - 1; // slot 0 is the sink → −1
    const a = new Int32Array(s.rows);
    const b = new Int32Array(s.rows);
    for (let r = 0; r < s.rows; r++) {
      // A Param row carries integers, except the condition slot of a Where.
      const isParam = s.op[r] === Op.Param;
      const whereCond = isParam && s.op[r + 1] === Op.Where;
      a[r] = !isParam || whereCond ? rel(s.a[r]) : s.a[r];
      b[r] = !isParam ? rel(s.b[r]) : whereCond ? -1 : s.b[r];
    }
    return { op: s.op.slice(0, s.rows), a, b, values: s.val.slice(1, s.slots), relative: (id) => (id >= 1 && id < s.slots ? id - 1 : id === SINK ? -1 : -2) };
  }

  adjoint(id: number): number {
    if (!this.live) throw staleTapeError();
    return this.s.adj[id];
  }

  readAdjoints(start: number, count: number, out: Float64Array, offset: number): void {
    out.set(this.s.adj.subarray(start, start + count), offset);
  }

  /** Mirrors assembly/sweeps.ts `backward`: skip rows after the output, then accumulate. */
  backward(output: number): void {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    if (s.dirty) s.adj.fill(0, 0, s.slots);
    s.adj[output] = 1;
    this.reverseFrom(output);
  }

  /** Mirrors assembly/sweeps.ts `reverseFrom`: skip rows after `output`, then accumulate. */
  reverseFrom(output: number): void {
    if (!this.live) throw staleTapeError();
    const s = this.s;
    const { op: ops, a: as, b: bs, val, adj } = s;
    s.dirty = true;
    let r = locateRow(s, output);
    let slot = locatedEnd;
    for (; r >= 0; r--) {
      const op = ops[r];
      if (op <= Op.Input) {
        if (op !== Op.Param) slot--;
        continue;
      }
      if (op >= Op.VecMap) {
        slot -= rowSlots(ops, as, r);
        vectorRow(vectorReverse, ops, as, bs, r, slot, val, adj);
        continue;
      }
      const y = --slot;
      const g = adj[y];
      if (g === 0) continue; // as assembly/sweeps.ts: no 0·∞ from rows nothing depends on
      const pa = as[r];
      const pb = bs[r];
      let da: number, db: number;
      if (op === Op.Where) {
        da = isTrue(val[as[r - 1]]) ? 1 : 0;
        db = 1 - da;
      } else {
        partials(op, val[pa], val[pb], val[y]);
        da = partialA;
        db = partialB;
      }
      adj[pa] += g * da;
      adj[pb] += g * db;
    }
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

/** A vector row's integers from its Param rows (assembly/shared/vector.ts). */
export function rowParams(ops: Uint8Array, as: Int32Array, bs: Int32Array, r: number): [number, number, number, number] {
  const matmul = ops[r] === Op.MatMul;
  return [as[r - 1], bs[r - 1], matmul ? as[r - 2] : 0, matmul ? bs[r - 2] : 0];
}

/** The slot after the row `locateRow` found. */
export let locatedEnd = 0;

/** The row that wrote slot `output` (sets `locatedEnd`); as assembly/rows.ts `locateRow`. */
export function locateRow(s: JsStorage, output: number): number {
  const { op: ops, a: as } = s;
  let slot = s.slots;
  let r = s.rows - 1;
  for (; r >= 0; r--) {
    if (ops[r] === Op.Param) continue;
    const start = slot - rowSlots(ops, as, r);
    if (start <= output) break;
    slot = start;
  }
  locatedEnd = slot;
  return r;
}

/** Slots row r writes (1 for scalar rows). */
export function rowSlots(ops: Uint8Array, as: Int32Array, r: number): number {
  const op = ops[r];
  if (op < Op.VecMap) return 1;
  return vectorOutputs(op, as[r - 1], op === Op.MatMul ? as[r - 2] : 0);
}

type Kernel = typeof vectorForward;

/** Runs a vector row's kernel (forward or reverse) on the slots from `slot`; returns the slot
 *  after them. Forward also zeroes their adjoints, as the scalar rows do. */
function vectorRow(kernel: Kernel, ops: Uint8Array, as: Int32Array, bs: Int32Array, r: number, slot: number, val: Float64Array, adj: Float64Array): number {
  const op = ops[r];
  const matmul = op === Op.MatMul;
  const count = vectorOutputs(op, as[r - 1], matmul ? as[r - 2] : 0);
  bindSlots(val, adj);
  kernel(op, as[r - 1], bs[r - 1], matmul ? as[r - 2] : 0, matmul ? bs[r - 2] : 0, as[r], bs[r], slot);
  if (kernel === vectorForward) adj.fill(0, slot, slot + count);
  return slot + count;
}
