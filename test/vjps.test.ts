/** @file Cheap repeated derivatives of a vector-valued compiled function: vjps (one forward sweep,
 *  one reverse sweep per seed) against one vjp per seed, and jacobian's `out`. */
import { describe, expect, it } from 'vitest';
import { compile, ArgumentError, dot, exp, mul, sin, square, sum, type Scalar, type Vector } from '../src/index.js';
import { BACKENDS } from './helpers.js';

/** R³ × R → R⁴, with a repeated output slot. */
const f = (x: Vector, s: Scalar) => {
  const y = mul(s, sin(x.at(0)));
  return [y, dot(x, exp(x)), mul(x.at(1), x.at(2)), y];
};
const x = Float64Array.of(0.3, -1.2, 2);
const s = 0.7;
const seeds = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0.5, -1, 2, 0.25);

describe.each(BACKENDS)('vjps on the %s backend', (backend) => {
  it('equals one vjp per seed, for every argument and for a wrt subset, with flat or row seeds', () => {
    for (const wrt of [undefined, [1, 0], [0]] as const) {
      const c = compile(f, 3, 'scalar', wrt === undefined ? { backend } : { backend, wrt: [...wrt] });
      try {
        const rows = [seeds.subarray(0, 4), seeds.subarray(4, 8), seeds.subarray(8, 12)];
        const expected = rows.flatMap((u) => {
          const g = c.vjp(x, s, u) as unknown;
          const parts = (wrt ?? [0, 1]).length === 1 ? [g] : (g as unknown[]);
          return parts.flatMap((p) => (typeof p === 'number' ? [p] : Array.from(p as Float64Array)));
        });
        expect(Array.from(c.vjps(x, s, seeds))).toEqual(expected);
        expect(Array.from(c.vjps(x, s, rows))).toEqual(expected);
        const out = new Float64Array(expected.length);
        expect(c.vjps(x, s, seeds, out)).toBe(out);
        expect(Array.from(out)).toEqual(expected);
      } finally {
        c.dispose();
      }
    }
  });

  it('refuses seeds and out of the wrong size', () => {
    const c = compile(f, 3, 'scalar', { backend });
    try {
      expect(() => c.vjps(x, s, new Float64Array(5))).toThrow(/not a whole number of rows of 4/);
      expect(() => c.vjps(x, s, [new Float64Array(3)])).toThrow(ArgumentError);
      expect(() => c.vjps(x, s, seeds, new Float64Array(3))).toThrow(/out must be a Float64Array of length 12 \(3 seeds × 4 inputs\)/);
    } finally {
      c.dispose();
    }
  });

  it('jacobian writes into out when given, in either mode', () => {
    const c = compile(f, 3, 'scalar', { backend });
    try {
      const j = c.jacobian(x, s);
      for (const mode of ['forward', 'reverse'] as const) {
        const out = new Float64Array(16);
        expect(c.jacobian(x, s, { mode, out })).toBe(out);
        for (let i = 0; i < 16; i++) expect(out[i]).toBeCloseTo(j[i], 14);
      }
      expect(() => c.jacobian(x, s, { out: new Float64Array(15) })).toThrow(/out must be a Float64Array of length 16 \(4 outputs × 4 inputs\)/);
    } finally {
      c.dispose();
    }
  });

  it('a scalar f: vjps with one seed per row gives scaled gradients', () => {
    const g = compile((v: Vector) => sum(square(v)), 3, { backend });
    try {
      expect(Array.from(g.vjps(x, Float64Array.of(1, 2)))).toEqual([...Array.from(x, (v) => 2 * v), ...Array.from(x, (v) => 4 * v)]);
    } finally {
      g.dispose();
    }
  });
});
