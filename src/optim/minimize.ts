/** @file A plain loop that drives any first-order optimizer against an Objective for a fixed number of steps. */

import { ArgumentError, ObjectiveError } from '../errors.js';
import { evaluateObjective, type Objective } from './objective.js';
import type { FirstOrderOptimizer } from './optimizer.js';
import { rejectUnknownOptions, requireFunction, requireMatchingLength, requireNonNegativeInteger, requireOptionsObject, requireVector } from './validate.js';
import { euclideanNorm } from './vector.js';

/** What onStep sees after each update (one object, reused: copy what you keep). */
export interface MinimizeStepInfo {
  /** Updates taken so far in this call (1 after the first). */
  step: number;
  /** f at the parameters the update started from. */
  value: number;
  /** ‖∇f‖₂ at those parameters, before any clipping. */
  gradientNorm: number;
  /** The learning rate the update used. */
  learningRate: number;
  /** The parameters after the update: the optimizer's live array. */
  params: Float64Array;
}

/** minimize's options. */
export interface MinimizeOptions {
  /** How many optimizer updates to take. */
  steps: number;
  /** Called after every update, e.g. to log progress; return true to stop early. */
  onStep?: (info: MinimizeStepInfo) => boolean | void;
}

/**
 * Starts from x0 (copied into `optimizer.params` unless it already is that array), takes `steps`
 * updates (fewer if onStep returns true), and returns f at the final parameters. The optimizer's
 * state is kept, so calling again continues where the last call stopped. The result is left in
 * `optimizer.params`.
 */
export function minimize(objective: Objective, x0: Float64Array | readonly number[], optimizer: FirstOrderOptimizer, options: MinimizeOptions): number {
  requireFunction('minimize', 'objective', objective, '(x, gradOut) => f(x)');
  requireVector('minimize', 'x0', x0);
  if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.step !== 'function' || !(optimizer.params instanceof Float64Array)) {
    throw new ArgumentError('minimize: optimizer must be an optimizer instance such as new Adam(x0), with params and step(grad).');
  }
  requireOptionsObject('minimize', options, '{ steps: 1000 }');
  rejectUnknownOptions('minimize', options, ['steps', 'onStep']);
  const steps = requireNonNegativeInteger('minimize', 'steps', options.steps, '1000');
  const onStep = options.onStep;
  if (onStep !== undefined) requireFunction('minimize', 'onStep', onStep, '(info) => boolean | void');
  const params = optimizer.params;
  requireMatchingLength('minimize', 'x0', x0, params.length);
  if (x0 !== params) params.set(x0);

  const gradient = new Float64Array(params.length);
  const info: MinimizeStepInfo = { step: 0, value: 0, gradientNorm: 0, learningRate: 0, params };
  for (let step = 0; step < steps; step++) {
    const value = evaluateObjective('minimize', objective, params, gradient);
    requireFiniteValue(value, step);
    // Read before the step, which advances a schedule; only when someone is listening.
    const learningRate = onStep === undefined ? 0 : optimizer.learningRate;
    optimizer.step(gradient);
    if (onStep !== undefined) {
      info.step = step + 1;
      info.value = value;
      info.gradientNorm = euclideanNorm(gradient);
      info.learningRate = learningRate;
      if (onStep(info) === true) break;
    }
  }
  // One extra evaluation so the returned value belongs to the parameters the caller now holds.
  const finalValue = evaluateObjective('minimize', objective, params, gradient);
  requireFiniteValue(finalValue, steps);
  return finalValue;
}

function requireFiniteValue(value: number, step: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ObjectiveError(
      `minimize: the objective returned ${String(value)} at step ${step}. The iterates have diverged or left the objective's domain; lower the learning rate or check the objective.`,
    );
  }
}
