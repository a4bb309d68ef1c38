/** @file Checks the optimizers against problems with known minimizers, hand-computed steps and their argument validation. */

import { describe, expect, it } from 'vitest';
import {
  Adam, AdamW, SGD, RMSprop, lbfgs, minimize, clipGradNorm, exponentialDecay, stepDecay, cosineDecay, linearWarmup,
  type FirstOrderOptimizer, type Objective,
} from '../src/optim/index.js';
import { ArgumentError, ObjectiveError, WengertError } from '../src/errors.js';
import { cubicMinimizer, quadraticMinimizer } from '../src/optim/interpolation.js';

const DIMENSION = 10;

/**
 * ½xᵀAx − bᵀx with A = QΛQᵀ, Q a Householder reflection and Λ = diag(1 … 10), so A is SPD with
 * condition number 10 and A⁻¹b (or (A + λI)⁻¹b) is available in closed form, without a solver.
 */
function makeQuadratic(n: number) {
  const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const vv = v.reduce((sum, vi) => sum + vi * vi, 0);
  const q = (i: number, k: number) => (i === k ? 1 : 0) - (2 * v[i] * v[k]) / vv;
  const eigenvalues = Float64Array.from({ length: n }, (_, i) => 1 + (9 * i) / (n - 1));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += q(i, k) * eigenvalues[k] * q(j, k);
      a[i * n + j] = sum;
    }
  }
  const b = Float64Array.from({ length: n }, (_, i) => Math.cos(2 * i + 1));
  /** (A + shift·I)⁻¹b = Q(Λ + shift)⁻¹Qᵀb. */
  const solve = (shift: number) => {
    const rotated = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += q(i, k) * b[i];
      rotated[k] = sum / (eigenvalues[k] + shift);
    }
    return Float64Array.from({ length: n }, (_, i) => {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += q(i, k) * rotated[k];
      return sum;
    });
  };
  const objective: Objective = (x, gradOut) => {
    let value = 0;
    for (let i = 0; i < n; i++) {
      let ax = 0;
      for (let j = 0; j < n; j++) ax += a[i * n + j] * x[j];
      gradOut[i] = ax - b[i];
      value += 0.5 * x[i] * ax - b[i] * x[i];
    }
    return value;
  };
  return { objective, minimizer: solve(0), solve };
}

/** Extended Rosenbrock (Moré, Garbow & Hillstrom 1981, problem 21): independent 2-D Rosenbrock pairs, minimum 0 at all ones. */
const rosenbrock: Objective = (x, gradOut) => {
  let value = 0;
  for (let i = 0; i < x.length; i += 2) {
    const valley = x[i + 1] - x[i] * x[i];
    const offset = 1 - x[i];
    value += 100 * valley * valley + offset * offset;
    gradOut[i] = -400 * x[i] * valley - 2 * offset;
    gradOut[i + 1] = 200 * valley;
  }
  return value;
};

function rosenbrockStart(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
}

function maxAbsDifference(a: Float64Array, b: Float64Array | number): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - (typeof b === 'number' ? b : b[i])));
  return max;
}

