/** @file MatMul for the wasm core: pack values into contiguous scratch, f64x2 loops, scatter.
 *
 *  Operands may be transposed views (strided), so they are packed into contiguous scratch first:
 *  O(mk + kn + mn) against the O(mkn) products (BLAS does the same). C's values and adjoints are
 *  each one run (layout.ts), copied in and out whole. Scratch grows only through `ensureScratch`, which the facade calls before it
 *  records a MatMul, so a sweep never grows memory; a row whose scratch is missing falls back
 *  to the portable kernel. Results match assembly/shared/vector.ts up to summation order. */
import { allocate, release, sizeClass } from './memory';
import { valueAddress, adjointAddress, SLOT_STRIDE } from './layout';
import { matmulStrides, aRowStride, aColStride, bRowStride, bColStride, DATA_A, DATA_B } from './shared/vector';

let scratch: usize = 0;
let scratchBytes: f64 = 0;
let scratchClass: i32 = -1;

/** Scratch for an m×k · k×n product in every sweep: 2mk + 3kn + 2mn doubles (the second-order
 *  sweep of matmul-higher.ts needs the most; forward and reverse 2mk + 2kn + mn). */
export function matmulScratchBytes(m: i32, k: i32, n: i32): f64 {
  return 8 * (2 * <f64>m * <f64>k + 3 * <f64>k * <f64>n + 2 * <f64>m * <f64>n);
}

/** The scratch block's address (matmul-higher.ts packs its operands there too). */
export function scratchAddress(): usize {
  return scratch;
}

/** Makes the scratch at least `bytes` long: 0, or −1 when memory is exhausted. */
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
  return 0;
}

/** Bytes of the scratch block (kept for the largest MatMul recorded so far). */
export function scratchBlockBytes(): f64 {
  return scratchBytes;
}

export function hasScratch(m: i32, k: i32, n: i32): bool {
  return matmulScratchBytes(m, k, n) <= scratchBytes;
}

/** Packs op(X)(r, c) for r < rows, c < cols into dst, row-major. */
// @ts-ignore: decorator
@inline function pack(dst: usize, x: i32, rows: i32, cols: i32, rs: i32, cs: i32): void {
  for (let r = 0; r < rows; r++) {
    let id = x + r * rs;
    const row = dst + (<usize>(r * cols) << 3);
    for (let c = 0; c < cols; c++) {
      store<f64>(row + (<usize>c << 3), load<f64>(valueAddress(id)));
      id += cs;
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

/** dst[0..n) += s0·x0 + s1·x1 + s2·x2 + s3·x3: one load and store of dst per four rows. */
// @ts-ignore: decorator
@inline function axpy4(dst: usize, x0: usize, x1: usize, x2: usize, x3: usize, s0: f64, s1: f64, s2: f64, s3: f64, n: i32): void {
  const v0 = f64x2.splat(s0), v1 = f64x2.splat(s1), v2 = f64x2.splat(s2), v3 = f64x2.splat(s3);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const at = <usize>j << 3;
    let acc = v128.load(dst + at);
    acc = f64x2.add(acc, f64x2.mul(v0, v128.load(x0 + at)));
    acc = f64x2.add(acc, f64x2.mul(v1, v128.load(x1 + at)));
    acc = f64x2.add(acc, f64x2.mul(v2, v128.load(x2 + at)));
    acc = f64x2.add(acc, f64x2.mul(v3, v128.load(x3 + at)));
    v128.store(dst + at, acc);
  }
  if (j < n) {
    const at = <usize>j << 3;
    store<f64>(dst + at, load<f64>(dst + at) + s0 * load<f64>(x0 + at) + s1 * load<f64>(x1 + at) + s2 * load<f64>(x2 + at) + s3 * load<f64>(x3 + at));
  }
}

/** out[q] = Σⱼ x[j]·yq[j] for four rows y0…y3 (one pass over x), stored at out, out + 8·stride… */
// @ts-ignore: decorator
@inline function dot4(x: usize, y0: usize, y1: usize, y2: usize, y3: usize, n: i32, out: usize, stride: usize): void {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const at = <usize>j << 3;
    const xv = v128.load(x + at);
    a0 = f64x2.add(a0, f64x2.mul(xv, v128.load(y0 + at)));
    a1 = f64x2.add(a1, f64x2.mul(xv, v128.load(y1 + at)));
    a2 = f64x2.add(a2, f64x2.mul(xv, v128.load(y2 + at)));
    a3 = f64x2.add(a3, f64x2.mul(xv, v128.load(y3 + at)));
  }
  let s0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  let s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
  let s2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
  let s3 = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
  if (j < n) {
    const at = <usize>j << 3;
    const xj = load<f64>(x + at);
    s0 += xj * load<f64>(y0 + at);
    s1 += xj * load<f64>(y1 + at);
    s2 += xj * load<f64>(y2 + at);
    s3 += xj * load<f64>(y3 + at);
  }
  store<f64>(out, s0);
  store<f64>(out + (stride << 3), s1);
  store<f64>(out + (stride << 4), s2);
  store<f64>(out + stride * 24, s3);
}

/** C = op(A)·op(B) into the slots from `out`, their adjoints zeroed. */
export function matmulForward(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  matmulStrides(m, k, n, flags);
  const pa = scratch;
  const pb = pa + (<usize>(m * k) << 3);
  const pc = pb + (<usize>(k * n) << 3);
  pack(pa, a, m, k, aRowStride, aColStride);
  pack(pb, b, k, n, bRowStride, bColStride);
  memory.fill(pc, 0, <usize>(m * n) << 3);
  const rowBytes = <usize>n << 3;
  for (let i = 0; i < m; i++) {
    const rowC = pc + (<usize>(i * n) << 3);
    const rowA = pa + (<usize>(i * k) << 3);
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const b0 = pb + <usize>p * rowBytes;
      const a = rowA + (<usize>p << 3);
      axpy4(rowC, b0, b0 + rowBytes, b0 + 2 * rowBytes, b0 + 3 * rowBytes, load<f64>(a), load<f64>(a, 8), load<f64>(a, 16), load<f64>(a, 24), n);
    }
    for (; p < k; p++) axpy(rowC, pb + <usize>p * rowBytes, load<f64>(rowA + (<usize>p << 3)), n);
  }
  const total = m * n;
  memory.copy(valueAddress(out), pc, <usize>total * SLOT_STRIDE);
  memory.fill(adjointAddress(out), 0, <usize>total * SLOT_STRIDE); // zeroed with the values
}

