/**
 * @file L-BFGS minimization with a strong-Wolfe line search.
 *
 * Outer loop: Nocedal & Wright, Numerical Optimization (2nd ed.), Algorithm 7.5. Direction from
 * the two-loop recursion (Algorithm 7.4, in lbfgs-history.ts); step from Algorithms 3.5/3.6 (in
 * line-search.ts). The relative-decrease stopping test is the one used by L-BFGS-B
 * (Zhu, Byrd, Lu & Nocedal 1997): (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ valueTolerance.
 */

import { LbfgsHistory } from './lbfgs-history.js';
import { StrongWolfeLineSearch } from './line-search.js';
import { ObjectiveError } from '../errors.js';
import { evaluateObjective, type Objective } from './objective.js';
import {
  rejectUnknownOptions,
  requireFunction,
  requireNonNegative,
  requireNonNegativeInteger,
  requireOptionsObject,
  requirePositiveInteger,
  requireVector,
} from './validate.js';
import { dot, euclideanNorm, infinityNorm } from './vector.js';

/** What onIteration sees after each accepted step (one object, reused). */
export interface LbfgsIterationInfo {
  /** Accepted steps so far (1 on the first call). */
  iteration: number;
  /** f at the new point. */
  value: number;
  /** ‖∇f‖∞ at the new point. */
  gradientNorm: number;
  /** Step length α accepted by the line search. */
  stepSize: number;
  /** Objective evaluations so far, line searches included. */
  evaluations: number;
  /** Current point; a live view, valid only during the callback. Copy it to keep it. */
  x: Float64Array;
  /** Current gradient; a live view, valid only during the callback. */
  gradient: Float64Array;
}

/** lbfgs's options. */
export interface LbfgsOptions {
  /** Maximum accepted steps. Default 1000. */
  maxIterations?: number;
  /** Stop when ‖∇f‖∞ ≤ this. Default 1e-6. */
  gradientTolerance?: number;
  /**
   * Stop when the relative decrease of f in one step is ≤ this. Default 1e-12. With 0 it still
   * stops once a step fails to lower f at all, which happens when f is flat to rounding error.
   */
  valueTolerance?: number;
  /** Number of (s, y) pairs remembered, m. Default 10. */
  history?: number;
  /** Called after every accepted step; return true to stop early. The info object is reused. */
  onIteration?: (info: LbfgsIterationInfo) => boolean | void;
}

/** What lbfgs returns. */
export interface LbfgsResult {
  /** Best point found (a new array; x0 is left untouched). */
  x: Float64Array;
  /** f(x). */
  value: number;
  /** ∇f(x). */
  gradient: Float64Array;
  /** Accepted steps. */
  iterations: number;
  /** Objective evaluations, line searches included. */
  evaluations: number;
  /** True when a tolerance was met; false on iteration limit, line-search failure or early stop. */
  converged: boolean;
  /** Why it stopped, in words (which tolerance, or what failed). */
  reason: string;
}

const LBFGS_OPTION_NAMES = ['maxIterations', 'gradientTolerance', 'valueTolerance', 'history', 'onIteration'] as const;

