/** @file A vector argument enters the tape as one row (VecInput, code 146) over its slots, on both
 *  backends, eagerly and compiled, its values written with one set(): every derivative has the
 *  bits of the same elements entered one Input row each (as numbers, then concatenated); toBytes
 *  and fromBytes carry the row. Malformed VecInput rows: test/format-fuzz.test.ts. */
import { describe, expect, it } from 'vitest';
import {
  compile, fromBytes, Tape, add, concat, dot, exp, matvec, mul, reshape, sin, sqrt, square, sum, tanh, where, gt,
  type Scalar, type Vector,
} from '../src/index.js';
import { Op } from '../assembly/shared/ops.js';
import { decode } from '../src/compile/format.js';
import { expectSameBits } from './support/engines.js';
import { BACKENDS, seededRandom } from './helpers.js';

const N = 6;
const at = (seed: number) => {
  const random = seededRandom(seed);
  return Float64Array.from({ length: N }, () => 2 * random() - 1);
};

/** Vector rows over slices of x, a matrix-vector product, a where() and scalar rows on elements. */
const scalarBody = (x: Vector): Scalar => {
  const a = x.slice(0, 4), b = x.slice(2, 6);
  const m = matvec(reshape(a, 2, 2), tanh(b.slice(0, 2)));
  const w = where(gt(x.at(1), 0), mul(x.at(1), x.at(2)), sin(x.at(3)));
  return add(add(dot(a, exp(mul(b, 0.3))), sum(mul(m, m))), mul(w, sqrt(add(square(x.at(5)), 1))));
};
/** A vector result of x: elementwise rows, a dot and elements (a sparse Jacobian). */
const vectorBody = (x: Vector): Vector => concat(mul(sin(x), x.at(1)), dot(x.slice(0, 3), x.slice(3)), square(x.at(4)));

/** The same bodies over N numbers, each its own Input row, concatenated into the vector. */
const fromNumbers = <T>(body: (x: Vector) => T) => (...s: Scalar[]) => body(concat(...s));
const scalars = Array.from({ length: N }, () => 'scalar' as const);

const rowsOf = (bytes: Uint8Array) => Array.from(decode(bytes).op);

describe('a vector argument', () => {
  it.each(BACKENDS)('is one VecInput row (and its Param row) in a compiled tape, whatever its length (%s)', (backend) => {
    for (const n of [2, 10, 1000]) {
      const f = compile((x: Vector) => sum(x), n, { backend });
      expect(rowsOf(f.toBytes())).toEqual([Op.Param, Op.VecInput, Op.Param, Op.VecSum]);
      expect(f.stats).toMatchObject({ rows: 4, nodes: n + 1 });
      expect(f.toString().split('\n')[0]).toBe(n === 2 ? 'v₀…v₁ = x₀' : `v₀…v${String(n - 1).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[+d])} = x₀`);
      expect(Array.from(f.grad(Float64Array.from({ length: n }, (_, i) => i)) as Float64Array)).toEqual(new Array(n).fill(1));
      f.dispose();
    }
  });

  it.each(BACKENDS)('beside a number, a one-element and an empty vector, which keep an Input row each or none (%s)', (backend) => {
    const f = compile((s: Scalar, one: Vector, none: Vector, v: Vector) => add(mul(s, one.at(0)), dot(v, v)), 'scalar', 1, 0, 3, { backend });
    expect(rowsOf(f.toBytes()).slice(0, 4)).toEqual([Op.Input, Op.Input, Op.Param, Op.VecInput]);
    const { value, grad } = f.valueAndGrad(2, [3], [], [1, 2, 4]);
    expect(value).toBe(27);
    expectSameBits(grad, [3, [2], [], [2, 4, 8]], 'gradient');
    const again = fromBytes(f.toBytes(), { backend });
    expect(again.toBytes()).toEqual(f.toBytes());
    expectSameBits(again.valueAndGrad(2, [3], [], [1, 2, 4]), { value, grad }, 'value and gradient after fromBytes');
    f.dispose();
    again.dispose();
  });

  it.each(BACKENDS)('enters an eager tape as one row (%s)', (backend) => {
    const tape = new Tape({ backend });
    const before = tape.stats.rows;
    const x = tape.input(Float64Array.from({ length: 1000 }, (_, i) => i / 1000));
    expect(tape.stats.rows - before).toBe(2); // its Param row and its VecInput row
    const y = dot(x, x);
    tape.backward(y);
    expect(Array.from(tape.adjoints(x))).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * (i / 1000)));
    tape.dispose();
  });

  for (const backend of BACKENDS) {
    for (const codegen of ['auto', 'off'] as const) {
      it(`gives the bits of its elements entered one Input row each (${backend}, codegen ${codegen}): value, gradient, jvp, hvp, Hessian, Jacobian, sparse ones`, () => {
        const f = compile(scalarBody, N, { backend, codegen });
        const g = compile(fromNumbers(scalarBody), ...scalars, { backend, codegen });
        const F = compile(vectorBody, N, { backend, codegen });
        const G = compile(fromNumbers(vectorBody), ...scalars, { backend, codegen });
        try {
          expect(rowsOf(g.toBytes()).slice(0, N)).toEqual(new Array(N).fill(Op.Input));
          for (let seed = 1; seed < 4; seed++) {
            const x = at(seed), v = at(seed + 10);
            const xs = Array.from(x), vs = Array.from(v);
            expectSameBits(f.valueAndGrad(x), g.valueAndGrad(...xs), 'value and gradient');
            expectSameBits(f.jvp(x, v), g.jvp(...xs, vs), 'jvp');
            expectSameBits(f.hvp(x, v), g.hvp(...xs, vs), 'hvp');
            expectSameBits(f.hessian(x), g.hessian(...xs), 'Hessian');
            expectSameBits(f.hessian(x, { sparsity: 'auto' }), g.hessian(...xs, { sparsity: 'auto' }), 'sparse Hessian');
            expectSameBits(F.jvp(x, v), G.jvp(...xs, vs), 'jvp of a vector function');
            const u = Float64Array.from({ length: N + 2 }, (_, j) => 1 - 0.25 * j);
            expectSameBits(F.vjp(x, u), G.vjp(...xs, u), 'vjp');
            for (const mode of ['forward', 'reverse'] as const) {
              expectSameBits(F.jacobian(x, { mode }), G.jacobian(...xs, { mode }), `Jacobian (${mode})`);
              expectSameBits(F.jacobian(x, { mode, sparsity: 'auto' }), G.jacobian(...xs, { mode, sparsity: 'auto' }), `sparse Jacobian (${mode})`);
            }
          }
        } finally {
          for (const c of [f, g, F, G]) c.dispose();
        }
      });
    }
  }
});
