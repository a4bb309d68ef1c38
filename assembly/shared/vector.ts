/** @file The vector instructions' kernels, defined once for the wasm core and the JS tape.
 *
 *  A vector row reads contiguous slots from `a` (and `b`) and writes contiguous slots from
 *  `out`. Its integers ride in the Param rows before it:
 *    first Param  (p1a, p1b): length n (MatMul: m) · payload (VecMap: scalar op | flags; MatMul: k)
 *    second Param (p2a, p2b): MatMul only: n · transpose flags (1: A, 2: B)
 *  VecMapTiled: as VecMap, and a second Param row: p2a = columns, p2b = 1 for a tiled column.
 *  VecTranspose: p1a = elements, p1b = columns of a. VecGather: p1a = outputs, p1b = elements of
 *  a; the b block holds the indices as values (constants the facade checked).
 *  VecMap flags: bit 8 = a is one slot broadcast, bit 9 = b is one slot broadcast; VecCopy and
 *  VecWhere use bit 8 for a (VecWhere's a is the condition, its b a block of 2n slots).
 *  VecSelect: as VecMap's bits 8 and 9 (no op in its low byte), bit 12 = the condition is one
 *  slot broadcast, and a second Param row: p2a = the condition's first slot, p2b = 0.
 *  Data flags, on every vector row (in p1b; MatMul's in p2b, beside its transpose flags): bit 10
 *  = a is data, bit 11 = b is data: nothing it depends on is differentiated, so the reverse
 *  sweep accumulates no adjoint into it (a MatMul with data A computes no Ā). A row with both
 *  set (an absent b, the sink, counts as data) has no reverse work at all. */
import { Op, FIRST_VECTOR_OP, evaluate, partials, partialA, partialB, isTrue } from './ops.js';
import { valueColumn, adjointColumn, getVal, setVal, getAdj, addAdj, unknownOp } from './slots.js';

export const BROADCAST_A: i32 = 1 << 8;
export const BROADCAST_B: i32 = 1 << 9;
/** VecSelect's condition is one slot broadcast. */
export const BROADCAST_CONDITION: i32 = 1 << 12;
export const TRANSPOSE_A: i32 = 1;
export const DATA_A: i32 = 1 << 10;
export const DATA_B: i32 = 1 << 11;
export const DATA_BOTH: i32 = DATA_A | DATA_B;

/** The row's data flags (see the file comment); none on rows whose p1b is an integer
 *  (VecTranspose, VecGather) or that do not know them. */
export function dataFlags(op: i32, p1b: i32, p2b: i32): i32 {
  if (op == Op.MatMul) return p2b & DATA_BOTH;
  const flagged = op == Op.VecMap || op == Op.VecCopy || op == Op.VecWhere || op == Op.VecSum || op == Op.VecDot || op == Op.VecProd ||
    op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp || op == Op.VecSoftmax || op == Op.VecLogSoftmax || op == Op.VecMean || op == Op.VecMapTiled || op == Op.VecSelect;
  return flagged ? p1b & DATA_BOTH : 0;
}
export const TRANSPOSE_B: i32 = 2;

/** An operand's element stride: 0 when the flag says it is one slot broadcast, else 1. */
export function strideOf(payload: i32, broadcastFlag: i32): i32 {
  return (payload & broadcastFlag) != 0 ? 0 : 1;
}

/** Slot strides of a MatMul's operands, read after `matmulStrides`: op(A)(i, p) sits at
 *  a + i·aRowStride + p·aColStride, op(B)(p, j) at b + p·bRowStride + j·bColStride. */
export let aRowStride: i32 = 0;
export let aColStride: i32 = 0;
export let bRowStride: i32 = 0;
export let bColStride: i32 = 0;

/** Sets the strides above for an m×k · k×n product with transpose flags. */
export function matmulStrides(m: i32, k: i32, n: i32, flags: i32): void {
  const ta = (flags & TRANSPOSE_A) != 0;
  const tb = (flags & TRANSPOSE_B) != 0;
  aRowStride = ta ? 1 : k;
  aColStride = ta ? m : 1;
  bRowStride = tb ? 1 : n;
  bColStride = tb ? k : 1;
}

/** Param rows before a row: Where and vector rows 1, MatMul, VecMapTiled and VecSelect 2, every other row none. A Custom
 *  row has 2 (its integers) and, before those, one per argument (customArgumentRow). */
