/** @file Tangent storage and the higher-order sweeps of one compiled tape, for either backend. */
import type { TapeCore } from '../core.js';
import { OutOfMemoryError } from '../errors.js';
import { WasmCore } from '../wasm/wasm-core.js';
import { JsCore } from '../reference/js-core.js';
import { JsTangents } from '../reference/js-higher.js';
import { core as wasm, views, refreshViews, SEGMENT } from '../wasm/instance.js';

/** Per slot of a compiled tape: the tangent of its value and the tangent of its adjoint. */
export interface Tangents {
  /** Writes values[i] as the tangent of slot start + i (the inputs' direction). */
  writeTangents(start: number, values: ArrayLike<number>): void;
  setTangent(id: number, value: number): void;
  tangent(id: number): number;
  /** Copies the adjoint tangents of slots start…start+count−1 into out[offset…]. */
  readAdjointTangents(start: number, count: number, out: Float64Array, offset: number): void;
  /** Values (unless `values` is false: the stored ones are kept) and tangents of every row from
   *  the inputs' tangents; zeroes every adjoint and adjoint tangent. */
  forward(values: boolean): void;
  /** Adjoints and their tangents from the seeded output `last` back to the inputs. */
  reverse(last: number): void;
  dispose(): void;
}

/** Tangents for a compiled tape (the CompiledFunction constructor loads it into one segment). */
export function tangentsFor(core: TapeCore): Tangents {
  if (core instanceof JsCore) return new JsTangents(core);
  if (core instanceof WasmCore) return WasmTangents.create(core);
  throw new TypeError('tangentsFor: unknown tape backend');
}

/** Sets every adjoint to 0 between reverse sweeps (one forward, several seeds: reverse-mode Jacobians). */
export function zeroAdjoints(core: TapeCore): void {
  if (core instanceof WasmCore) wasm.zeroAdjoints(core.tape);
  else if (core instanceof JsCore) {
    const s = core.storage;
    s.adj.fill(0, 0, s.slots);
    s.dirty = false;
  }
}

/** A wasm tape whose GC'd owner never called dispose() still returns its buffer. */
const collector = new FinalizationRegistry<{ block: number; bytes: number }>(({ block, bytes }) => wasm.releaseBlock(block, bytes));

/** The tangent buffer of assembly/higher.ts: slot id s ↦ f64 index base + 2s (tangent), +1 (adjoint tangent). */
class WasmTangents implements Tangents {
  private constructor(
    private readonly core: WasmCore,
    private block: number,
    private readonly bytes: number,
    /** f64 index of slot id 0's pair (slot ids start far above 0, so this is negative). */
    private readonly base: number,
  ) {
    collector.register(this, { block, bytes }, this);
  }

  static create(core: WasmCore): WasmTangents {
    const tape = core.tape;
    const seg = wasm.firstSegment(tape) >>> 0;
    if (seg !== wasm.currentSegment(tape) >>> 0) {
      throw new OutOfMemoryError(`higher-order derivatives need a compiled tape in one segment (at most 2²⁶ rows); this one has ${core.stats().rows} rows: split the function or use { backend: 'js' }`);
    }
    const bytes = wasm.tangentBytes(tape);
    const block = wasm.allocateBlock(bytes) >>> 0;
    refreshViews();
    if (block === 0) {
      throw new OutOfMemoryError(`WebAssembly memory is exhausted: the tangents of this compiled function need ${bytes} bytes. dispose() functions and tapes you no longer need, or use { backend: 'js' }`);
    }
    views.f64.fill(0, block / 8, (block + bytes) / 8);
    // Layout (assembly/higher.ts): the sink's pair at `block`, slot s at block + 16 + 16(s − first).
    const first = (seg + SEGMENT.header) / 16;
    return new WasmTangents(core, block, bytes, (block + 16) / 8 - 2 * first);
  }

  writeTangents(start: number, values: ArrayLike<number>): void {
    const f64 = views.f64;
    const at = this.base + 2 * start;
    for (let i = 0, n = values.length; i < n; i++) f64[at + 2 * i] = values[i];
  }

  setTangent(id: number, value: number): void {
    views.f64[this.base + 2 * id] = value;
  }

  tangent(id: number): number {
    return views.f64[this.base + 2 * id];
  }

  readAdjointTangents(start: number, count: number, out: Float64Array, offset: number): void {
    const f64 = views.f64;
    const at = this.base + 2 * start + 1;
    for (let i = 0; i < count; i++) out[offset + i] = f64[at + 2 * i];
  }

  forward(values: boolean): void {
    wasm.tangentForward(this.core.tape, this.block, values);
  }

  reverse(last: number): void {
    wasm.secondOrderReverse(this.core.tape, this.block, last);
  }

  dispose(): void {
    if (this.block === 0) return;
    wasm.releaseBlock(this.block, this.bytes);
    collector.unregister(this);
    this.block = 0;
  }
}
