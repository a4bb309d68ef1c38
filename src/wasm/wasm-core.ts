/** @file The wasm backend: a recording on a tape that lives in wasm linear memory. */
import { Op } from '../../assembly/shared/ops.js';
import { paramRows, vectorOutputs } from '../../assembly/shared/vector.js';
import type { Snapshot, TapeCore, Tangents } from '../core.js';
import { OutOfMemoryError, WengertError, staleTapeError, tracingReadError } from '../errors.js';
import { core, views, refreshViews, wasmAvailable, SINK_SLOT, OUT_OF_MEMORY } from './instance.js';
import { WasmTangents } from './wasm-tangents.js';
import { RecentConstants } from '../recent-constants.js';
import { paramNamesSlot } from '../param-rows.js';

/** What one wasm tape holds in the allocator: its header (and segments) and, on compiled
 *  tapes, a stored-partials buffer. */
interface TapeBlocks {
  tape: number;
  partials: number;
  partialsBytes: number;
  released: boolean;
}

function release(blocks: TapeBlocks): void {
  if (blocks.released) return;
  blocks.released = true;
  core.tapeDispose(blocks.tape);
  if (blocks.partials !== 0) core.releaseBlock(blocks.partials, blocks.partialsBytes);
}

/** Shared by every recording of one tape (reset() makes a new recording over the same memory),
 *  and reachable from each of their handles: when nothing can reach it any more, neither the
 *  Tape nor a handle, the tape's memory goes back to the allocator. */
class TapeMemory {
  constructor(readonly blocks: TapeBlocks) {}
}

/** Runs at most this long are copied element by element (writeValues, readAdjoints): a set()
 *  call, and the subarray it reads from, cost more than the copy itself. */
const SHORT_RUN = 32;

const forgotten = new FinalizationRegistry<TapeBlocks>(release);

/** The facade reads and writes a segment's values (and adjoints) as one run of doubles each,
 *  views included: checked once against the layout the core states (assembly/layout.ts). */
function checkSlotsAreRuns(): void {
  if (wasmAvailable && core.slotStride() !== 8) throw new WengertError('wengert: this wasm core does not keep a segment\'s values as one run of doubles; rebuild it (npm run build)');
}
checkSlotsAreRuns();

export interface WasmTapeOptions {
  /** Rows to hold before the first growth. */
  reserve?: number;
  /** Ceiling on the bytes this tape may hold. */
  maxBytes?: number;
}

/** A recording on a wasm tape. Rows are written by JS straight into the current segment's
 *  columns (a JS→wasm call per op cost 21 vs 11 ns with its handle, measured), at the addresses
 *  the core gives, and evaluated by the core when anything reads the tape (its entry points
 *  flush first). The row and slot counters live in the segment header, read and written here
 *  through the i32 view: the core and this class share one copy. */
export class WasmCore implements TapeCore {
  readonly backend = 'wasm' as const;
  live = true;
  tracing = false;
  readonly sink = SINK_SLOT;
  readonly recentConstants = new RecentConstants();
  // The current segment, as the core describes it: capacity, column indices into the u8/i32
  // views, its counters' i32 indices, and the id and f64 indices of its first slot (slots of a
  // segment are consecutive ids, evenly spaced: assembly/facade.ts).
  private capacity = 0;
  // The segment's row count while JS records: op2, the hot path, bumps this field alone and
  // `publish` writes it (and the slot count) to the header before anything asks the core.
  private rows = 0;
  // The slot id op2's row r gets: r + slotBase (the segment's slots run ahead of its rows by a
  // fixed lead while only op2 records).
  private slotBase = 0;
  // op2's bound on r: room for one row and one slot while the recording is live, 0 once it is
  // retired, so its one check is also its staleness check (`reserve`, its slow path, tells which).
  private room = 0;
  private opAt = 0;
  private aAt = 0;
  private bAt = 0;
  private rowsAt = 0;
  private slotsAt = 0;
  private evaluatedAt = 0;
  private evaluatedSlotsAt = 0;
  private firstSlot = 0;
  private firstValue = 0;
  private firstAdjoint = 0;

  /** The tape header's address in wasm memory. */
  readonly tape: number;

  private constructor(
    private readonly memory: TapeMemory,
    private readonly maxBytes: number,
  ) {
    this.tape = memory.blocks.tape;
    this.locate();
  }

