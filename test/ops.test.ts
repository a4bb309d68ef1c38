/** @file Every op × both backends, from the catalog: values, derivatives, backend agreement, special values. */
import { describe, expect, it } from 'vitest';
import * as wengert from '../src/index.js';
import { Tape, valueAndGrad, where, gt, lt, add, mul, neg, sin, type Operand } from '../src/index.js';
import { Op, FIRST_SCALAR_OP, FIRST_VECTOR_OP, arity, evaluate, isVectorOp } from '../assembly/shared/ops.js';
import { OP_INFO, publicName, type OpInfo, type PublicOpName, type SpecialCase } from '../src/catalog.js';
import {
  BACKENDS, EPS, expectClose, expectUlps, fdStep, partialDifference, samplePoints, seededRandom, ulpDistance,
} from './helpers.js';

const NAMES = Object.keys(OP_INFO) as PublicOpName[];
const info = (name: PublicOpName): OpInfo => OP_INFO[name];
type OpFunction = (...operands: Operand[]) => Operand;
const opFunction = (name: PublicOpName) => (wengert as unknown as Record<string, OpFunction>)[publicName(name)];

/** f with exactly the op's arity as parameters (valueAndGrad checks the argument count). */
function lifted(name: PublicOpName): (...operands: Operand[]) => Operand {
  const op = opFunction(name);
  return info(name).arity === 1 ? (x) => op(x) : (x, w) => op(x, w);
}

/** The op on plain numbers (the all-number path: no tape). */
const numeric = (name: PublicOpName) => lifted(name) as (...xs: number[]) => number;

/** One valueAndGrad per op and backend: it keeps its tape and resets it between calls. */
const differentiators = new Map<string, ReturnType<typeof valueAndGrad>>();

/** Value and partials of one op at one point on `backend`. */
function differentiate(name: PublicOpName, backend: 'wasm' | 'js', point: readonly number[]): { value: number; partials: number[] } {
  const key = `${name} ${backend}`;
  let f = differentiators.get(key);
  if (f === undefined) differentiators.set(key, (f = valueAndGrad(lifted(name), { backend })));
  const { value, grad } = f(...point);
  return { value, partials: typeof grad === 'number' ? [grad] : Array.from(grad as number[]) };
}

/** Points per domain box; every op is sampled in each of its boxes. */
const SAMPLES = 48;
const pointsOf = (name: PublicOpName, seed: number): number[][] =>
  info(name).domain.flatMap((box) => samplePoints(box, SAMPLES, seededRandom(seed)));

/** Value rules may differ by a few ULP between AS NativeMath (wasm) and V8's Math (js). */
const VALUE_ULPS = 4;

/** Partials agree across backends within a few ULP, or within a few ε absolutely: rules such as
 *  1 − tanh² or σ(1 − σ) subtract from an O(1) rounded output, so their error is absolute. */
function expectSamePartial(actual: number, expected: number, what: string): void {
  if (ulpDistance(actual, expected) <= VALUE_ULPS) return;
  if (Math.abs(actual - expected) <= 4 * EPS) return;
  expect.fail(`${what}: ${actual} vs ${expected}, ${ulpDistance(actual, expected)} ULP apart`);
}

/** A documented special value: Object.is for values (the sign of zero counts); partials
 *  compare zeros without sign (adjoints start at +0) and finite values within 2 ULP. */
function expectCase(got: number, want: number, what: string, signedZero: boolean): void {
  if (want === 0 && !signedZero) return expect(got, what).toBe(0);
  if (Number.isFinite(want) && want !== 0) return expectUlps(got, want, 2, what);
  expect(Object.is(got, want), `${what}: got ${got}, want ${Object.is(want, -0) ? '-0' : want}`).toBe(true);
}

const show = (c: SpecialCase) => `(${c.at.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(', ')})`;

/** erf at points where it is not a library function; the correctly rounded values of
 *  erf(x) from mpmath at 200 bits. */
