/** @file Rosenbrock in plain JS and its seeded inputs, for the codegen benches: no wengert import,
 *  so plain JS can be timed before wengert is loaded. */

/** n numbers in [−1.5, 1.5) from a linear congruential generator. */
export function uniform(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return -1.5 + 3 * (s / 2 ** 32);
  });
}

/** Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)². */
export function rosenbrockPlain(x: Float64Array): number {
  let total = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const t = x[i + 1] - x[i] * x[i];
    const u = 1 - x[i];
    total += 100 * (t * t) + u * u;
  }
  return total;
}