  static create(options: WasmTapeOptions = {}): WasmCore {
    const maxBytes = options.maxBytes ?? Infinity;
    const tape = core.tapeCreate(Math.max(64, Math.min(options.reserve ?? 4096, 2 ** 26)), maxBytes);
    refreshViews();
    if (tape === 0) throw outOfMemory(Number.isFinite(maxBytes) ? 'tape' : 'memory', maxBytes, 0);
    const memory = new TapeMemory({ tape, partials: 0, partialsBytes: 0, released: false });
    forgotten.register(memory, memory.blocks, memory);
    return new WasmCore(memory, maxBytes);
  }

  /** Asks the core where the current segment's columns and counters are. */
  private locate(): void {
    // Addresses past 2 GiB come back negative from wasm: read them unsigned (>>> 0, >>>).
    const seg = core.currentSegment(this.tape) >>> 0;
    this.capacity = core.segmentCapacity(seg);
    this.opAt = core.segmentOpColumn(seg) >>> 0;
    this.aAt = core.segmentAColumn(seg) >>> 2;
    this.bAt = core.segmentBColumn(seg) >>> 2;
    this.rowsAt = core.segmentRowsField(seg) >>> 2;
    this.slotsAt = core.segmentSlotsField(seg) >>> 2;
    this.evaluatedAt = core.segmentEvaluatedField(seg) >>> 2;
    this.evaluatedSlotsAt = core.segmentEvaluatedSlotsField(seg) >>> 2;
    this.firstSlot = core.segmentFirstSlot(seg);
    this.firstValue = (core.slotValueAddress(this.firstSlot) >>> 0) / 8;
    this.firstAdjoint = (core.slotAdjointAddress(this.firstSlot) >>> 0) / 8;
    this.advance(views.i32[this.rowsAt], views.i32[this.slotsAt]);
  }

  /** The segment's slot count (rows and slots recorded in it so far). */
  private get slots(): number {
    return this.rows + this.slotBase - this.firstSlot;
  }

  /** Sets both counters (on the JS side: `publish` writes them to the header). */
  private advance(rows: number, slots: number): void {
    this.rows = rows;
    this.slotBase = this.firstSlot + slots - rows;
    this.room = this.live ? this.capacity - Math.max(0, slots - rows) : 0;
  }

  /** Writes the counters to the segment header, the copy the core reads: before every call
   *  into the core about this tape. */
  private publish(): void {
    const i32 = views.i32;
    i32[this.rowsAt] = this.rows;
    i32[this.slotsAt] = this.slots;
  }

  /** Evaluates the rows recorded since the core last did (they wait in the current segment). */
  flush(): void {
    this.publish();
    if (views.i32[this.evaluatedAt] !== this.rows) core.flush(this.tape);
  }

  /** f64 index of slot id's value: from the current segment's first slot, else the core's word. */
  private valueIndex(id: number): number {
    const k = id - this.firstSlot;
    return k >= 0 && k < this.capacity ? this.firstValue + k : (core.slotValueAddress(id) >>> 0) / 8;
  }

  private adjointIndex(id: number): number {
    const k = id - this.firstSlot;
    return k >= 0 && k < this.capacity ? this.firstAdjoint + k : (core.slotAdjointAddress(id) >>> 0) / 8;
  }

  /** The hot path of scalar code, kept small (in bytecode: it reads no counter from memory and
   *  writes none) so that V8 inlines it, and the op around it, into the user's function. */
  op2(op: number, a: number, b: number): number {
    if (this.rows >= this.room) this.reserve(1, 1);
    const r = this.rows;
    const v = views;
    v.u8[this.opAt + r] = op;
    const i32 = v.i32;
    i32[this.aAt + r] = a;
    i32[this.bAt + r] = b;
    this.rows = r + 1;
    return r + this.slotBase;
  }

  opConstant(op: number, a: number, value: number, constantFirst: boolean): number {
    const r = this.rows;
    const s = this.slots;
    if (!this.live || r + 2 > this.capacity || s + 2 > this.capacity) {
      this.reserve(2, 2);
      return this.opConstant(op, a, value, constantFirst);
    }
    const c = this.firstSlot + s;
    views.f64[this.firstValue + s] = value;
    // The two rows written here, not through writeRow: V8 did not inline it (a call per row).
    const u8 = views.u8, i32 = views.i32, at = this.aAt + r, bt = this.bAt + r;
    u8[this.opAt + r] = Op.Const;
    u8[this.opAt + r + 1] = op;
    i32[at] = SINK_SLOT;
    i32[bt] = SINK_SLOT;
    i32[at + 1] = constantFirst ? c : a;
    i32[bt + 1] = constantFirst ? a : c;
    this.advance(r + 2, s + 2);
    return c + 1;
  }

