/**
 * @file The Adam update shared by Adam and AdamW; they differ only in where weight decay enters.
 *
 * Moment estimates and bias correction follow Kingma & Ba (2015), "Adam: A Method for Stochastic
 * Optimization", Algorithm 1, in the algebraically equal form PyTorch uses (ε added to the
 * bias-corrected √v̂). Decoupled decay follows Loshchilov & Hutter (2019), "Decoupled Weight
 * Decay Regularization", Algorithm 2, with PyTorch's choice of scaling the decay by the learning
 * rate so that a learning-rate schedule also schedules the decay.
 */

import type { Tree } from '../trees.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';
import { rejectUnknownOptions, requireNonNegative, requirePositive, requireUnitInterval } from './validate.js';

export interface AdamOptions extends OptimizerOptions {
  /** Decay rate of the first-moment (mean) estimate. Default 0.9. */
  beta1?: number;
  /** Decay rate of the second-moment (uncentred variance) estimate. Default 0.999. */
  beta2?: number;
  /** Added to √v̂ so parameters with vanishing gradients do not take unbounded steps. Default 1e-8. */
  epsilon?: number;
  /** λ: Adam adds λ·θ to the gradient (default 0), AdamW shrinks θ by learningRate·λ each step (default 1e-2). */
  weightDecay?: number;
}

/** 'l2' folds λ·θ into the gradient (Adam); 'decoupled' shrinks θ directly (AdamW). */
export type WeightDecayStyle = 'l2' | 'decoupled';

/** Default learning rate 1e-3, as PyTorch's. */
export abstract class AdaptiveMoments extends Optimizer {
  /** Decay rate of the first-moment estimate. */
  readonly beta1: number;
  /** Decay rate of the second-moment estimate. */
  readonly beta2: number;
  /** Added to √v̂. */
  readonly epsilon: number;
  /** λ: an L2 term (Adam) or a decoupled shrink (AdamW). */
  readonly weightDecay: number;
  private readonly firstMoment: Float64Array;
  private readonly secondMoment: Float64Array;
  private readonly decayStyle: WeightDecayStyle;

  protected constructor(owner: string, decayStyle: WeightDecayStyle, params: Float64Array | Tree, options: AdamOptions, defaultWeightDecay: number) {
    super(owner, params, options, 1e-3);
    this.decayStyle = decayStyle;
    rejectUnknownOptions(owner, options, Optimizer.optionNames('beta1', 'beta2', 'epsilon', 'weightDecay'));
    this.beta1 = requireUnitInterval(owner, 'beta1', options.beta1 ?? 0.9, '0.9');
    this.beta2 = requireUnitInterval(owner, 'beta2', options.beta2 ?? 0.999, '0.999');
    this.epsilon = requirePositive(owner, 'epsilon', options.epsilon ?? 1e-8, '1e-8');
    this.weightDecay = requireNonNegative(owner, 'weightDecay', options.weightDecay ?? defaultWeightDecay, '1e-2');
    this.firstMoment = new Float64Array(this.params.length);
    this.secondMoment = new Float64Array(this.params.length);
  }

  protected update(grad: Float64Array, gradScale: number, learningRate: number, t: number): void {
    const { params, firstMoment, secondMoment, beta1, beta2, epsilon, weightDecay } = this;
    // Both moments start at zero, so early averages are biased towards zero by exactly these factors.
    const firstCorrection = 1 - beta1 ** t;
    const secondCorrectionRoot = Math.sqrt(1 - beta2 ** t);
    const stepSize = learningRate / firstCorrection;
    const l2 = this.decayStyle === 'l2' ? weightDecay : 0;
    const shrink = this.decayStyle === 'decoupled' ? 1 - learningRate * weightDecay : 1;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i] * gradScale + l2 * params[i];
      const m = beta1 * firstMoment[i] + (1 - beta1) * g;
      const v = beta2 * secondMoment[i] + (1 - beta2) * g * g;
      firstMoment[i] = m;
      secondMoment[i] = v;
      params[i] = params[i] * shrink - (stepSize * m) / (Math.sqrt(v) / secondCorrectionRoot + epsilon);
    }
  }

  protected buffers(): Record<string, Float64Array> {
    return { firstMoment: this.firstMoment, secondMoment: this.secondMoment };
  }
}
