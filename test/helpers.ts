/** @file The shared test helpers: closeness, ULP distance, finite differences, backends, sampling. */
import { expect } from 'vitest';
import type { Backend } from '../src/index.js';

/** Both backends, for `describe.each(BACKENDS)`. */
export const BACKENDS = ['wasm', 'js'] as const satisfies readonly Backend[];

export const EPS = Number.EPSILON;

const scratch = new Float64Array(1);
const scratchBits = new BigInt64Array(scratch.buffer);

/** The bit pattern of x mapped to a line on which neighbouring doubles differ by 1 (±0 → 0). */
function ordinal(x: number): bigint {
  scratch[0] = x;
  const bits = scratchBits[0];
  return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits;
}

/** How many doubles lie between a and b: 0 for equal values (+0 and −0 included) and for two
 *  NaNs, Infinity when exactly one is NaN. */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  const d = ordinal(a) - ordinal(b);
  return Number(d < 0n ? -d : d);
}

/** Whether |actual − expected| ≤ atol + rtol·|expected|; equal infinities and two NaNs are close. */
export function isClose(actual: number, expected: number, rtol = 0, atol = 0): boolean {
  if (Number.isNaN(expected) || !Number.isFinite(expected)) return Object.is(actual, expected) || actual === expected;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

/** Asserts closeness elementwise (numbers or arrays of equal length), naming the first miss. */
export function expectClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  rtol = 0,
  atol = 0,
  what = '',
): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  expect(a.length, `${what}: length`).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!isClose(a[i], e[i], rtol, atol)) {
      expect.fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol}, off by ${Math.abs(a[i] - e[i])})`);
    }
  }
}

/** Asserts that actual is within maxUlps doubles of expected. */
export function expectUlps(actual: number, expected: number, maxUlps: number, what = ''): void {
  const d = ulpDistance(actual, expected);
  if (!(d <= maxUlps)) expect.fail(`${what}: got ${actual}, expected ${expected}: ${d} ULP apart (at most ${maxUlps})`);
}

/** Central finite difference (f(x + h) − f(x − h)) / 2h: error ≈ h²f‴/6 + ε|f|/h. */
export function centralDifference(f: (x: number) => number, x: number, h: number): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

/** The step for a central difference at x: ≈ ∛ε, scaled by |x| when |x| > 1 (a power of two,
 *  so x ± h are exact for |x| in [1, 2)). */
export function fdStep(x: number, base = 2 ** -17): number {
  return base * Math.max(1, Math.abs(x));
}

/** f′(x) by central differences, or undefined where steps h and h/4 disagree (a kink, a branch
 *  switch, saturation): there differences are no reference. */
export function stableCentralDifference(f: (x: number) => number, x: number, h = 1e-5 * Math.max(1, Math.abs(x))): number | undefined {
  const coarse = centralDifference(f, x, h);
  const fine = centralDifference(f, x, h / 4);
  return Number.isFinite(fine) && isClose(coarse, fine, 1e-5, 1e-7) ? fine : undefined;
}

/** ∂f/∂xᵢ at `point` by central differences. */
export function partialDifference(f: (...xs: number[]) => number, point: readonly number[], i: number, h = fdStep(point[i])): number {
  return centralDifference((t) => f(...point.map((x, j) => (j === i ? t : x))), point[i], h);
}

/** A seeded generator in [0, 1): reproducible sampling (the one the MNIST shuffle uses). */
export { mulberry32 as seededRandom } from '../examples/mnist/seeded-permutation.js';

/** `count` points uniformly in a box of intervals, one coordinate per interval. */
export function samplePoints(box: readonly (readonly [number, number])[], count: number, random: () => number): number[][] {
  const points: number[][] = [];
  for (let k = 0; k < count; k++) points.push(box.map(([lo, hi]) => lo + (hi - lo) * random()));
  return points;
}

/** Calls f and returns what it threw (failing when it does not throw). */
export function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  return expect.fail('expected a throw, but the call returned normally');
}

/** The dense row-major matrix of a CSR SparseMatrix (sparse jacobian/hessian results). */
export function denseFromSparse(s: { shape: [number, number]; rows: Int32Array; cols: Int32Array; values: Float64Array }): Float64Array {
  const [m, n] = s.shape;
  const out = new Float64Array(m * n);
  for (let r = 0; r < m; r++) for (let k = s.rows[r]; k < s.rows[r + 1]; k++) out[r * n + s.cols[k]] = s.values[k];
  return out;
}