  where(c: number, a: number, b: number): number {
    const r = this.rows;
    const s = this.slots;
    if (!this.live || r + 2 > this.capacity || s + 1 > this.capacity) {
      this.reserve(2, 1);
      return this.where(c, a, b);
    }
    this.writeRow(r, Op.Param, c, SINK_SLOT);
    this.writeRow(r + 1, Op.Where, a, b);
    this.advance(r + 2, s + 1);
    return this.firstSlot + s;
  }

  vector(op: number, p1a: number, p1b: number, p2a: number, p2b: number, a: number, b: number): number {
    if (!this.live) throw staleTapeError();
    // The SIMD matmul packs into scratch that must exist before any sweep runs the row.
    if (op === Op.MatMul) {
      const status = core.ensureScratch(core.matmulScratchBytes(p1a, p1b, p2a));
      refreshViews();
      if (status < 0) throw outOfMemory('memory', this.maxBytes, this.stats().bytes);
    }
    const params = paramRows(op);
    const count = vectorOutputs(op, p1a, p2a);
    if (this.rows + params + 1 > this.capacity || this.slots + count > this.capacity) this.makeRoom(params + 1, count);
    let r = this.rows;
    const s = this.slots;
    if (params === 2) this.writeRow(r++, Op.Param, p2a, p2b);
    this.writeRow(r++, Op.Param, p1a, p1b);
    this.writeRow(r++, op, a, b);
    this.advance(r, s + count);
    return this.firstSlot + s;
  }

  custom(rule: number, args: ArrayLike<number>, output: number | Float64Array): number {
    if (!this.live) throw staleTapeError();
    const count = typeof output === 'number' ? 1 : output.length;
    const argc = args.length / 2;
    // Everything before it evaluated, so the row's own values (computed by the facade, which
    // needed the output's shape) can be written and the segment marked evaluated past them.
    this.makeRoom(argc + 3, count);
    let r = this.rows;
    const s = this.slots;
    for (let i = 0; i < argc; i++) this.writeRow(r++, Op.Param, args[2 * i], args[2 * i + 1]);
    this.writeRow(r++, Op.Param, rule, 0);
    this.writeRow(r++, Op.Param, typeof output === 'number' ? -1 : count, argc);
    this.writeRow(r++, Op.Custom, this.sink, this.sink);
    this.advance(r, s + count);
    const start = this.firstSlot + s;
    const f64 = views.f64;
    if (typeof output === 'number') f64[this.valueIndex(start)] = output;
    else f64.set(output, this.valueIndex(start));
    f64.fill(0, this.adjointIndex(start), this.adjointIndex(start) + count);
    this.publish();
    const i32 = views.i32;
    i32[this.evaluatedAt] = r;
    i32[this.evaluatedSlotsAt] = s + count;
    return start;
  }

  private writeRow(r: number, op: number, a: number, b: number): void {
    views.u8[this.opAt + r] = op;
    const i32 = views.i32;
    i32[this.aAt + r] = a;
    i32[this.bAt + r] = b;
  }

  constant(value: number): number {
    return this.leaf(Op.Const, value);
  }

  input(value: number): number {
    return this.leaf(Op.Input, value);
  }

  private leaf(op: number, value: number): number {
    const r = this.rows;
    const s = this.slots;
    if (!this.live || r >= this.capacity || s >= this.capacity) {
      this.reserve(1, 1);
      return this.leaf(op, value);
    }
    views.f64[this.firstValue + s] = value;
    this.writeRow(r, op, SINK_SLOT, SINK_SLOT);
    this.advance(r + 1, s + 1);
    return this.firstSlot + s;
  }

  constants(values: ArrayLike<number>): number {
    return values.length < 2 ? this.leaves(Op.Const, values) : this.constantRow(values);
  }

  constantRow(values: ArrayLike<number>): number {
    const start = this.vector(Op.VecConst, values.length, 0, 0, 0, SINK_SLOT, SINK_SLOT);
    this.writeValues(start, values);
    return start;
  }

  inputs(values: ArrayLike<number>): number {
    if (values.length < 2) return this.leaves(Op.Input, values);
    const start = this.vector(Op.VecInput, values.length, 0, 0, 0, SINK_SLOT, SINK_SLOT);
    this.writeValues(start, values);
    return start;
  }

