/** @file log|Γ(x)| for the multivariate log-gamma in the Wishart prior; JavaScript's Math has no lgamma. */

// Lanczos approximation with g = 7 and 9 coefficients (C. Lanczos, "A precision
// approximation of the gamma function", SIAM J. Numer. Anal. B 1 (1964) 86-96;
// coefficients by P. Godfrey, as tabulated in the Wikipedia article "Lanczos
// approximation"). Relative error of Γ is about 1e-15 for x >= 0.5.
const G = 7;
const COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
// The true π, not ADBench's truncated literal: ADBench calls C's lgamma, which is exact.
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** log|Γ(x)|; +Infinity at the poles 0, -1, -2, … */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection Γ(x)Γ(1-x) = π / sin(πx) keeps the series in its accurate range.
    const s = Math.sin(Math.PI * x);
    if (s === 0) return Infinity;
    return Math.log(Math.PI / Math.abs(s)) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = COEFFICIENTS[0];
  for (let i = 1; i < COEFFICIENTS.length; i++) a += COEFFICIENTS[i] / (z + i);
  const t = z + G + 0.5;
  // Written in logs so that large x does not overflow (Γ(172) is already Infinity).
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
