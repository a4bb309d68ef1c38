/** @file Instantiates the embedded wasm core synchronously and keeps views on its memory fresh. */
import { WASM_BASE64 } from '../wasm-bytes.js';
import { WengertError } from '../errors.js';
import { coreMemory } from './memory-import.js';

/** The wasm core's exports (assembly/index.ts). Tape ids and slot ids are plain integers. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  SINK: WebAssembly.Global;
  OUT_OF_MEMORY: WebAssembly.Global;
  setPageLimit(pages: number): void;
  getPageLimit(): number;
  heapBytes(): number;
  tapeCreate(rows: number, maxBytes: number): number;
  /** Flushes, then makes room for rows and slots in one segment: 0, or < 0 when it cannot. */
  makeRoom(tape: number, rows: number, slots: number): number;
  /** Records count leaves of the given op (Input or Const); −1 when the segment is full. */
  recordLeaves(tape: number, count: number, op: number): number;
  tapeReset(tape: number): void;
  tapeDispose(tape: number): void;
  tapeRows(tape: number): number;
  tapeSlots(tape: number): number;
  tapeHeldBytes(tape: number): number;
  flush(tape: number): void;
  forward(tape: number): void;
  backward(tape: number, output: number): void;
  reverseFrom(tape: number, last: number): void;
  zeroAdjoints(tape: number): void;
  forwardStoring(tape: number, buffer: number): void;
  reverseStored(tape: number, buffer: number, last: number): void;
  firstSegment(tape: number): number;
  currentSegment(tape: number): number;
  // The layout, as addresses (assembly/facade.ts): TypeScript computes none itself.
  segmentCapacity(seg: number): number;
  segmentOpColumn(seg: number): number;
  segmentAColumn(seg: number): number;
  segmentBColumn(seg: number): number;
  segmentFirstSlot(seg: number): number;
  segmentRowsField(seg: number): number;
  segmentSlotsField(seg: number): number;
  segmentEvaluatedField(seg: number): number;
  segmentEvaluatedSlotsField(seg: number): number;
  segmentRows(seg: number): number;
  segmentSlots(seg: number): number;
  segmentNext(seg: number): number;
  slotValueAddress(id: number): number;
  slotAdjointAddress(id: number): number;
  slotStride(): number;
  bytesPerRow(): number;
  tangentValueAddress(buffer: number, tape: number, id: number): number;
  tangentAdjointAddress(buffer: number, tape: number, id: number): number;
  tangentStride(): number;
  storedBytes(tape: number): number;
  allocateBlock(bytes: number): number;
  releaseBlock(block: number, bytes: number): void;
  ensureScratch(bytes: number): number;
  scratchBlockBytes(): number;
  matmulScratchBytes(m: number, k: number, n: number): number;
  /** Bytes of a one-segment tape's tangent buffer (from allocateBlock). */
  tangentBytes(tape: number): number;
  tangentForward(tape: number, buffer: number, values: boolean, thenReverse: boolean): void;
  secondOrderReverse(tape: number, buffer: number, last: number): void;
  /** The op table's rules, imported by code generated from compiled tapes (src/codegen/). */
  opValue(op: number, x: number, w: number, c: number): number;
  opPartialA(op: number, x: number, w: number, y: number, c: number): number;
  opPartialB(op: number, x: number, w: number, y: number, c: number): number;
  /** The interpreter over rows [from, to) of a one-segment tape, for rows generated code leaves to it. */
  forwardRun(tape: number, from: number, to: number, slot: number): void;
  reverseRun(tape: number, from: number, to: number, end: number): void;
}

function decodeBase64(text: string): Uint8Array {
  // Node's Buffer decodes in native code; the loop below runs once, unoptimized (≈2 ms).
  const NodeBuffer = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (NodeBuffer !== undefined) return NodeBuffer.from(text, 'base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Synchronous compile where allowed (Node, workers): importing wengert needs no `await`.
 *  Chromium's main thread refuses synchronous compiles over 4 KB with a RangeError; there the
 *  module waits for WebAssembly.compile at import (top-level await) and is ready when the
 *  `import` resolves, so user code still needs no `await` of its own. */
function compileModule(bytes: BufferSource): WebAssembly.Module | Promise<WebAssembly.Module> {
  try {
    return new WebAssembly.Module(bytes);
  } catch (error) {
    if (error instanceof RangeError) return WebAssembly.compile(bytes);
    throw error;
  }
}

/** Whether this environment has WebAssembly. Without it, wengert still imports and the pure-JS
 *  tape ({ backend: 'js' }) works; the wasm backend throws a WengertError saying so. */
export const wasmAvailable = typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';

/** Stands in for the exports where there is no WebAssembly: any use names the fix. */
function unavailable(): CoreExports {
  return new Proxy({} as CoreExports, {
    get() {
      throw new WengertError("WebAssembly is not available in this environment: use { backend: 'js' } (the pure-JS tape)");
    },
  });
}

/** The core's memory (shared where the platform allows: src/wasm/memory-import.ts). */
const made = wasmAvailable ? coreMemory(decodeBase64(WASM_BASE64)) : undefined;
/** Whether the core's memory is shared: growing it then detaches nothing. */
export const sharedMemory = made?.shared ?? false;
const compiled = made === undefined ? undefined : compileModule(made.bytes as BufferSource);
const wasmModule = compiled === undefined || compiled instanceof WebAssembly.Module ? compiled : await compiled;
/** The core's call back into JavaScript for a Custom row (assembly/kernels.wasm.ts): src/custom/
 *  installs the real one; addresses are byte addresses, read unsigned. */
export type WasmHostRow = (kind: number, ac: number, bc: number, r: number, out: number, tan: number, tanAdj: number) => void;
export const wasmHost: { row: WasmHostRow } = {
  row: () => {
    throw new WengertError('wengert: a Custom row ran before src/custom/ installed its host');
  },
};
const imports = { env: { memory: made?.memory as WebAssembly.Memory, hostRow: ((...args) => wasmHost.row(...args)) as WasmHostRow } };
export const core: CoreExports =
  wasmModule === undefined ? unavailable() : (new WebAssembly.Instance(wasmModule, imports).exports as unknown as CoreExports);

/** Typed-array views over all of wasm memory, indexed by byte address ÷ element size (where a
 *  slot's value or a column lives is the core's to say: assembly/facade.ts). A grow gives
 *  memory.buffer a new length (and, on a plain memory, detaches the old buffer), so every caller
 *  that may have grown memory calls `refreshViews`. */
const buffer = made === undefined ? new ArrayBuffer(0) : made.memory.buffer;
export const views = {
  f64: new Float64Array(buffer),
  i32: new Int32Array(buffer),
  u8: new Uint8Array(buffer),
};

export function refreshViews(): void {
  const buffer = core.memory.buffer;
  if (views.f64.buffer !== buffer) {
    views.f64 = new Float64Array(buffer);
    views.i32 = new Int32Array(buffer);
    views.u8 = new Uint8Array(buffer);
  }
}

export const SINK_SLOT = wasmAvailable ? (core.SINK.value as number) : 0;

/** The core's `makeRoom` result when wasm memory (not a tape's maxBytes) ran out. */
export const OUT_OF_MEMORY = wasmAvailable ? (core.OUT_OF_MEMORY.value as number) : -1;