describe('first-order optimizers on a convex quadratic', () => {
  const { objective, minimizer } = makeQuadratic(DIMENSION);
  const cases: Array<[string, (x: Float64Array) => FirstOrderOptimizer, number]> = [
    ['SGD', (x) => new SGD(x, { learningRate: 0.15 }), 300],
    ['SGD with momentum', (x) => new SGD(x, { learningRate: 0.1, momentum: 0.5 }), 300],
    ['SGD with Nesterov momentum', (x) => new SGD(x, { learningRate: 0.1, momentum: 0.5, nesterov: true }), 300],
    ['Adam', (x) => new Adam(x, { learningRate: 0.01 }), 1000],
    ['AdamW without decay', (x) => new AdamW(x, { learningRate: 0.01, weightDecay: 0 }), 1000],
    ['RMSprop with a cosine schedule', (x) => new RMSprop(x, { learningRate: cosineDecay(0.01, 3000) }), 3000],
    ['centered RMSprop with momentum', (x) => new RMSprop(x, { learningRate: cosineDecay(0.005, 3000), momentum: 0.5, centered: true }), 3000],
  ];
  for (const [name, create, steps] of cases) {
    it(`${name} reaches A⁻¹b to 1e-6`, () => {
      const x = new Float64Array(DIMENSION);
      const value = minimize(objective, x, create(x), { steps });
      expect(maxAbsDifference(x, minimizer)).toBeLessThan(1e-6);
      expect(value).toBeCloseTo(objective(minimizer, new Float64Array(DIMENSION)), 10);
    });
  }

  it('SGD and Adam weight decay act as an L2 penalty, moving the minimum to (A + λI)⁻¹b', () => {
    const { solve } = makeQuadratic(DIMENSION);
    const penalized = solve(0.5);
    const sgdX = new Float64Array(DIMENSION);
    minimize(objective, sgdX, new SGD(sgdX, { learningRate: 0.15, weightDecay: 0.5 }), { steps: 400 });
    expect(maxAbsDifference(sgdX, penalized)).toBeLessThan(1e-6);
    const adamX = new Float64Array(DIMENSION);
    minimize(objective, adamX, new Adam(adamX, { learningRate: 0.01, weightDecay: 0.5 }), { steps: 1000 });
    expect(maxAbsDifference(adamX, penalized)).toBeLessThan(1e-6);
    expect(maxAbsDifference(penalized, minimizer)).toBeGreaterThan(1e-2);
  });
});

describe('first-order optimizers on Rosenbrock', () => {
  const cases: Array<[string, (x: Float64Array) => FirstOrderOptimizer]> = [
    ['Adam', (x) => new Adam(x, { learningRate: 0.02 })],
    ['SGD with momentum', (x) => new SGD(x, { learningRate: 1e-3, momentum: 0.9 })],
    ['SGD with Nesterov momentum', (x) => new SGD(x, { learningRate: 1e-3, momentum: 0.9, nesterov: true })],
  ];
  for (const [name, create] of cases) {
    it(`${name} drives f from 24.2 below 1e-3`, () => {
      const x = rosenbrockStart(2);
      const start = rosenbrock(x, new Float64Array(2));
      const value = minimize(rosenbrock, x, create(x), { steps: 10_000 });
      expect(start).toBeCloseTo(24.2, 12);
      expect(value).toBeLessThan(1e-3);
    });
  }
});

