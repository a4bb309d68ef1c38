/** @file The two reverse-sweep designs (partials recomputed, or stored by the forward sweep) run
 *  the same row walk, so they give the same results, rows recorded after the seeded output
 *  included. */
import { describe, expect, it } from 'vitest';
import { compile, mul, dot, type Vector } from '../src/index.js';
import { BACKENDS } from './helpers.js';

describe.each(BACKENDS)('sweep designs on the %s backend', (backend) => {
  it('a reverse sweep from an early output skips the rows after it in both designs (0 · ∞ is never formed)', () => {
    // Row 0's output is 2·x₀; dot(x, x) is recorded after it and has ∂/∂x₁ = 2·∞. A reverse sweep
    // seeded at output 0 must not visit that row, so ∂f₀/∂x₁ is 0, not 0·∞ = NaN.
    const f = (x: Vector) => [mul(2, x.at(0)), dot(x, x)];
    const point = Float64Array.of(1, Infinity);
    for (const partials of ['recompute', 'store'] as const) {
      const c = compile(f, 2, { backend, partials });
      try {
        const jac = c.jacobian(point, { mode: 'reverse' });
        expect(Array.from(jac.subarray(0, 2)), partials).toEqual([2, 0]);
        expect(jac[2], partials).toBe(2);
        expect(jac[3], partials).toBe(Infinity);
      } finally {
        c.dispose();
      }
    }
  });

  it('stored partials give the recomputed gradient bit for bit', () => {
    const f = (x: Vector) => dot(x, mul(x, x.at(1)));
    const x = Float64Array.of(0.5, -1.25, 3);
    const a = compile(f, 3, { backend, partials: 'recompute' });
    const b = compile(f, 3, { backend, partials: 'store' });
    try {
      expect(b.valueAndGrad(x)).toEqual(a.valueAndGrad(x));
      expect(b.stats.bytes).toBeGreaterThan(a.stats.bytes);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
