/** @file Dense-vector kernels shared by the optimizers; plain loops so nothing allocates. */

export function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

export function infinityNorm(v: Float64Array): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const magnitude = Math.abs(v[i]);
    // `!(magnitude <= max)` also lets NaN through, so a poisoned gradient never looks converged.
    if (!(magnitude <= max)) max = magnitude;
  }
  return max;
}

export function euclideanNorm(v: Float64Array): number {
  return Math.sqrt(dot(v, v));
}
