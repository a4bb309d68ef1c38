/** @file Cheap repeated derivatives of a vector-valued compiled function: vjps (one forward sweep,
 *  one reverse sweep per seed) against one vjp per seed, jacobian's `out`, and jacobians (many
 *  points in one call) against jacobian point by point and finite differences; on both backends
 *  and both engines. */
import { describe, expect, it } from 'vitest';
import { compile, ArgumentError, dot, exp, mul, sin, square, sum, type Scalar, type Vector } from '../src/index.js';
import { BACKENDS, centralDifference, expectClose } from './helpers.js';

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

/** Three points of f's arguments, stacked: x (3 × 3) and s (3). */
const xs = Float64Array.of(0.3, -1.2, 2, 1.1, 0.4, -0.6, -2, 0.05, 0.9);
const ss = Float64Array.of(0.7, -1.5, 2.25);

describe.each(BACKENDS)('jacobians on the %s backend', (backend) => {
  for (const codegen of ['auto', 'off'] as const) {
    it(`equals jacobian(…, { mode: 'reverse' }) at each point to the bit, for every argument and a wrt subset (codegen '${codegen}')`, () => {
      for (const wrt of [undefined, [1, 0], [0]] as const) {
        const c = compile(f, 3, 'scalar', wrt === undefined ? { backend, codegen } : { backend, codegen, wrt: [...wrt] });
        try {
          const n = wrt === undefined || wrt.length === 2 ? 4 : 3;
          const expected: number[] = [];
          for (let t = 0; t < 3; t++) expected.push(...c.jacobian(xs.subarray(3 * t, 3 * t + 3), ss[t], { mode: 'reverse' }));
          expect(expected.length).toBe(3 * 4 * n);
          expect(Array.from(c.jacobians(xs, ss))).toEqual(expected);
          const out = new Float64Array(expected.length);
          expect(c.jacobians(Array.from(xs), Array.from(ss), out)).toBe(out);
          expect(Array.from(out)).toEqual(expected);
          if (backend === 'wasm' && codegen === 'auto') expect(c.stats.engine).toBe('generated');
        } finally {
          c.dispose();
        }
      }
    });
  }

  it('agrees with central differences at each point', () => {
    const c = compile(f, 3, 'scalar', { backend });
    const plain = (x: number[], s: number) => {
      const y = s * Math.sin(x[0]);
      return [y, x.reduce((sum, v) => sum + v * Math.exp(v), 0), x[1] * x[2], y];
    };
    try {
      const jac = c.jacobians(xs, ss);
      for (let t = 0; t < 3; t++) {
        const point = [...xs.subarray(3 * t, 3 * t + 3), ss[t]];
        for (let j = 0; j < 4; j++) {
          for (let i = 0; i < 4; i++) {
            const fd = centralDifference((v) => {
              const p = point.slice();
              p[i] = v;
              return plain(p.slice(0, 3), p[3])[j];
            }, point[i], 1e-6);
            expectClose(jac[(t * 4 + j) * 4 + i], fd, 1e-6, 1e-6, `point ${t}, ∂f${j}/∂x${i}`);
          }
        }
      }
    } finally {
      c.dispose();
    }
  });

  it('a data argument is stacked too and moves the values, not the columns', () => {
    const c = compile(f, 3, 'scalar', { backend, wrt: [0] });
    try {
      const jac = c.jacobians(xs, ss);
      expect(jac.length).toBe(3 * 4 * 3);
      // ∂f₀/∂x₀ = s cos x₀ at each point: the stacked s reaches each point.
      for (let t = 0; t < 3; t++) expectClose(jac[t * 12], ss[t] * Math.cos(xs[3 * t]), 1e-15, 0, `point ${t}`);
    } finally {
      c.dispose();
    }
  });

  it('refuses stacks of different point counts, lengths that are not whole points, and out of the wrong size', () => {
    const c = compile(f, 3, 'scalar', { backend });
    try {
      expect(() => c.jacobians(xs, ss.subarray(0, 2))).toThrow(/argument 1 holds 2 points but argument 0 holds 3/);
      expect(() => c.jacobians(xs.subarray(0, 8), ss)).toThrow(/argument 0 must be a Float64Array or number\[\] of points × 3 numbers/);
      expect(() => c.jacobians(xs, ss, new Float64Array(47))).toThrow(/out must be a Float64Array of length 48 \(3 points × 4 outputs × 4 inputs\)/);
      expect(() => (c.jacobians as (...a: unknown[]) => unknown)(xs)).toThrow(ArgumentError);
    } finally {
      c.dispose();
    }
    const tree = compile((p: { a: Vector; b: Scalar }) => [mul(p.b, sum(p.a)), p.b], { a: 2, b: 'scalar' }, { backend });
    try {
      expect(() => (tree.jacobians as (...a: unknown[]) => unknown)(Float64Array.of(1, 2, 3))).toThrow(/compiled with tree shapes: compile it for the leaves/);
    } finally {
      tree.dispose();
    }
  });
});
