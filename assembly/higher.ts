/** @file Higher-order sweeps over a compiled tape: tangents forward (JVP) and forward-over-reverse (HVP). */
//
//  tangent buffer (a block from blocks.ts beside a tape that lives in ONE segment)
//  ┌───────────────────────────────────────────────────────────────────┐
//  │ 0   the sink's pair: { tangent = 0 · adjoint tangent (scratch) }  │
//  │ 16 + 16(s − first): slot s { tangent of val · tangent of adj }    │
//  │ then MatMul scratch: 2mk + 3kn + 2mn doubles for the largest row   │
//  └───────────────────────────────────────────────────────────────────┘
//
// So the pair of the slot at address p is at p + off, off = buffer + 16 − (first slot's
// address), one add per operand; the sink (far from the tape) is the one exception. off is a
// multiple of 16, so slot id s + off/16 names s's pair as if it were a slot: the packed MatMul
// kernels read tangents through that shift.
//
// Forward:  ẏ = ∂y/∂a ȧ + ∂y/∂b ḃ.
// Reverse:  ā += ȳ ∂y/∂a (the first-order sweep), and its tangent
//           ā̇ += ȳ̇ ∂y/∂a + ȳ (∂²y/∂a² ȧ + ∂²y/∂a∂b ḃ), likewise for b.
// Seeding the inputs' tangents with v and the output with ȳ = 1, ȳ̇ = 0 leaves ∇f in the
// inputs' adjoints and H·v in their adjoint tangents (Griewank & Walther, Evaluating
// Derivatives, §5.2: second-order adjoints). Dispatch by if-chains, as in sweeps.ts.

import {
  Op, evaluate, partials, partialA, partialB, secondPartials, partialAA, partialAB, partialBB, isTrue,
} from './shared/ops';
import { vectorForward, vectorReverse, vectorOutputs, TRANSPOSE_A, TRANSPOSE_B } from './shared/vector';
import { vectorTangent, vectorSecondOrder } from './shared/vector-higher';
import { bindTangents } from './shared/slots';
import { SINK, SEG_CAP, SEG_ROWS, SEG_SLOTS, slotsOf, opsOf, aOf, bOf, firstSegment, setDirty } from './tape';
import { matmulForward, matmulReverse, hasScratch, axpy, dot } from './matmul';
import { readParams, locateRow, locatedEnd, rowSlots, p1a, p1b, p2a, p2b } from './rows';

const TAN_SLOTS: usize = 16;

/** The MatMul scratch of the bound buffer, and off/16 (see the diagram). */
let scratch: usize = 0;
let shift: usize = 0;

/** Bytes of the tangent buffer of a one-segment tape (the facade allocates and zeroes it). */
export function tangentBytes(tape: usize): f64 {
  const seg = firstSegment(tape);
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const rows = <usize>load<i32>(seg, SEG_ROWS);
  const ops = opsOf(seg, cap), as = aOf(seg, cap), bs = bOf(seg, cap);
  let doubles: f64 = 0;
  for (let r: usize = 2; r < rows; r++) {
    if (<i32>load<u8>(ops + r) != Op.MatMul) continue;
    const m = <f64>load<i32>(as + ((r - 1) << 2)), k = <f64>load<i32>(bs + ((r - 1) << 2)), n = <f64>load<i32>(as + ((r - 2) << 2));
    const need = 2 * m * k + 3 * k * n + 2 * m * n;
    if (need > doubles) doubles = need;
  }
  return <f64>TAN_SLOTS + 16 * <f64>load<i32>(seg, SEG_SLOTS) + 8 * doubles;
}

/** Points the shared kernels at the buffer; returns off (see the diagram). */
function bind(seg: usize, buf: usize): usize {
  const off = buf + TAN_SLOTS - slotsOf(seg);
  store<f64>(buf, 0);
  bindTangents(off, buf, SINK);
  shift = off >> 4;
  scratch = buf + TAN_SLOTS + (<usize>load<i32>(seg, SEG_SLOTS) << 4);
  return off;
}

