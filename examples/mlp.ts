/**
 * @file DESIGN.md's MLP benchmark (64 → 128 tanh → 10, softmax cross-entropy, batch 32) in
 * wengert's vector ops, and the same network in plain JS with its gradient written by hand
 * (the reference the tape must reproduce; bench/mlp-scalar.ts has it in scalar ops).
 *
 *   H = tanh(X·W1 + 1·b1ᵀ),  Z = H·W2 + 1·b2ᵀ,  loss = −(1/B) Σ_b Σ_c Y_bc · log softmax(Z_b)_c
 *
 * Biases with the current API: elementwise ops take equal shapes or a scalar, so a bias row
 * cannot be added to a B × n matrix directly. The cheapest correct form found:
 *  - layer 1: b1 is stored right after W1, so [W1; b1ᵀ] is one (I + 1) × H view of the
 *    parameters, and each input row carries a trailing 1 (`withOnesColumn`): X·W1 + 1·b1ᵀ =
 *    [X | 1]·[W1; b1ᵀ] is one matmul with no extra instruction.
 *  - layer 2: H is computed, so it has no ones column; 1·b2ᵀ is a B × 1 by 1 × C matmul (B·C
 *    products, one row) added to H·W2. Appending a column to H instead would copy all B·(H + 1)
 *    values; adding b2 as a row-broadcast vector (add(matrix, vector)) records one row per
 *    matrix row, B rows here.
 */

import { add, compile, dot, logSoftmax, matmul, mul, reshape, tanh, type Backend, type CompiledFunction, type Operand, type Vector } from '../src/index.js';
import { mulberry32 } from './mnist/seeded-permutation.js';

export interface MlpShape {
  inputs: number;
  hidden: number;
  classes: number;
  batch: number;
}

/** DESIGN.md's benchmark network. */
export const DESIGN_MLP: MlpShape = { inputs: 64, hidden: 128, classes: 10, batch: 32 };

/** Where each block starts in the flat parameter vector: W1 (I × H, row-major), b1 (H),
 *  W2 (H × C), b2 (C). Each bias follows its weights, so [W; bᵀ] is one matrix view. */
export function mlpLayout({ inputs, hidden, classes }: MlpShape) {
  const w1 = 0;
  const b1 = w1 + inputs * hidden;
  const w2 = b1 + hidden;
  const b2 = w2 + hidden * classes;
  return { w1, b1, w2, b2, size: b2 + classes };
}

/** [X | 1]: each of the `rows` rows of X (row-major, `cols` wide) with a trailing 1. */
export function withOnesColumn(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * (cols + 1));
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * cols, (r + 1) * cols), r * (cols + 1));
    out[r * (cols + 1) + cols] = 1;
  }
  return out;
}

/** loss(params, [X | 1], Y) in vector ops: Y is B × C (one-hot rows, or any weights). */
export function mlpLoss(shape: MlpShape) {
  const { inputs, hidden, classes, batch } = shape;
  const { w1, w2, b2, size } = mlpLayout(shape);
  const ones = new Float64Array(batch).fill(1);
  return (params: Vector, xWithOnes: Vector, labels: Vector): Operand => {
    const layer1 = params.slice(w1, w2).reshape(inputs + 1, hidden); // [W1; b1ᵀ]
    const h = tanh(matmul(xWithOnes.reshape(batch, inputs + 1), layer1));
    const w = params.slice(w2, b2).reshape(hidden, classes);
    // A constant ones column: captured data, one VecConst row (matmul computes no adjoint for it).
    const bias = matmul(reshape(ones, batch, 1), params.slice(b2, size).reshape(1, classes));
    const z = add(matmul(h, w), bias);
    return mul(-1 / batch, dot(labels, logSoftmax(z)));
  };
}

/** A compiled loss and gradient: `step(params, xWithOnes, labels, gradOut)` returns the loss. */
export interface MlpStep {
  compiled: CompiledFunction;
  step(params: Float64Array, xWithOnes: Float64Array, labels: Float64Array, gradOut: Float64Array): number;
}

/** Records the loss once and replays it per step. */
export function compileMlp(shape: MlpShape, options: { backend?: Backend } = {}): MlpStep {
  const { inputs, classes, batch } = shape;
  // X and the labels are data: only the parameters are differentiated (matmul computes no X̄).
  const compiled = compile(mlpLoss(shape), mlpLayout(shape).size, batch * (inputs + 1), batch * classes, { backend: options.backend, wrt: [0] });
  return {
    compiled,
    step: (params, xWithOnes, labels, gradOut) => compiled.valueAndGrad(params, xWithOnes, labels, gradOut).value,
  };
}

