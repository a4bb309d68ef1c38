/**
 * @file The MNIST classifier behind a small trainer interface: 784 → hidden (tanh) → 10, softmax
 * cross-entropy averaged over a batch, its gradient from one compiled wengert tape.
 *
 * The demo and the browser page only see `createTrainer` (or `createParallelTrainer`, the same
 * model with its batch split across worker threads); the loss is a handful of vector rows
 * (matmul, tanh, logSoftmax), so one step replays a few rows over contiguous slots.
 */

import { add, compile, dataParallel, logSoftmax, matmul, mul, shapeOf, sum, tanh, type Backend, type Operand, type Vector } from '../../src/index.js';
import { CLASS_COUNT, PIXELS_PER_IMAGE } from './digits.js';
import { mulberry32 } from './seeded-permutation.js';


export interface TrainerOptions {
  /** Units in the hidden layer. */
  hidden: number;
  /** Images per gradient step: the compiled tape is traced for exactly this many. */
  batch: number;
  /** Where the tape is replayed: 'wasm' (default) or 'js', the pure-JS reference tape. */
  backend?: Backend;
  /** Seed of the weight initialization. */
  seed?: number;
}

/** A trainer whose loss and gradient come back as `Loss`: a number, or a Promise of one when worker threads compute it. */
export interface Trainer<Loss extends number | Promise<number> = number> {
  /** Every weight and bias in one vector (layout: `parameterLayout`); optimizers update it in place. */
  readonly params: Float64Array;
  readonly hidden: number;
  readonly batch: number;
  readonly backend: Backend;
  /** Values on the compiled tape (inputs, constants, results); undefined when worker threads hold the tapes. */
  readonly tapeNodes?: number;
  /** Worker threads sharing each batch (0: this thread computes it). */
  readonly workers: number;
  /** Mean cross-entropy of one batch (batch×784 pixels, batch×10 one-hot rows); writes ∂loss/∂params into gradOut. */
  lossAndGrad(batchImages: Float64Array, batchOneHot: Float64Array, gradOut: Float64Array): Loss;
  /** The most likely digit for each of `count` images (count×784 pixels), by a plain-JS forward pass. */
  predict(images: Float64Array, count: number): Uint8Array;
  /** Frees the compiled tape (ends the workers). */
  dispose(): void | Promise<void>;
}

/** Where each block starts in the parameter vector. W1 is pixel-major (W1[i·H + j] joins pixel i
 *  to hidden unit j) so that `predict` can skip a blank pixel's whole row; W2 is hidden-major. */
export function parameterLayout(hidden: number) {
  const w1 = 0;
  const b1 = w1 + PIXELS_PER_IMAGE * hidden;
  const w2 = b1 + hidden;
  const b2 = w2 + hidden * CLASS_COUNT;
  return { w1, b1, w2, b2, size: b2 + CLASS_COUNT };
}

/** The weights and biases as a parameter tree, { w1, b1, w2, b2 }, of views on `flat` (laid out
 *  by `parameterLayout`), so an optimizer can keep updating the one vector. */
export function parameterTree(flat: Float64Array, hidden: number): Parameters<Float64Array>;
/** The same tree over a flat vector handle, inside a traced function. */
export function parameterTree(flat: Vector, hidden: number): Parameters<Vector>;
export function parameterTree(flat: Float64Array | Vector, hidden: number): Parameters<Float64Array | Vector> {
  const { w1, b1, w2, b2, size } = parameterLayout(hidden);
  const part = (from: number, to: number) => (flat instanceof Float64Array ? flat.subarray(from, to) : flat.slice(from, to));
  return { w1: part(w1, b1), b1: part(b1, w2), w2: part(w2, b2), b2: part(b2, size) };
}

/** The model's parameters by name: W1 (784 × H, pixel-major), b1 (H), W2 (H × 10), b2 (10). */
export type Parameters<T> = { w1: T; b1: T; w2: T; b2: T };

export function createTrainer(options: TrainerOptions): Trainer {
  const { hidden, batch, backend, params } = setUp(options);
  const tree = parameterTree(params, hidden);
  // The parameters are a tree; images and labels are data: the tape takes no gradient for them
  // (matmul computes no X̄).
  const compiled = compile(treeLoss(batch), shapeOf(tree), batch * PIXELS_PER_IMAGE, batch * CLASS_COUNT, { backend, wrt: [0] });
  let gradTree: { flat: Float64Array; tree: Parameters<Float64Array> } | undefined;
  const gradientTree = (gradOut: Float64Array) => {
    if (gradTree?.flat !== gradOut) gradTree = { flat: gradOut, tree: parameterTree(gradOut, hidden) };
    return gradTree.tree;
  };
  return {
    params,
    hidden,
    batch,
    backend,
    tapeNodes: compiled.stats.nodes,
    workers: 0,
    lossAndGrad: (batchImages, batchOneHot, gradOut) => compiled.valueAndGrad(tree, batchImages, batchOneHot, gradientTree(gradOut)).value,
    predict: (images, count) => predictDigits(params, hidden, images, count),
    dispose: () => compiled.dispose(),
  };
}

