/** @file The one place that picks a backend: every recording the facade makes comes from here,
 *  and everything else speaks to it through TapeCore (src/core.ts). */
import type { TapeCore } from './core.js';
import { WasmCore } from './wasm/wasm-core.js';
import { JsCore } from './reference/js-core.js';

/** Where a tape lives: 'wasm' (linear memory, the fast one) or 'js' (the pure-JS tape: the
 *  baseline, the oracle, and the fallback without WebAssembly). */
export type Backend = 'wasm' | 'js';

export interface CoreOptions {
  /** Rows to hold before the first growth. */
  reserve?: number;
  /** Ceiling on the bytes the tape may hold. */
  maxBytes?: number;
}

/** A fresh recording on a new tape of the given backend. */
export function createCore(backend: Backend, options: CoreOptions = {}): TapeCore {
  return backend === 'js' ? JsCore.create(options) : WasmCore.create(options);
}

/** Bytes of wasm memory in use by every wasm tape together (free blocks included). */
export function wasmMemoryInUse(): number {
  return WasmCore.memoryInUse();
}
