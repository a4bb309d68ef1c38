/**
 * @file One training run, a step at a time: shuffled mini-batches, shifted digits, Adam with a
 * linearly decaying learning rate. The terminal demo loops over it; the browser page runs it in
 * slices between frames.
 */

import { Adam } from '../../src/optim/index.js';
import { accuracy, gatherBatch, shiftImages } from './batches.js';
import { CLASS_COUNT, PIXELS_PER_IMAGE, type MnistSplit } from './digits.js';
import type { Trainer } from './model.js';
import { mulberry32, seededPermutation } from './seeded-permutation.js';

export interface TrainingOptions {
  epochs: number;
  /** Adam's initial step size; it falls linearly to a tenth of this by the last step. */
  learningRate: number;
  /** Training digits move by up to this many pixels each way (0: not at all). */
  shift: number;
}

export interface StepResult {
  loss: number;
  /** Images of the batch the model classified correctly just before this step. */
  correct: number;
}

export class Training {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** Steps taken so far. */
  steps = 0;
  /** Seconds spent in the steps proper: wengert's loss and gradient plus Adam's update. */
  stepSeconds = 0;
  private readonly optimizer: Adam;
  private readonly images: Float64Array;
  private readonly oneHot: Float64Array;
  private readonly gradient: Float64Array;
  private readonly random = mulberry32(99);
  private order: Uint32Array = new Uint32Array(0);

  constructor(
    readonly trainer: Trainer<number | Promise<number>>,
    readonly data: MnistSplit,
    readonly options: TrainingOptions,
  ) {
    this.stepsPerEpoch = Math.floor(data.count / trainer.batch);
    if (this.stepsPerEpoch === 0) throw new RangeError(`Training: ${data.count} training digits do not fill one batch of ${trainer.batch}.`);
    this.totalSteps = this.stepsPerEpoch * options.epochs;
    this.optimizer = new Adam(trainer.params, { learningRate: options.learningRate });
    this.images = new Float64Array(trainer.batch * PIXELS_PER_IMAGE);
    this.oneHot = new Float64Array(trainer.batch * CLASS_COUNT);
    this.gradient = new Float64Array(trainer.params.length);
  }

  get done(): boolean {
    return this.steps >= this.totalSteps;
  }

  /** 1-based epoch of the last step taken (1 before the first). */
  get epoch(): number {
    return Math.max(1, Math.ceil(this.steps / this.stepsPerEpoch));
  }

  /** Steps taken in the current epoch, 0 … stepsPerEpoch. */
  get stepInEpoch(): number {
    return this.steps === 0 ? 0 : this.steps - (this.epoch - 1) * this.stepsPerEpoch;
  }

  /** Takes the next step (rejects once the run is done, or if the loss stops being finite). */
  async next(): Promise<StepResult> {
    if (this.done) throw new RangeError(`Training: all ${this.totalSteps} steps are taken.`);
    const { trainer, images, oneHot, gradient, optimizer, stepsPerEpoch } = this;
    const inEpoch = this.steps % stepsPerEpoch;
    if (inEpoch === 0) this.order = seededPermutation(this.data.count, this.steps / stepsPerEpoch + 1);
    gatherBatch(this.data, this.order, inEpoch * trainer.batch, images, oneHot);
    shiftImages(images, this.options.shift, this.random);
    const predicted = trainer.predict(images, trainer.batch);
    let correct = 0;
    for (let n = 0; n < trainer.batch; n++) if (oneHot[n * CLASS_COUNT + predicted[n]] === 1) correct++;
    optimizer.learningRate = this.options.learningRate * (1 - (0.9 * this.steps) / this.totalSteps);
    const started = performance.now();
    const loss = await trainer.lossAndGrad(images, oneHot, gradient);
    optimizer.step(gradient);
    this.stepSeconds += (performance.now() - started) / 1000;
    this.steps++;
    if (!Number.isFinite(loss)) throw new Error(`the loss became ${loss} at step ${this.steps}: lower the learning rate.`);
    return { loss, correct };
  }

  /** Fraction of `split` the model classifies correctly now. */
  score(split: MnistSplit): number {
    return accuracy(this.trainer.predict(split.images, split.count), split.labels);
  }
}