/** Minimizes objective from x0 with L-BFGS and a strong-Wolfe line search; x0 is not modified. */
export function lbfgs(objective: Objective, x0: Float64Array | readonly number[], options: LbfgsOptions = {}): LbfgsResult {
  requireFunction('lbfgs', 'objective', objective, '(x, gradOut) => f(x)');
  requireVector('lbfgs', 'x0', x0);
  requireOptionsObject('lbfgs', options, '{ maxIterations: 200 }');
  rejectUnknownOptions('lbfgs', options, LBFGS_OPTION_NAMES);
  const maxIterations = requireNonNegativeInteger('lbfgs', 'maxIterations', options.maxIterations ?? 1000, '1000');
  const gradientTolerance = requireNonNegative('lbfgs', 'gradientTolerance', options.gradientTolerance ?? 1e-6, '1e-6');
  const valueTolerance = requireNonNegative('lbfgs', 'valueTolerance', options.valueTolerance ?? 1e-12, '1e-12');
  const historySize = requirePositiveInteger('lbfgs', 'history', options.history ?? 10, '10');
  const onIteration = options.onIteration;
  if (onIteration !== undefined) requireFunction('lbfgs', 'onIteration', onIteration, '(info) => boolean | void');

  const n = x0.length;
  let x = Float64Array.from(x0);
  let gradient = new Float64Array(n);
  let trialX = new Float64Array(n);
  let trialGradient = new Float64Array(n);
  const direction = new Float64Array(n);
  const history = new LbfgsHistory(historySize, n);
  const lineSearch = new StrongWolfeLineSearch();

  let value = evaluateObjective('lbfgs', objective, x, gradient);
  let evaluations = 1;
  if (!Number.isFinite(value) || !allFinite(gradient)) {
    throw new ObjectiveError(
      `lbfgs: the objective returned f = ${value} or a non-finite gradient at x0. Start from a point where f and ∇f are finite.`,
    );
  }

  const info: LbfgsIterationInfo = { iteration: 0, value, gradientNorm: 0, stepSize: 0, evaluations, x, gradient };
  let iterations = 0;
  let gradientNorm = infinityNorm(gradient);

  const finish = (converged: boolean, reason: string): LbfgsResult => ({ x, value, gradient, iterations, evaluations, converged, reason });

  if (gradientNorm <= gradientTolerance) {
    return finish(true, `gradient tolerance met at x0: ‖∇f‖∞ = ${gradientNorm} ≤ ${gradientTolerance}`);
  }

  while (iterations < maxIterations) {
    history.descentDirection(gradient, direction);
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Rounding has made the quasi-Newton direction uphill; restart from steepest descent.
      history.clear();
      history.descentDirection(gradient, direction);
      slope = dot(gradient, direction);
    }
    const steepest = history.size === 0;
    // Without curvature information the direction's scale is arbitrary, so first try a unit-length move.
    const initialStep = steepest ? Math.min(1, 1 / euclideanNorm(direction)) : 1;

    const found = lineSearch.search(objective, x, value, direction, slope, initialStep, trialX, trialGradient);
    evaluations += lineSearch.evaluations;
    if (!found) {
      if (steepest) {
        return finish(false, `line search failed along the steepest-descent direction: ${lineSearch.failure}`);
      }
      // The curvature pairs may be stale or misleading; drop them and try steepest descent once.
      history.clear();
      continue;
    }

    history.record(x, trialX, gradient, trialGradient);
    const previousValue = value;
    // Swap buffers instead of copying: the old point becomes next iteration's scratch space.
    const acceptedX = trialX;
    trialX = x;
    x = acceptedX;
    const acceptedGradient = trialGradient;
    trialGradient = gradient;
    gradient = acceptedGradient;
    value = lineSearch.value;
    iterations++;
    gradientNorm = infinityNorm(gradient);

    if (onIteration !== undefined) {
      info.iteration = iterations;
      info.value = value;
      info.gradientNorm = gradientNorm;
      info.stepSize = lineSearch.step;
      info.evaluations = evaluations;
      info.x = x;
      info.gradient = gradient;
      if (onIteration(info) === true) return finish(false, `stopped by onIteration after ${iterations} iterations`);
    }

    if (gradientNorm <= gradientTolerance) {
      return finish(true, `gradient tolerance met: ‖∇f‖∞ = ${gradientNorm} ≤ ${gradientTolerance}`);
    }
    const relativeDecrease = (previousValue - value) / Math.max(Math.abs(previousValue), Math.abs(value), 1);
    if (relativeDecrease <= valueTolerance) {
      return finish(true, `value tolerance met: relative decrease ${relativeDecrease} ≤ ${valueTolerance}`);
    }
  }
  return finish(false, `reached maxIterations (${maxIterations}) before ‖∇f‖∞ ≤ ${gradientTolerance}; last ‖∇f‖∞ = ${gradientNorm}`);
}

function allFinite(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