const ERF_TABLE: readonly (readonly [number, number])[] = [
  [1e-300, 1.1283791670955126e-300], [1e-10, 1.1283791670955126e-10], [0.01, 0.011283415555849618],
  [0.1, 0.1124629160182849], [0.25, 0.27632639016823696], [0.5, 0.5204998778130465],
  [0.75, 0.7111556336535151], [1, 0.8427007929497149], [1.25, 0.9229001282564583],
  [1.5, 0.9661051464753108], [1.75, 0.9866716712191824], [2, 0.9953222650189527],
  [2.5, 0.999593047982555], [2.75, 0.9998993780778803], [2.99, 0.9999764743969194],
  [3, 0.9999779095030014], [3.01, 0.9999792610363629], [3.5, 0.9999992569016276],
  [4, 0.9999999845827421], [4.5, 0.9999999998033839], [5, 0.9999999999984626],
  [5.5, 0.9999999999999927], [5.9, 0.9999999999999999], [5.99, 1],
];
/** The series-based erf is good to about 12 ULP (the rounding of e^(−x²) near x ≈ 2.8). */
const ERF_ULPS = 16;

/** [point, expected value, ULP allowed]: Math at sampled points, or erf's table (and its odd mirror). */
function expectedValues(name: PublicOpName): [number[], number, number][] {
  const reference = info(name).reference;
  if (reference === undefined) return ERF_TABLE.flatMap(([x, y]) => [[[x], y, ERF_ULPS], [[-x], -y, ERF_ULPS]] as [number[], number, number][]);
  return pointsOf(name, 1).map((p) => [p, reference(p[0], p[1] ?? 0), VALUE_ULPS]);
}

describe('the op table and the catalog', () => {
  /** Every code the table names, in code order. */
  const CODES = Object.values(Op).filter((v): v is number => typeof v === 'number').sort((x, y) => x - y);

  it('every elementwise scalar op code (from FIRST_SCALAR_OP, below the vector range) has a catalog entry and an export', () => {
    expect(FIRST_SCALAR_OP).toBe(Op.Add);
    for (const code of CODES.filter((c) => c >= FIRST_SCALAR_OP && !isVectorOp(c))) {
      const key = Op[code] as PublicOpName;
      expect(OP_INFO, `Op.${key} has no OP_INFO entry`).toHaveProperty(key);
      expect(typeof (wengert as Record<string, unknown>)[publicName(key)], `Op.${key} is not exported as ${publicName(key)}`).toBe('function');
      expect(info(key).arity, `Op.${key} arity`).toBe(arity(code));
    }
  });

  it('codes in the vector range (FIRST_VECTOR_OP…255) are all vector instructions (Vec…, MatMul)', () => {
    // The catalog leaves these out; a scalar op numbered here would escape it.
    for (const code of CODES.filter(isVectorOp)) expect(Op[code], `op code ${code}`).toMatch(/^(Vec[A-Z]\w*|MatMul)$/);
    expect(Math.max(...CODES)).toBeLessThanOrEqual(255);
  });

  it('the catalog has exactly the elementwise scalar ops', () => {
    expect(NAMES.length).toBe(CODES.filter((c) => c >= FIRST_SCALAR_OP && c < FIRST_VECTOR_OP).length);
    for (const name of NAMES) {
      expect(Op[name]).toBeGreaterThanOrEqual(FIRST_SCALAR_OP);
      expect(Op[name]).toBeLessThan(FIRST_VECTOR_OP);
    }
  });

  it('publicName lowercases the first letter only', () => {
    expect(publicName('Log1p')).toBe('log1p');
    expect(publicName('Atan2')).toBe('atan2');
    expect(publicName('Expm1')).toBe('expm1');
    expect(publicName('Add')).toBe('add');
  });

  it('every op documents its special values and checks some of them', () => {
    for (const name of NAMES) {
      expect(info(name).special.length, name).toBeGreaterThan(20);
      expect(info(name).cases.length, name).toBeGreaterThan(1);
    }
  });

  it('only erf lacks a Math reference (it has the table)', () => {
    expect(NAMES.filter((n) => info(n).reference === undefined)).toEqual(['Erf']);
  });

  it.each(NAMES)('%s: every domain box has one interval per operand, inside the smooth domain', (name) => {
    const { arity: n, domain } = info(name);
    expect(domain.length).toBeGreaterThan(0);
    for (const box of domain) {
      expect(box.length).toBe(n);
      for (const [lo, hi] of box) expect(lo).toBeLessThan(hi);
      // Corners and centre give finite values: the box lies where the op is defined.
      const corners = n === 1 ? [[box[0][0]], [box[0][1]]] : box[0].flatMap((x) => box[1]!.map((w) => [x, w]));
      for (const p of [...corners, box.map(([lo, hi]) => (lo + hi) / 2)]) {
        expect(Number.isFinite(numeric(name)(...p)), `${name}(${p})`).toBe(true);
      }
    }
  });
});