/** One pass over the rows: values (when `values`; else the stored ones are kept) and tangents
 *  from the inputs' tangents, which the caller wrote; Const rows get tangent 0. Zeroes every
 *  adjoint and adjoint tangent, ready for `secondOrderReverse`. */
export function tangentForward(tape: usize, buf: usize, values: bool): void {
  const seg = firstSegment(tape);
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const rows = <usize>load<i32>(seg, SEG_ROWS);
  const ops = opsOf(seg, cap), as = aOf(seg, cap), bs = bOf(seg, cap);
  const off = bind(seg, buf);
  const sinkAddr = <usize>SINK << 4;
  const sinkPair = buf;
  let s = slotsOf(seg);
  for (let r: usize = 0; r < rows; r++) {
    const op = <i32>load<u8>(ops + r);
    if (op <= Op.Input) {
      if (op != Op.Param) {
        store<f64>(s, 0, 8);
        if (op == Op.Const) store<f64>(s + off, 0);
        store<f64>(s + off, 0, 8);
        s += 16;
      }
      continue;
    }
    if (op >= Op.VecMap) {
      s = vectorRowTangent(op, as, bs, r, s, off, values);
      continue;
    }
    const pa = <usize>load<i32>(as + (r << 2)) << 4;
    const pb = <usize>load<i32>(bs + (r << 2)) << 4;
    const x = load<f64>(pa);
    const w = load<f64>(pb);
    const ta = load<f64>(pa + off);
    const tb = load<f64>(pb == sinkAddr ? sinkPair : pb + off);
    let y: f64, ty: f64;
    if (op == Op.Where) {
      const taken = isTrue(load<f64>(<usize>load<i32>(as + ((r - 1) << 2)) << 4));
      y = taken ? x : w;
      ty = taken ? ta : tb;
    } else {
      y = values ? evaluate(op, x, w) : load<f64>(s);
      partials(op, x, w, y);
      ty = partialA * ta + partialB * tb;
    }
    store<f64>(s, y);
    store<f64>(s, 0, 8);
    store<f64>(s + off, ty);
    store<f64>(s + off, 0, 8);
    s += 16;
  }
  setDirty(tape, false);
}

/** The reverse sweep from the row that wrote slot `last` down, carrying adjoints and their
 *  tangents from whatever the caller seeded after `tangentForward`. Rows after `last` are
 *  skipped, as in sweeps.ts `reverseFrom`. */
export function secondOrderReverse(tape: usize, buf: usize, last: i32): void {
  setDirty(tape, true);
  const seg = firstSegment(tape);
  const cap = <usize>load<i32>(seg, SEG_CAP);
  const ops = opsOf(seg, cap), as = aOf(seg, cap), bs = bOf(seg, cap);
  const off = bind(seg, buf);
  const sinkAddr = <usize>SINK << 4;
  const sinkPair = buf;
  let r = locateRow(seg, ops, as, <usize>last << 4);
  let s = locatedEnd;
  for (; r >= 0; r--) {
    const op = <i32>load<u8>(ops + <usize>r);
    if (op <= Op.Input) {
      if (op != Op.Param) s -= 16;
      continue;
    }
    if (op >= Op.VecMap) {
      s = vectorRowSecondOrder(op, as, bs, <usize>r, s);
      continue;
    }
    s -= 16;
    const g = load<f64>(s, 8);
    const tg = load<f64>(s + off, 8);
    // As sweeps.ts skips rows with ȳ = 0: a row nothing depends on (ȳ and its tangent 0, as on
    // an untaken where() branch) contributes 0, even where its partials are ±∞ or NaN.
    if (g == 0 && tg == 0) continue;
    const pa = <usize>load<i32>(as + (<usize>r << 2)) << 4;
    const pb = <usize>load<i32>(bs + (<usize>r << 2)) << 4;
    const qa = pa + off;
    const qb = pb == sinkAddr ? sinkPair : pb + off;
    if (op == Op.Where) {
      const da: f64 = isTrue(load<f64>(<usize>load<i32>(as + (<usize>(r - 1) << 2)) << 4)) ? 1 : 0;
      const db = 1 - da;
      store<f64>(pa, load<f64>(pa, 8) + g * da, 8);
      store<f64>(pb, load<f64>(pb, 8) + g * db, 8);
      store<f64>(qa, load<f64>(qa, 8) + tg * da, 8);
      store<f64>(qb, load<f64>(qb, 8) + tg * db, 8);
      continue;
    }
    const x = load<f64>(pa), w = load<f64>(pb), y = load<f64>(s);
    const ta = load<f64>(qa), tb = load<f64>(qb);
    partials(op, x, w, y);
    const da = partialA, db = partialB;
    secondPartials(op, x, w, y);
    store<f64>(pa, load<f64>(pa, 8) + g * da, 8);
    store<f64>(pb, load<f64>(pb, 8) + g * db, 8);
    store<f64>(qa, load<f64>(qa, 8) + tg * da + g * (partialAA * ta + partialAB * tb), 8);
    store<f64>(qb, load<f64>(qb, 8) + tg * db + g * (partialAB * ta + partialBB * tb), 8);
  }
}