export function paramRows(op: i32): i32 {
  if (op == Op.MatMul || op == Op.Custom || op == Op.VecMapTiled || op == Op.VecSelect) return 2;
  return op == Op.Where || op >= FIRST_VECTOR_OP ? 1 : 0;
}

/** Slots a row writes: none for Param rows, one for scalar rows, a vector row's outputs (−1 for
 *  a vector code that names no instruction). */
export function vectorOutputs(op: i32, p1a: i32, p2a: i32): i32 {
  if (op < FIRST_VECTOR_OP) return op == Op.Param ? 0 : 1;
  if (op == Op.MatMul) return p1a * p2a;
  if (op == Op.Custom) return p1a < 0 ? 1 : p1a;
  if (op == Op.VecMap || op == Op.VecSoftmax || op == Op.VecLogSoftmax || op == Op.VecCopy || op == Op.VecWhere || op == Op.VecMapTiled || op == Op.VecConst || op == Op.VecSelect || op == Op.VecInput) return p1a;
  if (op == Op.VecSum || op == Op.VecDot || op == Op.VecProd || op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp || op == Op.VecMean) return 1;
  if (op == Op.VecTranspose || op == Op.VecGather) return p1a;
  return -1;
}

/** Elements each operand spans (0: none, i.e. the sink). */
export function operandLengthA(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32): i32 {
  if (op == Op.MatMul) return p1a * p1b;
  if (op == Op.VecGather) return p1b;
  if (op == Op.Custom || op == Op.VecConst || op == Op.VecInput) return 0; // a Custom row's operands are listed in its argument rows
  if (op == Op.VecMap || op == Op.VecCopy || op == Op.VecWhere || op == Op.VecSelect) return (p1b & BROADCAST_A) != 0 ? 1 : p1a;
  if (op == Op.VecMapTiled) return (p1b & BROADCAST_A) != 0 ? tileLength(p1a, p2a, p2b) : p1a;
  return p1a;
}

/** VecMapTiled's p2b: the tiled operand is a row met by every matrix row, or a column. */
export const TILE_ROW: i32 = 0;
export const TILE_COLUMN: i32 = 1;

/** Elements of a VecMapTiled's tiled operand: a row (cols) or a column (n ÷ cols). */
export function tileLength(n: i32, cols: i32, byColumn: i32): i32 {
  if (byColumn == 0) return cols;
  return cols == 0 ? 0 : (n - n % cols) / cols;
}

/** Matrix row r of a VecMapTiled, as the VecMap row it stands for: its payload and operands. */
export let tileFlags: i32 = 0;
export let tileA: i32 = 0;
export let tileB: i32 = 0;

export function tileRow(p1b: i32, cols: i32, byColumn: i32, a: i32, b: i32, r: i32): void {
  const tiledA = (p1b & BROADCAST_A) != 0, tiledB = (p1b & BROADCAST_B) != 0;
  // A tiled row is a whole VecMap operand; a tiled column's element r is broadcast.
  tileFlags = byColumn != 0 ? p1b : p1b & ~(BROADCAST_A | BROADCAST_B);
  tileA = tiledA ? (byColumn != 0 ? a + r : a) : a + r * cols;
  tileB = tiledB ? (byColumn != 0 ? b + r : b) : b + r * cols;
}

/** Matrix rows of a VecMapTiled of n elements in rows of `cols`. */
export function tiledRows(n: i32, cols: i32): i32 {
  return cols == 0 ? 0 : (n - n % cols) / cols;
}

/** The row holding argument i of the Custom row r that has `count` arguments (first slot in a,
 *  length or −1 for a number in b): they come first, in order, then the two integer rows. */
export function customArgumentRow(r: i32, count: i32, i: i32): i32 {
  return r - 2 - count + i;
}

export function operandLengthB(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32): i32 {
  if (op == Op.MatMul) return p1b * p2a;
  if (op == Op.VecDot || op == Op.VecGather) return p1a;
  if (op == Op.VecWhere) return 2 * p1a;
  if (op == Op.VecMap || op == Op.VecSelect) return (p1b & BROADCAST_B) != 0 ? 1 : p1a;
  if (op == Op.VecMapTiled) return (p1b & BROADCAST_B) != 0 ? tileLength(p1a, p2a, p2b) : p1a;
  return 0;
}

/** Elements of a VecSelect's condition (p1a elements, flags p1b): 1 when broadcast. */
export function conditionLength(p1a: i32, p1b: i32): i32 {
  return (p1b & BROADCAST_CONDITION) != 0 ? 1 : p1a;
}