describe('hand-computed single steps', () => {
  it('SGD momentum seeds the buffer with the first gradient (PyTorch semantics)', () => {
    const x = Float64Array.of(1);
    const sgd = new SGD(x, { learningRate: 0.1, momentum: 0.9 });
    sgd.step(Float64Array.of(1));
    expect(x[0]).toBeCloseTo(0.9, 15);
    sgd.step(Float64Array.of(1));
    expect(x[0]).toBeCloseTo(0.9 - 0.1 * 1.9, 15);
  });

  it('Nesterov steps along g + μ·buffer', () => {
    const x = Float64Array.of(1);
    const sgd = new SGD(x, { learningRate: 0.1, momentum: 0.9, nesterov: true });
    sgd.step(Float64Array.of(1));
    expect(x[0]).toBeCloseTo(1 - 0.1 * 1.9, 15);
    sgd.step(Float64Array.of(1));
    expect(x[0]).toBeCloseTo(0.81 - 0.1 * 2.71, 15);
  });

  it('SGD weight decay adds λ·params to the gradient', () => {
    const x = Float64Array.of(2);
    new SGD(x, { learningRate: 0.1, weightDecay: 0.5 }).step(Float64Array.of(1));
    expect(x[0]).toBeCloseTo(2 - 0.1 * (1 + 0.5 * 2), 15);
  });

  it('Adam bias correction makes the first step ≈ learningRate whatever the gradient scale', () => {
    for (const scale of [1e-3, 1, 1e3]) {
      const x = Float64Array.of(0);
      new Adam(x, { learningRate: 0.05 }).step(Float64Array.of(scale));
      expect(x[0]).toBeCloseTo(-0.05, 6);
    }
  });

  it('AdamW decays params directly while Adam pushes the decay through the adaptive scaling', () => {
    const grad = Float64Array.of(0.5, 0.5);
    const options = { learningRate: 0.1, weightDecay: 0.1, epsilon: 1e-8 };
    const adamX = Float64Array.of(1, -2);
    new Adam(adamX, options).step(grad);
    const adamWX = Float64Array.of(1, -2);
    new AdamW(adamWX, options).step(grad);
    // Adam: g' = g + λθ = (0.6, 0.3); first bias-corrected step is lr·g'/(|g'| + ε).
    expect(adamX[0]).toBeCloseTo(1 - (0.1 * 0.6) / (0.6 + 1e-8), 14);
    expect(adamX[1]).toBeCloseTo(-2 - (0.1 * 0.3) / (0.3 + 1e-8), 14);
    // AdamW: θ(1 − lr·λ) − lr·g/(|g| + ε).
    expect(adamWX[0]).toBeCloseTo(1 * 0.99 - (0.1 * 0.5) / (0.5 + 1e-8), 14);
    expect(adamWX[1]).toBeCloseTo(-2 * 0.99 - (0.1 * 0.5) / (0.5 + 1e-8), 14);
    expect(adamWX[0]).toBeCloseTo(0.89, 6);
    expect(adamX[0]).toBeCloseTo(0.9, 6);
  });

  it('reset() forgets momentum and moment estimates so the next step is a first step again', () => {
    const x = Float64Array.of(0);
    const adam = new Adam(x, { learningRate: 0.05 });
    adam.step(Float64Array.of(1));
    adam.step(Float64Array.of(-3));
    adam.reset();
    x[0] = 0;
    adam.step(Float64Array.of(2));
    expect(adam.steps).toBe(1);
    expect(x[0]).toBeCloseTo(-0.05, 6);

    const y = Float64Array.of(1);
    const sgd = new SGD(y, { learningRate: 0.1, momentum: 0.9 });
    sgd.step(Float64Array.of(5));
    sgd.reset();
    y[0] = 1;
    sgd.step(Float64Array.of(1));
    expect(y[0]).toBeCloseTo(0.9, 15);
  });

  it('learningRate can be changed between steps for schedules', () => {
    const x = Float64Array.of(1);
    const sgd = new SGD(x, { learningRate: 0.1 });
    sgd.learningRate = 0.5;
    sgd.step(Float64Array.of(1));
    expect(x[0]).toBeCloseTo(0.5, 15);
  });
});

