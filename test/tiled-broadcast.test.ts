/** @file Row and column broadcasting in one row (VecMapTiled, code 143): a vector meeting every row
 *  of a matrix, or an r × 1 column every column, records one row whatever the matrix's height,
 *  and gives the bits of the one-VecMap-per-matrix-row form it replaces (values, gradients, HVPs,
 *  on both backends and both engines); a saved tape whose VecMapTiled is malformed is refused. */
import { describe, expect, it } from 'vitest';
import { compile, add, sub, mul, div, tanh, sum, concat, matmul, TapeFormatError, type Matrix, type Vector } from '../src/index.js';
import { Op } from '../assembly/shared/ops.js';
import { decode, encode } from '../src/compile/format.js';
import { BACKENDS, seededRandom } from './helpers.js';
import { expectAd } from './support/expect-ad.js';

const R = 5, C = 3;

/** The tiled forms: a row added to every row, a row divided by every row, a column subtracted
 *  from every column, and a column multiplying every column from the left. */
const tiled = (x: Vector, v: Vector, c: Vector) => {
  const m = tanh(x).reshape(R, C);
  const rows = div(v, add(m, v)) as unknown as Matrix; // a vector over every row: a matrix
  const cols = mul(c.reshape(R, 1), sub(m, c.reshape(R, 1)));
  return add(sum(matmul(rows, cols, { transposeB: true })), sum(mul(rows, cols)));
};

/** The same function with one VecMap row per matrix row, as wengert recorded it before. */
const rowByRow = (x: Vector, v: Vector, c: Vector) => {
  const m = tanh(x).reshape(R, C);
  const eachRow = (f: (i: number) => Vector) => concat(...Array.from({ length: R }, (_, i) => f(i))).reshape(R, C);
  const sums = eachRow((i) => add(m.row(i), v));
  const rows = eachRow((i) => div(v, sums.row(i)));
  const diffs = eachRow((i) => sub(m.row(i), c.at(i)));
  const cols = eachRow((i) => mul(c.at(i), diffs.row(i)));
  return add(sum(matmul(rows, cols, { transposeB: true })), sum(mul(rows, cols)));
};

const at = (n: number, seed: number, lo = 0.5, hi = 2) => {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * random());
};

describe('broadcasting over rows and columns', () => {
  it('records one row per broadcast, whatever the matrix height', () => {
    /** The tape's rows (each vector argument is one row, whatever its length). */
    const rowsOf = (r: number) => {
      const f = compile((x: Vector, v: Vector) => sum(add(x.reshape(r, C), v)), r * C, C);
      const n = decode(f.toBytes()).op.length;
      f.dispose();
      return n;
    };
    expect(rowsOf(40)).toBe(rowsOf(4));
    const program = decode(compile(tiled, R * C, C, R).toBytes());
    expect(Array.from(program.op).filter((o) => o === Op.VecMapTiled)).toHaveLength(4);
  });

  for (const backend of BACKENDS) {
    for (const codegen of ['auto', 'off'] as const) {
      it(`gives the row-by-row form's bits on the ${backend} backend (codegen ${codegen}): value, gradient, HVP`, () => {
        const a = compile(tiled, R * C, C, R, { backend, codegen });
        const b = compile(rowByRow, R * C, C, R, { backend, codegen });
        for (let seed = 1; seed < 4; seed++) {
          const args = [at(R * C, seed, -2, 2), at(C, seed + 10), at(R, seed + 20)] as const;
          const ga = a.valueAndGrad(...args), gb = b.valueAndGrad(...args);
          expect(Object.is(ga.value, gb.value)).toBe(true);
          ga.grad.forEach((g, k) => expect(Array.from(g), `gradient ${k}`).toEqual(Array.from(gb.grad[k])));
          const dirs = [at(R * C, seed + 30, -1, 1), at(C, seed + 40, -1, 1), at(R, seed + 50, -1, 1)] as const;
          const ha = a.hvp(...args, dirs), hb = b.hvp(...args, dirs);
          ha.forEach((h, k) => expect(Array.from(h), `hvp ${k}`).toEqual(Array.from(hb[k])));
        }
        a.dispose();
        b.dispose();
      });
    }
  }

  it('is checked against finite differences, the JS tape and the level below', () => {
    expectAd(tiled, [[at(R * C, 7, -2, 2), at(C, 8), at(R, 9)]], { name: 'tiled broadcasts', hessian: true });
  });

  it('with data: the data side gets no adjoint, the other its full gradient', () => {
    const f = (x: Vector, v: Vector) => sum(tanh(mul(x.reshape(R, C), v)));
    const all = compile(f, R * C, C), dataX = compile(f, R * C, C, { wrt: [1] });
    const x = at(R * C, 3, -1, 1), v = at(C, 4);
    expect(Array.from(dataX.grad(x, v) as Float64Array)).toEqual(Array.from(all.grad(x, v)[1]));
  });
});

describe('a saved VecMapTiled that is malformed', () => {
  const bytes = compile((x: Vector, v: Vector) => sum(add(x.reshape(R, C), v)), R * C, C).toBytes();
  const tiledRow = () => {
    const p = decode(bytes);
    const r = Array.from(p.op).indexOf(Op.VecMapTiled);
    return { p, r };
  };
  const refused = (edit: (p: ReturnType<typeof decode>, r: number) => void, message: RegExp) => {
    const { p, r } = tiledRow();
    edit(p, r);
    expect(() => decode(encode(p))).toThrow(TapeFormatError);
    expect(() => decode(encode(p))).toThrow(message);
  };

  it('is refused, naming what is wrong', () => {
    refused((p, r) => (p.b[r - 2] = 2), /tiles by 2, neither a row \(0\) nor a column \(1\)/);
    refused((p, r) => (p.a[r - 2] = 4), /not whole rows of 4/);
    refused((p, r) => (p.b[r - 1] = (p.b[r - 1] & ~0x300) | 0x300), /must tile exactly one operand/);
    refused((p, r) => (p.b[r - 1] = (p.b[r - 1] & ~255) | Op.Tanh), /not a binary elementwise op/);
  });
});
