/** @file The vector instructions' tangent and second-order rules, defined once for the wasm core
 *  and the JS tape (beside assembly/shared/vector.ts, whose row conventions they share).
 *
 *  Dotted names are tangents along the direction of the sweep: ȧ = getTan(T, a) and the tangent
 *  of an adjoint ā̇ = getTanAdj(TA, a), T and TA their columns. Forward, `vectorTangent` sets ẏ = J ȧ (J = ∂y/∂a, after the
 *  values). Reverse, `vectorReverse` adds ā += Jᵀȳ and `vectorSecondOrder` adds its tangent
 *  ā̇ += Jᵀȳ̇ + J̇ᵀȳ, J̇ = Σ ∂J/∂aⱼ ȧⱼ; with ȳ = 1, ȳ̇ = 0 at the output, the inputs get Hv. */
import { Op, partials, partialA, partialB, secondPartials, partialAA, partialAB, partialBB, isTrue } from './ops.js';
import { BROADCAST_A, BROADCAST_B, BROADCAST_CONDITION, DATA_A, DATA_B, strideOf, transposeRows, gatherOffset, vectorOutputs, matmulStrides, aRowStride, aColStride, bRowStride, bColStride } from './vector.js';
import { valueColumn, adjointColumn, tangentColumn, adjointTangentColumn, getVal, getAdj, getTan, setTan, getTanAdj, addTanAdj, getOperandTan, addOperandTanAdj, unknownOp } from './slots.js';

/** Whether the n tangents from slot a are all exactly 0: MatMul then skips their products
 *  (a zero direction contributes nothing, as JAX's symbolic zeros; 0·∞ is not formed). */
function tangentsZero(a: i32, n: i32): bool {
  const T = tangentColumn();
  for (let i = 0; i < n; i++) if (getTan(T, a + i) != 0) return false;
  return true;
}

function adjointTangentsZero(a: i32, n: i32): bool {
  const TA = adjointTangentColumn();
  for (let i = 0; i < n; i++) if (getTanAdj(TA, a + i) != 0) return false;
  return true;
}

/** Elements of a max/min result's ties (NaN ties with NaN), as vectorReverse counts them. */
function isTie(x: f64, y: f64): bool {
  return x == y || (y != y && x != x);
}

