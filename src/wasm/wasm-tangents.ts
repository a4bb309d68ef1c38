/** @file The tangent buffer of a one-segment wasm tape, and its higher-order sweeps (the core's
 *  tangentForward and secondOrderReverse; the layout is the core's: assembly/layout.ts). */
import type { Tangents } from '../core.js';
import { OutOfMemoryError } from '../errors.js';
import { core as wasm, views, refreshViews } from './instance.js';

/** A buffer whose GC'd owner never called dispose() still goes back to the allocator. */
const collector = new FinalizationRegistry<{ block: number; bytes: number }>(({ block, bytes }) => wasm.releaseBlock(block, bytes));

export class WasmTangents implements Tangents {
  /** f64 indices of the tangent of slot id `first`'s value and adjoint, and the spacing of slots. */
  private readonly firstTangent: number;
  private readonly firstAdjointTangent: number;
  private readonly stride: number;

  private constructor(
    private readonly tape: number,
    private block: number,
    private readonly bytes: number,
    private readonly first: number,
    private readonly sink: number,
  ) {
    collector.register(this, { block, bytes }, this);
    this.firstTangent = (wasm.tangentValueAddress(block, tape, first) >>> 0) / 8;
    this.firstAdjointTangent = (wasm.tangentAdjointAddress(block, tape, first) >>> 0) / 8;
    this.stride = wasm.tangentStride() / 8;
  }

  /** A zeroed tangent buffer for `tape`, whose slots start at id `first` (`sink`: the sink's id). */
  static create(tape: number, first: number, sink: number): WasmTangents {
    const bytes = wasm.tangentBytes(tape);
    const block = wasm.allocateBlock(bytes) >>> 0;
    refreshViews();
    if (block === 0) {
      throw new OutOfMemoryError(`WebAssembly memory is exhausted: the tangents of this compiled function need ${bytes} bytes. dispose() functions and tapes you no longer need, or use { backend: 'js' }`);
    }
    views.f64.fill(0, block / 8, (block + bytes) / 8);
    return new WasmTangents(tape, block, bytes, first, sink);
  }

  private tangentIndex(id: number): number {
    return id === this.sink ? (wasm.tangentValueAddress(this.block, this.tape, id) >>> 0) / 8 : this.firstTangent + (id - this.first) * this.stride;
  }

  writeTangents(start: number, values: ArrayLike<number>): void {
    const f64 = views.f64;
    const at = this.tangentIndex(start);
    for (let i = 0, n = values.length; i < n; i++) f64[at + i * this.stride] = values[i];
  }

  setTangent(id: number, value: number): void {
    views.f64[this.tangentIndex(id)] = value;
  }

  tangent(id: number): number {
    return views.f64[this.tangentIndex(id)];
  }

  scatterTangents(ids: Int32Array, at: Int32Array, from: number, to: number, out: Float64Array): void {
    const f64 = views.f64;
    const { first, firstTangent, stride, sink } = this;
    for (let q = from; q < to; q++) {
      const id = ids[q];
      out[at[q]] = id === sink ? this.tangent(id) : f64[firstTangent + (id - first) * stride];
    }
  }

  setAdjointTangent(id: number, value: number): void {
    views.f64[this.adjointTangentIndex(id)] = value;
  }

  private adjointTangentIndex(id: number): number {
    return this.firstAdjointTangent + (id - this.first) * this.stride;
  }

  readAdjointTangents(start: number, count: number, out: Float64Array, offset: number): void {
    const f64 = views.f64;
    const at = this.adjointTangentIndex(start);
    for (let i = 0; i < count; i++) out[offset + i] = f64[at + i * this.stride];
  }

  forward(values: boolean, thenReverse: boolean): void {
    wasm.tangentForward(this.tape, this.block, values, thenReverse);
  }

  reverse(last: number): void {
    wasm.secondOrderReverse(this.tape, this.block, last);
  }

  dispose(): void {
    if (this.block === 0) return;
    wasm.releaseBlock(this.block, this.bytes);
    collector.unregister(this);
    this.block = 0;
  }
}
