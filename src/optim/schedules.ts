/** @file Learning-rate schedules: functions of the step (0 for the first update) that optimizers
 *  take as `learningRate`, e.g. new Adam(params, { learningRate: cosineDecay(1e-3, 5000) }). */

import { ArgumentError } from '../errors.js';
import type { Schedule } from './optimizer.js';
import { requirePositive, requirePositiveInteger, requireNonNegative, requireNonNegativeInteger } from './validate.js';

/** rate · decayRate^(step / decaySteps): smooth exponential decay (decayRate in (0, 1]). */
export function exponentialDecay(rate: number, decayRate: number, decaySteps = 1): Schedule {
  requirePositive('exponentialDecay', 'rate', rate, '1e-3');
  requireFactor('exponentialDecay', 'decayRate', decayRate);
  requirePositive('exponentialDecay', 'decaySteps', decaySteps, '1000');
  return (step) => rate * decayRate ** (step / decaySteps);
}

/** rate · factor^⌊step / every⌋: multiply by factor every `every` steps (factor in (0, 1]). */
export function stepDecay(rate: number, factor: number, every: number): Schedule {
  requirePositive('stepDecay', 'rate', rate, '1e-3');
  requireFactor('stepDecay', 'factor', factor);
  requirePositiveInteger('stepDecay', 'every', every, '1000');
  return (step) => rate * factor ** Math.floor(step / every);
}

/** Half a cosine from rate down to finalRate over `steps` steps, then finalRate
 *  (Loshchilov & Hutter 2017, SGDR, eq. 5, without restarts). */
export function cosineDecay(rate: number, steps: number, finalRate = 0): Schedule {
  requirePositive('cosineDecay', 'rate', rate, '1e-3');
  requirePositiveInteger('cosineDecay', 'steps', steps, '1000');
  requireNonNegative('cosineDecay', 'finalRate', finalRate, '1e-5');
  if (finalRate > rate) throw new ArgumentError(`cosineDecay: finalRate ${finalRate} is above rate ${rate}; it decays from rate to finalRate`);
  // The last step of a decay to 0 must still move: every rate stays > 0 (an optimizer requires it).
  const floor = finalRate > 0 ? finalRate : rate * 1e-9;
  return (step) => Math.max(floor, finalRate + ((rate - finalRate) * (1 + Math.cos((Math.PI * Math.min(step, steps)) / steps))) / 2);
}

/** Ramps linearly up to `then` over the first `steps` steps (step k uses (k + 1)/steps of it),
 *  then follows `then`: a number or another schedule, which sees the step count from 0 at its start. */
export function linearWarmup(steps: number, then: number | Schedule): Schedule {
  requireNonNegativeInteger('linearWarmup', 'steps', steps, '100');
  const after: Schedule = typeof then === 'function' ? then : constant(requirePositive('linearWarmup', 'then', then, '1e-3'));
  return (step) => (step < steps ? (after(0) * (step + 1)) / steps : after(step - steps));
}

function constant(rate: number): Schedule {
  return () => rate;
}

function requireFactor(owner: string, name: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new ArgumentError(`${owner}: ${name} must be in (0, 1] (a factor the rate is multiplied by), got ${String(value)}. Pass e.g. ${name}: 0.5.`);
  }
}