/** The same model with each batch split by images across `workers` worker threads (dataParallel). */
export async function createParallelTrainer(options: TrainerOptions & { workers: number }): Promise<Trainer<Promise<number>>> {
  const { hidden, batch, backend, params, shapes, unused } = setUp(options);
  requireWhole('workers', options.workers);
  const parallel = await dataParallel(batchLoss(hidden, batch), ...shapes, { workers: options.workers, batch: [1, 2], rows: batch, backend });
  return {
    params,
    hidden,
    batch,
    backend,
    workers: options.workers,
    lossAndGrad: async (batchImages, batchOneHot, gradOut) => (await parallel.valueAndGrad(params, batchImages, batchOneHot, [gradOut, ...unused])).value,
    predict: (images, count) => predictDigits(params, hidden, images, count),
    dispose: () => parallel.dispose(),
  };
}

function setUp(options: TrainerOptions) {
  const { hidden, batch } = options;
  requireWhole('hidden', hidden);
  requireWhole('batch', batch);
  return {
    hidden,
    batch,
    backend: options.backend ?? 'wasm',
    params: initialParameters(hidden, options.seed ?? 1),
    shapes: [parameterLayout(hidden).size, batch * PIXELS_PER_IMAGE, batch * CLASS_COUNT],
    // dataParallel differentiates every argument; the image and label gradients land here unread.
    unused: [new Float64Array(batch * PIXELS_PER_IMAGE), new Float64Array(batch * CLASS_COUNT)],
  };
}

/** loss({ w1, b1, w2, b2 }, images, oneHot) = −(1/B) Σₙ Σₖ yₙₖ log softmax(W2ᵀ tanh(W1ᵀ xₙ + b1) + b2)ₖ:
 *  two matmuls, each bias added to every row. A sum over the images (B is the whole batch's size;
 *  the images given may be a shard of it, as dataParallel traces). */
export function treeLoss(batch: number) {
  return (p: Parameters<Vector>, images: Vector, oneHot: Vector): Operand => {
    const rows = images.length / PIXELS_PER_IMAGE;
    const hidden = p.b1.length;
    const h = tanh(add(matmul(images.reshape(rows, PIXELS_PER_IMAGE), p.w1.reshape(PIXELS_PER_IMAGE, hidden)), p.b1));
    const logits = add(matmul(h, p.w2.reshape(hidden, CLASS_COUNT)), p.b2);
    return mul(-1 / batch, sum(mul(logSoftmax(logits), oneHot.reshape(rows, CLASS_COUNT))));
  };
}

/** The same loss of the flat parameter vector (dataParallel's arguments are flat). */
export function batchLoss(hidden: number, batch: number) {
  const loss = treeLoss(batch);
  return (params: Vector, images: Vector, oneHot: Vector): Operand => loss(parameterTree(params, hidden), images, oneHot);
}

/** Glorot/Xavier uniform weights, U(±√(6 / (fan_in + fan_out))), the scale suited to tanh
 *  (Glorot & Bengio 2010); biases start at 0. */
function initialParameters(hidden: number, seed: number): Float64Array {
  const { w1, b1, w2, b2, size } = parameterLayout(hidden);
  const params = new Float64Array(size);
  const random = mulberry32(seed);
  const fill = (from: number, to: number, fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = from; i < to; i++) params[i] = (2 * random() - 1) * limit;
  };
  fill(w1, b1, PIXELS_PER_IMAGE, hidden);
  fill(w2, b2, hidden, CLASS_COUNT);
  return params;
}

function predictDigits(params: Float64Array, hidden: number, images: Float64Array, count: number): Uint8Array {
  const { w1, b1, w2, b2 } = parameterLayout(hidden);
  if (!Number.isSafeInteger(count) || count < 0 || images.length < count * PIXELS_PER_IMAGE) {
    throw new RangeError(`predict: count must be a whole number with count × ${PIXELS_PER_IMAGE} ≤ images.length (${images.length}), got ${count}.`);
  }
  const digits = new Uint8Array(count);
  const h = new Float64Array(hidden);
  for (let n = 0; n < count; n++) {
    for (let j = 0; j < hidden; j++) h[j] = params[b1 + j];
    for (let i = 0; i < PIXELS_PER_IMAGE; i++) {
      const x = images[n * PIXELS_PER_IMAGE + i];
      if (x === 0) continue; // most MNIST pixels are blank
      const row = w1 + i * hidden;
      for (let j = 0; j < hidden; j++) h[j] += params[row + j] * x;
    }
    for (let j = 0; j < hidden; j++) h[j] = Math.tanh(h[j]);
    let best = 0;
    let bestLogit = -Infinity;
    for (let k = 0; k < CLASS_COUNT; k++) {
      let z = params[b2 + k];
      for (let j = 0; j < hidden; j++) z += params[w2 + j * CLASS_COUNT + k] * h[j];
      if (z > bestLogit) {
        bestLogit = z;
        best = k;
      }
    }
    digits[n] = best;
  }
  return digits;
}

function requireWhole(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`createTrainer: ${name} must be a whole number ≥ 1, got ${String(value)}.`);
  }
}