/** Vector row r forward from address s: values (when asked), then tangents; zeroes the
 *  adjoints and adjoint tangents of its slots. Returns the address after them. */
function vectorRowTangent(op: i32, as: usize, bs: usize, r: usize, s: usize, off: usize, values: bool): usize {
  readParams(op, as, bs, r);
  const count = <usize>vectorOutputs(op, p1a, p2a);
  const a = load<i32>(as + (r << 2)), b = load<i32>(bs + (r << 2)), out = <i32>(s >> 4);
  if (op == Op.MatMul) {
    if (values) {
      if (hasScratch(p1a, p1b, p2a)) matmulForward(p1a, p1b, p2a, p2b, a, b, out);
      else vectorForward(op, p1a, p1b, p2a, p2b, a, b, out);
    }
    matmulTangent(p1a, p1b, p2a, p2b, a, b, out);
  } else {
    if (values) vectorForward(op, p1a, p1b, p2a, p2b, a, b, out);
    vectorTangent(op, p1a, p1b, p2a, p2b, a, b, out);
  }
  for (let i: usize = 0; i < count; i++) {
    store<f64>(s + (i << 4), 0, 8);
    store<f64>(s + off + (i << 4), 0, 8);
  }
  return s + (count << 4);
}

/** Vector row r's reverse and second-order rules; `end` is the address after its slots. */
function vectorRowSecondOrder(op: i32, as: usize, bs: usize, r: usize, end: usize): usize {
  readParams(op, as, bs, r);
  const start = end - (<usize>vectorOutputs(op, p1a, p2a) << 4);
  const a = load<i32>(as + (r << 2)), b = load<i32>(bs + (r << 2)), out = <i32>(start >> 4);
  if (op == Op.MatMul) {
    if (hasScratch(p1a, p1b, p2a)) matmulReverse(p1a, p1b, p2a, p2b, a, b, out);
    else vectorReverse(op, p1a, p1b, p2a, p2b, a, b, out);
    matmulSecondOrder(p1a, p1b, p2a, p2b, a, b, out);
  } else {
    vectorReverse(op, p1a, p1b, p2a, p2b, a, b, out);
    vectorSecondOrder(op, p1a, p1b, p2a, p2b, a, b, out);
  }
  return start;
}

// ── MatMul: the rules of vector-higher.ts, packed into the buffer's scratch for f64x2 loops as
// matmul.ts does (slots interleave two numbers, so lanes over slots would carry one). ──

/** Copies field `field` (0: value, 8: adjoint) of slots op(X)(r, c) = x + r·rs + c·cs into dst, row-major. */
// @ts-ignore: decorator
@inline function pack(dst: usize, x: usize, rows: i32, cols: i32, rs: i32, cs: i32, field: usize): void {
  for (let r = 0; r < rows; r++) {
    let at = ((x + <usize>(r * rs)) << 4) + field;
    const row = dst + (<usize>(r * cols) << 3);
    const step = <usize>cs << 4;
    for (let c = 0; c < cols; c++) {
      store<f64>(row + (<usize>c << 3), load<f64>(at));
      at += step;
    }
  }
}

