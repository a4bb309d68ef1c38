/** @file The vector instructions' tangent and second-order rules, defined once for the wasm core
 *  and the JS tape (beside assembly/shared/vector.ts, whose row conventions they share).
 *
 *  Dotted names are tangents along the direction of the sweep: ȧ = getTan(a), and the tangent
 *  of an adjoint ā̇ = getTanAdj(a). Forward, `vectorTangent` sets ẏ = J ȧ (J = ∂y/∂a, after the
 *  values). Reverse, `vectorReverse` adds ā += Jᵀȳ and `vectorSecondOrder` adds its tangent
 *  ā̇ += Jᵀȳ̇ + J̇ᵀȳ, J̇ = Σ ∂J/∂aⱼ ȧⱼ; with ȳ = 1, ȳ̇ = 0 at the output, the inputs get Hv. */
import { Op, partials, partialA, partialB, secondPartials, partialAA, partialAB, partialBB, isTrue } from './ops.js';
import { BROADCAST_A, BROADCAST_B, strideOf, matmulStrides, aRowStride, aColStride, bRowStride, bColStride } from './vector.js';
import { getVal, getAdj, getTan, setTan, getTanAdj, addTanAdj, unknownOp } from './slots.js';

/** Whether the n tangents from slot a are all exactly 0: MatMul then skips their products
 *  (a zero direction contributes nothing, as JAX's symbolic zeros; 0·∞ is not formed). */
function tangentsZero(a: i32, n: i32): bool {
  for (let i = 0; i < n; i++) if (getTan(a + i) != 0) return false;
  return true;
}

function adjointTangentsZero(a: i32, n: i32): bool {
  for (let i = 0; i < n; i++) if (getTanAdj(a + i) != 0) return false;
  return true;
}

/** Elements of a max/min result's ties (NaN ties with NaN), as vectorReverse counts them. */
function isTie(x: f64, y: f64): bool {
  return x == y || (y != y && x != x);
}

/** Sets the tangents of the row's outputs from its operands' tangents (values already set). */
export function vectorTangent(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  const n = p1a;
  if (op == Op.VecMap) {
    const f = p1b & 255;                                                    // ẏᵢ = ∂f/∂a ȧᵢ + ∂f/∂b ḃᵢ
    const sa = strideOf(p1b, BROADCAST_A);
    const sb = strideOf(p1b, BROADCAST_B);
    for (let i = 0; i < n; i++) {
      const ia = a + i * sa, ib = b + i * sb;
      partials(f, getVal(ia), getVal(ib), getVal(out + i));
      setTan(out + i, partialA * getTan(ia) + partialB * getTan(ib));
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
        if (withA) for (let p = 0; p < k; p++) s += getTan(a + (i * ars + p * acs)) * getVal(b + (p * brs + j * bcs));
        if (withB) for (let p = 0; p < k; p++) s += getVal(a + (i * ars + p * acs)) * getTan(b + (p * brs + j * bcs));
        setTan(out + i * cols + j, s);
      }
    }
    return;
  }
  let s: f64 = 0;
  if (op == Op.VecSum) {
    for (let i = 0; i < n; i++) s += getTan(a + i);                        // ẏ = Σ ȧᵢ
    setTan(out, s);
    return;
  }
  if (op == Op.VecDot) {
    for (let i = 0; i < n; i++) s += getTan(a + i) * getVal(b + i) + getVal(a + i) * getTan(b + i); // ẏ = ȧ·b + a·ḃ
    setTan(out, s);
    return;
  }
  if (op == Op.VecProd) {
    // ẏ = Σ ȧᵢ Π_{j≠i} aⱼ, by the zero count as in vectorReverse: no division by a zero.
    let zeros = 0;
    let zeroAt = -1;
    let rest: f64 = 1;
    for (let i = 0; i < n; i++) {
      const x = getVal(a + i);
      if (x == 0) { zeros++; zeroAt = i; } else rest *= x;
    }
    if (zeros == 1) s = getTan(a + zeroAt) * rest;
    else if (zeros == 0) for (let i = 0; i < n; i++) s += getTan(a + i) * (rest / getVal(a + i));
    setTan(out, s);
    return;
  }
  if (op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp) {
    const y = getVal(out);
    if (op == Op.VecLogSumExp && y == y && y != Infinity && y != -Infinity) {
      for (let i = 0; i < n; i++) s += Math.exp(getVal(a + i) - y) * getTan(a + i); // ẏ = Σ softmaxᵢ ȧᵢ
      setTan(out, s);
      return;
    }
    let ties = 0;                                                           // ẏ = mean of the ties' ȧᵢ
    for (let i = 0; i < n; i++) {
      if (isTie(getVal(a + i), y)) { ties++; s += getTan(a + i); }
    }
    setTan(out, ties == 0 ? 0 : s / <f64>ties);
    return;
  }
  if (op == Op.VecSoftmax) {
    for (let i = 0; i < n; i++) s += getVal(out + i) * getTan(a + i);      // ẏᵢ = yᵢ(ȧᵢ − Σ yⱼȧⱼ)
    for (let i = 0; i < n; i++) setTan(out + i, getVal(out + i) * (getTan(a + i) - s));
    return;
  }
  if (op == Op.VecLogSoftmax) {
    for (let i = 0; i < n; i++) s += Math.exp(getVal(out + i)) * getTan(a + i); // ẏᵢ = ȧᵢ − Σ softmaxⱼ ȧⱼ
    for (let i = 0; i < n; i++) setTan(out + i, getTan(a + i) - s);
    return;
  }
  if (op == Op.VecCopy) {
    const sa = strideOf(p1b, BROADCAST_A);                      // ẏᵢ = ȧᵢ
    for (let i = 0; i < n; i++) setTan(out + i, getTan(a + i * sa));
    return;
  }
  if (op == Op.VecWhere) {
    const sc = strideOf(p1b, BROADCAST_A);                      // ẏᵢ = the taken branch's ḃ
    for (let i = 0; i < n; i++) setTan(out + i, getTan(b + (isTrue(getVal(a + i * sc)) ? i : n + i)));
    return;
  }
  unknownOp(op);
}

