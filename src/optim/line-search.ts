/**
 * @file Line search that finds a step satisfying the strong Wolfe conditions.
 *
 * Bracketing phase: Nocedal & Wright, Numerical Optimization (2nd ed.), Algorithm 3.5.
 * Refinement phase: Algorithm 3.6 ("zoom"), choosing trial steps by cubic interpolation
 * (eq. 3.59), else quadratic (eq. 3.57), else bisection when the guess falls outside the middle
 * 80 % of the bracket. The extrapolation bounds [α + 1.1Δ, α + 4Δ] are those of
 * Moré & Thuente (1994), "Line search algorithms with guaranteed sufficient decrease".
 * A non-finite φ or φ' is treated as "step too long", so overflow shrinks the step instead of
 * poisoning the iterate. Near a minimizer, where f changes by less than its rounding error, a
 * step that meets the curvature condition with φ within rounding of φ(0) is also accepted
 * (see `roundingAllowance`).
 */

import { cubicMinimizer, quadraticMinimizer } from './interpolation.js';
import { evaluateObjective, type Objective } from './objective.js';
import { dot } from './vector.js';

export interface LineSearchSettings {
  /** c1 in the sufficient-decrease (Armijo) condition. */
  sufficientDecrease: number;
  /**
   * Relative rounding allowance: a step whose φ is within this fraction of |φ(0)| above φ(0)
   * still counts as decreasing if it meets the curvature condition. Without it, the search
   * fails near a minimizer where f changes by less than its own rounding error while ∇f is
   * still informative (the approximate Wolfe idea of Hager & Zhang 2005, SIAM J. Optim. 16(1)).
   */
  roundingAllowance: number;
  /** c2 in the curvature condition; 0.9 suits quasi-Newton directions (Nocedal & Wright §3.1). */
  curvature: number;
  /** Objective evaluations allowed per search before giving up. */
  maxEvaluations: number;
}

export const DEFAULT_LINE_SEARCH_SETTINGS: Readonly<LineSearchSettings> = Object.freeze({
  sufficientDecrease: 1e-4,
  roundingAllowance: 1e-10,
  curvature: 0.9,
  maxEvaluations: 25,
});

/** Reused across iterations; `search` allocates nothing and reports through its fields. */
export class StrongWolfeLineSearch {
  /** Accepted step length after a successful search. */
  step = 0;
  /** φ at the accepted step. */
  value = Number.NaN;
  /** Objective evaluations spent by the latest search. */
  evaluations = 0;
  /** Why the latest search failed; empty after success. */
  failure = '';

  private readonly settings: LineSearchSettings;
  private objective: Objective = () => Number.NaN;
  private origin: Float64Array = new Float64Array(0);
  private direction: Float64Array = new Float64Array(0);
  private trialPoint: Float64Array = new Float64Array(0);
  private trialGradient: Float64Array = new Float64Array(0);
  private originValue = 0;
  private originSlope = 0;
  private trialSlope = 0;

  constructor(settings: LineSearchSettings = DEFAULT_LINE_SEARCH_SETTINGS) {
    this.settings = settings;
  }

  /**
   * Searches along `direction` from `origin`, where f = originValue and ∇f·direction =
   * originSlope (< 0). On success returns true and leaves the accepted point and its gradient in
   * trialPoint / trialGradient (the accepted step is always the last one evaluated).
   */
  search(
    objective: Objective,
    origin: Float64Array,
    originValue: number,
    direction: Float64Array,
    originSlope: number,
    initialStep: number,
    trialPoint: Float64Array,
    trialGradient: Float64Array,
  ): boolean {
    this.objective = objective;
    this.origin = origin;
    this.direction = direction;
    this.trialPoint = trialPoint;
    this.trialGradient = trialGradient;
    this.originValue = originValue;
    this.originSlope = originSlope;
    this.evaluations = 0;
    this.failure = '';
    const { sufficientDecrease, curvature } = this.settings;

    let previousStep = 0;
    let previousValue = originValue;
    let previousSlope = originSlope;
    let step = initialStep;
    for (let attempt = 0; ; attempt++) {
      if (this.budgetExhausted()) return false;
      const value = this.evaluate(step);
      const slope = this.trialSlope;
      const usable = Number.isFinite(value) && Number.isFinite(slope);
      if (!usable || value > originValue + sufficientDecrease * step * originSlope || (attempt > 0 && value >= previousValue)) {
        if (usable && this.acceptableWithinRounding(value, slope)) return this.accept(step, value);
        return this.zoom(previousStep, previousValue, previousSlope, step, value, slope);
      }
      if (Math.abs(slope) <= -curvature * originSlope) return this.accept(step, value);
      if (slope >= 0) return this.zoom(step, value, slope, previousStep, previousValue, previousSlope);

      // Still descending: extrapolate, but never by less than 1.1× or more than 4× the last stride.
      const stride = step - previousStep;
      const nearest = step + 1.1 * stride;
      const farthest = step + 4 * stride;
      const guess = cubicMinimizer(previousStep, previousValue, previousSlope, step, value, slope);
      const next = Number.isNaN(guess) ? farthest : Math.min(farthest, Math.max(nearest, guess));
      previousStep = step;
      previousValue = value;
      previousSlope = slope;
      step = next;
    }
  }

