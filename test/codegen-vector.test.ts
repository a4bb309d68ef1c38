/** @file Fused vector loops (src/codegen/vector-module.ts): the generated sweeps of tapes with
 *  elementwise rows, sums and dots agree with the interpreter to the bit (values, reductions in
 *  the interpreter's sequential order, gradients), on the vector Rosenbrock and on random
 *  elementwise chains with broadcast scalars, data arguments, shifted views and intermediates read
 *  outside their loop; the chains the issue names fuse into one loop; the modules validate. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compile, add, sub, mul, div, square, neg, sin, tanh, exp, sqrt, cbrt, sigmoid, max, sum, dot, lt, le, gt, ge, eq,
  type Operand, type Scalar, type Vector,
} from '../src/index.js';
import { generateVectorModule } from '../src/codegen/vector-module.js';
import { decode } from '../src/compile/format.js';
import { seededRandom } from './helpers.js';
import { expectEnginesAgree } from './support/engines.js';
import { odeData, plainLoss } from '../examples/ode.js';

function sameBits(actual: number, expected: number): boolean {
  return Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected));
}

const flat = (x: unknown): number[] => (typeof x === 'number' ? [x] : Array.isArray(x) ? x.flatMap(flat) : Array.from(x as Float64Array));

function expectSameBits(actual: unknown, expected: unknown, what: string): void {
  const a = flat(actual), e = flat(expected);
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    if (!sameBits(a[i], e[i])) expect.fail(`${what}[${i}]: generated ${a[i]} ≠ interpreter ${e[i]}`);
  }
}

type AnyCompiled = { valueAndGrad(...args: unknown[]): { value: unknown; grad: unknown }; stats: { engine: string; engineReason?: string }; toBytes(): Uint8Array; dispose(): void };

/** Generated and interpreted replays of the same function at the same points, bit for bit. */
function expectAgrees(generated: AnyCompiled, interpreted: AnyCompiled, points: unknown[][]): void {
  expect(generated.stats.engineReason).toBeUndefined();
  for (const p of points) {
    const g = generated.valueAndGrad(...p);
    const i = interpreted.valueAndGrad(...p);
    expect(generated.stats.engine).toBe('generated');
    expectSameBits(g.value, i.value, 'value');
    expectSameBits(g.grad, i.grad, 'gradient');
  }
}

/** The module generated for a compiled function (validated). */
function moduleOf(f: AnyCompiled) {
  const program = decode(f.toBytes());
  const generated = generateVectorModule(program, { valueBase: 1 << 20, adjointBase: 1 << 24, sharedMemory: false });
  if ('reason' in generated) throw new Error(generated.reason);
  expect(WebAssembly.validate(generated.bytes as BufferSource)).toBe(true);
  return generated;
}

/** The loops of the module generated for a compiled function, by their number of rows. */
function loopsOf(f: AnyCompiled): number[] {
  return moduleOf(f).loops.map((rows) => rows.length);
}

/** Whether each loop goes by f64x2 lane pairs. */
const pairsOf = (f: AnyCompiled): boolean[] => moduleOf(f).pairs;

const vectorAt = (n: number, seed: number, lo = -1.5, hi = 1.5) => {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * random());
};

const rosenbrockSum = (x: Vector) => {
  const a = x.slice(0, -1), b = x.slice(1);
  return sum(add(mul(100, square(sub(b, square(a)))), square(sub(1, a))));
};
const rosenbrockDots = (x: Vector) => {
  const head = x.slice(0, -1);
  const u = sub(x.slice(1), square(head));
  const v = sub(1, head);
  return add(mul(100, dot(u, u)), dot(v, v));
};