describe.each(BACKENDS)('%s backend', (backend) => {
  describe.each(NAMES)('%s', (name) => {
    const op = info(name);

    it('value matches Math within a few ULP (erf: a table of high-precision values)', () => {
      for (const [p, want, ulps] of expectedValues(name)) {
        expectUlps(differentiate(name, backend, p).value, want, ulps, `${name}(${p})`);
      }
    });

    it('derivative matches central finite differences at sampled points', () => {
      const f = numeric(name);
      for (const p of pointsOf(name, 2)) {
        const { partials } = differentiate(name, backend, p);
        expect(partials.length).toBe(op.arity);
        for (let i = 0; i < op.arity; i++) {
          const fd = partialDifference(f, p, i, fdStep(p[i]));
          expectClose(partials[i], fd, op.fdTolerance.rtol, op.fdTolerance.atol, `∂${name}/∂x${i} at (${p})`);
        }
      }
    });

    it.each(op.cases.map((c) => [show(c), c] as const))('special value at %s as documented', (at, c) => {
      const { value, partials } = differentiate(name, backend, c.at);
      expectCase(value, c.value, `${name}${at} value`, true);
      c.partials?.forEach((d, i) => expectCase(partials[i], d, `${name}${at} ∂/∂x${i}`, false));
    });
  });

  it('binary ops take a number on either side as a constant, with the same value and gradient', () => {
    for (const name of NAMES.filter((n) => info(n).arity === 2)) {
      const op = opFunction(name);
      const [x, w] = pointsOf(name, 3)[0];
      const both = differentiate(name, backend, [x, w]);
      const left = valueAndGrad((a) => op(a, w), { backend })(x);
      const right = valueAndGrad((b) => op(x, b), { backend })(w);
      expect(left.value, `${name}(handle, number)`).toBe(both.value);
      expect(right.value, `${name}(number, handle)`).toBe(both.value);
      expect(left.grad, `∂${name}(handle, number)`).toBe(both.partials[0]);
      expect(right.grad, `∂${name}(number, handle)`).toBe(both.partials[1]);
    }
  });

  describe('comparisons', () => {
    const COMPARISONS = [
      ['Lt', (x: number, w: number) => x < w],
      ['Le', (x: number, w: number) => x <= w],
      ['Gt', (x: number, w: number) => x > w],
      ['Ge', (x: number, w: number) => x >= w],
      ['Eq', (x: number, w: number) => x === w],
    ] as const;

    it.each(COMPARISONS)('%s is 1 or 0 as the JS operator says, with zero derivatives, ties included', (name, js) => {
      const random = seededRandom(4);
      const points = [[1, 1], [-0, 0], [0, -0], [2, 1], [1, 2], [-1e300, 1e300], [Infinity, Infinity]];
      for (let k = 0; k < 40; k++) {
        const x = Math.round(random() * 6 - 3); // small integers make ties common
        points.push([x, Math.round(random() * 6 - 3)], [x, x]);
      }
      for (const [x, w] of points) {
        const { value, partials } = differentiate(name, backend, [x, w]);
        expect(value, `${name}(${x}, ${w})`).toBe(js(x, w) ? 1 : 0);
        expect(partials, `∂${name}(${x}, ${w})`).toEqual([0, 0]);
      }
    });
  });

  describe('where', () => {
    // f(c, a, b) = where(c, 2a, 3b): ∂/∂a = 2[c], ∂/∂b = 3(1 − [c]), ∂/∂c = 0.
    const f = valueAndGrad((c, a, b) => where(c, mul(a, 2), mul(b, 3)), { backend });

    it.each([
      ['1', 1, true], ['−1', -1, true], ['∞', Infinity, true], ['1e−300', 1e-300, true],
      ['0', 0, false], ['−0', -0, false], ['NaN', NaN, false],
    ] as const)('condition %s takes the %s branch; the gradient goes to the taken branch only', (_, c, taken) => {
      const { value, grad } = f(c, 5, 7);
      expect(value).toBe(taken ? 10 : 21);
      expect(Array.from(grad as Float64Array | number[])).toEqual(taken ? [0, 2, 0] : [0, 0, 3]);
    });

    it('follows a recorded comparison: where(x > 0, x, −x) = |x|, derivative sign x', () => {
      const absolute = valueAndGrad((x) => where(gt(x, 0), x, neg(x)), { backend });
      expect(absolute(3)).toEqual({ value: 3, grad: 1 });
      expect(absolute(-2)).toEqual({ value: 2, grad: -1 });
    });

    it('takes numbers in any position and records them as constants', () => {
      const g = valueAndGrad((x) => add(where(lt(x, 1), sin(x), 4), where(1, x, 0)), { backend });
      const small = g(0.5);
      expect(small.value).toBeCloseTo(Math.sin(0.5) + 0.5, 15);
      expect(small.grad).toBeCloseTo(Math.cos(0.5) + 1, 15);
      expect(g(2)).toEqual({ value: 6, grad: 1 });
    });

    it('the untaken branch gets an adjoint of exactly 0 on an explicit tape', () => {
      const tape = new Tape({ backend });
      const c = tape.input(0), a = tape.input(1), b = tape.input(2);
      const y = where(c, a, b) as wengert.Scalar;
      tape.backward(y);
      expect([tape.adjoint(c), tape.adjoint(a), tape.adjoint(b)]).toEqual([0, 0, 1]);
      tape.dispose();
    });
  });
});