/** max over n slots from a; NaN if any is NaN; −∞ for n = 0. */
function maxOf(a: i32, n: i32): f64 {
  const V = valueColumn();
  let m: f64 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = getVal(V, a + i);
    if (x != x) return x;
    if (x > m || (x == 0 && m == 0 && 1 / x > 1 / m)) m = x; // +0 beats −0, as Math.max
  }
  return m;
}

/** log Σ exp(a[i]), shifted by the max so nothing overflows. */
function logSumExp(a: i32, n: i32): f64 {
  const V = valueColumn();
  const m = maxOf(a, n);
  if (m != m || m == Infinity || m == -Infinity) return m;
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += Math.exp(getVal(V, a + i) - m);
  return m + Math.log(s);
}

/** Rows of a VecTranspose operand: p1a elements in rows of p1b (none when p1b is 0). */
export function transposeRows(n: i32, cols: i32): i32 {
  return cols == 0 ? 0 : n / cols;
}

/** The slot offset a gather index names in a source of `length` elements, or −1 when the value
 *  is not an integer in [0, length) (a hostile tape; the facade never records one). */
export function gatherOffset(k: f64, length: i32): i32 {
  if (!(k >= 0 && k < <f64>length)) return -1;
  const i = <i32>k;
  return <f64>i == k ? i : -1;
}

export function vectorForward(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  const V = valueColumn();
  const n = p1a;
  if (op == Op.VecConst || op == Op.VecInput) return; // their values were written by the recording or the caller
  if (op == Op.VecMap) {
    const f = p1b & 255;
    const sa = strideOf(p1b, BROADCAST_A);
    const sb = strideOf(p1b, BROADCAST_B);
    for (let i = 0; i < n; i++) setVal(V, out + i, evaluate(f, getVal(V, a + i * sa), getVal(V, b + i * sb)));
    return;
  }
  if (op == Op.MatMul) {
    // A(i, p) at a + i·ars + p·acs and B(p, j) at b + p·brs + j·bcs, transposed or not.
    const m = p1a, k = p1b, cols = p2a;
    matmulStrides(m, k, cols, p2b);
    const ars = aRowStride, acs = aColStride, brs = bRowStride, bcs = bColStride;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < cols; j++) {
        let s: f64 = 0;
        let ia = a + i * ars, ib = b + j * bcs;
        for (let p = 0; p < k; p++) {
          s += getVal(V, ia) * getVal(V, ib);
          ia += acs;
          ib += brs;
        }
        setVal(V, out + i * cols + j, s);
      }
    }
    return;
  }
  if (op == Op.VecSum) {
    let s: f64 = 0;
    for (let i = 0; i < n; i++) s += getVal(V, a + i);
    setVal(V, out, s);
    return;
  }
  if (op == Op.VecMean) {
    let s: f64 = 0;
    for (let i = 0; i < n; i++) s += getVal(V, a + i);
    setVal(V, out, s * (1 / <f64>n));                                         // NaN for n = 0
    return;
  }
  if (op == Op.VecDot) {
    let s: f64 = 0;
    for (let i = 0; i < n; i++) s += getVal(V, a + i) * getVal(V, b + i);
    setVal(V, out, s);
    return;
  }
  if (op == Op.VecProd) {
    let s: f64 = 1;
    for (let i = 0; i < n; i++) s *= getVal(V, a + i);
    setVal(V, out, s);
    return;
  }
  if (op == Op.VecMax) { setVal(V, out, maxOf(a, n)); return; }
  if (op == Op.VecMin) {
    let m: f64 = Infinity;
    for (let i = 0; i < n; i++) {
      const x = getVal(V, a + i);
      if (x != x) { m = x; break; }
      if (x < m || (x == 0 && m == 0 && 1 / x < 1 / m)) m = x; // −0 beats +0, as Math.min
    }
    setVal(V, out, m);
    return;
  }
  if (op == Op.VecLogSumExp) { setVal(V, out, logSumExp(a, n)); return; }
  if (op == Op.VecSoftmax || op == Op.VecLogSoftmax) {
    const lse = logSumExp(a, n);
    for (let i = 0; i < n; i++) {
      const z = getVal(V, a + i) - lse;
      setVal(V, out + i, op == Op.VecSoftmax ? Math.exp(z) : z);
    }
    return;
  }
  if (op == Op.VecCopy) {
    const sa = strideOf(p1b, BROADCAST_A);
    for (let i = 0; i < n; i++) setVal(V, out + i, getVal(V, a + i * sa));
    return;
  }
  if (op == Op.VecWhere) {
    const sc = strideOf(p1b, BROADCAST_A);
    for (let i = 0; i < n; i++) setVal(V, out + i, getVal(V, b + (isTrue(getVal(V, a + i * sc)) ? i : n + i)));
    return;
  }
  if (op == Op.VecSelect) {
    const sa = strideOf(p1b, BROADCAST_A), sb = strideOf(p1b, BROADCAST_B), sc = strideOf(p1b, BROADCAST_CONDITION);
    for (let i = 0; i < n; i++) setVal(V, out + i, isTrue(getVal(V, p2a + i * sc)) ? getVal(V, a + i * sa) : getVal(V, b + i * sb)); // y = c ? a : b
    return;
  }
  if (op == Op.VecTranspose) {
    const cols = p1b, rows = transposeRows(n, cols);                        // y(j, i) = a(i, j)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) setVal(V, out + j * rows + i, getVal(V, a + i * cols + j));
    return;
  }
  if (op == Op.VecGather) {
    for (let i = 0; i < n; i++) {                                           // y[i] = a[k(i)]
      const k = gatherOffset(getVal(V, b + i), p1b);
      setVal(V, out + i, k < 0 ? NaN : getVal(V, a + k));
    }
    return;
  }
  unknownOp(op);
}

