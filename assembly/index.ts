/** @file The wasm module's exports: what the TypeScript facade may call. */
export { setPageLimit, getPageLimit, takeGrewFlag, heapBytes } from './memory';
export {
  SINK, tapeCreate, reserve, recordInputs, recordVector, recordConsts,
  tapeReset, tapeDispose, tapeRows, tapeSlots, tapeHeldBytes,
} from './tape';
export { forward, forwardRows, backward, reverseFrom, zeroAdjoints } from './sweeps';
export { firstSegment, currentSegment } from './tape';
export { forwardStoring, reverseStored } from './stored';
export { allocateBlock, releaseBlock } from './blocks';
export { ensureScratch, matmulScratchBytes, scratchBlockBytes } from './matmul';
export { tangentBytes, tangentForward, secondOrderReverse } from './higher';
