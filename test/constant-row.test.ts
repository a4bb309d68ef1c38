/** @file Captured arrays in one row (VecConst, code 144): a Float64Array or number array an op
 *  meets enters the tape as one row holding its constants, not one Const row per element, on
 *  both backends, eagerly and compiled; the same numbers come out as when the array is passed as
 *  data; toBytes/fromBytes carry the values; a malformed VecConst is refused. */
import { describe, expect, it } from 'vitest';
import { compile, fromBytes, Tape, add, dot, gather, mul, sum, tanh, TapeFormatError, type Vector } from '../src/index.js';
import { Op } from '../assembly/shared/ops.js';
import { decode, encode } from '../src/compile/format.js';
import { BACKENDS, seededRandom } from './helpers.js';

const N = 100;
const at = (n: number, seed: number) => {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => 2 * random() - 1);
};
const weights = at(N, 1);
const matrix = at(4 * 3, 2);

/** Captured arrays in a dot, an elementwise product and a gather's indices. */
const captured = (x: Vector) => add(add(dot(x, weights), sum(mul(tanh(x.slice(0, 12)), matrix))), sum(gather(x, [3, 1, 4, 1, 5])));
/** The same function with the arrays passed in as data. */
const passed = (x: Vector, w: Vector, m: Vector) => add(add(dot(x, w), sum(mul(tanh(x.slice(0, 12)), m))), sum(gather(x, [3, 1, 4, 1, 5])));

const rowsWith = (bytes: Uint8Array, code: number) => Array.from(decode(bytes).op).filter((o) => o === code).length;

describe('captured arrays', () => {
  it('enter a compiled tape as one row each, not a Const row per element', () => {
    const f = compile(captured, N);
    const bytes = f.toBytes();
    expect(rowsWith(bytes, Op.Const)).toBe(0);
    expect(rowsWith(bytes, Op.VecConst)).toBeGreaterThanOrEqual(3);
    expect(f.stats.rows).toBeLessThan(N + 30); // N inputs and a few rows, not N + 12 + 5 constants more
  });

  it('enter an eager tape as one row', () => {
    for (const backend of BACKENDS) {
      const tape = new Tape({ backend });
      const x = tape.input(at(N, 3));
      const before = tape.stats.rows;
      const y = dot(x, weights);
      expect(tape.stats.rows - before).toBe(4); // the constants' Param and VecConst, the dot's Param and row
      tape.backward(y);
      expect(Array.from(tape.adjoints(x))).toEqual(Array.from(weights));
      tape.dispose();
    }
  });

  for (const backend of BACKENDS) {
    for (const codegen of ['auto', 'off'] as const) {
      it(`give the bits of the same arrays passed as data (${backend}, codegen ${codegen}): value, gradient, HVP`, () => {
        const f = compile(captured, N, { backend, codegen });
        const g = compile(passed, N, N, 12, { backend, codegen, wrt: [0] });
        for (let seed = 4; seed < 7; seed++) {
          const x = at(N, seed), v = at(N, seed + 10);
          const a = f.valueAndGrad(x), b = g.valueAndGrad(x, weights, matrix);
          expect(Object.is(a.value, b.value)).toBe(true);
          expect(Array.from(a.grad)).toEqual(Array.from(b.grad as Float64Array));
          expect(Array.from(f.hvp(x, v))).toEqual(Array.from(g.hvp(x, weights, matrix, v) as Float64Array));
        }
        f.dispose();
        g.dispose();
      });
    }
  }

  it('are saved by toBytes and read back by fromBytes, shown by toString', () => {
    for (const backend of BACKENDS) {
      const f = compile((x: Vector) => dot(x, [1.5, 2, -3]), 3, { backend });
      const g = fromBytes(f.toBytes(), { backend });
      const x = Float64Array.of(0.5, -1, 2);
      expect(g.valueAndGrad(x)).toEqual(f.valueAndGrad(x));
      expect(g.toString()).toContain('= [1.5, 2, -3]');
      expect(g.toBytes()).toEqual(f.toBytes());
    }
  });

  it('a saved VecConst that names an operand, or holds more constants than stored, is refused', () => {
    const bytes = compile((x: Vector) => dot(x, [1.5, 2, -3]), 3).toBytes();
    const p = decode(bytes);
    const r = Array.from(p.op).indexOf(Op.VecConst);
    p.a[r] = 0;
    expect(() => decode(encode(p))).toThrow(TapeFormatError);
    const q = decode(bytes);
    q.a[r - 1] = 4;
    expect(() => decode(encode(q))).toThrow(/constants/);
  });
});