/** Adds the tangent of vectorReverse's update to the operands' adjoint tangents. */
export function vectorSecondOrder(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  const n = p1a;
  if (op == Op.VecMap) {
    // ā̇ᵢ += ȳ̇ᵢ ∂f/∂a + ȳᵢ (∂²f/∂a² ȧᵢ + ∂²f/∂a∂b ḃᵢ), likewise for b.
    const f = p1b & 255;
    const sa = strideOf(p1b, BROADCAST_A);
    const sb = strideOf(p1b, BROADCAST_B);
    for (let i = 0; i < n; i++) {
      const ia = a + i * sa, ib = b + i * sb;
      const x = getVal(ia), w = getVal(ib), y = getVal(out + i);
      const g = getAdj(out + i), tg = getTanAdj(out + i);
      if (g == 0 && tg == 0) continue; // as vectorReverse: no 0·∞ from elements nothing depends on
      const ta = getTan(ia), tb = getTan(ib);
      partials(f, x, w, y);
      const da = partialA, db = partialB;
      secondPartials(f, x, w, y);
      addTanAdj(ia, tg * da + g * (partialAA * ta + partialAB * tb));
      addTanAdj(ib, tg * db + g * (partialAB * ta + partialBB * tb));
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
        const av = getVal(ia);
        const tav = withA ? getTan(ia) : 0;
        let s: f64 = 0;
        if (withC) {
          for (let j = 0; j < cols; j++) {
            const c = out + i * cols + j, ib = b + (p * brs + j * bcs);
            const g = getAdj(c), tg = getTanAdj(c);
            s += tg * getVal(ib) + (withB ? g * getTan(ib) : 0);
            addTanAdj(ib, tav * g + av * tg);
          }
        } else if (withA || withB) {
          for (let j = 0; j < cols; j++) {
            const ib = b + (p * brs + j * bcs);
            const g = getAdj(out + i * cols + j);
            if (withB) s += g * getTan(ib);
            if (withA) addTanAdj(ib, tav * g);
          }
        }
        addTanAdj(ia, s);
      }
    }
    return;
  }
  const g = getAdj(out), tg = getTanAdj(out);
  if (op == Op.VecSum) {
    for (let i = 0; i < n; i++) addTanAdj(a + i, tg);                      // ā̇ᵢ += ȳ̇
    return;
  }
  if (op == Op.VecDot) {
    for (let i = 0; i < n; i++) {                                           // ā̇ᵢ += ȳ̇ bᵢ + ȳ ḃᵢ
      addTanAdj(a + i, tg * getVal(b + i) + g * getTan(b + i));
      addTanAdj(b + i, tg * getVal(a + i) + g * getTan(a + i));
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
      const x = getVal(a + i);
      if (x == 0) {
        zeros++;
        if (z1 < 0) z1 = i; else z2 = i;
      } else {
        rest *= x;
        ratio += getTan(a + i) / x;
      }
    }
    if (zeros == 0) {
      for (let i = 0; i < n; i++) {
        const x = getVal(a + i);
        const p = rest / x;
        addTanAdj(a + i, tg * p + g * p * (ratio - getTan(a + i) / x));
      }
    } else if (zeros == 1) {
      addTanAdj(a + z1, tg * rest + g * rest * ratio);
      const t = g * getTan(a + z1) * rest;
      for (let i = 0; i < n; i++) if (i != z1) addTanAdj(a + i, t / getVal(a + i));
    } else if (zeros == 2) {
      addTanAdj(a + z1, g * getTan(a + z2) * rest);
      addTanAdj(a + z2, g * getTan(a + z1) * rest);
    }
    return;
  }
  if (op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp) {
    const y = getVal(out);
    if (op == Op.VecLogSumExp && y == y && y != Infinity && y != -Infinity) {
      const ty = getTan(out);                                               // ā̇ᵢ += sᵢ (ȳ̇ + ȳ (ȧᵢ − ẏ)), s = softmax
      for (let i = 0; i < n; i++) addTanAdj(a + i, Math.exp(getVal(a + i) - y) * (tg + g * (getTan(a + i) - ty)));
      return;
    }
    let ties = 0;                                                           // piecewise linear: ā̇ᵢ += ȳ̇/ties
    for (let i = 0; i < n; i++) if (isTie(getVal(a + i), y)) ties++;
    for (let i = 0; i < n; i++) if (isTie(getVal(a + i), y)) addTanAdj(a + i, tg / <f64>ties);
    return;
  }
  if (op == Op.VecSoftmax) {
    // ā += y ⊙ (ȳ − Σ ȳⱼyⱼ), so ā̇ᵢ += ẏᵢ(ȳᵢ − Σ ȳⱼyⱼ) + yᵢ(ȳ̇ᵢ − Σ (ȳ̇ⱼyⱼ + ȳⱼẏⱼ)).
    let gy: f64 = 0;
    let tgy: f64 = 0;
    for (let i = 0; i < n; i++) {
      const y = getVal(out + i), gi = getAdj(out + i);
      gy += gi * y;
      tgy += getTanAdj(out + i) * y + gi * getTan(out + i);
    }
    for (let i = 0; i < n; i++) {
      addTanAdj(a + i, getTan(out + i) * (getAdj(out + i) - gy) + getVal(out + i) * (getTanAdj(out + i) - tgy));
    }
    return;
  }
  if (op == Op.VecLogSoftmax) {
    // ā += ȳ − s Σ ȳⱼ (s = eʸ), so ā̇ᵢ += ȳ̇ᵢ − sᵢ(ẏᵢ Σ ȳⱼ + Σ ȳ̇ⱼ).
    let gs: f64 = 0;
    let tgs: f64 = 0;
    for (let i = 0; i < n; i++) {
      gs += getAdj(out + i);
      tgs += getTanAdj(out + i);
    }
    for (let i = 0; i < n; i++) {
      addTanAdj(a + i, getTanAdj(out + i) - Math.exp(getVal(out + i)) * (getTan(out + i) * gs + tgs));
    }
    return;
  }
  if (op == Op.VecCopy) {
    const sa = strideOf(p1b, BROADCAST_A);                      // ā̇ᵢ += ȳ̇ᵢ
    for (let i = 0; i < n; i++) addTanAdj(a + i * sa, getTanAdj(out + i));
    return;
  }
  if (op == Op.VecWhere) {
    const sc = strideOf(p1b, BROADCAST_A);                      // to the taken branch only
    for (let i = 0; i < n; i++) addTanAdj(b + (isTrue(getVal(a + i * sc)) ? i : n + i), getTanAdj(out + i));
    return;
  }
  unknownOp(op);
}