/** Sets the tangents of the row's outputs from its operands' tangents (values already set). */
export function vectorTangent(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  const V = valueColumn(), T = tangentColumn();
  const n = p1a;
  if (op == Op.VecConst) {
    for (let i = 0; i < n; i++) setTan(T, out + i, 0);                      // constants: ẏ = 0
    return;
  }
  if (op == Op.VecInput) return;                                           // inputs: the caller wrote ẋ
  if (op == Op.VecMap) {
    const f = p1b & 255;                                                    // ẏᵢ = ∂f/∂a ȧᵢ + ∂f/∂b ḃᵢ
    const sa = strideOf(p1b, BROADCAST_A);
    const sb = strideOf(p1b, BROADCAST_B);
    for (let i = 0; i < n; i++) {
      const ia = a + i * sa, ib = b + i * sb;
      partials(f, getVal(V, ia), getVal(V, ib), getVal(V, out + i));
      setTan(T, out + i, partialA * getTan(T, ia) + partialB * getOperandTan(T, ib));
    }
    return;
  }
  if (op == Op.MatMul) {
    const m = p1a, k = p1b, cols = p2a;                                     // Ċ = ȦB + AḂ
    matmulStrides(m, k, cols, p2b);
    const ars = aRowStride, acs = aColStride, brs = bRowStride, bcs = bColStride;
    const withA = !tangentsZero(a, m * k), withB = !tangentsZero(b, k * cols);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < cols; j++) {
        let s: f64 = 0;
        if (withA) for (let p = 0; p < k; p++) s += getTan(T, a + (i * ars + p * acs)) * getVal(V, b + (p * brs + j * bcs));
        if (withB) for (let p = 0; p < k; p++) s += getVal(V, a + (i * ars + p * acs)) * getTan(T, b + (p * brs + j * bcs));
        setTan(T, out + i * cols + j, s);
      }
    }
    return;
  }
  let s: f64 = 0;
  if (op == Op.VecSum) {
    for (let i = 0; i < n; i++) s += getTan(T, a + i);                        // ẏ = Σ ȧᵢ
    setTan(T, out, s);
    return;
  }
  if (op == Op.VecMean) {
    for (let i = 0; i < n; i++) s += getTan(T, a + i);                        // ẏ = (Σ ȧᵢ)/n
    setTan(T, out, s * (1 / <f64>n));
    return;
  }
  if (op == Op.VecDot) {
    for (let i = 0; i < n; i++) s += getTan(T, a + i) * getVal(V, b + i) + getVal(V, a + i) * getTan(T, b + i); // ẏ = ȧ·b + a·ḃ
    setTan(T, out, s);
    return;
  }
  if (op == Op.VecProd) {
    // ẏ = Σ ȧᵢ Π_{j≠i} aⱼ, by the zero count as in vectorReverse: no division by a zero.
    let zeros = 0;
    let zeroAt = -1;
    let rest: f64 = 1;
    for (let i = 0; i < n; i++) {
      const x = getVal(V, a + i);
      if (x == 0) { zeros++; zeroAt = i; } else rest *= x;
    }
    if (zeros == 1) s = getTan(T, a + zeroAt) * rest;
    else if (zeros == 0) for (let i = 0; i < n; i++) s += getTan(T, a + i) * (rest / getVal(V, a + i));
    setTan(T, out, s);
    return;
  }
  if (op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp) {
    const y = getVal(V, out);
    if (op == Op.VecLogSumExp && y == y && y != Infinity && y != -Infinity) {
      for (let i = 0; i < n; i++) s += Math.exp(getVal(V, a + i) - y) * getTan(T, a + i); // ẏ = Σ softmaxᵢ ȧᵢ
      setTan(T, out, s);
      return;
    }
    let ties = 0;                                                           // ẏ = mean of the ties' ȧᵢ
    for (let i = 0; i < n; i++) {
      if (isTie(getVal(V, a + i), y)) { ties++; s += getTan(T, a + i); }
    }
    setTan(T, out, ties == 0 ? 0 : s / <f64>ties);
    return;
  }
  if (op == Op.VecSoftmax) {
    for (let i = 0; i < n; i++) s += getVal(V, out + i) * getTan(T, a + i);      // ẏᵢ = yᵢ(ȧᵢ − Σ yⱼȧⱼ)
    for (let i = 0; i < n; i++) setTan(T, out + i, getVal(V, out + i) * (getTan(T, a + i) - s));
    return;
  }
  if (op == Op.VecLogSoftmax) {
    for (let i = 0; i < n; i++) s += Math.exp(getVal(V, out + i)) * getTan(T, a + i); // ẏᵢ = ȧᵢ − Σ softmaxⱼ ȧⱼ
    for (let i = 0; i < n; i++) setTan(T, out + i, getTan(T, a + i) - s);
    return;
  }
  if (op == Op.VecCopy) {
    const sa = strideOf(p1b, BROADCAST_A);                      // ẏᵢ = ȧᵢ
    for (let i = 0; i < n; i++) setTan(T, out + i, getTan(T, a + i * sa));
    return;
  }
  if (op == Op.VecWhere) {
    const sc = strideOf(p1b, BROADCAST_A);                      // ẏᵢ = the taken branch's ḃ
    for (let i = 0; i < n; i++) setTan(T, out + i, getTan(T, b + (isTrue(getVal(V, a + i * sc)) ? i : n + i)));
    return;
  }
  if (op == Op.VecSelect) {
    const sa = strideOf(p1b, BROADCAST_A), sb = strideOf(p1b, BROADCAST_B), sc = strideOf(p1b, BROADCAST_CONDITION);
    for (let i = 0; i < n; i++) setTan(T, out + i, isTrue(getVal(V, p2a + i * sc)) ? getTan(T, a + i * sa) : getTan(T, b + i * sb)); // ẏ = c ? ȧ : ḃ
    return;
  }
  if (op == Op.VecTranspose) {
    const cols = p1b, rows = transposeRows(n, cols);                        // ẏ = ȧᵀ
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) setTan(T, out + j * rows + i, getTan(T, a + i * cols + j));
    return;
  }
  if (op == Op.VecGather) {
    for (let i = 0; i < n; i++) {                                           // ẏᵢ = ȧ[k(i)]
      const k = gatherOffset(getVal(V, b + i), p1b);
      setTan(T, out + i, k < 0 ? 0 : getTan(T, a + k));
    }
    return;
  }
  unknownOp(op);
}

