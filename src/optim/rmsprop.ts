/**
 * @file RMSprop (Tieleman & Hinton 2012, Coursera "Neural Networks for Machine Learning", lecture
 * 6.5): divide the step by a running root-mean-square of the gradient. Options and defaults follow
 * PyTorch's `torch.optim.RMSprop`: ε is added outside the square root, `centered` subtracts the
 * squared running mean (Graves 2013, eq. 38–41), momentum applies to the scaled step.
 */

import type { Tree } from '../trees.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';
import { rejectUnknownOptions, requireBoolean, requireNonNegative, requirePositive, requireUnitInterval } from './validate.js';

export interface RMSpropOptions extends OptimizerOptions {
  /** Decay rate α of the running mean of g². Default 0.99. */
  alpha?: number;
  /** Added to the root-mean-square. Default 1e-8. */
  epsilon?: number;
  /** Heavy-ball coefficient in [0, 1) applied to the scaled step. Default 0. */
  momentum?: number;
  /** Normalize by an estimate of the variance (E[g²] − E[g]²) instead of E[g²]. Default false. */
  centered?: boolean;
  /** L2 penalty λ: the gradient becomes g + λ·params. Default 0. */
  weightDecay?: number;
}

/** Default learning rate 1e-2, as PyTorch's. */
export class RMSprop extends Optimizer {
  /** Decay rate of the running mean of g². */
  readonly alpha: number;
  /** Added to the root-mean-square. */
  readonly epsilon: number;
  /** Heavy-ball coefficient on the scaled step. */
  readonly momentum: number;
  /** Whether the mean gradient is subtracted (variance instead of E[g²]). */
  readonly centered: boolean;
  /** L2 penalty λ. */
  readonly weightDecay: number;
  private readonly squareAverage: Float64Array;
  private readonly gradientAverage: Float64Array;
  private readonly velocity: Float64Array;

  constructor(params: Float64Array | Tree, options: RMSpropOptions = {}) {
    super('RMSprop', params, options, 1e-2);
    rejectUnknownOptions('RMSprop', options, Optimizer.optionNames('alpha', 'epsilon', 'momentum', 'centered', 'weightDecay'));
    this.alpha = requireUnitInterval('RMSprop', 'alpha', options.alpha ?? 0.99, '0.99');
    this.epsilon = requirePositive('RMSprop', 'epsilon', options.epsilon ?? 1e-8, '1e-8');
    this.momentum = requireUnitInterval('RMSprop', 'momentum', options.momentum ?? 0, '0.9');
    this.centered = requireBoolean('RMSprop', 'centered', options.centered ?? false);
    this.weightDecay = requireNonNegative('RMSprop', 'weightDecay', options.weightDecay ?? 0, '1e-4');
    this.squareAverage = new Float64Array(this.params.length);
    this.gradientAverage = new Float64Array(this.centered ? this.params.length : 0);
    this.velocity = new Float64Array(this.momentum > 0 ? this.params.length : 0);
  }

  protected update(grad: Float64Array, gradScale: number, learningRate: number): void {
    const { params, squareAverage, gradientAverage, velocity, alpha, epsilon, momentum, centered, weightDecay } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i] * gradScale + weightDecay * params[i];
      const square = alpha * squareAverage[i] + (1 - alpha) * g * g;
      squareAverage[i] = square;
      let variance = square;
      if (centered) {
        const mean = alpha * gradientAverage[i] + (1 - alpha) * g;
        gradientAverage[i] = mean;
        variance -= mean * mean;
      }
      const scaled = g / (Math.sqrt(variance) + epsilon);
      if (momentum > 0) {
        const v = momentum * velocity[i] + scaled;
        velocity[i] = v;
        params[i] -= learningRate * v;
      } else {
        params[i] -= learningRate * scaled;
      }
    }
  }

  protected buffers(): Record<string, Float64Array> {
    const buffers: Record<string, Float64Array> = { squareAverage: this.squareAverage };
    if (this.centered) buffers.gradientAverage = this.gradientAverage;
    if (this.momentum > 0) buffers.velocity = this.velocity;
    return buffers;
  }
}
