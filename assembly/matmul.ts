/** @file MatMul for the wasm core: pack values into contiguous scratch, f64x2 loops, scatter.
 *
 *  Slots interleave value and adjoint (tape.ts), so f64x2 lanes over slots would carry one
 *  useful number; packing first costs O(mk + kn + mn) against the O(mkn) products (BLAS does
 *  the same). Scratch grows only through `ensureScratch`, which the facade calls before it
 *  records a MatMul, so a sweep never grows memory; a row whose scratch is missing falls back
 *  to the portable kernel. Results match assembly/shared/vector.ts up to summation order. */
import { allocate, release, sizeClass, takeGrewFlag } from './memory';
import { TRANSPOSE_A, TRANSPOSE_B } from './shared/vector';

let scratch: usize = 0;
let scratchBytes: f64 = 0;
let scratchClass: i32 = -1;

/** Scratch for an m×k · k×n product, forward and reverse: 2mk + 2kn + mn doubles. */
export function matmulScratchBytes(m: i32, k: i32, n: i32): f64 {
  return 8 * (2 * <f64>m * <f64>k + 2 * <f64>k * <f64>n + <f64>m * <f64>n);
}

/** Makes the scratch at least `bytes` long: 0, 1 when memory grew, −1 when it cannot. */
export function ensureScratch(bytes: f64): i32 {
  if (bytes <= scratchBytes) return 0;
  const k = sizeClass(bytes);
  if (k < 0) return -1;
  const block = allocate(k);
  if (block == 0) return -1;
  if (scratch != 0) release(scratch, scratchClass);
  scratch = block;
  scratchClass = k;
  scratchBytes = <f64>(<u64>1 << k);
  return takeGrewFlag() ? 1 : 0;
}

/** Bytes of the scratch block (kept for the largest MatMul recorded so far). */
export function scratchBlockBytes(): f64 {
  return scratchBytes;
}

export function hasScratch(m: i32, k: i32, n: i32): bool {
  return matmulScratchBytes(m, k, n) <= scratchBytes;
}

// @ts-ignore: decorator
@inline function slotVal(id: usize): f64 { return load<f64>(id << 4); }

/** Packs op(X)(r, c) for r < rows, c < cols into dst, row-major. */
// @ts-ignore: decorator
@inline function pack(dst: usize, x: usize, rows: i32, cols: i32, rs: i32, cs: i32): void {
  for (let r = 0; r < rows; r++) {
    let id = x + <usize>(r * rs);
    const row = dst + (<usize>(r * cols) << 3);
    for (let c = 0; c < cols; c++) {
      store<f64>(row + (<usize>c << 3), slotVal(id));
      id += <usize>cs;
    }
  }
}

/** dst[0..n) += s · src[0..n) */
// @ts-ignore: decorator
@inline export function axpy(dst: usize, src: usize, s: f64, n: i32): void {
  const sv = f64x2.splat(s);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const at = <usize>j << 3;
    v128.store(dst + at, f64x2.add(v128.load(dst + at), f64x2.mul(sv, v128.load(src + at))));
  }
  if (j < n) store<f64>(dst + (<usize>j << 3), load<f64>(dst + (<usize>j << 3)) + s * load<f64>(src + (<usize>j << 3)));
}

/** Σ x[j]·y[j] over j < n. */
// @ts-ignore: decorator
@inline export function dot(x: usize, y: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const at = <usize>j << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(x + at), v128.load(y + at)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (j < n) s += load<f64>(x + (<usize>j << 3)) * load<f64>(y + (<usize>j << 3));
  return s;
}

/** C = op(A)·op(B) into the slots from `out` (adjoints zeroed by the caller). */
export function matmulForward(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  const ta = (flags & TRANSPOSE_A) != 0, tb = (flags & TRANSPOSE_B) != 0;
  const pa = scratch;
  const pb = pa + (<usize>(m * k) << 3);
  const pc = pb + (<usize>(k * n) << 3);
  pack(pa, <usize>a, m, k, ta ? 1 : k, ta ? m : 1);
  pack(pb, <usize>b, k, n, tb ? 1 : n, tb ? k : 1);
  memory.fill(pc, 0, <usize>(m * n) << 3);
  for (let i = 0; i < m; i++) {
    const rowC = pc + (<usize>(i * n) << 3);
    const rowA = pa + (<usize>(i * k) << 3);
    for (let p = 0; p < k; p++) axpy(rowC, pb + (<usize>(p * n) << 3), load<f64>(rowA + (<usize>p << 3)), n);
  }
  const total = m * n;
  for (let t = 0; t < total; t++) store<f64>(<usize>(out + t) << 4, load<f64>(pc + (<usize>t << 3)));
}

/** Ā += C̄·op(B)ᵀ and B̄ += op(A)ᵀ·C̄, scattered back through the transposes. */
export function matmulReverse(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  const ta = (flags & TRANSPOSE_A) != 0, tb = (flags & TRANSPOSE_B) != 0;
  const ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
  const pa = scratch;
  const pb = pa + (<usize>(m * k) << 3);
  const pg = pb + (<usize>(k * n) << 3);
  const da = pg + (<usize>(m * n) << 3);
  const db = da + (<usize>(m * k) << 3);
  pack(pa, <usize>a, m, k, ars, acs);
  pack(pb, <usize>b, k, n, brs, bcs);
  const total = m * n;
  for (let t = 0; t < total; t++) store<f64>(pg + (<usize>t << 3), load<f64>(<usize>(out + t) << 4, 8));
  memory.fill(db, 0, <usize>(k * n) << 3);
  for (let i = 0; i < m; i++) {
    const rowG = pg + (<usize>(i * n) << 3);
    const rowA = pa + (<usize>(i * k) << 3);
    for (let p = 0; p < k; p++) {
      store<f64>(da + (<usize>(i * k + p) << 3), dot(rowG, pb + (<usize>(p * n) << 3), n));
      axpy(db + (<usize>(p * n) << 3), rowG, load<f64>(rowA + (<usize>p << 3)), n);
    }
  }
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const at = <usize>(a + i * ars + p * acs) << 4;
      store<f64>(at, load<f64>(at, 8) + load<f64>(da + (<usize>(i * k + p) << 3)), 8);
    }
  }
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      const at = <usize>(b + p * brs + j * bcs) << 4;
      store<f64>(at, load<f64>(at, 8) + load<f64>(db + (<usize>(p * n + j) << 3)), 8);
    }
  }
}
