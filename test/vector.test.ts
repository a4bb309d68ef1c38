/** @file Vector and matrix ops through expectAd (both backends, eager and compiled, JVP, HVP):
 *  against the same function in scalar ops and finite differences; broadcasting, views, tie and
 *  NaN rules, errors. */
import { describe, expect, it } from 'vitest';
import * as wengert from '../src/index.js';
import {
  Tape, Matrix, Scalar, ShapeError, TapeMismatchError, add, compile, concat, dot, exp, fromBytes, grad, log, logSoftmax,
  logsumexp, matmul, matvec, max, mean, min, mul, prod, softmax, sum, valueAndGrad,
  type Operand, type Tensor, type Vector,
} from '../src/index.js';
import { OP_INFO, opFunction, publicName, type OpInfo, type PublicOpName } from './support/catalog.js';
import { expectAd, type AdOptions } from './support/expect-ad.js';
import { BACKENDS, EPS, expectClose, seededRandom, thrown } from './helpers.js';

type Fn = (...vs: Vector[]) => Operand;
type Interval = readonly [number, number];

const NAMES = Object.keys(OP_INFO) as PublicOpName[];

/** Lengths every reduction is checked at: empty, one, odd, and large. */
const LENGTHS = [0, 1, 7, 33, 10_000];
/** Finite differences cost two recordings per coordinate: only up to this many coordinates. */
const FD_MAX_COORDINATES = 70;

const random = seededRandom(20_241_122);
const uniform = (n: number, [lo, hi]: Interval) => Float64Array.from({ length: n }, () => lo + (hi - lo) * random());

const FD = { rtol: 1e-6, atol: 1e-8, scaled: true };

/** What does not apply to these inputs: finite differences for too many coordinates, any
 *  direction for none. */
function skipsFor(inputs: readonly Float64Array[]): AdOptions['skip'] {
  const n = inputs.reduce((s, x) => s + x.length, 0);
  if (n === 0) return { jvp: 'empty inputs: no direction', hvp: 'empty inputs: no direction' };
  return n > FD_MAX_COORDINATES ? { gradient: `${n} coordinates: too many finite differences` } : {};
}

/** Every expectAd check of f at the inputs, and f = g (the same function in scalar ops), values
 *  and gradients within rtol relative to the largest entry. */
function expectSameFunction(inputs: readonly Float64Array[], f: Fn, g: Fn, rtol: number, name: string, options: AdOptions = {}): void {
  expectAd(f, [inputs], {
    name,
    sameAs: g,
    ...options,
    skip: { ...skipsFor(inputs), ...options.skip },
    tolerance: { sameAs: { rtol, atol: rtol, scaled: true }, gradient: FD, ...options.tolerance },
  });
}

/** Σ wᵢ yᵢ in scalar ops, with constant weights: folds a vector result into a scalar. */
const weighted = (w: Float64Array, ys: readonly Operand[]): Operand => ys.reduce<Operand>((s, y, i) => add(s, mul(w[i], y)), 0);
const elements = (v: Tensor): Scalar[] => Array.from({ length: v.length }, (_, i) => (v instanceof Matrix ? v.flatten() : v).at(i));

// ── reductions ──

interface Reduction {
  name: string;
  domain: Interval;
  /** Inputs: one vector, or two for dot. */
  arity: 1 | 2;
  vector: Fn;
  scalar: Fn;
}

const REDUCTIONS: Reduction[] = [
  { name: 'sum', domain: [-2, 2], arity: 1, vector: (v) => sum(v), scalar: (v) => elements(v).reduce<Operand>((s, x) => add(s, x), 0) },
  { name: 'mean', domain: [-2, 2], arity: 1, vector: (v) => mean(v), scalar: (v) => mul(elements(v).reduce<Operand>((s, x) => add(s, x), 0), 1 / v.length) },
  // Factors near 1: 10⁴ of them neither overflow nor underflow.
  { name: 'prod', domain: [0.9, 1.1], arity: 1, vector: (v) => prod(v), scalar: (v) => elements(v).reduce<Operand>((s, x) => mul(s, x), 1) },
  // Random elements never tie (ties are checked below).
  { name: 'max', domain: [-2, 2], arity: 1, vector: (v) => max(v), scalar: (v) => elements(v).reduce<Operand>((s, x) => max(s, x), -Infinity) },
  { name: 'min', domain: [-2, 2], arity: 1, vector: (v) => min(v), scalar: (v) => elements(v).reduce<Operand>((s, x) => min(s, x), Infinity) },
  { name: 'logsumexp', domain: [-2, 2], arity: 1, vector: (v) => logsumexp(v), scalar: (v) => log(elements(v).reduce<Operand>((s, x) => add(s, exp(x)), 0)) },
  { name: 'dot', domain: [-2, 2], arity: 2, vector: (a, b) => dot(a, b), scalar: (a, b) => elements(a).reduce<Operand>((s, x, i) => add(s, mul(x, b.at(i))), 0) },
];

describe('reductions', () => {
  for (const r of REDUCTIONS) {
    for (const n of LENGTHS) {
      it(`${r.name} over length ${n} = the same in scalar ops, with every expectAd check`, () => {
        const inputs = Array.from({ length: r.arity }, () => uniform(n, r.domain));
        expectSameFunction(inputs, r.vector, r.scalar, 1e-12, r.name);
      });
    }
  }

  it('reductions of a matrix reduce every element', () => {
    const x = uniform(12, [-2, 2]);
    for (const r of REDUCTIONS.filter((q) => q.arity === 1)) {
      expectSameFunction([x], (v) => r.vector(v.reshape(3, 4) as unknown as Vector), r.vector, 0, `${r.name} of a 3 × 4 matrix`);
    }
  });
});