describe('the vector Rosenbrock', () => {
  for (const n of [2, 3, 8, 1001]) {
    it(`as one sum, n = ${n}: one loop of its 8 rows, bit-identical to the interpreter`, () => {
      const g = compile(rosenbrockSum, n), i = compile(rosenbrockSum, n, { codegen: 'off' });
      expect(loopsOf(g)).toEqual([8]);
      expectAgrees(g, i, [[vectorAt(n, 1)], [vectorAt(n, 2, -3, 3)], [new Float64Array(n)], [new Float64Array(n).fill(1)]]);
    });
  }

  // Lane pairs and a scalar tail: views of odd and even lengths, the carried slot x[i + 1]
  // (x.slice(0, -1) beside x.slice(1)) at the last pair, one pair, one element.
  for (const n of [2, 3, 4, 5, 6, 7, 1000]) {
    it(`by f64x2 lane pairs, n = ${n}: both forms bit-identical to the interpreter`, () => {
      for (const f of [rosenbrockSum, rosenbrockDots]) {
        const g = compile(f, n), i = compile(f, n, { codegen: 'off' });
        expect(pairsOf(g).every((p) => p === n > 2)).toBe(true);
        expectAgrees(g, i, [[vectorAt(n, n)], [vectorAt(n, n + 1, -1e3, 1e3)], [new Float64Array(n).fill(1)]]);
      }
    });
  }

  it('as two dots (the benches): one loop ending in the first dot, the second dot its own loop', () => {
    const n = 1001;
    const g = compile(rosenbrockDots, n), i = compile(rosenbrockDots, n, { codegen: 'off' });
    expect(loopsOf(g)).toEqual([4, 1]);
    expectAgrees(g, i, [[vectorAt(n, 3)], [vectorAt(n, 4, -1e3, 1e3)]]);
  });

  it('with infinities and NaNs in the input', () => {
    const x = vectorAt(9, 5);
    x[2] = Infinity;
    x[5] = NaN;
    x[7] = -Infinity;
    expectAgrees(compile(rosenbrockSum, 9), compile(rosenbrockSum, 9, { codegen: 'off' }), [[x]]);
  });
});

describe('vector-valued functions of fused loops', () => {
  it('reverse-mode jacobian and vjps agree with the interpreter to the bit, adjoints rezeroed between sweeps', () => {
    const f = (x: Vector) => [rosenbrockSum(x), rosenbrockDots(x), sum(square(x))];
    const n = 40;
    const g = compile(f, n), i = compile(f, n, { codegen: 'off' });
    try {
      for (const seed of [1, 2]) {
        const x = vectorAt(n, seed);
        expectSameBits(g.jacobian(x), i.jacobian(x), 'jacobian');
        expect(g.stats.engine, g.stats.engineReason).toBe('generated');
        const seeds = Float64Array.of(1, 0, 0, 0.25, -2, 1.5, 0, 0, 1);
        expectSameBits(g.vjps(x, seeds), i.vjps(x, seeds), 'vjps');
      }
      expect(loopsOf(g as unknown as AnyCompiled).length).toBeGreaterThan(0);
    } finally {
      g.dispose();
      i.dispose();
    }
  });
});

describe('a long elementwise chain (an ODE of 300 Euler steps on one state)', () => {
  it('is planned as loops of at most 64 rows, bit-identical to the interpreter', () => {
    const f = plainLoss(300);
    const g = compile(f, 20, 20), i = compile(f, 20, 20, { codegen: 'off' });
    try {
      const loops = loopsOf(g);
      expect(loops.length).toBeGreaterThan(1);
      expect(Math.max(...loops)).toBeLessThanOrEqual(64);
      const { y0, c } = odeData(20);
      expectAgrees(g, i, [[y0, c]]);
    } finally {
      g.dispose();
      i.dispose();
    }
  });
});

// ── random elementwise chains ──

type Unary = (x: Vector) => Vector;
type Binary = (x: Vector | number | Scalar, y: Vector | number | Scalar) => Vector;
const UNARY: Unary[] = [square, neg, sin, tanh, exp, sqrt, cbrt, sigmoid] as never;
const BINARY: Binary[] = [add, sub, mul, div, max, add, sub, mul, lt, ge, eq] as never;