describe('wasm and js agree', () => {
  it.each(NAMES)('%s: values within a few ULP, partials within a few ULP (or a few ε)', (name) => {
    for (const p of pointsOf(name, 5)) {
      const w = differentiate(name, 'wasm', p);
      const j = differentiate(name, 'js', p);
      expectUlps(w.value, j.value, VALUE_ULPS, `${name}(${p}) value`);
      for (let i = 0; i < w.partials.length; i++) expectSamePartial(w.partials[i], j.partials[i], `∂${name}/∂x${i} at (${p})`);
    }
  });
});

describe('all-number arguments', () => {
  it.each(NAMES)('%s on plain numbers returns a plain number: the op table value', (name) => {
    const code = Op[name];
    for (const p of [...pointsOf(name, 6).slice(0, 8), ...info(name).cases.map((c) => [...c.at])]) {
      const y = numeric(name)(...p);
      expect(typeof y).toBe('number');
      expect(Object.is(y, evaluate(code, p[0], p[1] ?? 0)), `${name}(${p})`).toBe(true);
    }
  });

  it('where on plain numbers: 0, −0 and NaN are false', () => {
    expect(where(1, 2, 3)).toBe(2);
    expect(where(-5, 2, 3)).toBe(2);
    expect(where(0, 2, 3)).toBe(3);
    expect(where(-0, 2, 3)).toBe(3);
    expect(where(NaN, 2, 3)).toBe(3);
  });
});