  /** Algorithm 3.6: `low` always satisfies sufficient decrease and has the lowest φ seen so far. */
  private zoom(low: number, lowValue: number, lowSlope: number, high: number, highValue: number, highSlope: number): boolean {
    const { sufficientDecrease, curvature } = this.settings;
    const { originValue, originSlope } = this;
    for (;;) {
      if (this.budgetExhausted()) return false;
      const width = Math.abs(high - low);
      if (width <= Number.EPSILON * Math.max(Math.abs(low), Math.abs(high))) {
        this.failure =
          'the bracket around an acceptable step shrank to floating-point resolution; f cannot be decreased measurably along this direction (the point may already be optimal to machine precision, or f/∇f are inconsistent)';
        return false;
      }

      let trial = Number.NaN;
      if (Number.isFinite(highValue)) {
        trial = Number.isFinite(highSlope) ? cubicMinimizer(low, lowValue, lowSlope, high, highValue, highSlope) : Number.NaN;
        if (Number.isNaN(trial)) trial = quadraticMinimizer(low, lowValue, lowSlope, high, highValue);
      }
      // A guess hugging either end shrinks the bracket too slowly, so fall back to bisection.
      const margin = 0.1 * width;
      if (!(trial >= Math.min(low, high) + margin && trial <= Math.max(low, high) - margin)) trial = 0.5 * (low + high);

      const value = this.evaluate(trial);
      const slope = this.trialSlope;
      const usable = Number.isFinite(value) && Number.isFinite(slope);
      if (!usable || value > originValue + sufficientDecrease * trial * originSlope || value >= lowValue) {
        if (usable && this.acceptableWithinRounding(value, slope)) return this.accept(trial, value);
        high = trial;
        highValue = value;
        highSlope = slope;
        continue;
      }
      if (Math.abs(slope) <= -curvature * originSlope) return this.accept(trial, value);
      if (slope * (high - low) >= 0) {
        high = low;
        highValue = lowValue;
        highSlope = lowSlope;
      }
      low = trial;
      lowValue = value;
      lowSlope = slope;
    }
  }

  private acceptableWithinRounding(value: number, slope: number): boolean {
    const { originValue, originSlope, settings } = this;
    return (
      value <= originValue + settings.roundingAllowance * Math.abs(originValue) && Math.abs(slope) <= -settings.curvature * originSlope
    );
  }

  private evaluate(step: number): number {
    const { origin, direction, trialPoint, trialGradient } = this;
    for (let i = 0; i < origin.length; i++) trialPoint[i] = origin[i] + step * direction[i];
    this.evaluations++;
    const value = evaluateObjective('lbfgs', this.objective, trialPoint, trialGradient);
    this.trialSlope = dot(trialGradient, direction);
    return value;
  }

  private budgetExhausted(): boolean {
    if (this.evaluations < this.settings.maxEvaluations) return false;
    this.failure = `no step satisfying the strong Wolfe conditions was found within ${this.settings.maxEvaluations} evaluations`;
    return true;
  }

  private accept(step: number, value: number): boolean {
    this.step = step;
    this.value = value;
    return true;
  }
}