interface ChainNode {
  kind: number;
  form: number;
  x: number;
  y: number;
  k: number;
}
const nodeArbitrary: fc.Arbitrary<ChainNode> = fc.record({
  kind: fc.nat(5), form: fc.nat(20), x: fc.nat(20), y: fc.nat(20), k: fc.constantFrom(0, 1, -2, 0.5, 100),
});
interface Chain {
  n: number;
  nodes: ChainNode[];
  /** 0: sum of the last, 1: dot of two, 2: dot of the last and y, 3: sum plus an element of an earlier one. */
  end: number;
  picks: [number, number];
}
const chainArbitrary: fc.Arbitrary<Chain> = fc.record({
  n: fc.integer({ min: 1, max: 7 }),
  nodes: fc.array(nodeArbitrary, { minLength: 1, maxLength: 10 }),
  end: fc.nat(3),
  picks: fc.tuple(fc.nat(20), fc.nat(20)),
});

/** The chain over x (length n + 1, read through both shifted views), y (length n) and a scalar s. */
function runChain(c: Chain, x: Vector, y: Vector, s: Scalar): Operand {
  const vectors: Vector[] = [x.slice(0, -1), x.slice(1), y];
  const pick = (raw: number) => vectors[vectors.length - 1 - (raw % vectors.length)];
  for (const node of c.nodes) {
    const a = pick(node.x), b = pick(node.y);
    if (node.kind <= 1) vectors.push(UNARY[node.form % UNARY.length](a));
    else if (node.kind <= 3) vectors.push(BINARY[node.form % BINARY.length](a, b));
    else if (node.kind === 4) vectors.push(BINARY[node.form % BINARY.length](node.k, a)); // a broadcast constant
    else vectors.push(BINARY[node.form % BINARY.length](a, s)); // a broadcast argument
  }
  const last = vectors[vectors.length - 1];
  if (c.end === 0) return sum(last);
  if (c.end === 1) return dot(pick(c.picks[0]), pick(c.picks[1]));
  if (c.end === 2) return dot(last, y);
  return add(sum(last), mul(pick(c.picks[0]).at(c.picks[1] % c.n), s));
}