describe.each(BACKENDS)('reductions on %s', (backend) => {
  it('empty vectors: sum 0, prod 1, max −∞, min +∞, logsumexp −∞, mean NaN, dot 0', () => {
    const tape = new Tape({ backend });
    const e = tape.input(new Float64Array(0));
    const values = [sum(e), prod(e), max(e), min(e), logsumexp(e), mean(e), dot(e, e)].map((h) => (h as Scalar).value);
    expect(values).toEqual([0, 1, -Infinity, Infinity, -Infinity, NaN, 0]);
    tape.dispose();
  });

  it('reductions of constant arrays fold to numbers', () => {
    expect(sum([1, 2, 3])).toBe(6);
    expect(prod(Float64Array.of(2, 3, 4))).toBe(24);
    expect(max([1, 5, 2])).toBe(5);
    expect(min([1, 5, 2])).toBe(1);
    expect(dot([1, 2], [3, 4])).toBe(11);
    expect(logsumexp([0, 0])).toBeCloseTo(Math.LN2, 15);
  });
});

// ── every scalar op, elementwise ──

/** The ways two operands meet: both vectors, or one broadcast (scalar handle, number or
 *  constant array) on either side. */
type Pairing = 'vector·vector' | 'scalar·vector' | 'vector·scalar' | 'number·vector' | 'vector·number' | 'array·vector' | 'vector·array';
const PAIRINGS: Pairing[] = ['vector·vector', 'scalar·vector', 'vector·scalar', 'number·vector', 'vector·number', 'array·vector', 'vector·array'];

/** The elementwise op and the same op element by element, for one pairing. Inputs are always
 *  [a, b] vectors; a broadcast scalar handle is input a's (or b's) element 0, a number or a
 *  constant array is its value. */
function pairing(name: PublicOpName, kind: Pairing, a: Float64Array, b: Float64Array): { vector: Fn; scalar: Fn } {
  const op = opFunction(name);
  const w = uniform(Math.max(a.length, b.length), [0.5, 1.5]);
  const n = w.length;
  const each = (f: (i: number) => Operand) => Array.from({ length: n }, (_, i) => f(i));
  const operands: Record<Pairing, (x: Vector, y: Vector) => [unknown, unknown, (i: number) => [unknown, unknown]]> = {
    'vector·vector': (x, y) => [x, y, (i) => [x.at(i), y.at(i)]],
    'scalar·vector': (x, y) => [x.at(0), y, (i) => [x.at(0), y.at(i)]],
    'vector·scalar': (x, y) => [x, y.at(0), (i) => [x.at(i), y.at(0)]],
    'number·vector': (_x, y) => [a[0], y, (i) => [a[0], y.at(i)]],
    'vector·number': (x) => [x, b[0], (i) => [x.at(i), b[0]]],
    'array·vector': (_x, y) => [a, y, (i) => [a[i], y.at(i)]],
    'vector·array': (x) => [x, Array.from(b), (i) => [x.at(i), b[i]]],
  };
  return {
    vector: (x, y) => {
      const [p, q] = operands[kind](x, y);
      return dot(w, op(p, q) as Vector);
    },
    scalar: (x, y) => {
      const [, , at] = operands[kind](x, y);
      return weighted(w, each((i) => op(...at(i)) as Operand));
    },
  };
}

/** The pairings also checked against finite differences (the others share their rule). */
const FD_PAIRINGS: Pairing[] = ['vector·vector', 'scalar·vector'];
/** The Hessian too up to this many coordinates: a VecMap row's second derivatives vs differences
 *  and vs the scalar rows' (sameAs). */
const HESSIAN_MAX_COORDINATES = 14;

describe('every scalar op elementwise', () => {
  for (const name of NAMES) {
    const info = OP_INFO[name];
    const op = opFunction(name);
    const checks = (inputs: readonly Float64Array[]): AdOptions => ({
      tolerance: { gradient: { ...info.fdTolerance, scaled: true } },
      skip: (info as OpInfo).skip,
      hessian: inputs.reduce((n, x) => n + x.length, 0) <= HESSIAN_MAX_COORDINATES,
    });
    if (info.arity === 1) {
      it(`${publicName(name)}(v) = ${publicName(name)} of each element, with every expectAd check`, () => {
        for (const [box] of info.domain) {
          for (const n of [0, 1, 7, 33]) {
            const x = uniform(n, box);
            const w = uniform(n, [0.5, 1.5]);
            const vector: Fn = (v) => dot(w, op(v) as Vector);
            const scalar: Fn = (v) => weighted(w, elements(v).map((e) => op(e) as Operand));
            expectSameFunction([x], vector, scalar, 4 * EPS, `${name} over ${n}`, checks([x]));
          }
        }
      });
    } else {
      for (const kind of PAIRINGS) {
        it(`${publicName(name)} ${kind} = ${publicName(name)} of each pair, with every expectAd check`, () => {
          for (const [boxA, boxB] of info.domain as readonly (readonly [Interval, Interval])[]) {
            for (const n of [1, 7, 33]) {
              const inputs = [uniform(n, boxA), uniform(n, boxB)];
              const { vector, scalar } = pairing(name, kind, inputs[0], inputs[1]);
              // A broadcast operand's adjoint sums n terms in another order than the scalar chain.
              const options = checks(inputs);
              if (!FD_PAIRINGS.includes(kind)) options.skip = { gradient: `finite differences run for ${FD_PAIRINGS.join(' and ')}: the same elementwise rule` };
              expectSameFunction(inputs, vector, scalar, kind === 'vector·vector' ? 4 * EPS : 1e-13, `${name} ${kind} over ${n}`, options);
            }
          }
        });
      }
    }

    it(`${publicName(name)} over 10⁴ elements${info.arity === 2 ? ', and a scalar broadcast over them' : ''}: wasm = js`, () => {
      const w = uniform(10_000, [0.5, 1.5]);
      const inputs = info.domain[0].map((interval) => uniform(10_000, interval));
      // The other checks run at lengths up to 33 above; here the long SIMD loops meet the other backend.
      const backendsOnly = 'at 10⁴ elements only wasm vs js (the other checks run at lengths ≤ 33)';
      const long = { gradient: backendsOnly, compiled: backendsOnly, jvp: backendsOnly, hvp: backendsOnly };
      expectAd((...vs: Vector[]) => dot(w, op(...vs) as Vector), [inputs], { name, skip: long });
      if (info.arity === 2) expectAd((a: Vector, b: Vector) => dot(w, op(a.at(0), b) as Vector), [inputs], { name: `${name} broadcast`, skip: long });
    });
  }
});

