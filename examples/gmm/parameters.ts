/** @file The flat `[alphas, means, icf]` parameter vector that ADBench differentiates, and its inverse. */

import type { GmmInput } from './types.js';

/** Length of one icf row: the d log-diagonal entries plus d(d-1)/2 strictly-lower entries. */
export function icfRowLength(d: number): number {
  return (d * (d + 1)) / 2;
}

/** Length of the flat parameter vector: k + k·d + k·d(d+1)/2 = k(d+1)(d+2)/2. */
export function gmmParameterCount(d: number, k: number): number {
  return k + k * d + k * icfRowLength(d);
}

/** A fresh flat vector `[alphas (k) | means (k×d) | icf (k×d(d+1)/2)]`, ADBench's gradient layout. */
export function packGmmParameters(input: Pick<GmmInput, 'd' | 'k' | 'alphas' | 'means' | 'icf'>): Float64Array {
  const { d, k, alphas, means, icf } = input;
  checkLength('alphas', alphas.length, k, `k = ${k}`);
  checkLength('means', means.length, k * d, `k·d = ${k}·${d}`);
  checkLength('icf', icf.length, k * icfRowLength(d), `k·d(d+1)/2 = ${k}·${icfRowLength(d)}`);
  const out = new Float64Array(gmmParameterCount(d, k));
  out.set(alphas, 0);
  out.set(means, k);
  out.set(icf, k + k * d);
  return out;
}

/**
 * Splits a flat vector (parameters or a gradient) into its three blocks.
 * The blocks are views that share memory with `flat`, so that hot benchmark
 * loops can split every evaluation without copying; copy them if you keep them.
 */
export function unpackGmmParameters(
  flat: Float64Array,
  d: number,
  k: number,
): { alphas: Float64Array; means: Float64Array; icf: Float64Array } {
  checkLength('the flat GMM parameter vector', flat.length, gmmParameterCount(d, k), `k(d+1)(d+2)/2 for d = ${d}, k = ${k}`);
  const meansStart = k;
  const icfStart = k + k * d;
  return {
    alphas: flat.subarray(0, meansStart),
    means: flat.subarray(meansStart, icfStart),
    icf: flat.subarray(icfStart),
  };
}

function checkLength(what: string, actual: number, expected: number, formula: string): void {
  if (actual !== expected) {
    throw new RangeError(`${what} has length ${actual}, expected ${expected} (${formula}); the layout is [alphas, means, icf].`);
  }
}