/** Ā += C̄·op(B)ᵀ and B̄ += op(A)ᵀ·C̄, scattered back through the transposes. */
export function matmulReverse(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  // A and B each lie in one segment: their adjoints are runs from these addresses.
  const adjA = adjointAddress(a), adjB = adjointAddress(b);
  matmulStrides(m, k, n, flags);
  const toA = (flags & DATA_A) == 0, toB = (flags & DATA_B) == 0;
  const ars = aRowStride, acs = aColStride, brs = bRowStride, bcs = bColStride;
  const pa = scratch;
  const pb = pa + (<usize>(m * k) << 3);
  const pg = pb + (<usize>(k * n) << 3);
  const da = pg + (<usize>(m * n) << 3);
  const db = da + (<usize>(m * k) << 3);
  if (toB) pack(pa, a, m, k, ars, acs);
  if (toA) pack(pb, b, k, n, brs, bcs);
  const total = m * n;
  memory.copy(pg, adjointAddress(out), <usize>total * SLOT_STRIDE);
  if (toB) memory.fill(db, 0, <usize>(k * n) << 3);
  const rowBytes = <usize>n << 3;
  // Ā(i, p) = Σⱼ G(i, j) B(p, j): four p per pass over G's row i.
  for (let i = 0; toA && i < m; i++) {
    const rowG = pg + <usize>i * rowBytes;
    const outA = da + (<usize>(i * k) << 3);
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const b0 = pb + <usize>p * rowBytes;
      dot4(rowG, b0, b0 + rowBytes, b0 + 2 * rowBytes, b0 + 3 * rowBytes, n, outA + (<usize>p << 3), 1);
    }
    for (; p < k; p++) store<f64>(outA + (<usize>p << 3), dot(rowG, pb + <usize>p * rowBytes, n));
  }
  // B̄(p, :) = Σᵢ A(i, p) G(i, :): four i per load and store of B̄'s row p.
  const rowA = <usize>k << 3;
  for (let p = 0; toB && p < k; p++) {
    const rowDB = db + <usize>p * rowBytes;
    const col = pa + (<usize>p << 3);
    let i = 0;
    for (; i + 3 < m; i += 4) {
      const g0 = pg + <usize>i * rowBytes;
      const a0 = col + <usize>i * rowA;
      axpy4(rowDB, g0, g0 + rowBytes, g0 + 2 * rowBytes, g0 + 3 * rowBytes, load<f64>(a0), load<f64>(a0 + rowA), load<f64>(a0 + 2 * rowA), load<f64>(a0 + 3 * rowA), n);
    }
    for (; i < m; i++) axpy(rowDB, pg + <usize>i * rowBytes, load<f64>(col + <usize>i * rowA), n);
  }
  for (let i = 0; toA && i < m; i++) {
    for (let p = 0; p < k; p++) {
      const at = adjA + <usize>(i * ars + p * acs) * SLOT_STRIDE;
      store<f64>(at, load<f64>(at) + load<f64>(da + (<usize>(i * k + p) << 3)));
    }
  }
  for (let p = 0; toB && p < k; p++) {
    for (let j = 0; j < n; j++) {
      const at = adjB + <usize>(p * brs + j * bcs) * SLOT_STRIDE;
      store<f64>(at, load<f64>(at) + load<f64>(db + (<usize>(p * n + j) << 3)));
    }
  }
}