  /** n contiguous leaves through one wasm call (a tight loop there), then their values. */
  private leaves(op: number, values: ArrayLike<number>): number {
    if (!this.live) throw staleTapeError();
    const n = values.length;
    this.publish();
    let start = core.recordLeaves(this.tape, n, op);
    if (start < 0) {
      this.makeRoom(n, n);
      start = core.recordLeaves(this.tape, n, op);
    }
    // The core advanced the counters.
    this.advance(views.i32[this.rowsAt], views.i32[this.slotsAt]);
    this.writeValues(start, values);
    return start;
  }

  /** Also the recording calls' slow path: the recording was retired, or the segment is full. */
  reserve(rows: number, slots: number): void {
    if (!this.live) throw staleTapeError();
    this.makeRoom(rows, slots);
  }

  /** A new segment (the core flushes the current one first), then fresh views if memory grew.
   *  Nothing recorded is lost when this throws: the tape keeps every row it had. */
  private makeRoom(rows: number, slots: number): void {
    this.publish();
    const status = core.makeRoom(this.tape, rows, slots);
    refreshViews();
    this.locate();
    if (status < 0) throw outOfMemory(status === OUT_OF_MEMORY ? 'memory' : 'tape', this.maxBytes, this.stats().bytes);
  }

  value(id: number): number {
    if (!this.live) throw staleTapeError();
    if (this.tracing) throw tracingReadError();
    this.flush();
    return views.f64[this.valueIndex(id)];
  }

  setValue(id: number, value: number): void {
    views.f64[this.valueIndex(id)] = value;
  }

  /** values[from…from+count−1] into the slots from `start` on: one set() where the values are one run. */
  writeValues(start: number, values: ArrayLike<number>, from = 0, count = values.length - from): void {
    const f64 = views.f64;
    const at = this.valueIndex(start);
    if (count > SHORT_RUN && values instanceof Float64Array) f64.set(from === 0 && count === values.length ? values : values.subarray(from, from + count), at);
    else for (let k = 0; k < count; k++) f64[at + k] = values[from + k];
  }

  /** Bytes of wasm memory below the allocator's top: every tape, free blocks included. */
  static memoryInUse(): number {
    return core.heapBytes();
  }

  setAdjoint(id: number, value: number): void {
    views.f64[this.adjointIndex(id)] = value;
  }

  zeroAdjoints(): void {
    if (!this.live) throw staleTapeError();
    this.publish();
    core.zeroAdjoints(this.tape);
  }

  forward(): void {
    if (!this.live) throw staleTapeError();
    this.publish();
    if (this.memory.blocks.partials !== 0) core.forwardStoring(this.tape, this.memory.blocks.partials);
    else core.forward(this.tape);
  }

  reverseFrom(last: number): void {
    if (!this.live) throw staleTapeError();
    this.publish();
    if (this.memory.blocks.partials !== 0) core.reverseStored(this.tape, this.memory.blocks.partials, last);
    else core.reverseFrom(this.tape, last);
  }

  storePartials(): void {
    if (!this.live) throw staleTapeError();
    this.flush();
    const bytes = core.storedBytes(this.tape);
    const block = core.allocateBlock(bytes);
    refreshViews();
    if (block === 0) throw outOfMemory('memory', this.maxBytes, this.stats().bytes);
    this.memory.blocks.partials = block;
    this.memory.blocks.partialsBytes = bytes;
  }

  tangents(): Tangents {
    if (!this.live) throw staleTapeError();
    this.flush();
    if (core.firstSegment(this.tape) >>> 0 !== core.currentSegment(this.tape) >>> 0) {
      throw new OutOfMemoryError(`higher-order derivatives need a compiled tape in one segment (at most 2²⁶ rows); this one has ${this.stats().rows} rows: split the function or use { backend: 'js' }`);
    }
    return WasmTangents.create(this.tape, core.segmentFirstSlot(core.firstSegment(this.tape) >>> 0), this.sink);
  }

