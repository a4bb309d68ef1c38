/**
 * @file Stochastic gradient descent with optional heavy-ball or Nesterov momentum and L2 weight decay.
 *
 * Momentum follows PyTorch's `torch.optim.SGD` (dampening 0) rather than Polyak's original form:
 * the buffer accumulates raw gradients and the learning rate multiplies the result, so changing
 * the learning rate mid-run does not rescale the stored velocity. Nesterov momentum is the
 * Sutskever et al. (2013) reformulation used by PyTorch: step along g + μ·b instead of b.
 */

import type { FirstOrderOptimizer } from './optimizer.js';
import {
  rejectUnknownOptions,
  requireBoolean,
  requireFloat64Array,
  requireMatchingLength,
  requireNonNegative,
  requireOptionsObject,
  requirePositive,
  requireUnitInterval,
} from './validate.js';

export interface SGDOptions {
  learningRate: number;
  /** Heavy-ball coefficient μ in [0, 1); 0 disables momentum. */
  momentum?: number;
  /** Use Nesterov's look-ahead form; requires momentum > 0. */
  nesterov?: boolean;
  /** L2 penalty λ: the gradient becomes g + λ·params. */
  weightDecay?: number;
}

const SGD_OPTION_NAMES = ['learningRate', 'momentum', 'nesterov', 'weightDecay'] as const;

export class SGD implements FirstOrderOptimizer {
  readonly params: Float64Array;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private currentLearningRate: number;
  private readonly velocity: Float64Array;
  // PyTorch seeds the buffer with the first gradient instead of decaying from zero.
  private hasVelocity = false;

  constructor(params: Float64Array, options: SGDOptions) {
    requireFloat64Array('SGD', 'params', params);
    requireOptionsObject('SGD', options, '{ learningRate: 0.01 }');
    rejectUnknownOptions('SGD', options, SGD_OPTION_NAMES);
    this.params = params;
    this.currentLearningRate = requirePositive('SGD', 'learningRate', options.learningRate, '0.01');
    this.momentum = requireUnitInterval('SGD', 'momentum', options.momentum ?? 0, '0.9');
    this.nesterov = requireBoolean('SGD', 'nesterov', options.nesterov ?? false);
    this.weightDecay = requireNonNegative('SGD', 'weightDecay', options.weightDecay ?? 0, '1e-4');
    if (this.nesterov && this.momentum === 0) {
      throw new RangeError('SGD: nesterov: true needs momentum > 0 to look ahead along. Pass e.g. { momentum: 0.9, nesterov: true }.');
    }
    this.velocity = new Float64Array(this.momentum > 0 ? params.length : 0);
  }

  get learningRate(): number {
    return this.currentLearningRate;
  }

  set learningRate(value: number) {
    this.currentLearningRate = requirePositive('SGD', 'learningRate', value, '0.01');
  }

  step(grad: Float64Array): void {
    requireFloat64Array('SGD', 'grad', grad);
    requireMatchingLength('SGD', 'grad', grad, this.params.length);
    const { params, velocity, momentum, nesterov, weightDecay } = this;
    const learningRate = this.currentLearningRate;
    const seedVelocity = !this.hasVelocity;
    for (let i = 0; i < params.length; i++) {
      let direction = grad[i] + weightDecay * params[i];
      if (momentum > 0) {
        const v = seedVelocity ? direction : momentum * velocity[i] + direction;
        velocity[i] = v;
        direction = nesterov ? direction + momentum * v : v;
      }
      params[i] -= learningRate * direction;
    }
    this.hasVelocity = true;
  }

  reset(): void {
    this.velocity.fill(0);
    this.hasVelocity = false;
  }
}