describe('random elementwise chains', () => {
  for (const wrt of [undefined, [0], [1, 2], [2]] as const) {
    it(`agree with the interpreter to the bit${wrt ? ` (wrt [${wrt}]: data flags)` : ''}`, () => {
      fc.assert(
        fc.property(chainArbitrary, fc.nat(), (c, seed) => {
          const random = seededRandom(seed);
          const points = [0, 1, 2].map((k) => [vectorAt(c.n + 1, seed + k), vectorAt(c.n, seed + 7 * k + 1), random() * 4 - 2]);
          points.push([new Float64Array(c.n + 1), new Float64Array(c.n), 0]);
          const f = (x: Vector, y: Vector, s: Scalar) => runChain(c, x, y, s);
          expectEnginesAgree(f, [c.n + 1, c.n, 'scalar'], wrt ? { wrt: [...wrt] } : {}, points, (g) => loopsOf(g as unknown as AnyCompiled));
        }),
        { numRuns: 120 },
      );
    });
  }

  it('comparisons by lane pairs (f64x2.lt … masked to 1 or 0) select terms as the interpreter does', () => {
    const f = (x: Vector, y: Vector) => {
      const d = sub(x, y);
      const pick = add(add(mul(lt(x, y), square(d)), mul(ge(x, y), exp(d))), add(mul(le(x, 0.5), x), mul(gt(y, x), eq(x, y))));
      return sum(mul(pick, x));
    };
    for (const n of [1, 2, 5, 8]) {
      const g = compile(f, n, n), i = compile(f, n, n, { codegen: 'off' });
      expect(pairsOf(g)).toEqual([n > 1]);
      const x = vectorAt(n, 20 + n), y = vectorAt(n, 30 + n);
      if (n > 2) {
        y[1] = x[1];      // eq and the ties of le/ge
        x[2] = NaN;       // every comparison false
        y[n - 1] = Infinity;
      }
      expectAgrees(g, i, [[x, y], [y, x], [x, x]]);
    }
  });

  it('an input run read again after its loop keeps its adjoints in memory (added to, not started from 0)', () => {
    // x's adjoints take the later dot's and the scalar row's additions first (the Rosenbrock's
    // loop is then split into rows: its two views' additions would commute into nonzero slots).
    const later = (x: Vector, y: Vector) => add(add(rosenbrockSum(x), dot(x, y)), mul(x.at(2), x.at(0)));
    const scalarRow = (x: Vector, y: Vector) => add(sum(exp(sub(mul(x, y), 1))), mul(x.at(1), 3));
    const fresh = (x: Vector, y: Vector) => add(sum(exp(sub(mul(x, y), 1))), mul(y.at(1), 3));
    for (const [f, loops] of [[later, [1, 1, 1, 1, 1, 1, 1, 1, 1]], [scalarRow, [4]], [fresh, [4]]] as const) {
      for (const n of [3, 4, 5]) {
        const g = compile(f as (x: Vector, y: Vector) => Operand, n, n), i = compile(f as (x: Vector, y: Vector) => Operand, n, n, { codegen: 'off' });
        expect(loopsOf(g)).toEqual(loops);
        expect(pairsOf(g).every((p) => p)).toBe(true);
        expectAgrees(g, i, [[vectorAt(n, 40 + n), vectorAt(n, 45 + n)], [vectorAt(n, 50 + n, -1e4, 1e4), vectorAt(n, 55 + n)]]);
      }
    }
  });

  it('a lone add, sub or mul of two overlapping runs goes by lane pairs in the interpreter\'s order', () => {
    for (const op of [add, sub, mul]) {
      // x read again later: the loop splits into rows, and the lone row keeps the pair order.
      const f = (x: Vector) => add(sum(square((op as Binary)(x.slice(1), x.slice(0, -1)))), mul(x.at(0), 3));
      for (const n of [3, 4, 7, 10]) {
        const g = compile(f, n), i = compile(f, n, { codegen: 'off' });
        expect(loopsOf(g)).toEqual([1, 1, 1]);
        expect(pairsOf(g)).toEqual([true, true, true]);
        expectAgrees(g, i, [[vectorAt(n, 60 + n)], [vectorAt(n, 70 + n, -1e8, 1e8)]]);
      }
    }
  });

  it('an intermediate read outside its loop is stored, and its adjoint read back', () => {
    const f = (x: Vector, s: Scalar) => {
      const t = tanh(mul(x, s));
      const u = exp(t);
      return add(sum(u), mul(t.at(1), t.at(2)));
    };
    const g = compile(f, 4, 'scalar'), i = compile(f, 4, 'scalar', { codegen: 'off' });
    expect(loopsOf(g)).toEqual([4]);
    expectAgrees(g, i, [[vectorAt(4, 9), 0.7], [vectorAt(4, 10), -2]]);
    // A vector output: stored, its adjoints seeded by vjp.
    const h = (x: Vector) => exp(tanh(square(x)));
    const hg = compile(h, 5), hi = compile(h, 5, { codegen: 'off' });
    expect(loopsOf(hg)).toEqual([3]);
    const x = vectorAt(5, 13), u = vectorAt(5, 14);
    expectSameBits(hg.value(x), hi.value(x), 'vector value');
    expectSameBits(hg.vjp(x, u), hi.vjp(x, u), 'vjp');
    expect(hg.stats.engine).toBe('generated');
  });

  it('an element of a loop\'s own value read as a broadcast operand ends the loop there', () => {
    for (const n of [1, 4]) {
      const f = (x: Vector) => {
        const t = tanh(x);
        return sum(mul(exp(t), t.at(0)));
      };
      const g = compile(f, n), i = compile(f, n, { codegen: 'off' });
      expectAgrees(g, i, [[vectorAt(n, 15)], [vectorAt(n, 16)]]);
    }
  });

  it('a chain whose input slots would take their additions in another order is split into rows', () => {
    // x[j] receives from three rows at three offsets: the fused order differs beyond its first two.
    const f = (x: Vector) => {
      const a = x.slice(0, -2), b = x.slice(1, -1), c = x.slice(2);
      const late = mul(c, 7);
      return sum(add(add(late, mul(b, 5)), mul(a, 3)));
    };
    const g = compile(f, 9), i = compile(f, 9, { codegen: 'off' });
    expect(loopsOf(g).every((rows) => rows === 1)).toBe(true);
    expectAgrees(g, i, [[vectorAt(9, 11)], [vectorAt(9, 12, -1e8, 1e8)]]);
  });
});