describe('defaults, schedules, clipping, state', () => {
  it('every optimizer has a default learning rate, the one PyTorch uses', () => {
    const rates = [new SGD(new Float64Array(1)), new Adam(new Float64Array(1)), new AdamW(new Float64Array(1)), new RMSprop(new Float64Array(1))].map((o) => o.learningRate);
    expect(rates).toEqual([1e-3, 1e-3, 1e-3, 1e-2]);
    const x = Float64Array.of(1);
    new SGD(x).step(Float64Array.of(2));
    expect(x[0]).toBeCloseTo(1 - 2e-3, 15);
  });

  it('RMSprop: first step g/√((1−α)g²) · rate; centered and momentum as PyTorch', () => {
    const x = Float64Array.of(1);
    const rms = new RMSprop(x, { learningRate: 0.01, epsilon: 1e-15 });
    rms.step(Float64Array.of(2)); // v = 0.01·4, step = 0.01 · 2/0.2
    expect(x[0]).toBeCloseTo(0.9, 14);
    rms.step(Float64Array.of(2)); // v = 0.99·0.04 + 0.04
    expect(x[0]).toBeCloseTo(0.9 - (0.01 * 2) / Math.sqrt(0.0796), 14);
    const y = Float64Array.of(0);
    const centered = new RMSprop(y, { learningRate: 0.1, alpha: 0.5, centered: true, momentum: 0.9, epsilon: 1e-15 });
    centered.step(Float64Array.of(1)); // v = 0.5, mean = 0.5, variance 0.25: scaled step 2
    expect(y[0]).toBeCloseTo(-0.2, 14);
    centered.step(Float64Array.of(1)); // v = 0.75, mean 0.75, variance 0.1875; velocity 0.9·2 + 1/√0.1875
    expect(y[0]).toBeCloseTo(-0.2 - 0.1 * (1.8 + 1 / Math.sqrt(0.1875)), 13);
  });

  it('schedules: the optimizer asks for step 0, 1, 2, …', () => {
    const seen: number[] = [];
    const x = Float64Array.of(0);
    const sgd = new SGD(x, { learningRate: (step) => (seen.push(step), 0.1 * (step + 1)) });
    for (let i = 0; i < 3; i++) sgd.step(Float64Array.of(-1));
    expect(x[0]).toBeCloseTo(0.6, 15);
    expect(seen).toEqual([0, 1, 2]);
    sgd.learningRate = 0.5; // a number replaces the schedule
    sgd.step(Float64Array.of(-1));
    expect(x[0]).toBeCloseTo(1.1, 15);
    const exploding = new SGD(Float64Array.of(0), { learningRate: () => Number.NaN });
    expect(() => exploding.step(Float64Array.of(1))).toThrow(/schedule returned NaN at step 0; a schedule must return a finite number > 0/);
  });

  it('schedule shapes', () => {
    const at = (schedule: (step: number) => number, steps: number[]) => steps.map(schedule);
    expect(at(exponentialDecay(1, 0.5, 10), [0, 10, 20, 5])).toEqual([1, 0.5, 0.25, Math.SQRT1_2]);
    expect(at(stepDecay(1, 0.1, 100), [0, 99, 100, 250])).toEqual([1, 1, 0.1, 0.1 * 0.1]);
    const cosine = at(cosineDecay(1, 100, 0.1), [0, 50, 100, 1000]);
    expect(cosine[0]).toBe(1);
    expect(cosine[1]).toBeCloseTo(0.55, 15);
    expect(cosine.slice(2)).toEqual([0.1, 0.1]);
    expect(cosineDecay(1, 10)(10)).toBeGreaterThan(0);
    expect(at(linearWarmup(4, 1), [0, 1, 3, 4, 100])).toEqual([0.25, 0.5, 1, 1, 1]);
    expect(at(linearWarmup(2, stepDecay(1, 0.5, 1)), [0, 1, 2, 3])).toEqual([0.5, 1, 1, 0.5]);
    expect(() => cosineDecay(0.1, 10, 1)).toThrow(ArgumentError);
    expect(() => stepDecay(1, 2, 10)).toThrow(/factor must be in \(0, 1\]/);
    expect(() => exponentialDecay(-1, 0.5)).toThrow(/rate must be a finite number > 0/);
  });

  it('clipNorm scales a long gradient to that norm and leaves a short one alone', () => {
    const x = new Float64Array(2);
    const sgd = new SGD(x, { learningRate: 1, clipNorm: 1 });
    sgd.step(Float64Array.of(3, 4));
    expect(x[0]).toBeCloseTo(-0.6, 15);
    expect(x[1]).toBeCloseTo(-0.8, 15);
    sgd.step(Float64Array.of(0.3, 0));
    expect(x[0]).toBeCloseTo(-0.9, 15);
    const g = Float64Array.of(3, 4);
    expect(clipGradNorm(g, 2.5)).toBe(5);
    expect(Array.from(g)).toEqual([1.5, 2]);
    expect(clipGradNorm(g, 10)).toBe(2.5);
    expect(Array.from(g)).toEqual([1.5, 2]);
    expect(() => new Adam(x, { clipNorm: 0 })).toThrow(/clipNorm must be a finite number > 0/);
  });

  it('state() / load(state) resumes exactly, through JSON, for every optimizer', () => {
    const { objective } = makeQuadratic(DIMENSION);
    const makers: Array<(x: Float64Array) => FirstOrderOptimizer> = [
      (x) => new SGD(x, { learningRate: 0.05, momentum: 0.9 }),
      (x) => new Adam(x, { learningRate: 0.01 }),
      (x) => new AdamW(x, { learningRate: 0.01 }),
      (x) => new RMSprop(x, { learningRate: 0.01, centered: true, momentum: 0.5 }),
    ];
    for (const make of makers) {
      const straight = new Float64Array(DIMENSION);
      minimize(objective, straight, make(straight), { steps: 40 });
      const first = new Float64Array(DIMENSION);
      const before = make(first);
      minimize(objective, first, before, { steps: 25 });
      const saved = JSON.parse(JSON.stringify(before.state()));
      const second = Float64Array.from(first);
      const after = make(second);
      after.load(saved);
      expect(after.steps).toBe(25);
      minimize(objective, second, after, { steps: 15 });
      expect(Array.from(second)).toEqual(Array.from(straight));
    }
  });

  it('load rejects the state of another optimizer, wrong lengths and non-finite entries, changing nothing', () => {
    const adam = new Adam(new Float64Array(2));
    adam.step(Float64Array.of(1, 1));
    const state = adam.state();
    expect(state.buffers.firstMoment).toHaveLength(2);
    expect(() => new SGD(new Float64Array(2), { momentum: 0.9 }).load(state)).toThrow(/saved by "Adam", not SGD/);
    const other = new Adam(new Float64Array(3));
    expect(() => other.load(state)).toThrow(/buffer firstMoment must hold 3 numbers/);
    const poisoned = { ...state, buffers: { ...state.buffers, secondMoment: [1, Number.NaN] } };
    const fresh = new Adam(new Float64Array(2));
    expect(() => fresh.load(poisoned)).toThrow(ArgumentError);
    expect(fresh.steps).toBe(0);
    expect(fresh.state().buffers.firstMoment).toEqual([0, 0]);
    expect(() => fresh.load({ ...state, buffers: {} })).toThrow(/must hold exactly firstMoment, secondMoment/);
  });

  it('minimize reports progress through onStep and stops when it returns true', () => {
    const { objective } = makeQuadratic(DIMENSION);
    const x = new Float64Array(DIMENSION);
    const log: Array<{ step: number; value: number; gradientNorm: number; learningRate: number }> = [];
    minimize(objective, x, new Adam(x, { learningRate: stepDecay(0.01, 0.5, 2) }), {
      steps: 100,
      onStep: ({ step, value, gradientNorm, learningRate, params }) => {
        expect(params).toBe(x);
        log.push({ step, value, gradientNorm, learningRate });
        return step === 5;
      },
    });
    expect(log.map((e) => e.step)).toEqual([1, 2, 3, 4, 5]);
    expect(log.map((e) => e.learningRate)).toEqual([0.01, 0.01, 0.005, 0.005, 0.0025]);
    expect(log[4].value).toBeLessThan(log[0].value);
    expect(log[0].gradientNorm).toBeGreaterThan(0);
  });

  it('an objective that never writes its gradient is an error, not convergence', () => {
    const lazy: Objective = (x) => x[0] * x[0];
    expect(() => lbfgs(lazy, [3])).toThrow(ObjectiveError);
    expect(() => lbfgs(lazy, [3])).toThrow(/did not write its gradient into gradOut/);
    const x = Float64Array.of(3, 1);
    expect(() => minimize((p, g) => ((g[0] = 2 * p[0]), p[0] * p[0]), x, new SGD(x), { steps: 1 })).toThrow(/did not write 1 of the 2 gradient entries/);
    // A gradient that really is NaN is the objective's answer, not a missing write.
    expect(() => minimize((p, g) => (g.fill(Number.NaN), 1), x, new SGD(x), { steps: 1 })).not.toThrow(ObjectiveError);
    expect(lbfgs((p, g) => ((g[0] = 2 * (p[0] - 1)), (p[0] - 1) ** 2), [3]).x[0]).toBeCloseTo(1, 6);
  });
});

