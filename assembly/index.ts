/** @file The wasm module's exports: what the TypeScript facade may call. */
export { setPageLimit, getPageLimit, heapBytes } from './memory';
export {
  SINK, OUT_OF_MEMORY, tapeCreate, recordLeaves, tapeReset, tapeDispose, tapeRows, tapeSlots, tapeHeldBytes,
  firstSegment, currentSegment,
} from './tape';
export {
  flush, makeRoom, forward, backward, reverseFrom, zeroAdjoints, forwardStoring, reverseStored,
  tangentBytes, tangentForward, secondOrderReverse, forwardRun, reverseRun,
} from './sweeps';
export * from './facade';
export { allocateBlock, releaseBlock } from './blocks';
export { ensureScratch, matmulScratchBytes, scratchBlockBytes } from './matmul';
export { opValue, opPartialA, opPartialB } from './codegen-helpers';
