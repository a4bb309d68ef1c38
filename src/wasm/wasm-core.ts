/** @file The wasm backend: a recording on a tape that lives in wasm linear memory. */
import { Op } from '../../assembly/shared/ops.js';
import { paramRows, vectorOutputs } from '../../assembly/shared/vector.js';
import type { Snapshot, TapeCore } from '../core.js';
import { Scalar } from '../handles.js';
import { OutOfMemoryError, staleTapeError, tracingReadError } from '../errors.js';
import { core, views, refreshViews, SINK_SLOT, OUT_OF_MEMORY, SEGMENT } from './instance.js';

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

const forgotten = new FinalizationRegistry<TapeBlocks>(release);

export interface WasmTapeOptions {
  /** Rows to hold before the first growth. */
  reserve?: number;
  /** Ceiling on the bytes this tape may hold. */
  maxBytes?: number;
}

/** A recording on a wasm tape. Scalar rows are written by JS straight into the current
 *  segment's columns (a JS→wasm call per op cost 21 vs 11 ns with its handle, measured), and
 *  their values are computed by one forward sweep over the new rows when anything reads the
 *  tape (`flush`). Vector rows and bulk leaves go through wasm after a flush. */
export class WasmCore implements TapeCore {
  readonly backend = 'wasm' as const;
  live = true;
  tracing = false;
  readonly sink = SINK_SLOT;
  // The current segment as JS writes it (assembly/tape.ts diagram): capacity, column indices
  // into the u8/i32 views, the slot id of its first slot, and the rows and slots used.
  private segment = 0;
  private capacity = 0;
  private opAt = 0;
  private aAt = 0;
  private bAt = 0;
  private slotBase = 0;
  private rows = 0;
  private slots = 0;
  /** Rows and slots already evaluated and written back to the segment header. */
  private flushedRows = 0;
  private flushedSlots = 0;

  /** The tape header's address in wasm memory. */
  readonly tape: number;

