/** @file The one place that grows wasm memory: a power-of-two block allocator with free lists. */
// Tapes own whole blocks; dispose() returns them here and the next tape of any kind reuses
// them. Blocks never move, so nothing is ever copied when a tape grows.
//
// Only `allocate` calls memory.grow. A grow detaches memory.buffer, so the facade re-creates
// its typed-array views after any call that may allocate (src/wasm/instance.ts refreshViews).

const WASM_PAGE: usize = 65536;
const MIN_CLASS: i32 = 6; // 64-byte blocks
/** Blocks of this class (64 KiB, a wasm page) and up start on a page boundary, so a page holds
 *  at most one of them: layout.ts keeps a per-page table of where their adjoints live. */
export const PAGE_CLASS: i32 = 16;
const CLASS_COUNT: i32 = 33;

/** Free-list heads per size class, then the bump pointer; placed just above static data. */
const FREE_HEADS: usize = (__heap_base + 63) & ~(63 as usize);
let bumpTop: usize = FREE_HEADS + ((CLASS_COUNT * 4 + 63) & ~63);

/** wasm32's ceiling; lowered by setPageLimit to test exhaustion without allocating 4 GiB. */
let pageLimit: i32 = 65536;

export function setPageLimit(pages: i32): void {
  pageLimit = pages < 1 ? 1 : (pages > 65536 ? 65536 : pages);
}

export function getPageLimit(): i32 {
  return pageLimit;
}

/** log₂ of the smallest block that holds `bytes` (at least 64 B). Returns −1 above 2 GiB. */
export function sizeClass(bytes: f64): i32 {
  if (bytes > 2147483648.0) return -1;
  let k = MIN_CLASS;
  while (<f64>(1 << k) < bytes && k < 31) k++;
  return <f64>(<u64>1 << k) < bytes ? 31 : k;
}

/** A block of 2^k bytes, 64-aligned (page-aligned from PAGE_CLASS up), or 0 when memory (or
 *  its lowered limit) is exhausted. */
export function allocate(k: i32): usize {
  const head = FREE_HEADS + (<usize>k << 2);
  const free = load<u32>(head);
  if (free != 0) {
    store<u32>(head, load<u32>(<usize>free));
    return <usize>free;
  }
  // Every block is a multiple of 64 bytes, so the bump pointer stays 64-aligned; a large block
  // starts on a page, and the gap before it goes to the free lists of smaller classes.
  const start: usize = k >= PAGE_CLASS ? (bumpTop + WASM_PAGE - 1) & ~(WASM_PAGE - 1) : bumpTop;
  const end: u64 = <u64>start + (<u64>1 << k);
  const havePages: i32 = memory.size();
  const needPages: u64 = (end + WASM_PAGE - 1) / WASM_PAGE;
  // The limit counts what the allocator hands out, not the pages the facade reserved up front.
  if (needPages > <u64>pageLimit || end >= 0xFFFFFFC0) return 0;
  if (needPages > <u64>havePages && memory.grow(<i32>(needPages - <u64>havePages)) < 0) return 0;
  let gap = bumpTop;
  while (gap < start) {
    let j = PAGE_CLASS - 1;
    while (gap + (<usize>1 << j) > start) j--;
    release(gap, j);
    gap += <usize>1 << j;
  }
  bumpTop = <usize>end;
  return start;
}

/** Gives a block back to its free list. */
export function release(block: usize, k: i32): void {
  const head = FREE_HEADS + (<usize>k << 2);
  store<u32>(block, load<u32>(head));
  store<u32>(head, <u32>block);
}

/** Bytes below the bump pointer: what memory holds for tapes, free or in use. */
export function heapBytes(): f64 {
  return <f64>bumpTop;
}
