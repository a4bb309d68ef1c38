/** @file One-dimensional interpolation steps used by the line search to guess where φ(α) is smallest. */

/**
 * Minimizer of the cubic matching φ and φ' at a and b (Nocedal & Wright, Numerical Optimization,
 * 2nd ed., eq. 3.59). Returns NaN when that cubic has no local minimizer, so callers can fall back.
 */
export function cubicMinimizer(a: number, valueA: number, slopeA: number, b: number, valueB: number, slopeB: number): number {
  const d1 = slopeA + slopeB - (3 * (valueA - valueB)) / (a - b);
  const discriminant = d1 * d1 - slopeA * slopeB;
  if (!(discriminant >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(discriminant);
  return b - ((b - a) * (slopeB + d2 - d1)) / (slopeB - slopeA + 2 * d2);
}

/**
 * Minimizer of the parabola matching φ(a), φ'(a) and φ(b) (Nocedal & Wright eq. 3.57, written for
 * an arbitrary left end). Used when φ'(b) is unusable. NaN when the parabola opens downwards.
 */
export function quadraticMinimizer(a: number, valueA: number, slopeA: number, b: number, valueB: number): number {
  const width = b - a;
  const curvature = (valueB - valueA - slopeA * width) / (width * width);
  if (!(curvature > 0)) return NaN;
  return a - slopeA / (2 * curvature);
}