describe.each(BACKENDS)('every scalar op elementwise on %s', (backend) => {
  for (const name of NAMES) {
    const info = OP_INFO[name];
    const op = opFunction(name);
    it(`${publicName(name)} elementwise keeps the documented special values (NaN, ±∞, ±0, kinks)`, () => {
      const cases = info.cases;
      const columns = [0, 1].slice(0, info.arity).map((k) => Float64Array.from(cases, (c) => c.at[k]));
      const tape = new Tape({ backend });
      const vs = columns.map((c) => tape.input(c));
      const y = op(...vs) as Vector;
      tape.backward(sum(y) as Scalar);
      const vectorPartials = vs.map((v) => tape.adjoints(v));
      cases.forEach((c, i) => {
        const scalarTape = new Tape({ backend });
        const xs = c.at.map((x) => scalarTape.input(x));
        const s = op(...xs) as Scalar;
        expect(Object.is(y.value[i], s.value), `${name}(${c.at.join(', ')}): vector ${y.value[i]} vs scalar ${s.value}`).toBe(true);
        scalarTape.backward(s);
        xs.forEach((x, k) => {
          const want = scalarTape.adjoint(x);
          const got = vectorPartials[k][i];
          expect(got === want || (Number.isNaN(got) && Number.isNaN(want)), `∂${name}(${c.at.join(', ')})/∂operand ${k}: vector ${got} vs scalar ${want}`).toBe(true);
        });
        scalarTape.dispose();
      });
      tape.dispose();
    });
  }

  it('an elementwise op on a matrix gives a matrix of the same shape', () => {
    const tape = new Tape({ backend });
    const m = tape.input(uniform(6, [0.5, 2])).reshape(2, 3);
    const results = [exp(m), add(m, m), mul(2, m), mul(m, tape.constant(3)), add(m, [1, 2, 3, 4, 5, 6]), max(m, m)];
    for (const r of results) {
      expect(r).toBeInstanceOf(Matrix);
      expect((r as Matrix).shape).toEqual([2, 3]);
    }
    // The same values as the scalar op on this backend (wasm's exp may differ from Math.exp in the last bit).
    expect(Array.from((exp(m) as Matrix).value)).toEqual(Array.from(m.value, (x) => (exp(tape.constant(x)) as Scalar).value));
    tape.dispose();
  });

  it('elementwise ops on constant arrays fold to Float64Arrays', () => {
    expect(add([1, 2], [3, 4])).toEqual(Float64Array.of(4, 6));
    expect(mul(2, Float64Array.of(1, 2, 3))).toEqual(Float64Array.of(2, 4, 6));
    expect(exp([0, 1])).toEqual(Float64Array.of(1, Math.E));
  });
});

// ── matmul, matvec ──

/** op(X)(i, j) for a row-major rows × cols matrix stored in v. */
const entry = (v: Vector, cols: number, transposed: boolean) => (i: number, j: number) =>
  transposed ? v.at(j * cols + i) : v.at(i * cols + j);