describe('lbfgs', () => {
  it('solves the quadratic to 1e-8', () => {
    const { objective, minimizer } = makeQuadratic(DIMENSION);
    const x0 = new Float64Array(DIMENSION);
    const result = lbfgs(objective, x0, { gradientTolerance: 1e-10, valueTolerance: 0 });
    expect(result.converged).toBe(true);
    expect(maxAbsDifference(result.x, minimizer)).toBeLessThan(1e-8);
    expect(x0.every((v) => v === 0)).toBe(true);
  });

  it('reaches (1, 1) on 2-D Rosenbrock from (−1.2, 1) within 1e-6 in under 100 iterations', () => {
    const result = lbfgs(rosenbrock, rosenbrockStart(2), { gradientTolerance: 1e-9 });
    expect(result.converged).toBe(true);
    expect(result.reason).toMatch(/gradient tolerance/);
    expect(result.iterations).toBeLessThan(100);
    expect(result.evaluations).toBeGreaterThan(result.iterations);
    expect(maxAbsDifference(result.x, 1)).toBeLessThan(1e-6);
    expect(result.value).toBeLessThan(1e-12);
    expect(maxAbsDifference(result.gradient, 0)).toBeLessThanOrEqual(1e-9);
  });

  it('solves extended Rosenbrock with n = 100', () => {
    const result = lbfgs(rosenbrock, rosenbrockStart(100), { gradientTolerance: 1e-9, maxIterations: 500 });
    expect(result.converged).toBe(true);
    expect(maxAbsDifference(result.x, 1)).toBeLessThan(1e-6);
  });

  it('still converges with a history of one pair', () => {
    const result = lbfgs(rosenbrock, rosenbrockStart(2), { gradientTolerance: 1e-9, history: 1, maxIterations: 1000 });
    expect(result.converged).toBe(true);
    expect(maxAbsDifference(result.x, 1)).toBeLessThan(1e-6);
  });

  it('treats non-finite values as a step that went too far', () => {
    // f(x) = x + 1/x on x > 0 (minimum at 1); the secant step from x0 = 3 overshoots into x < 0.
    let nonFiniteEvaluations = 0;
    const barrier: Objective = (x, gradOut) => {
      if (x[0] <= 0) {
        nonFiniteEvaluations++;
        gradOut[0] = Number.NaN;
        return Number.NaN;
      }
      gradOut[0] = 1 - 1 / (x[0] * x[0]);
      return x[0] + 1 / x[0];
    };
    const result = lbfgs(barrier, Float64Array.of(3), { gradientTolerance: 1e-10 });
    expect(nonFiniteEvaluations).toBeGreaterThan(0);
    // Shrinking the step costs a few evaluations; a failed search and restart would cost over 25.
    expect(result.evaluations).toBeLessThan(25);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 8);
  });

  it('after a failed line search resets to steepest descent once, then stops with a reason', () => {
    // Once `inconsistent` is set, every evaluation reports f raised by 1e6, so no step can pass
    // sufficient decrease: the quasi-Newton search fails, the steepest-descent retry fails, and
    // each spends the full budget of 25 evaluations.
    let inconsistent = false;
    let evaluationsBeforeFault = 0;
    const faulty: Objective = (x, gradOut) => rosenbrock(x, gradOut) + (inconsistent ? 1e6 : 0);
    const result = lbfgs(faulty, rosenbrockStart(2), {
      gradientTolerance: 0,
      onIteration: (info) => {
        if (info.iteration === 3) {
          inconsistent = true;
          evaluationsBeforeFault = info.evaluations;
        }
      },
    });
    expect(result.converged).toBe(false);
    expect(result.iterations).toBe(3);
    expect(result.reason).toMatch(/line search failed along the steepest-descent direction/);
    expect(result.evaluations - evaluationsBeforeFault).toBe(50);
  });

  it('reports iterations through onIteration and stops when it returns true', () => {
    const seen: number[] = [];
    const result = lbfgs(rosenbrock, rosenbrockStart(2), {
      onIteration: (info) => {
        seen.push(info.iteration);
        expect(Number.isFinite(info.value) && info.gradientNorm >= 0 && info.stepSize > 0).toBe(true);
        return info.iteration === 5;
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(result.iterations).toBe(5);
    expect(result.converged).toBe(false);
    expect(result.reason).toMatch(/onIteration/);
  });

  it('stops at maxIterations without claiming convergence', () => {
    const result = lbfgs(rosenbrock, rosenbrockStart(2), { maxIterations: 3 });
    expect(result.iterations).toBe(3);
    expect(result.converged).toBe(false);
    expect(result.reason).toMatch(/maxIterations/);
  });

  it('stops on the relative-decrease test when the gradient tolerance is unreachable', () => {
    const result = lbfgs(rosenbrock, rosenbrockStart(2), { gradientTolerance: 0, valueTolerance: 1e-3 });
    expect(result.converged).toBe(true);
    expect(result.reason).toMatch(/value tolerance/);
  });

  it('returns immediately when x0 is already stationary', () => {
    const result = lbfgs(rosenbrock, Float64Array.of(1, 1));
    expect(result).toMatchObject({ iterations: 0, evaluations: 1, converged: true, value: 0 });
  });
});

describe('line-search interpolation', () => {
  it('cubicMinimizer recovers the minimizer of a cubic from two points', () => {
    // φ(α) = (α − 1)³ − 3(α − 1) + 5 has its local minimizer at α = 2.
    const phi = (a: number) => (a - 1) ** 3 - 3 * (a - 1) + 5;
    const dphi = (a: number) => 3 * (a - 1) ** 2 - 3;
    expect(cubicMinimizer(1.5, phi(1.5), dphi(1.5), 3, phi(3), dphi(3))).toBeCloseTo(2, 12);
    expect(cubicMinimizer(3, phi(3), dphi(3), 1.5, phi(1.5), dphi(1.5))).toBeCloseTo(2, 12);
  });

  it('quadraticMinimizer recovers a parabola minimizer and rejects concave data', () => {
    const phi = (a: number) => 2 * (a - 0.7) ** 2 + 1;
    expect(quadraticMinimizer(0, phi(0), 4 * (0 - 0.7), 2, phi(2))).toBeCloseTo(0.7, 12);
    expect(Number.isNaN(quadraticMinimizer(0, 0, -1, 1, -5))).toBe(true);
  });
});

describe('validation', () => {
  const params = new Float64Array(3);
  const expectThrow = (fn: () => unknown, kind: typeof ArgumentError, pattern: RegExp) => {
    expect(fn).toThrow(kind);
    expect(fn).toThrow(WengertError);
    expect(fn).toThrow(pattern);
  };
  const expectArgument = (fn: () => unknown, pattern: RegExp) => expectThrow(fn, ArgumentError, pattern);
  const expectObjective = (fn: () => unknown, pattern: RegExp) => expectThrow(fn, ObjectiveError, pattern);
  const anyValue = (value: unknown) => value as never;

  it('SGD rejects bad construction arguments', () => {
    expectArgument(() => new SGD(anyValue([0, 0]), { learningRate: 0.1 }), /params must be a Float64Array.*Float64Array\.from/);
    expectArgument(() => new SGD(params, anyValue(null)), /options must be an object/);
    expectArgument(() => new SGD(params, anyValue({ learningRate: undefined, momentum: 'high' })), /momentum must be in \[0, 1\), got "high"/);
    for (const learningRate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectArgument(() => new SGD(params, { learningRate }), /learningRate must be a finite number > 0.*Pass e\.g\./);
    }
    expectArgument(() => new SGD(params, { learningRate: 0.1, momentum: 1 }), /momentum must be in \[0, 1\)/);
    expectArgument(() => new SGD(params, { learningRate: 0.1, momentum: -0.1 }), /momentum must be in \[0, 1\)/);
    expectArgument(() => new SGD(params, { learningRate: 0.1, nesterov: true }), /nesterov: true needs momentum > 0/);
    expectArgument(() => new SGD(params, { learningRate: 0.1, nesterov: anyValue('yes') }), /nesterov must be true or false/);
    expectArgument(() => new SGD(params, { learningRate: 0.1, weightDecay: -1 }), /weightDecay must be a finite number >= 0/);
    expectArgument(() => new SGD(params, anyValue({ learningRate: 0.1, lr: 0.1 })), /unknown option 'lr'.*learningRate/);
  });

  it('Adam and AdamW reject bad construction arguments', () => {
    for (const Optimizer of [Adam, AdamW]) {
      expectArgument(() => new Optimizer(params, { learningRate: 0 }), new RegExp(`${Optimizer.name}: learningRate must be a finite number > 0`));
      expectArgument(() => new Optimizer(params, { beta1: 1 }), /beta1 must be in \[0, 1\)/);
      expectArgument(() => new Optimizer(params, { beta2: -0.5 }), /beta2 must be in \[0, 1\)/);
      expectArgument(() => new Optimizer(params, { epsilon: 0 }), /epsilon must be a finite number > 0/);
      expectArgument(() => new Optimizer(params, { weightDecay: Number.NaN }), /weightDecay must be a finite number >= 0/);
      expectArgument(() => new Optimizer(params, anyValue({ beta: 0.9 })), /unknown option 'beta'/);
      expectArgument(() => new Optimizer(anyValue(new Float32Array(3))), /params must be a Float64Array, got Float32Array/);
    }
  });

  it('step() rejects gradients of the wrong length or type', () => {
    for (const optimizer of [new SGD(params, { learningRate: 0.1 }), new Adam(params), new AdamW(params)]) {
      expectArgument(() => optimizer.step(new Float64Array(2)), /grad has length 2 but the parameters have length 3/);
      expectArgument(() => optimizer.step(anyValue([1, 2, 3])), /grad must be a Float64Array/);
      expectArgument(() => (optimizer.learningRate = -1), /learningRate must be a finite number > 0/);
    }
  });

  it('lbfgs rejects bad arguments and a non-finite start', () => {
    const x0 = rosenbrockStart(2);
    expectArgument(() => lbfgs(anyValue(null), x0), /objective must be a function/);
    expectArgument(() => lbfgs(rosenbrock, anyValue('x')), /x0 must be a Float64Array or an array of numbers, got "x"/);
    expectArgument(() => lbfgs(rosenbrock, x0, { maxIterations: 1.5 }), /maxIterations must be a whole number >= 0/);
    expectArgument(() => lbfgs(rosenbrock, x0, { maxIterations: -1 }), /maxIterations must be a whole number >= 0/);
    expectArgument(() => lbfgs(rosenbrock, x0, { gradientTolerance: -1 }), /gradientTolerance must be a finite number >= 0/);
    expectArgument(() => lbfgs(rosenbrock, x0, { valueTolerance: Number.NaN }), /valueTolerance must be a finite number >= 0/);
    expectArgument(() => lbfgs(rosenbrock, x0, { history: 0 }), /history must be a whole number >= 1/);
    expectArgument(() => lbfgs(rosenbrock, x0, { onIteration: anyValue(42) }), /onIteration must be a function/);
    expectArgument(() => lbfgs(rosenbrock, x0, anyValue({ tolerance: 1 })), /unknown option 'tolerance'/);
    expectObjective(
      () =>
        lbfgs((x, g) => {
          g.fill(0);
          return Number.NaN;
        }, x0),
      /at x0.*Start from a point where f and ∇f are finite/,
    );
    expectObjective(
      () =>
        lbfgs((x, g) => {
          g.fill(Number.POSITIVE_INFINITY);
          return 1;
        }, x0),
      /non-finite gradient at x0/,
    );
  });

  it('minimize rejects bad arguments and reports divergence', () => {
    const { objective } = makeQuadratic(DIMENSION);
    const x = new Float64Array(DIMENSION);
    const sgd = new SGD(x, { learningRate: 0.1 });
    expectArgument(() => minimize(objective, x, sgd, { steps: -1 }), /steps must be a whole number >= 0/);
    expectArgument(() => minimize(objective, x, sgd, { steps: 2.5 }), /steps must be a whole number >= 0/);
    expectArgument(() => minimize(objective, new Float64Array(4), sgd, { steps: 1 }), /x0 has length 4 but the parameters have length 10/);
    expectArgument(() => minimize(objective, x, anyValue({}), { steps: 1 }), /optimizer must be an optimizer instance/);
    const diverging = new SGD(x, { learningRate: 10 });
    expectObjective(() => minimize(objective, x, diverging, { steps: 10_000 }), /returned (Infinity|NaN) at step \d+.*lower the learning rate/);
  });

  it('minimize copies x0 into the optimizer params when they are different arrays', () => {
    const x0 = Float64Array.of(3);
    const params = new Float64Array(1);
    const square: Objective = (x, g) => {
      g[0] = 2 * x[0];
      return x[0] * x[0];
    };
    const value = minimize(square, x0, new SGD(params, { learningRate: 0.25 }), { steps: 1 });
    expect(params[0]).toBeCloseTo(1.5, 15);
    expect(value).toBeCloseTo(2.25, 15);
    expect(x0[0]).toBe(3);
  });
});