  snapshot(): Snapshot {
    if (!this.live) throw staleTapeError();
    this.flush();
    const { i32, u8, f64 } = views;
    const segments: { seg: number; first: number; rows: number; slots: number; offset: number }[] = [];
    let rowTotal = 0;
    let slotTotal = 0;
    const last = core.currentSegment(this.tape) >>> 0;
    for (let seg = core.firstSegment(this.tape) >>> 0; seg !== 0; seg = core.segmentNext(seg) >>> 0) {
      const rows = core.segmentRows(seg);
      const slots = core.segmentSlots(seg);
      segments.push({ seg, first: core.segmentFirstSlot(seg), rows, slots, offset: slotTotal });
      rowTotal += rows;
      slotTotal += slots;
      if (seg === last) break;
    }
    const sink = this.sink;
    const relative = (id: number): number => {
      if (id === sink) return -1;
      for (const g of segments) if (id >= g.first && id < g.first + g.slots) return g.offset + id - g.first;
      return -2;
    };
    const op = new Uint8Array(rowTotal);
    const a = new Int32Array(rowTotal);
    const b = new Int32Array(rowTotal);
    const values = new Float64Array(slotTotal);
    let r = 0;
    for (const g of segments) {
      const ops = core.segmentOpColumn(g.seg) >>> 0;
      const as = core.segmentAColumn(g.seg) >>> 2;
      const bs = core.segmentBColumn(g.seg) >>> 2;
      for (let k = 0; k < g.rows; k++, r++) {
        op[r] = u8[ops + k];
        // A Param row carries integers, except the condition slot of a Where or VecSelect and a Custom row's
        // arguments (first slot; the length stays in b). A row's Param rows share its segment.
        const namesSlot = op[r] === Op.Param && paramNamesSlot((j) => u8[ops + j], k, g.rows);
        const whereCondition = namesSlot && u8[ops + k + 1] === Op.Where;
        const slotOperands = op[r] !== Op.Param || namesSlot;
        a[r] = slotOperands ? relative(i32[as + k]) : i32[as + k];
        b[r] = whereCondition ? -1 : op[r] !== Op.Param ? relative(i32[bs + k]) : i32[bs + k];
      }
      const at = (core.slotValueAddress(g.first) >>> 0) / 8;
      values.set(f64.subarray(at, at + g.slots), g.offset);
    }
    return { op, a, b, values, relative };
  }

  adjoint(id: number): number {
    if (!this.live) throw staleTapeError();
    this.flush();
    return views.f64[this.adjointIndex(id)];
  }

  valuesView(start: number, count: number): Float64Array {
    if (!this.live) throw staleTapeError();
    if (this.tracing) throw tracingReadError();
    this.flush();
    return this.view(this.valueIndex(start), count);
  }

  adjointsView(start: number, count: number): Float64Array {
    if (!this.live) throw staleTapeError();
    this.flush();
    return this.view(this.adjointIndex(start), count);
  }

  /** count doubles from f64 index `at`, over the memory itself: a vector's values (or adjoints)
   *  are one run (assembly/layout.ts). On a shared memory (Node, cross-origin-isolated pages)
   *  growth never detaches it. */
  private view(at: number, count: number): Float64Array {
    refreshViews();
    return new Float64Array(views.f64.buffer, at * 8, count);
  }

  readAdjoints(start: number, count: number, out: Float64Array, offset: number): void {
    this.flush();
    const f64 = views.f64;
    const at = this.adjointIndex(start);
    if (count <= SHORT_RUN) for (let k = 0; k < count; k++) out[offset + k] = f64[at + k];
    else out.set(f64.subarray(at, at + count), offset);
  }

  backward(output: number): void {
    if (!this.live) throw staleTapeError();
    this.publish();
    core.backward(this.tape, output);
  }

  stats(): { rows: number; slots: number; bytes: number } {
    this.publish();
    const bytes = core.tapeHeldBytes(this.tape) + this.memory.blocks.partialsBytes;
    return { rows: core.tapeRows(this.tape), slots: core.tapeSlots(this.tape), bytes };
  }

  reset(): TapeCore {
    if (!this.live) throw staleTapeError();
    this.live = false;
    this.room = 0;
    core.tapeReset(this.tape);
    return new WasmCore(this.memory, this.maxBytes);
  }

  dispose(): void {
    if (!this.live) return;
    this.live = false;
    this.room = 0;
    forgotten.unregister(this.memory);
    release(this.memory.blocks);
  }
}

function outOfMemory(kind: 'tape' | 'memory', maxBytes: number, held: number): OutOfMemoryError {
  if (kind === 'tape') {
    return new OutOfMemoryError(
      `the tape reached its limit of ${maxBytes} bytes (maxBytes option; it holds ${held}). ` +
        'Raise maxBytes, record fewer nodes (vector ops, compile once and replay), or reset() the tape. ' +
        'The tape is unchanged: everything recorded so far is still there.',
    );
  }
  const limit = core.getPageLimit() * 65536;
  return new OutOfMemoryError(
    `WebAssembly memory is exhausted (limit ${limit} bytes; wasm32 cannot exceed 4 GiB). ` +
      'dispose() tapes you no longer need, reset() and reuse a tape, record fewer nodes ' +
      "(vector ops, compile once and replay), or use { backend: 'js' }. " +
      'The tape is unchanged: everything recorded so far is still there.',
  );
}
