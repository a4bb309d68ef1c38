/** @file A plain loop that drives any first-order optimizer against an Objective for a fixed number of steps. */

import type { Objective } from './objective.js';
import type { FirstOrderOptimizer } from './optimizer.js';
import {
  rejectUnknownOptions,
  requireFloat64Array,
  requireFunction,
  requireMatchingLength,
  requireNonNegativeInteger,
  requireOptionsObject,
} from './validate.js';

export interface MinimizeOptions {
  /** How many optimizer updates to take. */
  steps: number;
}

/**
 * Starts from x0 (copied into `optimizer.params` unless it already is that array), takes `steps`
 * updates, and returns f at the final parameters. The optimizer's state is kept, so calling
 * again continues where the last call stopped. The result is left in `optimizer.params`.
 */
export function minimize(objective: Objective, x0: Float64Array, optimizer: FirstOrderOptimizer, options: MinimizeOptions): number {
  requireFunction('minimize', 'objective', objective, '(x, gradOut) => f(x)');
  requireFloat64Array('minimize', 'x0', x0);
  if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.step !== 'function' || !(optimizer.params instanceof Float64Array)) {
    throw new TypeError('minimize: optimizer must be an optimizer instance such as new Adam(x0), with params and step(grad).');
  }
  requireOptionsObject('minimize', options, '{ steps: 1000 }');
  rejectUnknownOptions('minimize', options, ['steps']);
  const steps = requireNonNegativeInteger('minimize', 'steps', options.steps, '1000');
  const params = optimizer.params;
  requireMatchingLength('minimize', 'x0', x0, params.length);
  if (x0 !== params) params.set(x0);

  const gradient = new Float64Array(params.length);
  for (let step = 0; step < steps; step++) {
    const value = objective(params, gradient);
    requireFiniteValue(value, step);
    optimizer.step(gradient);
  }
  // One extra evaluation so the returned value belongs to the parameters the caller now holds.
  const finalValue = objective(params, gradient);
  requireFiniteValue(finalValue, steps);
  return finalValue;
}

function requireFiniteValue(value: number, step: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(
      `minimize: the objective returned ${String(value)} at step ${step}. The iterates have diverged or left the objective's domain; lower the learning rate or check the objective.`,
    );
  }
}
