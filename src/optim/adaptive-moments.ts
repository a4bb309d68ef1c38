/**
 * @file The Adam update shared by Adam and AdamW; they differ only in where weight decay enters.
 *
 * Moment estimates and bias correction follow Kingma & Ba (2015), "Adam: A Method for Stochastic
 * Optimization", Algorithm 1, in the algebraically equal form PyTorch uses (ε added to the
 * bias-corrected √v̂). Decoupled decay follows Loshchilov & Hutter (2019), "Decoupled Weight
 * Decay Regularization", Algorithm 2, with PyTorch's choice of scaling the decay by the learning
 * rate so that a learning-rate schedule also schedules the decay.
 */

import type { FirstOrderOptimizer } from './optimizer.js';
import {
  rejectUnknownOptions,
  requireFloat64Array,
  requireMatchingLength,
  requireNonNegative,
  requireOptionsObject,
  requirePositive,
  requireUnitInterval,
} from './validate.js';

export interface AdamOptions {
  learningRate?: number;
  /** Decay rate of the first-moment (mean) estimate. */
  beta1?: number;
  /** Decay rate of the second-moment (uncentred variance) estimate. */
  beta2?: number;
  /** Added to √v̂ so parameters with vanishing gradients do not take unbounded steps. */
  epsilon?: number;
  weightDecay?: number;
}

/** 'l2' folds λ·θ into the gradient (Adam); 'decoupled' shrinks θ directly (AdamW). */
export type WeightDecayStyle = 'l2' | 'decoupled';

const ADAM_OPTION_NAMES = ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'] as const;

export abstract class AdaptiveMoments implements FirstOrderOptimizer {
  readonly params: Float64Array;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private currentLearningRate: number;
  private readonly firstMoment: Float64Array;
  private readonly secondMoment: Float64Array;
  private stepCount = 0;
  private readonly owner: string;
  private readonly decayStyle: WeightDecayStyle;

  protected constructor(owner: string, decayStyle: WeightDecayStyle, params: Float64Array, options: AdamOptions, defaultWeightDecay: number) {
    this.owner = owner;
    this.decayStyle = decayStyle;
    requireFloat64Array(owner, 'params', params);
    requireOptionsObject(owner, options, '{ learningRate: 1e-3 }');
    rejectUnknownOptions(owner, options, ADAM_OPTION_NAMES);
    this.params = params;
    this.currentLearningRate = requirePositive(owner, 'learningRate', options.learningRate ?? 1e-3, '1e-3');
    this.beta1 = requireUnitInterval(owner, 'beta1', options.beta1 ?? 0.9, '0.9');
    this.beta2 = requireUnitInterval(owner, 'beta2', options.beta2 ?? 0.999, '0.999');
    this.epsilon = requirePositive(owner, 'epsilon', options.epsilon ?? 1e-8, '1e-8');
    this.weightDecay = requireNonNegative(owner, 'weightDecay', options.weightDecay ?? defaultWeightDecay, '1e-2');
    this.firstMoment = new Float64Array(params.length);
    this.secondMoment = new Float64Array(params.length);
  }

  get learningRate(): number {
    return this.currentLearningRate;
  }

  set learningRate(value: number) {
    this.currentLearningRate = requirePositive(this.owner, 'learningRate', value, '1e-3');
  }

  /** Number of updates since construction or the last reset; drives bias correction. */
  get steps(): number {
    return this.stepCount;
  }

  step(grad: Float64Array): void {
    requireFloat64Array(this.owner, 'grad', grad);
    requireMatchingLength(this.owner, 'grad', grad, this.params.length);
    const { params, firstMoment, secondMoment, beta1, beta2, epsilon, weightDecay } = this;
    const learningRate = this.currentLearningRate;
    const t = ++this.stepCount;
    // Both moments start at zero, so early averages are biased towards zero by exactly these factors.
    const firstCorrection = 1 - beta1 ** t;
    const secondCorrectionRoot = Math.sqrt(1 - beta2 ** t);
    const stepSize = learningRate / firstCorrection;
    const l2 = this.decayStyle === 'l2' ? weightDecay : 0;
    const shrink = this.decayStyle === 'decoupled' ? 1 - learningRate * weightDecay : 1;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i] + l2 * params[i];
      const m = beta1 * firstMoment[i] + (1 - beta1) * g;
      const v = beta2 * secondMoment[i] + (1 - beta2) * g * g;
      firstMoment[i] = m;
      secondMoment[i] = v;
      params[i] = params[i] * shrink - (stepSize * m) / (Math.sqrt(v) / secondCorrectionRoot + epsilon);
    }
  }

  reset(): void {
    this.firstMoment.fill(0);
    this.secondMoment.fill(0);
    this.stepCount = 0;
  }
}
