/** @file Raw blocks for side buffers (stored partials, tangents), from the tapes' allocator. */
import { allocate, release, sizeClass } from './memory';

/** A block of at least `bytes` bytes, or 0 when memory is exhausted. May grow memory: the
 *  caller refreshes its views (memory.ts). */
export function allocateBlock(bytes: f64): usize {
  const k = sizeClass(bytes);
  return k < 0 ? 0 : allocate(k);
}

export function releaseBlock(block: usize, bytes: f64): void {
  release(block, sizeClass(bytes));
}
