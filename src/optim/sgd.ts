/**
 * @file Stochastic gradient descent with optional heavy-ball or Nesterov momentum and L2 weight decay.
 *
 * Momentum follows PyTorch's `torch.optim.SGD` (dampening 0) rather than Polyak's original form:
 * the buffer accumulates raw gradients and the learning rate multiplies the result, so changing
 * the learning rate mid-run does not rescale the stored velocity. Nesterov momentum is the
 * Sutskever et al. (2013) reformulation used by PyTorch: step along g + μ·b instead of b.
 */

import type { Tree } from '../trees.js';
import { ArgumentError } from '../errors.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';
import { rejectUnknownOptions, requireBoolean, requireNonNegative, requireUnitInterval } from './validate.js';

export interface SGDOptions extends OptimizerOptions {
  /** Heavy-ball coefficient μ in [0, 1); 0 (default) disables momentum. */
  momentum?: number;
  /** Use Nesterov's look-ahead form; requires momentum > 0. */
  nesterov?: boolean;
  /** L2 penalty λ: the gradient becomes g + λ·params. */
  weightDecay?: number;
}

/** Default learning rate 1e-3, as PyTorch's. */
export class SGD extends Optimizer {
  /** Heavy-ball coefficient μ (0: none). */
  readonly momentum: number;
  /** Whether the step looks ahead along the momentum (Nesterov). */
  readonly nesterov: boolean;
  /** L2 penalty λ. */
  readonly weightDecay: number;
  private readonly velocity: Float64Array;

  constructor(params: Float64Array | Tree, options: SGDOptions = {}) {
    super('SGD', params, options, 1e-3);
    rejectUnknownOptions('SGD', options, Optimizer.optionNames('momentum', 'nesterov', 'weightDecay'));
    this.momentum = requireUnitInterval('SGD', 'momentum', options.momentum ?? 0, '0.9');
    this.nesterov = requireBoolean('SGD', 'nesterov', options.nesterov ?? false);
    this.weightDecay = requireNonNegative('SGD', 'weightDecay', options.weightDecay ?? 0, '1e-4');
    if (this.nesterov && this.momentum === 0) {
      throw new ArgumentError('SGD: nesterov: true needs momentum > 0 to look ahead along. Pass e.g. { momentum: 0.9, nesterov: true }.');
    }
    this.velocity = new Float64Array(this.momentum > 0 ? this.params.length : 0);
  }

  protected update(grad: Float64Array, gradScale: number, learningRate: number, t: number): void {
    const { params, velocity, momentum, nesterov, weightDecay } = this;
    // PyTorch seeds the buffer with the first gradient instead of decaying from zero.
    const seedVelocity = t === 1;
    for (let i = 0; i < params.length; i++) {
      let direction = grad[i] * gradScale + weightDecay * params[i];
      if (momentum > 0) {
        const v = seedVelocity ? direction : momentum * velocity[i] + direction;
        velocity[i] = v;
        direction = nesterov ? direction + momentum * v : v;
      }
      params[i] -= learningRate * direction;
    }
  }

  protected buffers(): Record<string, Float64Array> {
    return this.momentum > 0 ? { velocity: this.velocity } : {};
  }
}
