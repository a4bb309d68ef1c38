/** @file MatMul's tangent and second-order rules for the wasm core: the rules of
 *  assembly/shared/vector-higher.ts, packed into the matmul scratch for f64x2 loops as matmul.ts
 *  does. Operands are read through the slot accessors, so the layout stays in layout.ts. */
import { TRANSPOSE_A, TRANSPOSE_B } from './shared/vector';
import {
  valueColumn, adjointColumn, tangentColumn, adjointTangentColumn, getVal, getAdj, getTan, setTan, getTanAdj, addTanAdj,
} from './shared/slots';
import { scratchAddress, axpy, dot } from './matmul';

const VALUE = 0;
const ADJOINT = 1;
const TANGENT = 2;
const ADJOINT_TANGENT = 3;

// @ts-ignore: decorator
@inline function field(which: i32, id: i32): f64 {
  if (which == VALUE) return getVal(valueColumn(), id);
  if (which == ADJOINT) return getAdj(adjointColumn(), id);
  if (which == TANGENT) return getTan(tangentColumn(), id);
  return getTanAdj(adjointTangentColumn(), id);
}

/** Copies one field of the slots op(X)(r, c) = x + r·rs + c·cs into dst, row-major. */
// @ts-ignore: decorator
@inline function pack(dst: usize, x: i32, rows: i32, cols: i32, rs: i32, cs: i32, which: i32): void {
  for (let r = 0; r < rows; r++) {
    let id = x + r * rs;
    const row = dst + (<usize>(r * cols) << 3);
    for (let c = 0; c < cols; c++) {
      store<f64>(row + (<usize>c << 3), field(which, id));
      id += cs;
    }
  }
}

/** Whether one field of the n slots from x is all 0 (a zero direction: its products are skipped). */
function allZero(x: i32, n: i32, which: i32): bool {
  for (let i = 0; i < n; i++) if (field(which, x + i) != 0) return false;
  return true;
}

/** Ċ = op(Ȧ)·op(B) + op(A)·op(Ḃ) into the tangents of the slots from `out`. */
export function matmulTangent(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  const ars = (flags & TRANSPOSE_A) != 0 ? 1 : k, acs = (flags & TRANSPOSE_A) != 0 ? m : 1;
  const brs = (flags & TRANSPOSE_B) != 0 ? 1 : n, bcs = (flags & TRANSPOSE_B) != 0 ? k : 1;
  const withA = !allZero(a, m * k, TANGENT), withB = !allZero(b, k * n, TANGENT);
  const pa = scratchAddress(), pb = pa + (<usize>(m * k) << 3), da = pb + (<usize>(k * n) << 3);
  const db = da + (<usize>(m * k) << 3), pc = db + (<usize>(k * n) << 3);
  memory.fill(pc, 0, <usize>(m * n) << 3);
  if (withA) {
    pack(da, a, m, k, ars, acs, TANGENT);
    pack(pb, b, k, n, brs, bcs, VALUE);
  }
  if (withB) {
    pack(pa, a, m, k, ars, acs, VALUE);
    pack(db, b, k, n, brs, bcs, TANGENT);
  }
  for (let i = 0; i < m; i++) {
    const rowC = pc + (<usize>(i * n) << 3);
    for (let p = 0; p < k; p++) {
      const ip = <usize>(i * k + p) << 3, pn = <usize>(p * n) << 3;
      if (withA) axpy(rowC, pb + pn, load<f64>(da + ip), n);
      if (withB) axpy(rowC, db + pn, load<f64>(pa + ip), n);
    }
  }
  const total = m * n;
  const T = tangentColumn();
  for (let t = 0; t < total; t++) setTan(T, out + t, load<f64>(pc + (<usize>t << 3)));
}

/** After matmulReverse (Ā += C̄·op(B)ᵀ, B̄ += op(A)ᵀ·C̄), the tangents of those updates:
 *  Ā̇ += C̄̇·op(B)ᵀ + C̄·op(Ḃ)ᵀ and B̄̇ += op(Ȧ)ᵀ·C̄ + op(A)ᵀ·C̄̇. */
export function matmulSecondOrder(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  const ars = (flags & TRANSPOSE_A) != 0 ? 1 : k, acs = (flags & TRANSPOSE_A) != 0 ? m : 1;
  const brs = (flags & TRANSPOSE_B) != 0 ? 1 : n, bcs = (flags & TRANSPOSE_B) != 0 ? k : 1;
  const withA = !allZero(a, m * k, TANGENT), withB = !allZero(b, k * n, TANGENT), withC = !allZero(out, m * n, ADJOINT_TANGENT);
  if (!withA && !withB && !withC) return;
  // pa A · pb B · da Ȧ · db Ḃ · pg C̄ · tg C̄̇ · acc B̄̇
  const pa = scratchAddress(), pb = pa + (<usize>(m * k) << 3), da = pb + (<usize>(k * n) << 3);
  const db = da + (<usize>(m * k) << 3), pg = db + (<usize>(k * n) << 3);
  const tg = pg + (<usize>(m * n) << 3), acc = tg + (<usize>(m * n) << 3);
  if (withC) {
    pack(pa, a, m, k, ars, acs, VALUE);
    pack(pb, b, k, n, brs, bcs, VALUE);
    pack(tg, out, m, n, n, 1, ADJOINT_TANGENT);
  }
  if (withA) pack(da, a, m, k, ars, acs, TANGENT);
  if (withB) pack(db, b, k, n, brs, bcs, TANGENT);
  if (withA || withB) pack(pg, out, m, n, n, 1, ADJOINT);
  memory.fill(acc, 0, <usize>(k * n) << 3);
  const TA = adjointTangentColumn();
  for (let i = 0; i < m; i++) {
    const rowG = pg + (<usize>(i * n) << 3), rowT = tg + (<usize>(i * n) << 3);
    for (let p = 0; p < k; p++) {
      const ip = <usize>(i * k + p) << 3, pn = <usize>(p * n) << 3;
      let s: f64 = 0;
      if (withC) {
        s += dot(rowT, pb + pn, n);
        axpy(acc + pn, rowT, load<f64>(pa + ip), n);
      }
      if (withB) s += dot(rowG, db + pn, n);
      if (withA) axpy(acc + pn, rowG, load<f64>(da + ip), n);
      addTanAdj(TA, a + i * ars + p * acs, s);
    }
  }
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) addTanAdj(TA, b + p * brs + j * bcs, load<f64>(acc + (<usize>(p * n + j) << 3)));
  }
}