/** Adds the tangent of vectorReverse's update to the operands' adjoint tangents. */
export function vectorSecondOrder(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  const V = valueColumn(), A = adjointColumn(), T = tangentColumn(), TA = adjointTangentColumn();
  const n = p1a;
  if (op == Op.VecConst || op == Op.VecInput) return; // no operands
  if (op == Op.VecMap) {
    // ā̇ᵢ += ȳ̇ᵢ ∂f/∂a + ȳᵢ (∂²f/∂a² ȧᵢ + ∂²f/∂a∂b ḃᵢ), likewise for b.
    const f = p1b & 255;
    const sa = strideOf(p1b, BROADCAST_A);
    const sb = strideOf(p1b, BROADCAST_B);
    for (let i = 0; i < n; i++) {
      const ia = a + i * sa, ib = b + i * sb;
      const x = getVal(V, ia), w = getVal(V, ib), y = getVal(V, out + i);
      const g = getAdj(A, out + i), tg = getTanAdj(TA, out + i);
      if (g == 0 && tg == 0) continue; // as vectorReverse: no 0·∞ from elements nothing depends on
      const ta = getTan(T, ia), tb = getOperandTan(T, ib);
      partials(f, x, w, y);
      const da = partialA, db = partialB;
      secondPartials(f, x, w, y);
      addTanAdj(TA, ia, tg * da + g * (partialAA * ta + partialAB * tb));
      addOperandTanAdj(TA, ib, tg * db + g * (partialAB * ta + partialBB * tb));
    }
    return;
  }
  if (op == Op.MatMul) {
    // Ā += C̄Bᵀ and B̄ += AᵀC̄, so Ā̇ += C̄̇Bᵀ + C̄Ḃᵀ and B̄̇ += ȦᵀC̄ + AᵀC̄̇ (zero factors skipped).
    const m = p1a, k = p1b, cols = p2a;
    matmulStrides(m, k, cols, p2b);
    const ars = aRowStride, acs = aColStride, brs = bRowStride, bcs = bColStride;
    const withA = !tangentsZero(a, m * k), withB = !tangentsZero(b, k * cols), withC = !adjointTangentsZero(out, m * cols);
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const ia = a + (i * ars + p * acs);
        const av = getVal(V, ia);
        const tav = withA ? getTan(T, ia) : 0;
        let s: f64 = 0;
        if (withC) {
          for (let j = 0; j < cols; j++) {
            const c = out + i * cols + j, ib = b + (p * brs + j * bcs);
            const g = getAdj(A, c), tg = getTanAdj(TA, c);
            s += tg * getVal(V, ib) + (withB ? g * getTan(T, ib) : 0);
            addTanAdj(TA, ib, tav * g + av * tg);
          }
        } else if (withA || withB) {
          for (let j = 0; j < cols; j++) {
            const ib = b + (p * brs + j * bcs);
            const g = getAdj(A, out + i * cols + j);
            if (withB) s += g * getTan(T, ib);
            if (withA) addTanAdj(TA, ib, tav * g);
          }
        }
        addTanAdj(TA, ia, s);
      }
    }
    return;
  }
  const g = getAdj(A, out), tg = getTanAdj(TA, out);
  if (g == 0 && tg == 0 && vectorOutputs(op, p1a, p2a) == 1) return; // as vectorReverse
  if (op == Op.VecSum) {
    for (let i = 0; i < n; i++) addTanAdj(TA, a + i, tg);                      // ā̇ᵢ += ȳ̇
    return;
  }
  if (op == Op.VecMean) {
    const tn = tg * (1 / <f64>n);                                           // ā̇ᵢ += ȳ̇/n (linear)
    for (let i = 0; i < n; i++) addTanAdj(TA, a + i, tn);
    return;
  }
  if (op == Op.VecDot) {
    for (let i = 0; i < n; i++) {                                           // ā̇ᵢ += ȳ̇ bᵢ + ȳ ḃᵢ
      addTanAdj(TA, a + i, tg * getVal(V, b + i) + g * getTan(T, b + i));
      addTanAdj(TA, b + i, tg * getVal(V, a + i) + g * getTan(T, a + i));
    }
    return;
  }
  if (op == Op.VecProd) {
    // ā̇ᵢ += ȳ̇ Pᵢ + ȳ Ṗᵢ, Pᵢ = Π_{j≠i} aⱼ, Ṗᵢ = Σ_{k≠i} ȧₖ Π_{j≠i,k} aⱼ; by the zero count.
    let zeros = 0;
    let z1 = -1;
    let z2 = -1;
    let rest: f64 = 1;
    let ratio: f64 = 0;                                                     // Σ ȧₖ/aₖ over the nonzero aₖ
    for (let i = 0; i < n; i++) {
      const x = getVal(V, a + i);
      if (x == 0) {
        zeros++;
        if (z1 < 0) z1 = i; else z2 = i;
      } else {
        rest *= x;
        ratio += getTan(T, a + i) / x;
      }
    }
    if (zeros == 0) {
      for (let i = 0; i < n; i++) {
        const x = getVal(V, a + i);
        const p = rest / x;
        addTanAdj(TA, a + i, tg * p + g * p * (ratio - getTan(T, a + i) / x));
      }
    } else if (zeros == 1) {
      addTanAdj(TA, a + z1, tg * rest + g * rest * ratio);
      const t = g * getTan(T, a + z1) * rest;
      for (let i = 0; i < n; i++) if (i != z1) addTanAdj(TA, a + i, t / getVal(V, a + i));
    } else if (zeros == 2) {
      addTanAdj(TA, a + z1, g * getTan(T, a + z2) * rest);
      addTanAdj(TA, a + z2, g * getTan(T, a + z1) * rest);
    }
    return;
  }
  if (op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp) {
    const y = getVal(V, out);
    if (op == Op.VecLogSumExp && y == y && y != Infinity && y != -Infinity) {
      const ty = getTan(T, out);                                               // ā̇ᵢ += sᵢ (ȳ̇ + ȳ (ȧᵢ − ẏ)), s = softmax
      for (let i = 0; i < n; i++) addTanAdj(TA, a + i, Math.exp(getVal(V, a + i) - y) * (tg + g * (getTan(T, a + i) - ty)));
      return;
    }
    let ties = 0;                                                           // piecewise linear: ā̇ᵢ += ȳ̇/ties
    for (let i = 0; i < n; i++) if (isTie(getVal(V, a + i), y)) ties++;
    for (let i = 0; i < n; i++) if (isTie(getVal(V, a + i), y)) addTanAdj(TA, a + i, tg / <f64>ties);
    return;
  }
  if (op == Op.VecSoftmax) {
    // ā += y ⊙ (ȳ − Σ ȳⱼyⱼ), so ā̇ᵢ += ẏᵢ(ȳᵢ − Σ ȳⱼyⱼ) + yᵢ(ȳ̇ᵢ − Σ (ȳ̇ⱼyⱼ + ȳⱼẏⱼ)).
    let gy: f64 = 0;
    let tgy: f64 = 0;
    for (let i = 0; i < n; i++) {
      const y = getVal(V, out + i), gi = getAdj(A, out + i);
      gy += gi * y;
      tgy += getTanAdj(TA, out + i) * y + gi * getTan(T, out + i);
    }
    for (let i = 0; i < n; i++) {
      addTanAdj(TA, a + i, getTan(T, out + i) * (getAdj(A, out + i) - gy) + getVal(V, out + i) * (getTanAdj(TA, out + i) - tgy));
    }
    return;
  }
  if (op == Op.VecLogSoftmax) {
    // ā += ȳ − s Σ ȳⱼ (s = eʸ), so ā̇ᵢ += ȳ̇ᵢ − sᵢ(ẏᵢ Σ ȳⱼ + Σ ȳ̇ⱼ).
    let gs: f64 = 0;
    let tgs: f64 = 0;
    for (let i = 0; i < n; i++) {
      gs += getAdj(A, out + i);
      tgs += getTanAdj(TA, out + i);
    }
    for (let i = 0; i < n; i++) {
      addTanAdj(TA, a + i, getTanAdj(TA, out + i) - Math.exp(getVal(V, out + i)) * (getTan(T, out + i) * gs + tgs));
    }
    return;
  }
  if (op == Op.VecCopy) {
    const sa = strideOf(p1b, BROADCAST_A);                      // ā̇ᵢ += ȳ̇ᵢ
    for (let i = 0; i < n; i++) addTanAdj(TA, a + i * sa, getTanAdj(TA, out + i));
    return;
  }
  if (op == Op.VecWhere) {
    const sc = strideOf(p1b, BROADCAST_A);                      // to the taken branch only
    for (let i = 0; i < n; i++) addTanAdj(TA, b + (isTrue(getVal(V, a + i * sc)) ? i : n + i), getTanAdj(TA, out + i));
    return;
  }
  if (op == Op.VecSelect) {
    // Linear in a and b: ā̇ += ȳ̇·[c], b̄̇ += ȳ̇·[¬c], in vectorReverse's order (b first).
    const sa = strideOf(p1b, BROADCAST_A), sb = strideOf(p1b, BROADCAST_B), sc = strideOf(p1b, BROADCAST_CONDITION);
    if ((p1b & DATA_B) == 0) for (let i = 0; i < n; i++) if (!isTrue(getVal(V, p2a + i * sc))) addTanAdj(TA, b + i * sb, getTanAdj(TA, out + i));
    if ((p1b & DATA_A) == 0) for (let i = 0; i < n; i++) if (isTrue(getVal(V, p2a + i * sc))) addTanAdj(TA, a + i * sa, getTanAdj(TA, out + i));
    return;
  }
  if (op == Op.VecTranspose) {
    const cols = p1b, rows = transposeRows(n, cols);                        // linear: ā̇(i, j) += ȳ̇(j, i)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) addTanAdj(TA, a + i * cols + j, getTanAdj(TA, out + j * rows + i));
    return;
  }
  if (op == Op.VecGather) {
    for (let i = 0; i < n; i++) {                                           // linear: ā̇[k(i)] += ȳ̇ᵢ
      const k = gatherOffset(getVal(V, b + i), p1b);
      if (k >= 0) addTanAdj(TA, a + k, getTanAdj(TA, out + i));
    }
    return;
  }
  unknownOp(op);
}
