/** @file Every op from the catalog through expectAd (both backends, eager and compiled, JVP, HVP,
 *  Hessian): values vs Math, derivatives vs finite differences, special values; where; the
 *  catalog's completeness. */
import { describe, expect, it } from 'vitest';
import * as wengert from '../src/index.js';
import { Tape, valueAndGrad, where, gt, lt, add, mul, neg, sin, type Operand } from '../src/index.js';
import { Op } from '../assembly/shared/ops.js';
import { COMPOSITE_OP_INFO, OP_INFO, opFunction, publicName, type OpInfo, type PublicOpName, type SpecialCase } from './support/catalog.js';
import { expectAd, type AdOptions } from './support/expect-ad.js';
import { BACKENDS, samplePoints, seededRandom } from './helpers.js';

const NAMES = Object.keys(OP_INFO) as PublicOpName[];
const info = (name: PublicOpName): OpInfo => OP_INFO[name];

/** The op on plain numbers (the all-number path: no tape). */
const numeric = (name: PublicOpName) => opFunction(name) as (...xs: number[]) => number;

/** Points per domain box; every op is sampled in each of its boxes. */
const SAMPLES = 48;
const pointsOf = (name: PublicOpName, seed: number): number[][] =>
  info(name).domain.flatMap((box) => samplePoints(box, SAMPLES, seededRandom(seed)));

/** At a special value (NaN, ±∞, ±0, a kink, a pole) derivatives are documented, not smooth. */
const NOT_SMOOTH = 'a special value: no finite differences there';
const AT_SPECIAL_VALUE: AdOptions['skip'] = { gradient: NOT_SMOOTH, jvp: NOT_SMOOTH, hvp: NOT_SMOOTH, hessian: NOT_SMOOTH, reference: 'documented values instead' };

const show = (c: SpecialCase) => `(${c.at.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(', ')})`;

