/**
 * @file The limited-memory inverse-Hessian approximation behind L-BFGS: the m most recent
 * (s, y) pairs in a ring buffer, applied with the two-loop recursion of Nocedal & Wright,
 * Numerical Optimization (2nd ed.), Algorithm 7.4, scaled by γ = sᵀy / yᵀy (eq. 7.20).
 */

import { dot } from './vector.js';

export class LbfgsHistory {
  readonly capacity: number;
  private readonly steps: Float64Array[];
  private readonly gradientChanges: Float64Array[];
  private readonly inverseCurvatures: Float64Array;
  private readonly coefficients: Float64Array;
  private oldest = 0;
  private stored = 0;

  constructor(capacity: number, dimension: number) {
    this.capacity = capacity;
    // One slab per kind, viewed as rows, so memory is contiguous and allocated once.
    const stepSlab = new Float64Array(capacity * dimension);
    const changeSlab = new Float64Array(capacity * dimension);
    this.steps = [];
    this.gradientChanges = [];
    for (let k = 0; k < capacity; k++) {
      this.steps.push(stepSlab.subarray(k * dimension, (k + 1) * dimension));
      this.gradientChanges.push(changeSlab.subarray(k * dimension, (k + 1) * dimension));
    }
    this.inverseCurvatures = new Float64Array(capacity);
    this.coefficients = new Float64Array(capacity);
  }

  get size(): number {
    return this.stored;
  }

  clear(): void {
    this.oldest = 0;
    this.stored = 0;
  }

  /**
   * Records s = x₊ − x and y = g₊ − g. Pairs with sᵀy ≤ ε·yᵀy are skipped (returns false):
   * they would make the approximation indefinite, and strong Wolfe steps only produce them
   * through rounding.
   */
  record(previousX: Float64Array, nextX: Float64Array, previousGradient: Float64Array, nextGradient: Float64Array): boolean {
    const slot = (this.oldest + this.stored) % this.capacity;
    const s = this.steps[slot];
    const y = this.gradientChanges[slot];
    for (let i = 0; i < s.length; i++) {
      s[i] = nextX[i] - previousX[i];
      y[i] = nextGradient[i] - previousGradient[i];
    }
    const sy = dot(s, y);
    const yy = dot(y, y);
    if (!(sy > Number.EPSILON * yy) || !Number.isFinite(sy)) return false;
    this.inverseCurvatures[slot] = 1 / sy;
    if (this.stored < this.capacity) this.stored++;
    else this.oldest = (this.oldest + 1) % this.capacity;
    return true;
  }

  /** Writes the quasi-Newton direction −H·gradient into directionOut; plain −gradient when empty. */
  descentDirection(gradient: Float64Array, directionOut: Float64Array): void {
    const q = directionOut;
    q.set(gradient);
    const { steps, gradientChanges, inverseCurvatures, coefficients, capacity, oldest, stored } = this;
    for (let k = stored - 1; k >= 0; k--) {
      const slot = (oldest + k) % capacity;
      const alpha = inverseCurvatures[slot] * dot(steps[slot], q);
      coefficients[slot] = alpha;
      const y = gradientChanges[slot];
      for (let i = 0; i < q.length; i++) q[i] -= alpha * y[i];
    }
    if (stored > 0) {
      const newest = (oldest + stored - 1) % capacity;
      const y = gradientChanges[newest];
      const gamma = 1 / (inverseCurvatures[newest] * dot(y, y));
      for (let i = 0; i < q.length; i++) q[i] *= gamma;
    }
    for (let k = 0; k < stored; k++) {
      const slot = (oldest + k) % capacity;
      const beta = inverseCurvatures[slot] * dot(gradientChanges[slot], q);
      const correction = coefficients[slot] - beta;
      const s = steps[slot];
      for (let i = 0; i < q.length; i++) q[i] += correction * s[i];
    }
    for (let i = 0; i < q.length; i++) q[i] = -q[i];
  }
}
