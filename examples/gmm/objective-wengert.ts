/** @file ADBench's GMM objective written with wengert's vector ops, and its gradient from one compiled tape. */

import {
  add, compile, concat, dot, exp, logsumexp, matmul, matvec, mul, square, sub, sum,
  type Backend, type CompiledFunction, type Operand, type Vector,
} from '../../src/index.js';
import type { GmmInput, Wishart } from './types.js';
import { gmmParameterCount, icfRowLength } from './parameters.js';
import { ADBENCH_PI } from './objective-plain.js';
import { logGamma } from './log-gamma.js';

// The quadratic form is expanded so that the data enter through one constant matrix:
//
//   ‖Q_j (x − μ_j)‖² = xᵀP_j x − 2 (P_j μ_j)ᵀx + μ_jᵀP_j μ_j,   P_j = Q_jᵀQ_j (d × d),
//
// so every β_ij = α_j + Σ_r q_jr − ½‖Q_j (x_i − μ_j)‖² is one entry of Φ·Wᵀ, where row i of
// Φ holds the features of point i and row j of W the weights of component j:
//
//   Φ_i = [ −½·x_a x_b·(a = b ? 1 : 2) for a ≤ b  (d(d+1)/2) | x (d) | 1 ]
//   W_j = [ (P_j)_ab for a ≤ b                      (d(d+1)/2) | P_j μ_j | α_j + Σ_r q_jr − ½ μ_jᵀP_j μ_j ]
//
// Φ (n × F, F = d(d+1)/2 + d + 1) depends on the data only: it is computed once, in plain
// JS, and passed as the tape's second argument. Per evaluation the tape then does one
// n × F × k matmul, a row-wise logsumexp(β, { axis: 1 }) and a few d × d ops per component, where a
// direct Q_j·(x_i − μ_j) per point and component would record n·k small instructions.

/** Features per point: the d(d+1)/2 products x_a x_b (a ≤ b), the d coordinates, and 1. */
export function gmmFeatureCount(d: number): number {
  return icfRowLength(d) + d + 1;
}

/** Φ (n × F, row-major): the constant design matrix of the expanded quadratic form above. */
export function gmmFeatures(input: Pick<GmmInput, 'd' | 'n' | 'x'>): Float64Array {
  const { d, n, x } = input;
  const f = gmmFeatureCount(d);
  const phi = new Float64Array(n * f);
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    let at = i * f;
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) phi[at++] = (a === b ? -0.5 : -1) * x[xi + a] * x[xi + b];
    }
    for (let a = 0; a < d; a++) phi[at++] = x[xi + a];
    phi[at] = 1;
  }
  return phi;
}

/** The terms of E that no parameter touches: −(n·d/2)·log 2π − k·C (SPEC.md §1.2). */
export function gmmConstant(d: number, k: number, n: number, wishart: Wishart): number {
  const dofs = d + wishart.m + 1;
  let logMultiGamma = 0.25 * d * (d - 1) * Math.log(ADBENCH_PI);
  for (let s = 1; s <= d; s++) logMultiGamma += logGamma(0.5 * dofs + 0.5 * (1 - s));
  const c = dofs * d * (Math.log(wishart.gamma) - 0.5 * Math.LN2) - logMultiGamma;
  return -0.5 * n * d * Math.log(2 * ADBENCH_PI) - k * c;
}

/** E(params, Φ) on a tape: `params` is the flat [alphas, means, icf] vector, `features` is
 *  gmmFeatures(input) (n·F values). Returns the objective's handle. */
export function gmmObjectiveOnTape(d: number, k: number, n: number, wishart: Wishart) {
  const t = icfRowLength(d);
  const f = gmmFeatureCount(d);
  const constant = gmmConstant(d, k, n, wishart);
  const { gamma, m } = wishart;
  // Zeros above the diagonal of each column of Q_j (see transposedFactor).
  const zeros = Array.from({ length: d }, (_, c) => new Float64Array(c));
  return (params: Vector, features: Vector): Operand => {
    const alphas = params.slice(0, k);
    const weights: (Operand | Vector)[] = [];
    let prior: Operand = 0;
    for (let j = 0; j < k; j++) {
      const mu = params.slice(k + j * d, k + (j + 1) * d);
      const icf = params.slice(k + k * d + j * t, k + k * d + (j + 1) * t);
      const q = icf.slice(0, d);
      const l = icf.slice(d);
      const diagonal = exp(q);
      const qt = transposedFactor(diagonal, l, d, zeros);
      const p = matmul(qt, qt, { transposeB: true }); // P = QᵀQ
      const pmu = matvec(p, mu);
      for (let a = 0; a < d; a++) weights.push(p.row(a).slice(a));
      weights.push(pmu, sub(add(alphas.at(j), sum(q)), mul(0.5, dot(mu, pmu))));
      // ½γ²‖Q_j‖²_F − m·log det Q_j
      const frobenius = add(dot(diagonal, diagonal), dot(l, l));
      prior = add(prior, sub(mul(0.5 * gamma * gamma, frobenius), mul(m, sum(q))));
    }
    const w = concat(...weights).reshape(k, f);
    const beta = matmul(features.reshape(n, f), w, { transposeB: true }); // n × k
    const dataTerm = sum(logsumexp(beta, { axis: 1 })); // Σ_i LSE_j β_ij
    return add(add(sub(dataTerm, mul(n, logsumexp(alphas))), prior), constant);
  };
}

/** Q_jᵀ as a d × d matrix: row c is column c of Q_j, i.e. c zeros, exp(q_c), then the c-th
 *  column of the strictly-lower part, which icf stores contiguously (column by column). */
function transposedFactor(diagonal: Vector, l: Vector, d: number, zeros: Float64Array[]) {
  const parts: (Operand | Vector | Float64Array)[] = [];
  let at = 0;
  for (let c = 0; c < d; c++) {
    if (c > 0) parts.push(zeros[c]);
    parts.push(diagonal.at(c));
    const below = d - c - 1;
    if (below > 0) parts.push(l.slice(at, at + below));
    at += below;
  }
  return concat(...parts).reshape(d, d);
}

export interface GmmGradientOptions {
  backend?: Backend;
}

interface Compiled {
  fn: CompiledFunction;
  features: Float64Array;
}

const compiledFor = new WeakMap<GmmInput, Map<Backend, Compiled>>();

/** Compiles E for this instance once (per backend), then replays it. */
export function compileGmm(input: GmmInput, options: GmmGradientOptions = {}): Compiled {
  const backend = options.backend ?? 'wasm';
  let byBackend = compiledFor.get(input);
  if (byBackend === undefined) compiledFor.set(input, (byBackend = new Map()));
  let compiled = byBackend.get(backend);
  if (compiled === undefined) {
    const { d, k, n, wishart } = input;
    const features = gmmFeatures(input);
    // The features are data: only the parameters are differentiated.
    const fn = compile(gmmObjectiveOnTape(d, k, n, wishart), gmmParameterCount(d, k), features, { backend, wrt: [0] });
    compiled = { fn, features };
    byBackend.set(backend, compiled);
  }
  return compiled;
}

/** E and ∂E/∂params at the flat [alphas, means, icf] vector, from a tape compiled once per
 *  instance; writes the gradient into `out` when given. */
export function gmmGradient(
  input: GmmInput,
  params: Float64Array,
  options: GmmGradientOptions & { out?: Float64Array } = {},
): { value: number; grad: Float64Array } {
  const { fn, features } = compileGmm(input, options);
  const grad = options.out ?? new Float64Array(params.length);
  const { value } = fn.valueAndGrad(params, features, grad);
  return { value, grad };
}