/** Whether field `field` of the n slots from x is all 0 (a zero direction: its products are skipped). */
function allZero(x: usize, n: i32, field: usize): bool {
  for (let i = 0; i < n; i++) if (load<f64>(((x + <usize>i) << 4) + field) != 0) return false;
  return true;
}

/** Ċ = op(Ȧ)·op(B) + op(A)·op(Ḃ) into the tangents of the slots from `out`. */
function matmulTangent(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  const ars = (flags & TRANSPOSE_A) != 0 ? 1 : k, acs = (flags & TRANSPOSE_A) != 0 ? m : 1;
  const brs = (flags & TRANSPOSE_B) != 0 ? 1 : n, bcs = (flags & TRANSPOSE_B) != 0 ? k : 1;
  const ta = <usize>a + shift, tb = <usize>b + shift;
  const withA = !allZero(ta, m * k, 0), withB = !allZero(tb, k * n, 0);
  const pa = scratch, pb = pa + (<usize>(m * k) << 3), da = pb + (<usize>(k * n) << 3);
  const db = da + (<usize>(m * k) << 3), pc = db + (<usize>(k * n) << 3);
  memory.fill(pc, 0, <usize>(m * n) << 3);
  if (withA) {
    pack(da, ta, m, k, ars, acs, 0);
    pack(pb, <usize>b, k, n, brs, bcs, 0);
  }
  if (withB) {
    pack(pa, <usize>a, m, k, ars, acs, 0);
    pack(db, tb, k, n, brs, bcs, 0);
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
  const tc = <usize>out + shift;
  for (let t = 0; t < total; t++) store<f64>((tc + <usize>t) << 4, load<f64>(pc + (<usize>t << 3)));
}

/** After matmulReverse (Ā += C̄·op(B)ᵀ, B̄ += op(A)ᵀ·C̄), the tangents of those updates:
 *  Ā̇ += C̄̇·op(B)ᵀ + C̄·op(Ḃ)ᵀ and B̄̇ += op(Ȧ)ᵀ·C̄ + op(A)ᵀ·C̄̇. */
function matmulSecondOrder(m: i32, k: i32, n: i32, flags: i32, a: i32, b: i32, out: i32): void {
  const ars = (flags & TRANSPOSE_A) != 0 ? 1 : k, acs = (flags & TRANSPOSE_A) != 0 ? m : 1;
  const brs = (flags & TRANSPOSE_B) != 0 ? 1 : n, bcs = (flags & TRANSPOSE_B) != 0 ? k : 1;
  const ta = <usize>a + shift, tb = <usize>b + shift, tc = <usize>out + shift;
  const withA = !allZero(ta, m * k, 0), withB = !allZero(tb, k * n, 0), withC = !allZero(tc, m * n, 8);
  if (!withA && !withB && !withC) return;
  // pa A · pb B · da Ȧ · db Ḃ · pg C̄ · tg C̄̇ · acc B̄̇
  const pa = scratch, pb = pa + (<usize>(m * k) << 3), da = pb + (<usize>(k * n) << 3);
  const db = da + (<usize>(m * k) << 3), pg = db + (<usize>(k * n) << 3);
  const tg = pg + (<usize>(m * n) << 3), acc = tg + (<usize>(m * n) << 3);
  if (withC) {
    pack(pa, <usize>a, m, k, ars, acs, 0);
    pack(pb, <usize>b, k, n, brs, bcs, 0);
    pack(tg, tc, m, n, n, 1, 8);
  }
  if (withA) pack(da, ta, m, k, ars, acs, 0);
  if (withB) pack(db, tb, k, n, brs, bcs, 0);
  if (withA || withB) pack(pg, <usize>out, m, n, n, 1, 8);
  memory.fill(acc, 0, <usize>(k * n) << 3);
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
      const at = ((<usize>(a + i * ars + p * acs) + shift) << 4) + 8;
      store<f64>(at, load<f64>(at) + s);
    }
  }
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      const at = ((<usize>(b + p * brs + j * bcs) + shift) << 4) + 8;
      store<f64>(at, load<f64>(at) + load<f64>(acc + (<usize>(p * n + j) << 3)));
    }
  }
}