describe('the op table and the catalog', () => {
  const STRUCTURAL = ['Param', 'Const', 'Input', 'VecInput'];
  const CODES = Object.keys(Op).filter((key) => Number.isNaN(Number(key))) as (keyof typeof Op)[];

  it('every op code but the structural rows has one catalog entry and is exported under its public name', () => {
    const exported = wengert as unknown as Record<string, unknown>;
    for (const key of CODES.filter((k) => !STRUCTURAL.includes(k))) {
      const scalar = key in OP_INFO;
      const composite = key in COMPOSITE_OP_INFO;
      expect(scalar !== composite, `Op.${key} needs exactly one entry, in OP_INFO or COMPOSITE_OP_INFO`).toBe(true);
      const names = scalar ? [publicName(key as PublicOpName)] : COMPOSITE_OP_INFO[key as keyof typeof COMPOSITE_OP_INFO].exports;
      expect(names.length, `Op.${key}: no export listed`).toBeGreaterThan(0);
      for (const e of names) expect(typeof exported[e], `Op.${key} is not exported as ${e} by src/index.ts`).toBe('function');
    }
  });

  it('every catalog entry names an op code, and the codes are distinct', () => {
    for (const key of [...Object.keys(OP_INFO), ...Object.keys(COMPOSITE_OP_INFO)]) expect(CODES, `catalog entry ${key}`).toContain(key);
    const numbers = CODES.map((key) => Op[key]);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('each scalar op takes as many operands as the catalog says', () => {
    for (const name of NAMES) expect(opFunction(name).length, `${publicName(name)}.length`).toBe(info(name).arity);
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

/** erf at points where it is not a library function; the correctly rounded values of
 *  erf(x) from mpmath at 200 bits, and their odd mirror. */
const ERF_TABLE: readonly (readonly [number, number])[] = [
  [1e-300, 1.1283791670955126e-300], [1e-10, 1.1283791670955126e-10], [0.01, 0.011283415555849618],
  [0.1, 0.1124629160182849], [0.25, 0.27632639016823696], [0.5, 0.5204998778130465],
  [0.75, 0.7111556336535151], [1, 0.8427007929497149], [1.25, 0.9229001282564583],
  [1.5, 0.9661051464753108], [1.75, 0.9866716712191824], [2, 0.9953222650189527],
  [2.5, 0.999593047982555], [2.75, 0.9998993780778803], [2.99, 0.9999764743969194],
  [3, 0.9999779095030014], [3.01, 0.9999792610363629], [3.5, 0.9999992569016276],
  [4, 0.9999999845827421], [4.5, 0.9999999998033839], [5, 0.9999999999984626],
  [5.5, 0.9999999999999927], [5.9, 0.9999999999999999], [5.99, 1],
].flatMap(([x, y]) => [[x, y], [-x, -y]] as const);
/** The series-based erf is good to about 12 ULP (the rounding of e^(−x²) near x ≈ 2.8). */
const ERF_ULPS = 16;

describe.each(NAMES)('%s', (name) => {
  it('at sampled points: value vs Math (4 ULP), ∂ vs finite differences, wasm vs js, eager = compiled, JVP, HVP, Hessian', () => {
    expectAd(name, pointsOf(name, 1), { skip: info(name).skip });
  });

  if (name === 'Erf') {
    it('value vs a table of correctly rounded values (16 ULP), and every derivative check there', () => {
      const table = new Map(ERF_TABLE);
      expectAd(name, ERF_TABLE.map(([x]) => [x]), { reference: (x) => table.get(x)!, tolerance: { reference: { ulps: ERF_ULPS } } });
    });
  }

  it.each(info(name).cases.map((c) => [show(c), c] as const))('special value at %s as documented (both backends, eager and compiled)', (_, c) => {
    expectAd(name, [c.at], { exact: { value: c.value, grad: c.partials }, skip: AT_SPECIAL_VALUE });
  });
});

describe.each(NAMES.filter((n) => info(n).arity === 2))('%s with a number on either side', (name) => {
  it('every expectAd check with the number as a constant operand', () => {
    const op = opFunction(name);
    const gradient = info(name).fdTolerance;
    for (const [x, w] of pointsOf(name, 3).slice(0, 8)) {
      expectAd((a: Operand) => op(a, w), [[x]], { name: `${publicName(name)}(x, ${w})`, reference: (a) => info(name).reference!(a, w), tolerance: { gradient } });
      expectAd((b: Operand) => op(x, b), [[w]], { name: `${publicName(name)}(${x}, w)`, reference: (b) => info(name).reference!(x, b), tolerance: { gradient } });
    }
  });
});

describe.each(BACKENDS)('%s backend', (backend) => {
  it('binary ops take a number on either side as a constant, with the same value and gradient', () => {
    for (const name of NAMES.filter((n) => info(n).arity === 2)) {
      const op = opFunction(name);
      const [x, w] = pointsOf(name, 3)[0];
      const both = valueAndGrad((a, b) => op(a, b), { backend })(x, w);
      const left = valueAndGrad((a) => op(a, w), { backend })(x);
      const right = valueAndGrad((b) => op(x, b), { backend })(w);
      expect(left.value, `${name}(handle, number)`).toBe(both.value);
      expect(right.value, `${name}(number, handle)`).toBe(both.value);
      expect(left.grad, `∂${name}(handle, number)`).toBe(both.grad[0]);
      expect(right.grad, `∂${name}(number, handle)`).toBe(both.grad[1]);
    }
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

describe('comparisons', () => {
  const COMPARISONS = [
    ['Lt', (x: number, w: number) => x < w],
    ['Le', (x: number, w: number) => x <= w],
    ['Gt', (x: number, w: number) => x > w],
    ['Ge', (x: number, w: number) => x >= w],
    ['Eq', (x: number, w: number) => x === w],
  ] as const;
  const AT_A_TIE = 'a tie: the comparison jumps here';

  it.each(COMPARISONS)('%s is 1 or 0 as the JS operator says, with zero derivatives, ties included', (name, js) => {
    const random = seededRandom(4);
    const points = [[1, 1], [-0, 0], [0, -0], [2, 1], [1, 2], [-1e300, 1e300], [Infinity, Infinity]];
    for (let k = 0; k < 40; k++) {
      const x = Math.round(random() * 6 - 3); // small integers make ties common
      points.push([x, Math.round(random() * 6 - 3)], [x, x]);
    }
    for (const [x, w] of points) {
      const tie = x === w;
      expectAd(name, [[x, w]], {
        exact: { value: js(x, w) ? 1 : 0, grad: [0, 0] },
        skip: tie ? { gradient: AT_A_TIE, jvp: AT_A_TIE, hvp: AT_A_TIE, hessian: AT_A_TIE } : {},
      });
    }
  });
});

describe('all-number arguments', () => {
  it('where on plain numbers: 0, −0 and NaN are false', () => {
    expect(where(1, 2, 3)).toBe(2);
    expect(where(-5, 2, 3)).toBe(2);
    expect(where(0, 2, 3)).toBe(3);
    expect(where(-0, 2, 3)).toBe(3);
    expect(where(NaN, 2, 3)).toBe(3);
  });
});
