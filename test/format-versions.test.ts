/** @file Tapes saved by earlier formats: a 0.1.0 tape (format 1) and the formats after it, which
 *  had an Input row per argument element, load as the same function, a
 *  version this wengert does not know is refused naming both versions, and the op codes, which
 *  the format stores, never change. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compile, fromBytes, TapeFormatError, add, mul, sub, div, sin, exp, tanh, pow, where, lt, gt, sum, dot, matmul, logSoftmax,
  softmax, max, min, concat, mean, prod, logsumexp, square, sqrt, abs, relu, sigmoid, log1p, atan2, hypot, matvec,
  type Scalar, type Vector,
} from '../src/index.js';
import { Op, arity } from '../assembly/shared/ops.js';
import { BACKENDS } from './helpers.js';
import { whereAsSaved } from './support/where-as-saved.js';

/** The function golden-v1.wgrt was compiled from (test/fixtures/tapes/README.md): do not edit.
 *  `meanOf` is how its mean was recorded: a sum times 1/n in formats 1 and 2, one row (VecMean)
 *  since; `whereOf` how its where over vectors was: three rows until format 4, one (VecSelect) since. */
type WhereOf = (c: Vector, a: Vector, b: Vector) => Vector;
const goldenWith = (meanOf: (v: Vector) => Scalar, whereOf: WhereOf) => (x: Vector, s: Scalar) => {
  const a = x.slice(0, 4), b = x.slice(2, 6);
  const m = a.reshape(2, 2), n = b.reshape(2, 2);
  const p = matmul(m, n, { transposeB: true });
  const q = logSoftmax(p);
  const e = add(mul(sin(a), exp(tanh(b))), square(s));
  const ws = where(lt(s, 0.5), mul(s, 3), sqrt(abs(s)));
  const wv = whereOf(gt(a, b), a, b);
  const c = concat(e, wv, ws);
  const t1 = add(sum(q), dot(a, b));
  const t2 = add(max(c), min(softmax(b)));
  const t3 = add(meanOf(relu(sub(a, 0.1))), prod(sigmoid(b)));
  const t4 = add(logsumexp(c), pow(add(abs(s), 1.5), 1.25));
  const t5 = add(atan2(s, add(x.at(0), 2)), hypot(x.at(1), s));
  const t6 = sum(matvec(m, log1p(square(b.slice(0, 2)))));
  return add(add(add(t1, t2), add(t3, t4)), add(add(t5, t6), div(ws, add(square(s), 1))));
};
const oneRowMean = (v: Vector) => mean(v);
const sumTimesMean = (v: Vector) => mul(sum(v), 1 / v.length);
const oneRowWhere: WhereOf = (c, a, b) => where(c, a, b) as Vector;
const threeRowWhere: WhereOf = (c, a, b) => whereAsSaved(c, a, b, a) as Vector;
const golden = goldenWith(oneRowMean, oneRowWhere);

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/tapes/${name}`, import.meta.url)));
const V1 = fixture('golden-v1.wgrt');
/** Each saved tape, its version, its rows as today's ops record them, and how many more rows it
 *  has than today's trace of `golden` (mean: a sum, a constant and a product, 2 more; where: two
 *  copies and a select with their Param rows, 3 more than VecSelect and its two). */
const SAVED = [
  ['format 1 (0.1.0)', V1, 1, goldenWith(sumTimesMean, threeRowWhere), 2 + 3],
  ['format 2 (before wrt)', fixture('golden-v2.wgrt'), 2, goldenWith(sumTimesMean, threeRowWhere), 2 + 3],
  ['format 3 (before VecSelect)', fixture('golden-v3.wgrt'), 3, goldenWith(oneRowMean, threeRowWhere), 3],
] as const;

function points(): [Float64Array, number][] {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 3 - 1.5;
  return Array.from({ length: 8 }, () => [Float64Array.from({ length: 6 }, random), random()]);
}

describe.each(BACKENDS)('a tape saved by an earlier format on the %s backend', (backend) => {
  it.each(SAVED)('%s loads as the same function: value and gradient equal a fresh trace of its source, bit for bit', (_, bytes, version, asSaved, extraRows) => {
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(4, true)).toBe(version);
    const saved = fromBytes(bytes, { backend });
    expect(saved.differentiated).toEqual([0, 1]);
    const fresh = compile(asSaved, 6, 'scalar', { backend });
    const today = compile(golden, 6, 'scalar', { backend });
    try {
      expect(saved.stats.rows).toBe(fresh.stats.rows);
      expect(today.stats.rows).toBe(fresh.stats.rows - extraRows);
      for (const [x, s] of points()) {
        const a = saved.valueAndGrad(x, s);
        const b = fresh.valueAndGrad(x, s);
        const c = today.valueAndGrad(x, s);
        expect(a.value).toBe(b.value);
        expect(a.grad).toEqual(b.grad);
        expect(c.value).toBe(a.value);
        expect(c.grad).toEqual(a.grad);
      }
      expect(saved.toString()).toBe(fresh.toString());
    } finally {
      saved.dispose();
      fresh.dispose();
      today.dispose();
    }
  });

  it('is written back in the current format (4), which reads back as the same bytes', () => {
    const saved = fromBytes(V1, { backend });
    try {
      const bytes = saved.toBytes();
      expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(4);
      expect(fromBytes(bytes, { backend }).toBytes()).toEqual(bytes);
    } finally {
      saved.dispose();
    }
  });
});

describe('format versions', () => {
  it('a version 1 tape with a code 0.1.0 never wrote is refused', () => {
    const bytes = V1.slice();
    const ops = 24 + 4 * (2 + 1); // header, two arguments, one output: the op column
    const rows = new DataView(bytes.buffer).getUint32(8, true);
    const row = bytes.subarray(ops, ops + rows).indexOf(Op.Add) + ops;
    expect(row).toBeGreaterThan(ops);
    bytes[row] = 57; // past 0.1.0's last code
    expect(() => fromBytes(bytes)).toThrow(TapeFormatError);
    expect(() => fromBytes(bytes)).toThrow(/unknown op code/);
  });

  it('a newer version is refused with a TapeFormatError naming it and the versions read', () => {
    const bytes = V1.slice();
    new DataView(bytes.buffer).setUint16(4, 5, true);
    expect(() => fromBytes(bytes)).toThrow(TapeFormatError);
    expect(() => fromBytes(bytes)).toThrow(/version 5 is not one this wengert reads \(it reads versions 1 to 4, and writes 4\)/);
  });

  it('today writes version 4 for a where over vectors (one VecSelect row), so a reader of versions 1 to 3 refuses it', () => {
    const bytes = compile((x: Vector) => sum(where(gt(x, 0), x, 0)), 3).toBytes();
    expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(4);
    expect(rowsOf(bytes).includes(Op.VecSelect)).toBe(true);
  });

  it('a version 2 or 3 tape with a code from version 4 (VecSelect) is refused, naming both versions', () => {
    for (const [name, version] of [['golden-v2.wgrt', 2], ['golden-v3.wgrt', 3]] as const) {
      const bytes = fixture(name);
      const ops = rowsOf(bytes);
      const edited = bytes.slice();
      const row = ops.indexOf(Op.VecWhere);
      expect(row).toBeGreaterThan(0);
      edited[opColumnAt(edited) + row] = Op.VecSelect;
      expect(() => fromBytes(edited)).toThrow(TapeFormatError);
      expect(() => fromBytes(edited)).toThrow(new RegExp(`op code 145 \\(VecSelect\\), which format version ${version} does not have \\(it came in a later version; this wengert writes 4\\)`));
    }
  });
});

/** Where a tape's op column starts: after the header (28 bytes from version 3 on, else 24), the
 *  argument lengths, the outputs and (from version 3 on) the wrt list. */
function opColumnAt(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const withWrt = view.getUint16(4, true) >= 3;
  return (withWrt ? 28 : 24) + 4 * (view.getUint32(16, true) + view.getUint32(20, true) + (withWrt ? view.getUint32(24, true) : 0));
}

function rowsOf(bytes: Uint8Array): Uint8Array {
  const at = opColumnAt(bytes);
  return bytes.subarray(at, at + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true));
}

describe('op codes', () => {
  // A file format: toBytes writes these numbers. Changing one makes saved tapes compute another
  // function, so this table is written out by hand and only ever grows.
  const PINNED: Record<string, [code: number, arity: number]> = {
    Param: [0, 0], Const: [1, 0], Input: [2, 0], Where: [3, 3],
    Add: [4, 2], Mul: [5, 2], Sub: [6, 2], Div: [7, 2], Square: [8, 1], Neg: [9, 1], Exp: [10, 1], Log: [11, 1],
    Tanh: [12, 1], Sin: [13, 1], Cos: [14, 1], Sqrt: [15, 1], Pow: [16, 2], Sigmoid: [17, 1], Relu: [18, 1],
    Abs: [19, 1], Max: [20, 2], Min: [21, 2], Softplus: [22, 1], Log1p: [23, 1], Expm1: [24, 1], Atan: [25, 1],
    Atan2: [26, 2], Hypot: [27, 2], Tan: [28, 1], Asin: [29, 1], Acos: [30, 1], Sinh: [31, 1], Cosh: [32, 1],
    Asinh: [33, 1], Acosh: [34, 1], Atanh: [35, 1], Log2: [36, 1], Log10: [37, 1], Cbrt: [38, 1], Erf: [39, 1],
    Lt: [40, 2], Le: [41, 2], Gt: [42, 2], Ge: [43, 2], Eq: [44, 2], StopGradient: [45, 1],
    VecMap: [128, 2], VecSum: [129, 1], VecDot: [130, 2], VecProd: [131, 1], VecMax: [132, 1], VecMin: [133, 1],
    VecLogSumExp: [134, 1], VecSoftmax: [135, 1], VecLogSoftmax: [136, 1], MatMul: [137, 2], VecCopy: [138, 1],
    VecWhere: [139, 2], VecTranspose: [140, 1], VecGather: [141, 2], VecMean: [142, 1], VecMapTiled: [143, 2], VecConst: [144, 0], VecSelect: [145, 2], VecInput: [146, 0],
    Custom: [200, 0],
  };

  it('every op keeps its code and arity, and every op is pinned here', () => {
    const names = Object.keys(Op).filter((k) => Number.isNaN(Number(k)));
    expect(names.sort()).toEqual(Object.keys(PINNED).sort());
    for (const [name, [code, n]] of Object.entries(PINNED)) {
      expect(Op[name as keyof typeof Op], name).toBe(code);
      expect(arity(code), `arity of ${name}`).toBe(n);
    }
  });

  it('codes the table does not name have no arity (the reader refuses them)', () => {
    const named = new Set(Object.values(PINNED).map(([code]) => code));
    for (let code = 0; code < 256; code++) if (!named.has(code)) expect(arity(code), `code ${code}`).toBe(-1);
  });
});
