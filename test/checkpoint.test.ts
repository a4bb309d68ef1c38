/** @file checkpoint(f): the interior of f is not kept on the tape but recomputed in the reverse
 *  sweep. Gradients vs finite differences and vs the plain tape (bit for bit), both backends,
 *  eager and compiled; the time-stepping example's bytes. Timing lives in bench/checkpoint.ts. */
import { describe, expect, it } from 'vitest';
import { checkpoint, compile, grad, valueAndGrad, Tape, add, mul, sin, tanh, sum, dot, type Scalar, type Vector } from '../src/index.js';
import { expectAd } from './support/expect-ad.js';
import { BACKENDS, seededRandom } from './helpers.js';
import { plainLoss, checkpointedLoss, odeData } from '../examples/ode.js';

const layer = (v: Vector, s: Scalar) => tanh(add(mul(v, s), sin(v)));
const checkpointed = checkpoint(layer);
const scalarPart = checkpoint((x: Scalar, y: Scalar) => mul(sin(x), add(y, 2)));

/** Within a few rounding errors of sums of ~10³ terms of one sign. */
function expectRounding(got: Float64Array, want: Float64Array): void {
  expect(got.length).toBe(want.length);
  got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThanOrEqual(1e-13 * Math.abs(want[i])));
}

function points(n: number, count: number, seed: number): [Float64Array, number][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => [Float64Array.from({ length: n }, () => 2 * random() - 1), 2 * random() - 1]);
}

describe('checkpoint', () => {
  it('gradients, jvp, hvp and Hessians vs finite differences and the plain function, both backends, eager and compiled', () => {
    expectAd((v: Vector, s: Scalar) => add(sum(checkpointed(checkpointed(v, s), s)), scalarPart(s, v.at(0))), points(4, 3, 21), {
      name: 'checkpointed layers',
      sameAs: (v: Vector, s: Scalar) => add(sum(layer(layer(v, s), s)), mul(sin(s), add(v.at(0), 2))),
      hessian: true,
    });
  });

  describe.each(BACKENDS)('on the %s backend', (backend) => {
    const { y0, c } = odeData(20);
    const steps = 1600;
    const plain = plainLoss(steps);
    const every = checkpointedLoss(steps, 40); // √N segments of √N steps

    it('an ODE of 1600 steps: the tape holds ≤ 5% of the plain tape\'s bytes; the gradient is the same (to the bit for y0, within rounding for c)', () => {
      const record = (loss: typeof plain) => {
        const tape = new Tape({ backend });
        try {
          const y = tape.input(y0) as Vector;
          const k = tape.input(c) as Vector;
          const out = loss(y, k);
          tape.backward(out);
          return { value: tape.value(out), gy: tape.adjoints(y), gc: tape.adjoints(k), bytes: tape.stats.bytes, nodes: tape.stats.nodes };
        } finally {
          tape.dispose();
        }
      };
      const a = record(plain);
      const b = record(every);
      expect(b.value).toBe(a.value);
      // y flows through each segment boundary once: its adjoint takes the same operations in the
      // same order. c is used by every step: each segment sums its share from 0 before adding it
      // to c's adjoint, so that sum is reassociated and agrees within rounding.
      expect(b.gy).toEqual(a.gy);
      expectRounding(b.gc, a.gc);
      expect(b.bytes / a.bytes).toBeLessThanOrEqual(0.05);
      expect(b.nodes / a.nodes).toBeLessThanOrEqual(0.02);
    });

    it('compiled: the same gradient as the plain compiled tape, a fraction of its bytes', () => {
      const p = compile(plain, 20, 20, { backend });
      const q = compile(every, 20, 20, { backend });
      try {
        for (const y of [y0, y0.map((x) => x * 0.9)]) {
          const got = q.valueAndGrad(y, c);
          const want = p.valueAndGrad(y, c);
          expect(got.value).toBe(want.value);
          expect(got.grad[0]).toEqual(want.grad[0]);
          expectRounding(got.grad[1], want.grad[1]);
        }
        expect(q.stats.bytes / p.stats.bytes).toBeLessThanOrEqual(0.05);
        expect(q.toString()).toMatch(/= checkpoint\(segment\)\(v₀…v₁₉, v₂₀…v₃₉\)/);
        expect(() => q.toBytes()).toThrow(/toBytes cannot save 'checkpoint\(segment\)'/);
        // Tangents are recomputed on a pure-JS scratch tape: equal within rounding on either backend.
        const dy = y0.map((_, i) => Math.cos(i)), dc = c.map((_, i) => Math.sin(i));
        const jq = q.jvp(y0, c, [dy, dc]) as { value: number; tangent: number };
        const jp = p.jvp(y0, c, [dy, dc]) as { value: number; tangent: number };
        expect(Math.abs(jq.tangent - jp.tangent)).toBeLessThanOrEqual(1e-12 * Math.abs(jp.tangent));
        const hq = q.hvp(y0, c, [dy, dc]) as Float64Array[];
        const hp = p.hvp(y0, c, [dy, dc]) as Float64Array[];
        hq.forEach((h, k) => h.forEach((x, i) => expect(Math.abs(x - hp[k][i])).toBeLessThanOrEqual(1e-11 * (1 + Math.abs(hp[k][i])))));
      } finally {
        p.dispose();
        q.dispose();
      }
    });

    it('checkpoints nest, and a number result works', () => {
      const inner = checkpoint((x: Scalar) => mul(x, sin(x)));
      const outer = checkpoint((x: Scalar, y: Scalar) => add(inner(x), inner(mul(x, y))));
      const f = (x: Scalar, y: Scalar) => mul(outer(x, y), y);
      const g = (x: Scalar, y: Scalar) => mul(add(mul(x, sin(x)), mul(mul(x, y), sin(mul(x, y)))), y);
      expect(valueAndGrad(f, { backend })(0.7, -0.4)).toEqual(valueAndGrad(g, { backend })(0.7, -0.4));
      expect(grad((v: Vector) => dot(v, v), { backend })(Float64Array.of(1, 2))).toEqual(Float64Array.of(2, 4));
    });

    it('a function that does not return a handle is an error naming the checkpoint', () => {
      const broken = checkpoint(function broken(x: Scalar) {
        return [x] as never;
      });
      expect(() => grad((x: Scalar) => broken(x), { backend })(1)).toThrow(/checkpoint\(broken\): the function must return a scalar or vector handle/);
    });
  });
});