/** The loss and its gradient in plain JS, backpropagation written out by hand. Takes X without
 *  the ones column (B × I); writes ∂loss/∂params into gradOut and returns the loss. */
export function mlpManual(shape: MlpShape, params: Float64Array, x: Float64Array, labels: Float64Array, gradOut: Float64Array, scratch = mlpScratch(shape)): number {
  const { inputs: I, hidden: H, classes: C, batch: B } = shape;
  const { w1, b1, w2, b2 } = mlpLayout(shape);
  const { h, p } = scratch;
  gradOut.fill(0);
  let loss = 0;
  for (let n = 0; n < B; n++) {
    // forward: h = tanh(W1ᵀx + b1), z = W2ᵀh + b2, p = softmax(z)
    const hn = n * H;
    for (let j = 0; j < H; j++) h[hn + j] = params[b1 + j];
    for (let i = 0; i < I; i++) {
      const xi = x[n * I + i];
      const row = w1 + i * H;
      for (let j = 0; j < H; j++) h[hn + j] += xi * params[row + j];
    }
    for (let j = 0; j < H; j++) h[hn + j] = Math.tanh(h[hn + j]);
    const pn = n * C;
    for (let c = 0; c < C; c++) p[pn + c] = params[b2 + c];
    for (let j = 0; j < H; j++) {
      const hj = h[hn + j];
      const row = w2 + j * C;
      for (let c = 0; c < C; c++) p[pn + c] += hj * params[row + c];
    }
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, p[pn + c]);
    let total = 0;
    for (let c = 0; c < C; c++) total += Math.exp(p[pn + c] - m);
    const lse = m + Math.log(total);
    let ySum = 0;
    for (let c = 0; c < C; c++) {
      const y = labels[pn + c];
      loss -= y * (p[pn + c] - lse);
      ySum += y;
      p[pn + c] = Math.exp(p[pn + c] - lse);
    }
    // backward: dz = (p·Σy − y)/B, then dW2 = h dzᵀ, db2 = dz, dh = W2 dz, da = dh ⊙ (1 − h²)
    for (let c = 0; c < C; c++) p[pn + c] = (p[pn + c] * ySum - labels[pn + c]) / B;
    for (let c = 0; c < C; c++) gradOut[b2 + c] += p[pn + c];
    for (let j = 0; j < H; j++) {
      const hj = h[hn + j];
      const row = w2 + j * C;
      let dh = 0;
      for (let c = 0; c < C; c++) {
        gradOut[row + c] += hj * p[pn + c];
        dh += params[row + c] * p[pn + c];
      }
      h[hn + j] = dh * (1 - hj * hj); // h now holds da
    }
    for (let j = 0; j < H; j++) gradOut[b1 + j] += h[hn + j];
    for (let i = 0; i < I; i++) {
      const xi = x[n * I + i];
      if (xi === 0) continue;
      const row = w1 + i * H;
      for (let j = 0; j < H; j++) gradOut[row + j] += xi * h[hn + j];
    }
  }
  return loss / B;
}

/** Work arrays for mlpManual, allocated once per shape. */
export function mlpScratch({ hidden, classes, batch }: MlpShape) {
  return { h: new Float64Array(batch * hidden), p: new Float64Array(batch * classes) };
}

/** A reproducible problem: Glorot-uniform weights, zero biases, inputs in [0, 1), random one-hot labels. */
export function mlpProblem(shape: MlpShape, seed = 1) {
  const { inputs, hidden, classes, batch } = shape;
  const { w1, b1, w2, b2, size } = mlpLayout(shape);
  const random = mulberry32(seed);
  const params = new Float64Array(size);
  const glorot = (from: number, to: number, fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = from; i < to; i++) params[i] = (2 * random() - 1) * limit;
  };
  glorot(w1, b1, inputs, hidden);
  glorot(w2, b2, hidden, classes);
  const x = Float64Array.from({ length: batch * inputs }, () => random());
  const labels = new Float64Array(batch * classes);
  for (let n = 0; n < batch; n++) labels[n * classes + Math.floor(random() * classes)] = 1;
  return { params, x, xWithOnes: withOnesColumn(x, batch, inputs), labels };
}