  private constructor(
    private readonly memory: TapeMemory,
    private readonly maxBytes: number,
  ) {
    this.tape = memory.blocks.tape;
    this.load();
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

  /** Reads the current segment's layout and counts from wasm memory. */
  private load(): void {
    const i32 = views.i32;
    // Addresses past 2 GiB come back negative from wasm: read them unsigned (>>> 0, >>>).
    const seg = core.currentSegment(this.tape) >>> 0;
    const cap = i32[(seg + SEGMENT.cap) >>> 2];
    this.segment = seg;
    this.capacity = cap;
    this.opAt = seg + SEGMENT.header + 16 * cap;
    this.aAt = (this.opAt + cap) >>> 2;
    this.bAt = (this.opAt + 5 * cap) >>> 2;
    this.slotBase = (seg + SEGMENT.header) >>> 4;
    this.rows = this.flushedRows = i32[(seg + SEGMENT.rows) >>> 2];
    this.slots = this.flushedSlots = i32[(seg + SEGMENT.slots) >>> 2];
  }

  /** Evaluates the rows written since the last flush and writes the counts back. */
  flush(): void {
    if (this.rows === this.flushedRows) return;
    const i32 = views.i32;
    i32[(this.segment + SEGMENT.rows) >>> 2] = this.rows;
    i32[(this.segment + SEGMENT.slots) >>> 2] = this.slots;
    core.forwardRows(this.segment, this.flushedRows, this.rows, (this.slotBase + this.flushedSlots) * 16);
    this.flushedRows = this.rows;
    this.flushedSlots = this.slots;
  }

  private row(op: number, a: number, b: number): void {
    const r = this.rows;
    views.u8[this.opAt + r] = op;
    const i32 = views.i32;
    i32[this.aAt + r] = a;
    i32[this.bAt + r] = b;
    this.rows = r + 1;
  }

  op2(op: number, a: number, b: number): Scalar {
    if (!this.live) throw staleTapeError();
    if (this.rows >= this.capacity || this.slots >= this.capacity) this.makeRoom(1, 1);
    this.row(op, a, b);
    return new Scalar(this, this.slotBase + this.slots++);
  }

  opConstant(op: number, a: number, value: number, constantFirst: boolean): Scalar {
    if (!this.live) throw staleTapeError();
    if (this.rows + 2 > this.capacity || this.slots + 2 > this.capacity) this.makeRoom(2, 2);
    const c = this.slotBase + this.slots++;
    views.f64[2 * c] = value;
    this.row(Op.Const, SINK_SLOT, SINK_SLOT);
    if (constantFirst) this.row(op, c, a);
    else this.row(op, a, c);
    return new Scalar(this, this.slotBase + this.slots++);
  }

  where(c: number, a: number, b: number): Scalar {
    if (!this.live) throw staleTapeError();
    if (this.rows + 2 > this.capacity || this.slots + 1 > this.capacity) this.makeRoom(2, 1);
    this.row(Op.Param, c, SINK_SLOT);
    this.row(Op.Where, a, b);
    return new Scalar(this, this.slotBase + this.slots++);
  }

  vector(op: number, p1a: number, p1b: number, p2a: number, p2b: number, a: number, b: number): number {
    if (!this.live) throw staleTapeError();
    this.flush();
    // The SIMD matmul packs into scratch that must exist before any sweep runs the row.
    if (op === Op.MatMul) {
      const status = core.ensureScratch(core.matmulScratchBytes(p1a, p1b, p2a));
      refreshViews();
      if (status < 0) throw outOfMemory('memory', this.maxBytes, this.stats().bytes);
    }
    let start = core.recordVector(this.tape, op, p1a, p1b, p2a, p2b, a, b);
    if (start < 0) {
      this.makeRoom(paramRows(op) + 1, vectorOutputs(op, p1a, p2a));
      start = core.recordVector(this.tape, op, p1a, p1b, p2a, p2b, a, b);
    }
    this.load();
    return start;
  }

  constant(value: number): number {
    return this.leaf(Op.Const, value);
  }

  input(value: number): number {
    return this.leaf(Op.Input, value);
  }

  private leaf(op: number, value: number): number {
    if (!this.live) throw staleTapeError();
    if (this.rows >= this.capacity || this.slots >= this.capacity) this.makeRoom(1, 1);
    const id = this.slotBase + this.slots++;
    views.f64[2 * id] = value;
    this.row(op, SINK_SLOT, SINK_SLOT);
    return id;
  }

  constants(values: ArrayLike<number>): number {
    return this.leaves(core.recordConsts, values);
  }

  inputs(values: ArrayLike<number>): number {
    return this.leaves(core.recordInputs, values);
  }

  /** n contiguous leaves through one wasm call (a tight loop there), then their values. */
  private leaves(record: (tape: number, count: number) => number, values: ArrayLike<number>): number {
    if (!this.live) throw staleTapeError();
    this.flush();
    const n = values.length;
    let start = record(this.tape, n);
    if (start < 0) {
      this.makeRoom(n, n);
      start = record(this.tape, n);
    }
    this.load();
    this.writeValues(start, values);
    return start;
  }

  reserve(rows: number, slots: number): void {
    if (!this.live) throw staleTapeError();
    this.makeRoom(rows, slots);
  }

  /** The slow path: a new segment, then fresh views if memory grew. Nothing recorded is lost
   *  when this throws: the tape keeps every row it had. */
  private makeRoom(rows: number, slots: number): void {
    this.flush();
    const status = core.reserve(this.tape, rows, slots);
    refreshViews();
    this.load();
    if (status < 0) throw outOfMemory(status === OUT_OF_MEMORY ? 'memory' : 'tape', this.maxBytes, this.stats().bytes);
  }

  value(id: number): number {
    if (!this.live) throw staleTapeError();
    if (this.tracing) throw tracingReadError();
    this.flush();
    return views.f64[2 * id];
  }

  setValue(id: number, value: number): void {
    views.f64[2 * id] = value;
  }

  writeValues(start: number, values: ArrayLike<number>): void {
    const f64 = views.f64;
    for (let i = 0, n = values.length; i < n; i++) f64[2 * (start + i)] = values[i];
  }

  /** Bytes of wasm memory below the allocator's top: every tape, free blocks included. */
  static memoryInUse(): number {
    return core.heapBytes();
  }

  setAdjoint(id: number, value: number): void {
    views.f64[2 * id + 1] = value;
  }

  forward(): void {
    if (!this.live) throw staleTapeError();
    this.flush();
    if (this.memory.blocks.partials !== 0) core.forwardStoring(this.tape, this.memory.blocks.partials);
    else core.forward(this.tape);
  }

  reverseFrom(last: number): void {
    if (!this.live) throw staleTapeError();
    this.flush();
    if (this.memory.blocks.partials !== 0) core.reverseStored(this.tape, this.memory.blocks.partials);
    else core.reverseFrom(this.tape, last);
  }

  storePartials(): void {
    if (!this.live) throw staleTapeError();
    this.flush();
    const bytes = 16 * Math.max(1, core.tapeSlots(this.tape));
    const block = core.allocateBlock(bytes);
    refreshViews();
    if (block === 0) throw outOfMemory('memory', this.maxBytes, this.stats().bytes);
    this.memory.blocks.partials = block;
    this.memory.blocks.partialsBytes = bytes;
  }

  snapshot(): Snapshot {
    if (!this.live) throw staleTapeError();
    this.flush();
    const { i32, u8, f64 } = views;
    const segments: { slotBase: number; slots: number; offset: number; cap: number; rows: number; seg: number }[] = [];
    let rowTotal = 0;
    let slotTotal = 0;
    const last = core.currentSegment(this.tape);
    for (let seg = core.firstSegment(this.tape); seg !== 0; seg = i32[(seg + SEGMENT.next) >> 2] >>> 0) {
      const cap = i32[(seg + SEGMENT.cap) >> 2];
      const rows = i32[(seg + SEGMENT.rows) >> 2];
      const slots = i32[(seg + SEGMENT.slots) >> 2];
      segments.push({ seg, cap, rows, slots, slotBase: (seg + SEGMENT.header) / 16, offset: slotTotal });
      rowTotal += rows;
      slotTotal += slots;
      if (seg === last) break;
    }
    const sink = this.sink;
    const relative = (id: number): number => {
      if (id === sink) return -1;
      for (const g of segments) if (id >= g.slotBase && id < g.slotBase + g.slots) return g.offset + id - g.slotBase;
      return -2;
    };
    const op = new Uint8Array(rowTotal);
    const a = new Int32Array(rowTotal);
    const b = new Int32Array(rowTotal);
    const values = new Float64Array(slotTotal);
    let r = 0;
    for (const g of segments) {
      const ops = g.seg + SEGMENT.header + g.cap * 16;
      const as = (ops + g.cap) >> 2;
      const bs = (ops + g.cap * 5) >> 2;
      for (let k = 0; k < g.rows; k++, r++) {
        op[r] = u8[ops + k];
        // A Param row carries integers, except the condition slot of a Where.
        const slotOperands = op[r] !== Op.Param || u8[ops + k + 1] === Op.Where;
        a[r] = slotOperands ? relative(i32[as + k]) : i32[as + k];
        b[r] = slotOperands && op[r] !== Op.Param ? relative(i32[bs + k]) : op[r] === Op.Param && u8[ops + k + 1] === Op.Where ? -1 : i32[bs + k];
      }
      for (let k = 0; k < g.slots; k++) values[g.offset + k] = f64[2 * (g.slotBase + k)];
    }
    return { op, a, b, values, relative };
  }

  adjoint(id: number): number {
    if (!this.live) throw staleTapeError();
    this.flush();
    return views.f64[2 * id + 1];
  }

  readAdjoints(start: number, count: number, out: Float64Array, offset: number): void {
    this.flush();
    const f64 = views.f64;
    for (let i = 0; i < count; i++) out[offset + i] = f64[2 * (start + i) + 1];
  }

  backward(output: number): void {
    if (!this.live) throw staleTapeError();
    this.flush();
    core.backward(this.tape, output);
  }

  stats(): { rows: number; slots: number; bytes: number } {
    this.flush();
    const bytes = core.tapeHeldBytes(this.tape) + this.memory.blocks.partialsBytes;
    return { rows: core.tapeRows(this.tape), slots: core.tapeSlots(this.tape), bytes };
  }

  reset(): TapeCore {
    if (!this.live) throw staleTapeError();
    this.live = false;
    core.tapeReset(this.tape);
    return new WasmCore(this.memory, this.maxBytes);
  }

  dispose(): void {
    if (!this.live) return;
    this.live = false;
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
