/** @file The wasm backend: a recording on a tape that lives in wasm linear memory. */
import { Op } from '../../assembly/shared/ops.js';
import type { TapeCore } from '../core.js';
import { Scalar } from '../handles.js';
import { OutOfMemoryError, StaleHandleError } from '../errors.js';
import { core, views, refreshViews, SINK_SLOT, OUT_OF_MEMORY } from './instance.js';

const { record2, recordLeaf, recordInputs, recordWhere, reserve } = core;

export interface WasmTapeOptions {
  /** Rows to hold before the first growth. */
  reserve?: number;
  /** Ceiling on the bytes this tape may hold. */
  maxBytes?: number;
}

export class WasmCore implements TapeCore {
  readonly backend = 'wasm' as const;
  live = true;
  readonly sink = SINK_SLOT;

  private constructor(
    /** The tape header's address in wasm memory. */
    readonly tape: number,
    private readonly maxBytes: number,
  ) {}

  static create(options: WasmTapeOptions = {}): WasmCore {
    const maxBytes = options.maxBytes ?? Infinity;
    const tape = core.tapeCreate(Math.max(64, Math.min(options.reserve ?? 4096, 2 ** 26)), maxBytes);
    refreshViews();
    if (tape === 0) throw outOfMemory(Number.isFinite(maxBytes) ? 'tape' : 'memory', maxBytes, 0);
    return new WasmCore(tape, maxBytes);
  }

  op2(op: number, a: number, b: number): Scalar {
    if (!this.live) throw stale();
    let id = record2(this.tape, op, a, b);
    if (id < 0) {
      this.makeRoom(1, 1);
      id = record2(this.tape, op, a, b);
    }
    return new Scalar(this, id);
  }

  where(c: number, a: number, b: number): Scalar {
    if (!this.live) throw stale();
    let id = recordWhere(this.tape, c, a, b);
    if (id < 0) {
      this.makeRoom(2, 1);
      id = recordWhere(this.tape, c, a, b);
    }
    return new Scalar(this, id);
  }

  constant(value: number): number {
    return this.leaf(Op.Const, value);
  }

  input(value: number): number {
    return this.leaf(Op.Input, value);
  }

  private leaf(op: number, value: number): number {
    if (!this.live) throw stale();
    let id = recordLeaf(this.tape, op, value);
    if (id < 0) {
      this.makeRoom(1, 1);
      id = recordLeaf(this.tape, op, value);
    }
    return id;
  }

  inputs(values: ArrayLike<number>): number {
    if (!this.live) throw stale();
    const n = values.length;
    let start = recordInputs(this.tape, n);
    if (start < 0) {
      this.makeRoom(n, n);
      start = recordInputs(this.tape, n);
    }
    const f64 = views.f64;
    for (let i = 0; i < n; i++) f64[2 * (start + i)] = values[i];
    return start;
  }

  /** The slow path: a new segment, then fresh views if memory grew. Nothing recorded is lost
   *  when this throws: the tape keeps every row it had. */
  private makeRoom(rows: number, slots: number): void {
    const status = reserve(this.tape, rows, slots);
    refreshViews();
    if (status < 0) throw outOfMemory(status === OUT_OF_MEMORY ? 'memory' : 'tape', this.maxBytes, this.stats().bytes);
  }

  value(id: number): number {
    if (!this.live) throw stale();
    return views.f64[2 * id];
  }

  adjoint(id: number): number {
    if (!this.live) throw stale();
    return views.f64[2 * id + 1];
  }

  readAdjoints(start: number, count: number, out: Float64Array, offset: number): void {
    const f64 = views.f64;
    for (let i = 0; i < count; i++) out[offset + i] = f64[2 * (start + i) + 1];
  }

  backward(output: number): void {
    if (!this.live) throw stale();
    core.backward(this.tape, output);
  }

  owns(id: number): boolean {
    return this.live && core.ownsSlot(this.tape, id) !== 0;
  }

  stats(): { rows: number; slots: number; bytes: number } {
    return { rows: core.tapeRows(this.tape), slots: core.tapeSlots(this.tape), bytes: core.tapeHeldBytes(this.tape) };
  }

  reset(): TapeCore {
    if (!this.live) throw stale();
    this.live = false;
    core.tapeReset(this.tape);
    return new WasmCore(this.tape, this.maxBytes);
  }

  dispose(): void {
    if (!this.live) return;
    this.live = false;
    core.tapeDispose(this.tape);
  }
}

function stale(): StaleHandleError {
  return new StaleHandleError(
    'this tape was disposed or reset: handles recorded before reset()/dispose() are no longer valid; ' +
      'record again on a live tape (or create a new Tape)',
  );
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
