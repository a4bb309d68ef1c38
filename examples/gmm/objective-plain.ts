/** @file ADBench's GMM objective (as its C++ gmm.h computes it) in plain JavaScript: the baseline that benchmarks divide by. */

import type { GmmInput } from './types.js';
import { logGamma } from './log-gamma.js';
import { gmmParameterCount, icfRowLength } from './parameters.js';

/**
 * ADBench's C++ `PI` macro. Using it keeps the objective equal to ADBench's to
 * the last digits; Math.PI would move it by ~3e-9 absolute at n = 10k, d = 10.
 */
export const ADBENCH_PI = 3.14159265359;

/**
 * The GMM objective, exactly as ADBench defines it (signs included):
 *
 *   E = −(n·d/2)·log 2π + Σ_i LSE_j(β_ij) − n·LSE(alpha)
 *       + Σ_j [½γ²‖Q_j‖_F² − m·Σ_r q_jr] − k·C,
 *   β_ij = alpha_j + Σ_r q_jr − ½‖Q_j (x_i − mu_j)‖²,
 *   C = N·d·(log γ − ½ log 2) − log Γ_d(N/2),  N = d + m + 1.
 *
 * `params` is the flat `[alphas, means, icf]` vector (ADBench's gradient
 * layout); without it, the parameters stored in `input` are used.
 */
export function gmmObjective(input: GmmInput, params?: Float64Array): number {
  const { d, k, n, x } = input;
  const t = icfRowLength(d);
  let alphas = input.alphas;
  let means = input.means;
  let icf = input.icf;
  if (params !== undefined) {
    const expected = gmmParameterCount(d, k);
    if (params.length !== expected) {
      throw new RangeError(
        `gmmObjective: params has length ${params.length}, expected k(d+1)(d+2)/2 = ${expected} for d = ${d}, k = ${k} (layout [alphas, means, icf]).`,
      );
    }
    alphas = params.subarray(0, k);
    means = params.subarray(k, k + k * d);
    icf = params.subarray(k + k * d);
  }

  // Hoisted out of the point loop: each component's diagonal exp(q) and its
  // alpha_j + log det Q_j, so the inner loop does no transcendental work
  // beyond the k exps of the log-sum-exp.
  const diag = new Float64Array(k * d);
  const offset = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let sumQ = 0;
    for (let r = 0; r < d; r++) {
      const q = icf[j * t + r];
      sumQ += q;
      diag[j * d + r] = Math.exp(q);
    }
    offset[j] = alphas[j] + sumQ;
  }

  const centred = new Float64Array(d);
  const qx = new Float64Array(d);
  const beta = new Float64Array(k);
  // Neumaier-compensated sum: with n in the millions (ADBench's 2.5M
  // instances) a plain running sum drifts by ~1e-11 relative, and the
  // compensation costs a few flops next to the k exps per point.
  let dataTerm = 0;
  let dataCompensation = 0;
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    let maxBeta = -Infinity;
    for (let j = 0; j < k; j++) {
      const mj = j * d;
      for (let r = 0; r < d; r++) {
        const c = x[xi + r] - means[mj + r];
        centred[r] = c;
        qx[r] = diag[mj + r] * c;
      }
      // l_j is stored column by column, so Q_j·(x - mu) is accumulated a column
      // at a time to read icf sequentially.
      let li = j * t + d;
      for (let c = 0; c < d - 1; c++) {
        const xc = centred[c];
        for (let r = c + 1; r < d; r++) qx[r] += icf[li++] * xc;
      }
      let sq = 0;
      for (let r = 0; r < d; r++) sq += qx[r] * qx[r];
      const b = offset[j] - 0.5 * sq;
      beta[j] = b;
      if (b > maxBeta) maxBeta = b;
    }
    const term = logSumExpShifted(beta, k, maxBeta);
    const sum = dataTerm + term;
    dataCompensation += Math.abs(dataTerm) >= Math.abs(term) ? dataTerm - sum + term : term - sum + dataTerm;
    dataTerm = sum;
  }
  dataTerm += dataCompensation;

  const constant = -0.5 * n * d * Math.log(2 * ADBENCH_PI);
  return constant + dataTerm - n * logSumExp(alphas, k) + logWishartPrior(input, icf);
}

/** The prior term Σ_j [½γ²‖Q_j‖_F² − m·log det Q_j] − k·C, with the sign ADBench uses. */
function logWishartPrior(input: GmmInput, icf: Float64Array): number {
  const { d, k } = input;
  const { gamma, m } = input.wishart;
  const t = icfRowLength(d);
  const dofs = d + m + 1;
  const c = dofs * d * (Math.log(gamma) - 0.5 * Math.LN2) - logMultiGamma(0.5 * dofs, d);
  let total = 0;
  for (let j = 0; j < k; j++) {
    const row = j * t;
    let frobenius = 0;
    let sumQ = 0;
    for (let r = 0; r < d; r++) {
      const q = icf[row + r];
      const e = Math.exp(q);
      frobenius += e * e;
      sumQ += q;
    }
    for (let s = d; s < t; s++) frobenius += icf[row + s] * icf[row + s];
    total += 0.5 * gamma * gamma * frobenius - m * sumQ;
  }
  return total - k * c;
}

/** Multivariate log-gamma log Γ_p(a), with ADBench's π so the constant matches theirs. */
function logMultiGamma(a: number, p: number): number {
  let out = 0.25 * p * (p - 1) * Math.log(ADBENCH_PI);
  for (let s = 1; s <= p; s++) out += logGamma(a + 0.5 * (1 - s));
  return out;
}

function logSumExp(v: Float64Array, len: number): number {
  let max = -Infinity;
  for (let i = 0; i < len; i++) if (v[i] > max) max = v[i];
  return logSumExpShifted(v, len, max);
}

// Shifting by the max keeps every exp in (0, 1], so nothing overflows and the
// largest term is exact; the shift cancels analytically.
function logSumExpShifted(v: Float64Array, len: number, max: number): number {
  if (max === Infinity || max === -Infinity) return max;
  let sum = 0;
  for (let i = 0; i < len; i++) sum += Math.exp(v[i] - max);
  return max + Math.log(sum);
}