/** Adds each output's adjoint times the row's partials into the operands' adjoints. */
export function vectorReverse(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  const V = valueColumn(), A = adjointColumn();
  const n = p1a;
  if (op == Op.VecConst || op == Op.VecInput) return; // no operands (the caller reads an input's adjoints)
  if (op == Op.VecMap) {
    const f = p1b & 255;
    const sa = strideOf(p1b, BROADCAST_A);
    const sb = strideOf(p1b, BROADCAST_B);
    const toA = (p1b & DATA_A) == 0, toB = (p1b & DATA_B) == 0;
    for (let i = 0; i < n; i++) {
      const g = getAdj(A, out + i);
      if (g == 0) continue; // as the scalar rows: no 0·∞ from elements nothing depends on
      partials(f, getVal(V, a + i * sa), getVal(V, b + i * sb), getVal(V, out + i));
      if (toA) addAdj(A, a + i * sa, g * partialA);
      if (toB) addAdj(A, b + i * sb, g * partialB);
    }
    return;
  }
  if (op == Op.MatMul) {
    // C = A·B: Ā(i, p) += Σⱼ C̄(i, j) B(p, j), B̄(p, j) += Σᵢ A(i, p) C̄(i, j).
    const m = p1a, k = p1b, cols = p2a;
    matmulStrides(m, k, cols, p2b);
    const ars = aRowStride, acs = aColStride, brs = bRowStride, bcs = bColStride;
    const toA = (p2b & DATA_A) == 0, toB = (p2b & DATA_B) == 0;
    for (let i = 0; i < m; i++) {
      const row = out + i * cols;
      for (let p = 0; p < k; p++) {
        const ia = a + i * ars + p * acs;
        const av = getVal(V, ia);
        let s: f64 = 0;
        let ib = b + p * brs;
        for (let j = 0; j < cols; j++) {
          const g = getAdj(A, row + j);
          s += g * getVal(V, ib);
          if (toB) addAdj(A, ib, av * g);
          ib += bcs;
        }
        if (toA) addAdj(A, ia, s);
      }
    }
    return;
  }
  const g = getAdj(A, out);
  // A one-output row nothing depends on adds nothing, as the scalar rows: no 0·∞ or 0·NaN from an
  // untaken where() branch (VecDot of a 0/0, say).
  if (g == 0 && vectorOutputs(op, p1a, p2a) == 1) return;
  if (op == Op.VecSum) {
    for (let i = 0; i < n; i++) addAdj(A, a + i, g);                           // ∂Σa/∂aᵢ = 1
    return;
  }
  if (op == Op.VecMean) {
    const gn = g * (1 / <f64>n);                                            // ∂mean/∂aᵢ = 1/n
    for (let i = 0; i < n; i++) addAdj(A, a + i, gn);
    return;
  }
  if (op == Op.VecDot) {
    const toA = (p1b & DATA_A) == 0, toB = (p1b & DATA_B) == 0;
    for (let i = 0; i < n; i++) {                                            // ∂(a·b)/∂aᵢ = bᵢ
      if (toA) addAdj(A, a + i, g * getVal(V, b + i));
      if (toB) addAdj(A, b + i, g * getVal(V, a + i));
    }
    return;
  }
  if (op == Op.VecProd) {
    // ∂Πa/∂aᵢ = Π_{j≠i} aⱼ, without dividing by a zero: count the zeros first.
    let zeros = 0;
    let zeroAt = -1;
    let rest: f64 = 1;
    for (let i = 0; i < n; i++) {
      const x = getVal(V, a + i);
      if (x == 0) { zeros++; zeroAt = i; } else rest *= x;
    }
    if (zeros == 1) addAdj(A, a + zeroAt, g * rest);
    else if (zeros == 0) for (let i = 0; i < n; i++) addAdj(A, a + i, g * (rest / getVal(V, a + i)));
    return;
  }
  if (op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp) {
    const y = getVal(V, out);
    if (op == Op.VecLogSumExp && y == y && y != Infinity && y != -Infinity) {
      for (let i = 0; i < n; i++) addAdj(A, a + i, g * Math.exp(getVal(V, a + i) - y)); // ∂lse/∂aᵢ = softmaxᵢ
      return;
    }
    // max/min (and an infinite lse): ties share the adjoint evenly; a NaN result sends it to the NaNs.
    let ties = 0;
    for (let i = 0; i < n; i++) {
      const x = getVal(V, a + i);
      if (x == y || (y != y && x != x)) ties++;
    }
    for (let i = 0; i < n; i++) {
      const x = getVal(V, a + i);
      if (x == y || (y != y && x != x)) addAdj(A, a + i, g / <f64>ties);
    }
    return;
  }
  if (op == Op.VecSoftmax) {
    let gy: f64 = 0;                                                        // ∂yᵢ/∂aⱼ = yᵢ(δᵢⱼ − yⱼ)
    for (let i = 0; i < n; i++) gy += getAdj(A, out + i) * getVal(V, out + i);
    for (let i = 0; i < n; i++) addAdj(A, a + i, getVal(V, out + i) * (getAdj(A, out + i) - gy));
    return;
  }
  if (op == Op.VecLogSoftmax) {
    let gs: f64 = 0;                                                        // ∂yᵢ/∂aⱼ = δᵢⱼ − softmaxⱼ
    for (let i = 0; i < n; i++) gs += getAdj(A, out + i);
    for (let i = 0; i < n; i++) addAdj(A, a + i, getAdj(A, out + i) - Math.exp(getVal(V, out + i)) * gs);
    return;
  }
  if (op == Op.VecCopy) {
    const sa = strideOf(p1b, BROADCAST_A);
    for (let i = 0; i < n; i++) addAdj(A, a + i * sa, getAdj(A, out + i));
    return;
  }
  if (op == Op.VecWhere) {
    if ((p1b & DATA_B) != 0) return;
    const sc = strideOf(p1b, BROADCAST_A);                      // to the taken branch only
    for (let i = 0; i < n; i++) addAdj(A, b + (isTrue(getVal(V, a + i * sc)) ? i : n + i), getAdj(A, out + i));
    return;
  }
  if (op == Op.VecSelect) {
    // ā += ȳ·[c], b̄ += ȳ·[¬c]: b's additions first, then a's, the order the two copies of
    // VecWhere's form made them in (it differs only where a and b share slots).
    const sa = strideOf(p1b, BROADCAST_A), sb = strideOf(p1b, BROADCAST_B), sc = strideOf(p1b, BROADCAST_CONDITION);
    if ((p1b & DATA_B) == 0) for (let i = 0; i < n; i++) if (!isTrue(getVal(V, p2a + i * sc))) addAdj(A, b + i * sb, getAdj(A, out + i));
    if ((p1b & DATA_A) == 0) for (let i = 0; i < n; i++) if (isTrue(getVal(V, p2a + i * sc))) addAdj(A, a + i * sa, getAdj(A, out + i));
    return;
  }
  if (op == Op.VecTranspose) {
    const cols = p1b, rows = transposeRows(n, cols);                        // ā(i, j) += ȳ(j, i)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) addAdj(A, a + i * cols + j, getAdj(A, out + j * rows + i));
    return;
  }
  if (op == Op.VecGather) {
    for (let i = 0; i < n; i++) {                                           // scatter-add: ā[k(i)] += ȳ[i]
      const k = gatherOffset(getVal(V, b + i), p1b);
      if (k >= 0) addAdj(A, a + k, getAdj(A, out + i));
    }
    return;
  }
  unknownOp(op);
}