describe('matmul and matvec', () => {
  const SHAPES: [number, number, number][] = [[3, 4, 5], [1, 1, 1], [7, 33, 5], [2, 0, 3], [5, 3, 1]];
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} = the hand loop in scalar ops ≈ finite differences`, () => {
      for (const [m, k, n] of SHAPES) {
        const w = uniform(m * n, [-1, 1]);
        // A is stored m × k (k × m when transposed), B k × n (n × k).
        const [ar, ac] = ta ? [k, m] : [m, k];
        const [br, bc] = tb ? [n, k] : [k, n];
        const vector: Fn = (a, b) => {
          const c = matmul(a.reshape(ar, ac), b.reshape(br, bc), { transposeA: ta, transposeB: tb });
          expect(c.shape).toEqual([m, n]);
          return dot(w, c);
        };
        const scalar: Fn = (a, b) => {
          const A = entry(a, ac, ta);
          const B = entry(b, bc, tb);
          const c: Operand[] = [];
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s: Operand = 0;
              for (let p = 0; p < k; p++) s = add(s, mul(A(i, p), B(p, j)));
              c.push(s);
            }
          }
          return weighted(w, c);
        };
        const inputs = [uniform(m * k, [-1, 1]), uniform(k * n, [-1, 1])];
        expectSameFunction(inputs, vector, scalar, 1e-13, `${m} × ${k} × ${n}`);
      }
    });
  }

  it('matmul(A, A) and matmul(A, A, transposeB) differentiate through both operands', () => {
    const x = uniform(9, [-1, 1]);
    const vector: Fn = (a) => sum(matmul(a.reshape(3, 3), a.reshape(3, 3), { transposeB: true }));
    const scalar: Fn = (a) => {
      let s: Operand = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let p = 0; p < 3; p++) s = add(s, mul(a.at(3 * i + p), a.at(3 * j + p)));
      return s;
    };
    expectSameFunction([x], vector, scalar, 1e-13, 'A·Aᵀ');
    expectAd((a: Vector) => sum(matmul(a.reshape(3, 3), a.reshape(3, 3))), [[x]], { name: 'A·A', tolerance: { gradient: FD } });
  });

  for (const transpose of [false, true]) {
    it(`matvec(${transpose ? 'Aᵀ' : 'A'}, x) = the hand loop ≈ finite differences; a constant x works too`, () => {
      for (const [m, k] of [[4, 3], [1, 1], [33, 7], [3, 0]]) {
        const [rows, cols] = transpose ? [k, m] : [m, k];
        const w = uniform(m, [-1, 1]);
        const vector: Fn = (a, x) => {
          const y = matvec(a.reshape(rows, cols), x, { transpose });
          expect(y.length).toBe(m);
          return dot(w, y);
        };
        const scalar: Fn = (a, x) => {
          const A = entry(a, cols, transpose);
          const y: Operand[] = [];
          for (let i = 0; i < m; i++) {
            let s: Operand = 0;
            for (let p = 0; p < k; p++) s = add(s, mul(A(i, p), x.at(p)));
            y.push(s);
          }
          return weighted(w, y);
        };
        const inputs = [uniform(m * k, [-1, 1]), uniform(k, [-1, 1])];
        expectSameFunction(inputs, vector, scalar, 1e-13, `matvec ${m} × ${k}`);
        const constantX = inputs[1];
        expectSameFunction([inputs[0]], (a) => dot(w, matvec(a.reshape(rows, cols), constantX, { transpose })),
          (a) => scalar(a, constantVector(constantX)), 1e-13, 'matvec with a constant vector');
      }
    });
  }
});

/** The scalar reference reads a constant vector element by element: numbers, as `.at(i)`. */
function constantVector(x: Float64Array): Vector {
  return { at: (i: number) => x[i] } as unknown as Vector;
}

// ── softmax, logSoftmax ──

describe('softmax and logSoftmax', () => {
  const softmaxScalar = (v: Vector, logarithm: boolean): Operand[] => {
    const xs = elements(v);
    const total = xs.reduce<Operand>((s, x) => add(s, exp(x)), 0);
    return xs.map((x) => (logarithm ? wengert.sub(x, log(total)) : wengert.div(exp(x), total)));
  };
  for (const logarithm of [false, true]) {
    const name = logarithm ? 'logSoftmax' : 'softmax';
    const vectorOp = logarithm ? logSoftmax : softmax;
    it(`${name} of a vector = the formula in scalar ops ≈ finite differences`, () => {
      for (const n of [0, 1, 7, 33]) {
        const w = uniform(n, [-1, 1]);
        const x = uniform(n, [-3, 3]);
        expectSameFunction([x], (v) => dot(w, vectorOp(v)), (v) => weighted(w, softmaxScalar(v, logarithm)), 1e-13, `${name} over ${n}`);
      }
    });

    it(`${name} of a matrix works row by row`, () => {
      for (const [rows, cols] of [[4, 5], [1, 3], [3, 1], [0, 4]]) {
        const w = uniform(rows * cols, [-1, 1]);
        const x = uniform(rows * cols, [-3, 3]);
        const byMatrix: Fn = (v) => {
          const y = vectorOp(v.reshape(rows, cols));
          expect(y).toBeInstanceOf(Matrix);
          expect(y.shape).toEqual([rows, cols]);
          return dot(w, y);
        };
        const byRows: Fn = (v) => weighted(w, Array.from({ length: rows }, (_, i) => elements(vectorOp(v.slice(i * cols, (i + 1) * cols)))).flat());
        expectSameFunction([x], byMatrix, byRows, 1e-14, `${name} of ${rows} × ${cols}`);
      }
    });
  }

  it.each(BACKENDS)('softmax rows sum to 1 and logSoftmax = x − logsumexp(x) on %s', (backend) => {
    const tape = new Tape({ backend });
    const m = tape.input(uniform(12, [-5, 5])).reshape(3, 4);
    const s = softmax(m);
    const ls = logSoftmax(m);
    for (let i = 0; i < 3; i++) {
      expectClose(sum(s.row(i).value) as number, 1, 8 * EPS, 0, `Σ softmax of row ${i}`);
      const lse = (logsumexp(m.row(i)) as Scalar).value;
      expectClose(ls.row(i).value, m.row(i).value.map((x) => x - lse), 0, 4 * EPS * 5, `row ${i}`);
    }
    tape.dispose();
  });
});

// ── concat, views ──

describe('concat', () => {
  it('concat of one part, of empty parts, and of many scalars', () => {
    const x = uniform(40, [-1, 1]);
    expectSameFunction([x], (v) => sum(concat(v)), (v) => sum(v), 0, 'concat(v)');
    expectSameFunction([x], (v) => sum(concat(v.slice(0, 0), v, v.slice(3, 3))), (v) => sum(v), 0, 'with empty parts');
    expectSameFunction([x], (v) => dot(x, concat(...elements(v))), (v) => dot(x, v), 0, '40 scalars');
  });

  it('a concat of 10⁴ parts and a row-wise softmax of 10⁴ rows outgrow the first segment and stay contiguous', () => {
    const n = 10_000;
    const x = uniform(3 * n, [-2, 2]);
    const w = uniform(3 * n, [-1, 1]);
    // Half the parts numbers, half scalar handles: constants and copies interleave.
    const parts = (v: Vector): Operand[] => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? i : v.at(i)));
    const joined: Fn = (v) => dot(w.subarray(0, n), concat(...parts(v)));
    const direct: Fn = (v) => weighted(w, parts(v));
    const large = '3·10⁴ coordinates: the directional checks run on the concatenations above';
    const skip = { gradient: large, jvp: large, hvp: large };
    expectSameFunction([x], joined, direct, 1e-13, 'concat of 10⁴ parts', { skip });
    const rows: Fn = (v) => dot(w, softmax(v.reshape(n, 3)));
    const byRow: Fn = (v) => weighted(w, Array.from({ length: n }, (_, i) => elements(softmax(v.slice(3 * i, 3 * i + 3)))).flat());
    expectSameFunction([x], rows, byRow, 1e-13, 'softmax of 10⁴ rows', { skip });
  });
});

describe.each(BACKENDS)('concat and views on %s', (backend) => {
  it('concat of vectors, matrices, scalar handles, numbers and constant arrays: values and gradients', () => {
    const [a, b, c] = [uniform(3, [-1, 1]), uniform(1, [-1, 1]), uniform(4, [-1, 1])];
    const constant = Float64Array.of(7, 8);
    const w = uniform(3 + 1 + 1 + 4 + 2 + 2, [-1, 1]);
    const tape = new Tape({ backend });
    const [va, vb, vc] = [a, b, c].map((x) => tape.input(x));
    const joined = concat(va, vb.at(0), 5, vc.reshape(2, 2), constant, [9, 10]);
    expect(joined.length).toBe(w.length);
    expect(Array.from(joined.value)).toEqual([...a, b[0], 5, ...c, 7, 8, 9, 10]);
    tape.backward(dot(w, joined) as Scalar);
    expect(Array.from(tape.adjoints(va))).toEqual(Array.from(w.subarray(0, 3)));
    expect(tape.adjoint(vb.at(0))).toBe(w[3]);
    expect(Array.from(tape.adjoints(vc))).toEqual(Array.from(w.subarray(5, 9)));
    tape.dispose();
  });

  it('slice, reshape, row, at, sliceRows and flatten record no node and read the right slots', () => {
    const tape = new Tape({ backend });
    const x = uniform(12, [-1, 1]);
    const v = tape.input(x);
    const before = tape.stats;
    const m = v.reshape(3, 4);
    const views = {
      slice: v.slice(2, 5), negativeSlice: v.slice(-3), row: m.row(1), rows: m.sliceRows(1, 3), flat: m.sliceRows(1).flatten(),
      reshaped: m.reshape(4, 3), at: v.at(-1), entry: m.at(2, 1), viaFunction: wengert.slice(v, 1, 2), viaReshape: wengert.reshape(v, 2, 6),
    };
    expect(tape.stats).toEqual(before);
    expect(Array.from(views.slice.value)).toEqual(Array.from(x.subarray(2, 5)));
    expect(Array.from(views.negativeSlice.value)).toEqual(Array.from(x.subarray(9)));
    expect(Array.from(views.row.value)).toEqual(Array.from(x.subarray(4, 8)));
    expect(views.rows.shape).toEqual([2, 4]);
    expect(Array.from(views.flat.value)).toEqual(Array.from(x.subarray(4)));
    expect(views.reshaped.at(3, 2).value).toBe(x[11]);
    expect(views.at.value).toBe(x[11]);
    expect(views.entry.value).toBe(x[9]);
    expect(views.viaFunction.value).toEqual(Float64Array.of(x[1]));
    expect(views.viaReshape.shape).toEqual([2, 6]);
    // An op on a view differentiates into exactly the viewed slots.
    tape.backward(add(sum(m.row(1)), mul(2, sum(m.sliceRows(2)))) as Scalar);
    expect(Array.from(tape.adjoints(v))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    tape.dispose();
  });

  it('Tape.adjoints reads a matrix handle row-major, as its flattened vector', () => {
    const tape = new Tape({ backend });
    const m = tape.input([1, 2, 3, 4, 5, 6]).reshape(2, 3);
    tape.backward(dot([1, 2, 3, 4, 5, 6], m) as Scalar);
    expect(Array.from(tape.adjoints(m.flatten()))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(tape.adjoints(m as unknown as Vector))).toEqual([1, 2, 3, 4, 5, 6]);
    tape.dispose();
  });

  it('out-of-range views throw', () => {
    const tape = new Tape({ backend });
    const v = tape.input(uniform(6, [0, 1]));
    expect(() => v.slice(2, 7)).toThrow(/out of range/);
    expect(() => v.at(6)).toThrow(/out of range/);
    expect(() => v.reshape(2, 3).row(2)).toThrow(/out of range/);
    expect(() => v.reshape(2, 3).at(0, 3)).toThrow(/out of range/);
    tape.dispose();
  });
});

// ── tie, NaN and zero rules ──

describe.each(BACKENDS)('max/min ties, NaN, prod with zeros, large logsumexp on %s', (backend) => {
  const gradientOf = (f: Fn, x: number[]) => {
    const { value, grad: g } = valueAndGrad(f, { backend })(Float64Array.from(x));
    return { value, grads: [g] };
  };

  it('max and min of a vector share the adjoint evenly between ties', () => {
    expect(gradientOf((v) => max(v), [1, 3, 3, 2])).toEqual({ value: 3, grads: [Float64Array.of(0, 0.5, 0.5, 0)] });
    expect(gradientOf((v) => max(v), [4, 4, 4])).toEqual({ value: 4, grads: [Float64Array.of(1 / 3, 1 / 3, 1 / 3)] });
    expect(gradientOf((v) => min(v), [2, -1, 5, -1])).toEqual({ value: -1, grads: [Float64Array.of(0, 0.5, 0, 0.5)] });
    expect(gradientOf((v) => max(v.reshape(2, 2)), [7, 1, 7, 7])).toEqual({ value: 7, grads: [Float64Array.of(1 / 3, 0, 1 / 3, 1 / 3)] });
    expect(gradientOf((v) => max(v), [Infinity, 1])).toEqual({ value: Infinity, grads: [Float64Array.of(1, 0)] });
    expect(gradientOf((v) => min(v), [-Infinity, -Infinity, 0])).toEqual({ value: -Infinity, grads: [Float64Array.of(0.5, 0.5, 0)] });
  });

  it('max and min of a vector are NaN when any element is NaN, and send the adjoint to the NaNs', () => {
    expect(gradientOf((v) => max(v), [1, NaN, 3])).toEqual({ value: NaN, grads: [Float64Array.of(0, 1, 0)] });
    expect(gradientOf((v) => min(v), [NaN, 1, NaN])).toEqual({ value: NaN, grads: [Float64Array.of(0.5, 0, 0.5)] });
    expect(gradientOf((v) => max(v), [NaN])).toEqual({ value: NaN, grads: [Float64Array.of(1)] });
  });

  it('max(x) and min(x) agree with Math.max / Math.min (and the scalar ops) on signed zeros', () => {
    for (const x of [[-0, 0], [0, -0], [-0, -0], [0, 0]]) {
      const chainMax = Math.max(...x);
      const chainMin = Math.min(...x);
      expect(Object.is(gradientOf((v) => max(v), x).value, chainMax), `max(${x.map((z) => (Object.is(z, -0) ? '-0' : '0'))})`).toBe(true);
      expect(Object.is(gradientOf((v) => min(v), x).value, chainMin), `min(${x.map((z) => (Object.is(z, -0) ? '-0' : '0'))})`).toBe(true);
    }
  });

  it('elementwise max/min split a tie ½–½', () => {
    const tape = new Tape({ backend });
    const a = tape.input([1, 2, 3]);
    const b = tape.input([1, 5, 3]);
    tape.backward(sum(add(max(a, b), mul(10, min(a, b)))) as Scalar);
    expect(Array.from(tape.adjoints(a))).toEqual([5.5, 10, 5.5]);
    expect(Array.from(tape.adjoints(b))).toEqual([5.5, 1, 5.5]);
    tape.dispose();
  });

  it('prod: exact gradients with one zero, zero gradient with two, and no division', () => {
    expect(gradientOf((v) => prod(v), [2, 0, 3, 4])).toEqual({ value: 0, grads: [Float64Array.of(0, 24, 0, 0)] });
    expect(gradientOf((v) => prod(v), [0, 2, 0])).toEqual({ value: 0, grads: [Float64Array.of(0, 0, 0)] });
    expect(gradientOf((v) => prod(v), [0])).toEqual({ value: 0, grads: [Float64Array.of(1)] });
    expect(gradientOf((v) => prod(v), [5])).toEqual({ value: 5, grads: [Float64Array.of(1)] });
    // The zero's partial is the product of the others even when the whole product is 0·∞.
    expect(gradientOf((v) => prod(v), [1e300, 0, 1e10])).toEqual({ value: 0, grads: [Float64Array.of(0, Infinity, 0)] });
  });

  it('logsumexp is stable for large inputs and its gradient is the softmax', () => {
    for (const shift of [1000, -1000, 700]) {
      const x = [shift, shift, shift - 1];
      const { value, grads } = gradientOf((v) => logsumexp(v), x);
      expectClose(value, shift + Math.log(2 + Math.exp(-1)), 2 * EPS, 0, `logsumexp at ${shift}`);
      const z = 2 + Math.exp(-1);
      // The rule exp(xᵢ − lse) inherits lse's rounding, about |lse|·ε: 1e-13 at |lse| = 1000.
      expectClose(grads[0], [1 / z, 1 / z, Math.exp(-1) / z], 1e-13, 0, `its gradient at ${shift}`);
    }
    const big = gradientOf((v) => add(sum(softmax(v)), sum(logSoftmax(v))), [1000, 999, -1000]);
    expect(Number.isFinite(big.value)).toBe(true);
    expect(Array.from(big.grads[0]).every(Number.isFinite)).toBe(true);
    expect(gradientOf((v) => logsumexp(v), [-Infinity, -Infinity]).value).toBe(-Infinity);
    expect(gradientOf((v) => logsumexp(v), [Infinity, 1])).toEqual({ value: Infinity, grads: [Float64Array.of(1, 0)] });
  });
});

// ── eager, grad, compiled ──

const PROGRAMS: { name: string; n: number; f: Fn }[] = [
  { name: 'Σ x² (DESIGN)', n: 3, f: (x) => sum(mul(x, x)) },
  { name: 'vector Rosenbrock', n: 33, f: (x) => {
    const a = x.slice(0, -1);
    const u = wengert.sub(x.slice(1), wengert.square(a));
    const v = wengert.sub(1, a);
    return add(mul(100, dot(u, u)), dot(v, v));
  } },
  { name: 'a 4 × 5 layer: logsumexp(tanh(W·x + b))', n: 4 * 5 + 5 + 4, f: (p) => {
    const W = p.slice(0, 20).reshape(5, 4);
    const y = wengert.tanh(add(matvec(W, p.slice(25)), p.slice(20, 25)));
    return logsumexp(y);
  } },
  { name: 'row-wise cross-entropy of a 3 × 4 matrix', n: 12, f: (p) => mul(-1 / 3, dot(Float64Array.from({ length: 12 }, (_, i) => (i % 5 === 0 ? 1 : 0)), logSoftmax(p.reshape(3, 4)))) },
  { name: 'concat, prod, max and a broadcast scalar', n: 7, f: (x) => add(prod(concat(x.slice(0, 3), x.at(6), 2)), max(mul(x.at(0), x.slice(2)))) },
];

describe('whole programs', () => {
  for (const { name, n, f } of PROGRAMS) {
    it(`${name}: every expectAd check, replayed at a second point`, () => {
      expectAd(f, [[uniform(n, [0.2, 1.2])], [uniform(n, [0.2, 1.2])]], { name, tolerance: { gradient: FD } });
    });
  }

  it('backward from one element of a vector result (softmax(v).at(i)) seeds only that element', () => {
    const x = uniform(4, [-1, 1]);
    expectSameFunction([x], (v) => softmax(v).at(2), (v) => wengert.div(exp(v.at(2)), elements(v).reduce<Operand>((s, e) => add(s, exp(e)), 0)), 1e-14, 'softmax(v).at(2)');
  });
});

describe.each(BACKENDS)('an explicit Tape, grad and a reloaded compiled function agree on %s', (backend) => {
  for (const { name, n, f } of PROGRAMS) {
    it(name, () => {
      const x = uniform(n, [0.2, 1.2]);
      const viaGrad = valueAndGrad(f, { backend })(x);
      const tape = new Tape({ backend });
      const v = tape.input(x);
      const y = f(v) as Scalar;
      tape.backward(y);
      expect(y.value).toBe(viaGrad.value);
      expect(Array.from(tape.adjoints(v))).toEqual(Array.from(viaGrad.grad));
      expect(Array.from(grad(f, { backend })(x))).toEqual(Array.from(viaGrad.grad));
      tape.dispose();
      // A reloaded tape replays like the one it was saved from (expectAd checks the replays).
      const compiled = compile(f, n, { backend });
      const reloaded = fromBytes(compiled.toBytes(), { backend });
      const x2 = uniform(n, [0.2, 1.2]);
      expect(reloaded.valueAndGrad(x2)).toEqual(compiled.valueAndGrad(x2));
      compiled.dispose();
      reloaded.dispose();
    });
  }

  it('grad of Σ x² at (1, 2, 3) is (2, 4, 6) (DESIGN)', () => {
    expect(grad((x: Vector) => sum(mul(x, x)), { backend })(Float64Array.of(1, 2, 3))).toEqual(Float64Array.of(2, 4, 6));
  });

  it('a compiled function of an empty vector round-trips through toBytes', () => {
    const f = compile((x: Vector, y: Vector) => add(sum(x), dot(y, y)), 0, 2, { backend });
    const expected = f.valueAndGrad(new Float64Array(0), [1, 2]);
    expect(expected.value).toBe(5);
    const reloaded = fromBytes(f.toBytes(), { backend });
    expect(reloaded.valueAndGrad(new Float64Array(0), [1, 2])).toEqual(expected);
    const alone = compile((x: Vector) => sum(x), 0, { backend });
    expect(fromBytes(alone.toBytes(), { backend }).value(new Float64Array(0))).toBe(0);
  });

});

// ── wasm = pure-JS tape ──

describe('large odd shapes (wasm = js, eager = compiled, JVP, HVP)', () => {
  const LARGE = { gradient: 'thousands of coordinates: too many finite differences' };

  it('matmul (all transposes), matvec, softmax and logSoftmax', () => {
    const [m, k, n] = [37, 101, 29];
    const w = uniform(m * n, [-1, 1]);
    const check = (inputs: Float64Array[], f: Fn, name: string) => expectAd(f, [inputs], { name, skip: LARGE });
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const A = [ta ? k : m, ta ? m : k] as const;
      const B = [tb ? n : k, tb ? k : n] as const;
      check([uniform(m * k, [-1, 1]), uniform(k * n, [-1, 1])], (a, b) => dot(w, matmul(a.reshape(...A), b.reshape(...B), { transposeA: ta, transposeB: tb })), `matmul ${ta} ${tb}`);
    }
    check([uniform(m * k, [-1, 1]), uniform(k, [-1, 1])], (a, x) => sum(matvec(a.reshape(m, k), x)), 'matvec');
    check([uniform(m * k, [-1, 1]), uniform(m, [-1, 1])], (a, x) => sum(matvec(a.reshape(m, k), x, { transpose: true })), 'matvecᵀ');
    check([uniform(m * n, [-4, 4])], (x) => dot(w, softmax(x.reshape(m, n))), 'softmax rows');
    check([uniform(m * n, [-4, 4])], (x) => dot(w, logSoftmax(x.reshape(m, n))), 'logSoftmax rows');
  });
});

// ── errors ──

describe.each(BACKENDS)('shape errors on %s', (backend) => {
  it('are ShapeErrors whose messages name both shapes', () => {
    const tape = new Tape({ backend });
    const v3 = tape.input([1, 2, 3]);
    const v4 = tape.input([1, 2, 3, 4]);
    const v6 = tape.input([1, 2, 3, 4, 5, 6]);
    const m23 = v6.reshape(2, 3);
    const m32 = v6.reshape(3, 2);
    const m45 = tape.input(new Float64Array(20)).reshape(4, 5);
    const cases: [() => unknown, string[]][] = [
      [() => add(v3, v4), ['[3]', '[4]']],
      [() => mul(v3, [1, 2]), ['[3]', '[2]']],
      [() => wengert.pow(Float64Array.of(1, 2, 3, 4), v3), ['[4]', '[3]']],
      [() => add(m23, v6), ['[2, 3]', '[6]']],
      [() => wengert.sub(m23, m32), ['[2, 3]', '[3, 2]']],
      [() => max(m23, m32), ['[2, 3]', '[3, 2]']],
      [() => dot(v3, v4), ['[3]', '[4]']],
      [() => matmul(m23, m45), ['[2, 3]', '[4, 5]']],
      [() => matmul(m23, m32, { transposeA: true }), ['[2, 3]', '[3, 2]']],
      [() => matmul(m45, m23, { transposeB: true }), ['[4, 5]', '[2, 3]']],
      [() => matvec(m23, v4), ['[2, 3]', '4']],
      [() => matvec(m23, v3, { transpose: true }), ['[2, 3]', '3']],
      [() => v6.reshape(4, 2), ['6', '4 × 2']],
    ];
    for (const [call, names] of cases) {
      const error = thrown(call);
      expect(error, `${call}`).toBeInstanceOf(ShapeError);
      for (const s of names) expect(error.message, `${call}`).toContain(s);
    }
    // A vector where a matrix belongs is a shape error too.
    expect(thrown(() => matmul(v6 as unknown as Matrix, m23))).toBeInstanceOf(ShapeError);
    tape.dispose();
  });

  it('handles from two tapes in one vector op are a TapeMismatchError', () => {
    const a = new Tape({ backend });
    const b = new Tape({ backend });
    const va = a.input([1, 2]);
    const vb = b.input([3, 4]);
    for (const call of [() => add(va, vb), () => dot(va, vb), () => concat(va, vb), () => add(va, b.constant(1)), () => matmul(va.reshape(1, 2), vb.reshape(2, 1))]) {
      expect(thrown(call)).toBeInstanceOf(TapeMismatchError);
    }
    a.dispose();
    b.dispose();
  });
});

describe('a row vector broadcast over a matrix', () => {
  const rows = 3;
  const cols = 5;
  /** The same function written element by element in scalar ops. */
  const byElements = (op: (x: Operand, y: Operand) => Operand, matrixFirst: boolean) => (m: Vector, v: Vector) => {
    let total: Operand = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const x = m.at(i * cols + j);
        total = add(total, wengert.tanh(matrixFirst ? op(x, v.at(j)) : op(v.at(j), x)));
      }
    }
    return total;
  };

  for (const [name, op] of [['add', add], ['sub', wengert.sub], ['mul', mul], ['div', wengert.div]] as const) {
    it(`${name}(M, v) and ${name}(v, M) equal the elementwise computation, values and gradients`, () => {
      const m = uniform(rows * cols, [0.5, 1.5]);
      const v = uniform(cols, [0.5, 1.5]);
      const bin = op as (x: unknown, y: unknown) => unknown;
      expectSameFunction([m, v], (mm, vv) => sum(wengert.tanh(bin(mm.reshape(rows, cols), vv) as Matrix)), byElements(op as never, true), 1e-14, `${name}(M, v)`);
      expectSameFunction([m, v], (mm, vv) => sum(wengert.tanh(bin(vv, mm.reshape(rows, cols)) as Matrix)), byElements(op as never, false), 1e-14, `${name}(v, M)`);
    });
  }

  it.each(BACKENDS)('keeps the matrix shape, accepts a plain array as the row, and refuses a row of the wrong length on %s', (backend) => {
    const tape = new Tape({ backend });
    const m = tape.input(uniform(rows * cols, [-1, 1])).reshape(rows, cols);
    const bias = [1, 2, 3, 4, 5];
    const y = add(m, bias);
    expect(y).toBeInstanceOf(Matrix);
    expect((y as Matrix).shape).toEqual([rows, cols]);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect((y as Matrix).at(i, j).value).toBe(m.at(i, j).value + bias[j]);
    tape.backward(sum(y as Matrix) as Scalar);
    expect(Array.from(tape.adjoints(m))).toEqual(new Array(rows * cols).fill(1));
    const error = thrown(() => add(m, [1, 2, 3]));
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.message).toContain('[3, 5]');
    expect(error.message).toContain('[3]');
    tape.dispose();
  });
});
