/** @file compile(): replays equal fresh recordings, branches, memory, several tapes, serialization, printing, errors. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compile, fromBytes, valueAndGrad, Tape,
  add, sub, mul, div, neg, square, sqrt, cbrt, pow, exp, expm1, log, log1p, log2, log10,
  sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, asinh, acosh, atanh,
  abs, min, max, hypot, sigmoid, relu, softplus, erf, lt, le, gt, ge, eq, where,
  sum, mean, prod, dot, logsumexp, softmax, logSoftmax, matmul, matvec, concat, reshape,
  ArgumentError, OutOfMemoryError, StaleHandleError, TapeMismatchError, TracingError,
  type CompiledFunction, type Operand, type Scalar, type Vector,
} from '../src/index.js';
import { BACKENDS, expectClose, seededRandom, thrown } from './helpers.js';

type Backend = (typeof BACKENDS)[number];

/** A gradient (number, Float64Array or a tuple of them) as one flat list. */
function flat(g: unknown): number[] {
  if (typeof g === 'number') return [g];
  if (Array.isArray(g)) return g.flatMap(flat);
  return Array.from(g as Float64Array);
}

/** Σ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², in scalar ops (≈10 nodes a term). */
function rosenbrock(x: Vector): Operand {
  let s: Operand = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const xi = x.at(i);
    s = add(s, add(mul(100, square(sub(x.at(i + 1), square(xi)))), square(sub(1, xi))));
  }
  return s;
}

function rosenbrockValue(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
  return s;
}

function rosenbrockGradient(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const g = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) {
    const r = x[i + 1] - x[i] * x[i];
    g[i] += -400 * x[i] * r - 2 * (1 - x[i]);
    g[i + 1] += 200 * r;
  }
  return g;
}

const randomVector = (n: number, random: () => number, lo = -2, hi = 2) => Float64Array.from({ length: n }, () => lo + (hi - lo) * random());

// ── random expression DAGs, kept in domain ──
//
// Every form below is defined, with finite partials, on all reals; `bound` takes bounds on
// |operands| to a bound on |result|, and a node bounded above 8 is scaled back to 8. So no
// value overflows and no partial is infinite, even on rows that do not reach the output
// (a fresh recording sweeps those with adjoint 0, and 0·∞ would be NaN there only).

interface Form<F> {
  name: string;
  f: F;
  bound: (...m: number[]) => number;
}
type Unary = (a: Operand) => Operand;
type Binary = (a: Operand, b: Operand) => Operand;

const onePlusSquare = (a: Operand) => add(1, square(a));
const UNARY: Form<Unary>[] = [
  { name: 'sin', f: sin, bound: () => 1 },
  { name: 'cos', f: cos, bound: () => 1 },
  { name: 'tanh', f: tanh, bound: () => 1 },
  { name: 'atan', f: atan, bound: () => 2 },
  { name: 'sigmoid', f: sigmoid, bound: () => 1 },
  { name: 'erf', f: erf, bound: () => 1 },
  { name: 'neg', f: neg, bound: (m) => m },
  { name: 'abs', f: abs, bound: (m) => m },
  { name: 'relu', f: relu, bound: (m) => m },
  { name: 'softplus', f: softplus, bound: (m) => m + 1 },
  { name: 'asinh', f: asinh, bound: (m) => m + 1 },
  { name: 'square', f: square, bound: (m) => m * m },
  { name: 'exp', f: exp, bound: (m) => Math.exp(m) },
  { name: 'expm1', f: expm1, bound: (m) => Math.exp(m) },
  { name: 'sinh', f: sinh, bound: (m) => Math.exp(m) },
  { name: 'cosh', f: cosh, bound: (m) => Math.exp(m) },
  { name: 'log(1+a²)', f: (a) => log(onePlusSquare(a)), bound: (m) => Math.log1p(m * m) },
  { name: 'log1p(a²)', f: (a) => log1p(square(a)), bound: (m) => Math.log1p(m * m) },
  { name: 'log2(1+a²)', f: (a) => log2(onePlusSquare(a)), bound: (m) => 2 * Math.log1p(m * m) },
  { name: 'log10(1+a²)', f: (a) => log10(onePlusSquare(a)), bound: (m) => Math.log1p(m * m) },
  { name: 'sqrt(1+a²)', f: (a) => sqrt(onePlusSquare(a)), bound: (m) => m + 1 },
  { name: 'cbrt(1+a²)', f: (a) => cbrt(onePlusSquare(a)), bound: (m) => m + 1 },
  { name: 'asin(0.9 tanh a)', f: (a) => asin(mul(0.9, tanh(a))), bound: () => 2 },
  { name: 'acos(0.9 tanh a)', f: (a) => acos(mul(0.9, tanh(a))), bound: () => 4 },
  { name: 'atanh(0.9 tanh a)', f: (a) => atanh(mul(0.9, tanh(a))), bound: () => 2 },
  { name: 'acosh(1.5+a²)', f: (a) => acosh(add(1.5, square(a))), bound: (m) => m + 2 },
  { name: 'tan(1.2 tanh a)', f: (a) => tan(mul(1.2, tanh(a))), bound: () => 3 },
];
const BINARY: Form<Binary>[] = [
  { name: 'add', f: add, bound: (m, n) => m + n },
  { name: 'sub', f: sub, bound: (m, n) => m + n },
  { name: 'mul', f: mul, bound: (m, n) => m * n },
  { name: 'a/(1+b²)', f: (a, b) => div(a, onePlusSquare(b)), bound: (m) => m },
  { name: 'max', f: max, bound: (m, n) => Math.max(m, n) },
  { name: 'min', f: min, bound: (m, n) => Math.max(m, n) },
  { name: 'hypot', f: hypot, bound: (m, n) => m + n },
  { name: 'atan2', f: atan2, bound: () => 4 },
  { name: 'pow(1+a², tanh b)', f: (a, b) => pow(onePlusSquare(a), tanh(b)), bound: (m) => 1 + m * m },
  { name: 'lt', f: lt, bound: () => 1 },
  { name: 'le', f: le, bound: () => 1 },
  { name: 'gt', f: gt, bound: () => 1 },
  { name: 'ge', f: ge, bound: () => 1 },
  { name: 'eq', f: eq, bound: () => 1 },
];
const COMPARISONS = BINARY.filter((form) => ['lt', 'le', 'gt', 'ge', 'eq'].includes(form.name));

/** One node: `kind` picks unary / binary / binary with a constant / where; the naturals pick
 *  the form and the earlier nodes it reads (reduced modulo what exists when it is built). */
interface NodeSpec {
  kind: number;
  form: number;
  x: number;
  y: number;
  z: number;
  w: number;
  k: number;
}
interface ProgramSpec {
  inputs: number;
  nodes: NodeSpec[];
  /** Extra outputs (besides the last node), for vector-valued programs. */
  outputs: number[];
}

const nodeArbitrary: fc.Arbitrary<NodeSpec> = fc.record({
  kind: fc.nat(9),
  form: fc.nat(),
  x: fc.nat(),
  y: fc.nat(),
  z: fc.nat(),
  w: fc.nat(),
  k: fc.double({ min: -2, max: 2, noNaN: true }),
});
const programArbitrary: fc.Arbitrary<ProgramSpec> = fc.record({
  inputs: fc.integer({ min: 1, max: 4 }),
  nodes: fc.array(nodeArbitrary, { minLength: 1, maxLength: 30 }),
  outputs: fc.array(fc.nat(), { maxLength: 3 }),
});
const INPUT_BOUND = 2;
const pointArbitrary = (n: number) => fc.array(fc.double({ min: -INPUT_BOUND, max: INPUT_BOUND, noNaN: true }), { minLength: n, maxLength: n });

/** Builds the program over `inputs` (handles while recording or tracing); returns the values
 *  of the last node and of the extra outputs. */
function runProgram(p: ProgramSpec, inputs: Operand[]): Operand[] {
  const values: Operand[] = [...inputs];
  const bounds: number[] = inputs.map(() => INPUT_BOUND);
  // Even naturals read one of the 6 latest nodes (deep chains), odd ones any node (wide DAGs).
  const pick = (raw: number) => values.length - 1 - (raw % (raw % 2 === 0 ? Math.min(6, values.length) : values.length));
  for (const n of p.nodes) {
    const [i, j, l, m] = [pick(n.x), pick(n.y), pick(n.z), pick(n.w)];
    let v: Operand;
    let bound: number;
    if (n.kind < 4) {
      const form = UNARY[n.form % UNARY.length];
      [v, bound] = [form.f(values[i]), form.bound(bounds[i])];
    } else if (n.kind < 7) {
      const form = BINARY[n.form % BINARY.length];
      [v, bound] = [form.f(values[i], values[j]), form.bound(bounds[i], bounds[j])];
    } else if (n.kind < 8) {
      const form = BINARY[n.form % BINARY.length];
      [v, bound] = [form.f(values[i], n.k), form.bound(bounds[i], Math.abs(n.k))];
    } else {
      const cond = COMPARISONS[n.form % COMPARISONS.length].f(values[i], values[j]);
      [v, bound] = [where(cond, values[l], values[m]), Math.max(bounds[l], bounds[m])];
    }
    if (bound > 8) [v, bound] = [mul(v, 8 / bound), 8];
    values.push(v);
    bounds.push(bound);
  }
  return [values[values.length - 1], ...p.outputs.map((o) => values[pick(o)])];
}

const scalars = (n: number) => Array.from({ length: n }, () => 'scalar' as const);

// ── random programs of vector rows: one vector argument of length n and one scalar ──

type Reduction = { name: string; f: (v: Vector, w: Vector) => Operand; bound: (m: number, n: number, len: number) => number };
const REDUCTIONS: Reduction[] = [
  { name: 'sum', f: (v) => sum(v), bound: (m, _, len) => len * m },
  { name: 'mean', f: (v) => mean(v), bound: (m) => m },
  { name: 'prod', f: (v) => prod(v), bound: (m, _, len) => m ** len },
  { name: 'logsumexp', f: (v) => logsumexp(v), bound: (m, _, len) => m + Math.log(len) },
  { name: 'max', f: (v) => max(v), bound: (m) => m },
  { name: 'min', f: (v) => min(v), bound: (m) => m },
  { name: 'dot', f: (v, w) => dot(v, w), bound: (m, n, len) => len * m * n },
];

interface TensorProgramSpec {
  length: number;
  nodes: NodeSpec[];
}
const tensorProgramArbitrary: fc.Arbitrary<TensorProgramSpec> = fc.record({
  length: fc.integer({ min: 1, max: 5 }),
  nodes: fc.array(nodeArbitrary.map((n) => ({ ...n, kind: n.kind + 10 * (n.w % 2) })), { minLength: 1, maxLength: 20 }),
});

/** Builds the program over a vector handle v and a scalar handle s: elementwise maps (with
 *  scalar broadcast), reductions, softmax, concat of slices, an outer product times a vector,
 *  and scalar where() over elements. Returns sum(last vector) + last scalar. */
function runTensorProgram(p: TensorProgramSpec, v: Vector, s: Scalar): Operand {
  const n = p.length;
  const vectors: Vector[] = [v];
  const vectorBounds = [INPUT_BOUND];
  const scalarValues: Operand[] = [s];
  const scalarBounds = [INPUT_BOUND];
  const vec = (raw: number) => vectors.length - 1 - (raw % vectors.length);
  const sca = (raw: number) => scalarValues.length - 1 - (raw % scalarValues.length);
  const pushVector = (x: Vector, bound: number) => {
    if (bound > 8) [x, bound] = [mul(x, 8 / bound), 8];
    vectors.push(x);
    vectorBounds.push(bound);
  };
  const pushScalar = (x: Operand, bound: number) => {
    if (bound > 8) [x, bound] = [mul(x, 8 / bound), 8];
    scalarValues.push(x);
    scalarBounds.push(bound);
  };
  for (const node of p.nodes) {
    const [i, j, l] = [vec(node.x), vec(node.y), vec(node.z)];
    const [a, b, c] = [vectors[i], vectors[j], vectors[l]];
    const [ma, mb, mc] = [vectorBounds[i], vectorBounds[j], vectorBounds[l]];
    const k = sca(node.w);
    switch (node.kind % 12) {
      case 0:
      case 1:
      case 2: {
        const form = UNARY[node.form % UNARY.length];
        pushVector(form.f(a as never) as unknown as Vector, form.bound(ma));
        break;
      }
      case 3:
      case 4: {
        const form = BINARY[node.form % BINARY.length];
        pushVector(form.f(a as never, b as never) as unknown as Vector, form.bound(ma, mb));
        break;
      }
      case 5: {
        const form = BINARY[node.form % BINARY.length];
        pushVector(form.f(a as never, node.k) as unknown as Vector, form.bound(ma, Math.abs(node.k)));
        break;
      }
      case 6: {
        const form = BINARY[node.form % BINARY.length];
        pushVector(form.f(scalarValues[k], a as never) as unknown as Vector, form.bound(scalarBounds[k], ma));
        break;
      }
      case 7: {
        const r = REDUCTIONS[node.form % REDUCTIONS.length];
        pushScalar(r.f(a, b), r.bound(ma, mb, n));
        break;
      }
      case 8:
        if (node.form % 2 === 0) pushVector(softmax(a), 1);
        else pushVector(logSoftmax(a), 2 * ma + Math.log(n));
        break;
      case 9: {
        const h = node.form % (n + 1);
        pushVector(concat(a.slice(0, h), b.slice(h)), Math.max(ma, mb));
        break;
      }
      case 10: {
        const outer = matmul(reshape(a, n, 1), reshape(b, 1, n));
        pushVector(matvec(outer, c, { transpose: node.form % 2 === 1 }), n * ma * mb * mc);
        break;
      }
      default: {
        const cond = COMPARISONS[node.form % COMPARISONS.length].f(a.at(node.x % n), scalarValues[k]);
        pushScalar(where(cond, b.at(node.y % n), scalarValues[k]), Math.max(mb, scalarBounds[k]));
      }
    }
  }
  return add(sum(vectors[vectors.length - 1]), scalarValues[scalarValues.length - 1]);
}

/** Same list of numbers within a relative 1e-12 (NaN equals NaN). */
function expectSameNumbers(actual: number[], expected: number[], what: string): void {
  expectClose(actual, expected, 1e-12, 1e-300, what);
}

describe.each(BACKENDS)('compile on the %s backend', (backend: Backend) => {
  describe('a replay equals a fresh recording', () => {
    it('for random expression DAGs at random points (fast-check)', () => {
      fc.assert(
        fc.property(programArbitrary, fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), (p, seeds) => {
          const f = (...xs: Operand[]) => runProgram(p, xs)[0];
          const compiled = compile(f, ...scalars(p.inputs), { backend });
          const fresh = valueAndGrad(f, { backend });
          try {
            for (const seed of seeds) {
              const point = Array.from(randomVector(p.inputs, seededRandom(seed), -INPUT_BOUND, INPUT_BOUND));
              const got = compiled.valueAndGrad(...point);
              const want = fresh(...point);
              expectSameNumbers([got.value, ...flat(got.grad)], [want.value, ...flat(want.grad)], `at (${point})`);
            }
          } finally {
            compiled.dispose();
          }
        }),
        { numRuns: 150 },
      );
    });

    it('for random points chosen by fast-check, one compiled function', () => {
      const spec: ProgramSpec = {
        inputs: 3,
        nodes: Array.from({ length: 40 }, (_, i) => ({ kind: i % 10, form: 7 * i + 3, x: 2 * i, y: 3 * i + 1, z: i, w: 5 * i, k: 0.5 - i / 40 })),
        outputs: [],
      };
      const f = (x: Operand, y: Operand, z: Operand) => runProgram(spec, [x, y, z])[0];
      const compiled = compile(f, { backend });
      const fresh = valueAndGrad(f, { backend });
      fc.assert(
        fc.property(pointArbitrary(3), (point) => {
          const got = compiled.valueAndGrad(...point);
          const want = fresh(...point);
          expectSameNumbers([got.value, ...flat(got.grad)], [want.value, ...flat(want.grad)], `at (${point})`);
        }),
        { numRuns: 500 },
      );
    });

    it('for vector-valued DAGs: value() and vjp(u) equal a recording of Σ uⱼ fⱼ', () => {
      fc.assert(
        fc.property(
          programArbitrary.filter((p) => p.outputs.length > 0),
          fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
          (p, seeds) => {
            const compiled = compile((...xs: Operand[]) => runProgram(p, xs), ...scalars(p.inputs), { backend });
            try {
              expect(compiled.vectorOutput).toBe(true);
              expect(compiled.outputCount).toBe(p.outputs.length + 1);
              for (const seed of seeds) {
                const random = seededRandom(seed);
                const point = Array.from(randomVector(p.inputs, random, -INPUT_BOUND, INPUT_BOUND));
                const u = randomVector(p.outputs.length + 1, random);
                const tape = new Tape({ backend });
                const values = runProgram(p, point.map((x) => tape.input(x)));
                expectSameNumbers(Array.from(compiled.value(...point) as Float64Array), values.map((v) => tape.value(v as Scalar)), 'value');
                tape.dispose();
                const weighted = (...xs: Operand[]) => runProgram(p, xs).reduce((s: Operand, v, j) => add(s, mul(u[j], v)), 0);
                const want = valueAndGrad(weighted, { backend })(...point);
                expectClose(flat(compiled.vjp(...point, u)), flat(want.grad), 1e-12, 1e-12, `vjp at (${point})`);
              }
            } finally {
              compiled.dispose();
            }
          },
        ),
        { numRuns: 60 },
      );
    });

    it('for random programs of vector rows (maps, reductions, softmax, concat, matmul, where)', () => {
      fc.assert(
        fc.property(tensorProgramArbitrary, fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (p, seeds) => {
          const f = (v: Vector, s: Scalar) => runTensorProgram(p, v, s);
          const compiled = compile(f, p.length, 'scalar', { backend });
          const fresh = valueAndGrad(f as never, { backend });
          try {
            for (const seed of seeds) {
              const random = seededRandom(seed);
              const v = randomVector(p.length, random, -INPUT_BOUND, INPUT_BOUND);
              const s = random() * 4 - 2;
              const got = compiled.valueAndGrad(v, s);
              const want = fresh(v, s);
              expectSameNumbers([got.value, ...flat(got.grad)], [want.value, ...flat(want.grad)], `at (${v}; ${s})`);
            }
          } finally {
            compiled.dispose();
          }
        }),
        { numRuns: 150 },
      );
    });

    it('with vector and scalar arguments mixed', () => {
      const f = (s: Scalar, v: Vector, t: Scalar) => {
        let acc: Operand = mul(s, t);
        for (let i = 0; i < v.length; i++) acc = add(acc, mul(sin(mul(v.at(i), s)), exp(mul(t, 0.1 * i))));
        return acc;
      };
      const compiled = compile(f, 'scalar', 5, 'scalar', { backend });
      const random = seededRandom(7);
      for (let k = 0; k < 50; k++) {
        const [s, t] = [random() * 4 - 2, random() * 4 - 2];
        const v = randomVector(5, random);
        const got = compiled.valueAndGrad(s, v, t);
        const want = valueAndGrad(f as never, { backend })(s, v, t);
        expectSameNumbers([got.value, ...flat(got.grad)], [want.value, ...flat(want.grad)], `k = ${k}`);
        expect(typeof (got.grad as unknown[])[0]).toBe('number');
        expect((got.grad as unknown[])[1]).toBeInstanceOf(Float64Array);
      }
    });
  });

  describe('branches', () => {
    const branchy = (x: Operand, y: Operand) => where(lt(x, y), mul(x, y), sin(x));

    it('where(lt(x, y), …) follows the branch each replay takes, gradients included', () => {
      const f = compile(branchy, { backend });
      for (let k = 0; k < 20; k++) {
        // Alternate sides: x < y, then x > y, then the tie (lt is false).
        const [x, y] = [[1, 2], [3, 2], [2.5, 2.5]][k % 3];
        const { value, grad } = f.valueAndGrad(x, y);
        if (x < y) {
          expect(value).toBe(x * y);
          expect(grad).toEqual([y, x]);
        } else {
          expect(value).toBe(Math.sin(x));
          expectClose(flat(grad), [Math.cos(x), 0], 1e-15, 0, 'sin branch');
        }
      }
    });

    it('a trace taken on one side replays the other side (sample arguments)', () => {
      // Traced at v = [5, 1]: v₀ > v₁, so a frozen JS branch would keep sin(v₀).
      const f = compile((v: Vector) => branchy(v.at(0), v.at(1)), [5, 1], { backend });
      expect(f.valueAndGrad([1, 2])).toEqual({ value: 2, grad: Float64Array.of(2, 1) });
      expect(f.value([5, 1])).toBe(Math.sin(5));
    });

    it('each comparison selects its branch on replay; conditions get no gradient', () => {
      const cases: [Binary, (x: number, y: number) => boolean][] = [
        [lt, (x, y) => x < y],
        [le, (x, y) => x <= y],
        [gt, (x, y) => x > y],
        [ge, (x, y) => x >= y],
        [eq, (x, y) => x === y],
      ];
      for (const [cmp, holds] of cases) {
        const f = compile((x: Scalar, y: Scalar) => where(cmp(x, y), mul(3, x), mul(5, y)), { backend });
        for (const [x, y] of [[1, 2], [2, 1], [2, 2], [-0, 0], [NaN, 1]]) {
          const taken = holds(x, y);
          const { value, grad } = f.valueAndGrad(x, y);
          expect(value).toBe(taken ? 3 * x : 5 * y);
          expect(grad).toEqual(taken ? [3, 0] : [0, 5]);
        }
      }
    });

    it('nested where with constant branches: sign(x)·y', () => {
      const f = compile((x: Scalar, y: Scalar) => mul(where(gt(x, 0), 1, where(lt(x, 0), -1, 0)), y), { backend });
      for (const [x, y] of [[2, 3], [-2, 3], [0, 3], [1e-300, 7], [-1e-300, 7]]) {
        expect(f.valueAndGrad(x, y)).toEqual({ value: Math.sign(x) * y, grad: [0, Math.sign(x)] });
      }
    });

    it('reading a traced value (handle.value) throws TracingError that points to where()', () => {
      const error = thrown(() => compile((x: Scalar) => (x.value > 0 ? x : neg(x)), { backend }));
      expect(error).toBeInstanceOf(TracingError);
      expect(error.message).toMatch(/where\(cond, a, b\)/);
      const vectorRead = thrown(() => compile((v: Vector) => (v.value[0] > 0 ? v.at(0) : v.at(1)), 2, { backend }));
      expect(vectorRead).toBeInstanceOf(TracingError);
    });

    it('a JS `if` on a traced handle throws TracingError that points to where()', () => {
      // `x > y` converts the handles to numbers: inside compile that is a read of a traced value.
      const error = thrown(() => compile((x: Scalar, y: Scalar) => (x > y ? x : y), { backend }));
      expect(error).toBeInstanceOf(TracingError);
      expect(error.message).toMatch(/where/);
      expect(thrown(() => compile((x: Scalar) => Math.sin(x as unknown as number), { backend }))).toBeInstanceOf(TracingError);
    });

    it('a failed trace leaves nothing behind: the next compile and eager tapes work', () => {
      expect(() => compile((x: Scalar) => (x.value > 0 ? x : 0), { backend })).toThrow(TracingError);
      expect(compile((x: Scalar) => square(x), { backend }).valueAndGrad(3)).toEqual({ value: 9, grad: 6 });
      const tape = new Tape({ backend });
      expect(tape.input(4).value).toBe(4);
      tape.dispose();
    });
  });

  describe('many replays, no memory growth', () => {
    it('10,000 replays of a small function: stats unchanged, out filled in place', () => {
      const f = compile((v: Vector) => add(mul(v.at(0), v.at(1)), sin(v.at(2))), 3, { backend });
      const x = Float64Array.of(1, 2, 3);
      const out = new Float64Array(3);
      expect(f.valueAndGrad(x, out).grad).toBe(out);
      const stats = f.stats;
      for (let k = 0; k < 10_000; k++) {
        x[0] = k;
        x[2] = k / 1000;
        const result = f.valueAndGrad(x, out);
        if (result.grad !== out) expect.fail(`replay ${k} returned a new gradient array`);
      }
      expect(out).toEqual(Float64Array.of(2, 9999, Math.cos(9.999)));
      expect(f.grad(x, out)).toBe(out);
      expect(f.stats).toEqual(stats);
      f.dispose();
    });

    it('out for several arguments: the same array comes back, vector entries filled in place', () => {
      const f = compile((s: Scalar, v: Vector) => mul(s, add(v.at(0), mul(2, v.at(1)))), 'scalar', 2, { backend });
      const inner = new Float64Array(2);
      const out: [number, Float64Array] = [0, inner];
      const result = f.valueAndGrad(3, [1, 1], out);
      expect(result.grad).toBe(out);
      expect(out[1]).toBe(inner);
      expect(out).toEqual([3, Float64Array.of(3, 6)]);
      const u = new Float64Array(2);
      const g = compile((v: Vector) => [square(v.at(0)), mul(v.at(0), v.at(1))], 2, { backend });
      expect(g.vjp([2, 3], [1, 1], u)).toBe(u);
      expect(u).toEqual(Float64Array.of(7, 2));
    });

    it('100 replays of a 10⁵-node function: stats unchanged, gradient right', () => {
      const n = 11_112; // 9 nodes a term: the constants 1 and 100 are recorded once
      const f = compile(rosenbrock, n, { backend });
      expect(f.stats.nodes).toBeGreaterThanOrEqual(100_000);
      const random = seededRandom(11);
      const x = randomVector(n, random);
      const out = new Float64Array(n);
      f.valueAndGrad(x, out);
      const stats = f.stats;
      for (let k = 0; k < 100; k++) {
        x[k] = random() * 4 - 2;
        expect(f.valueAndGrad(x, out).grad).toBe(out);
      }
      expect(f.stats).toEqual(stats);
      expectClose(out, rosenbrockGradient(x), 1e-10, 1e-10, 'gradient after 100 replays');
      f.dispose();
    });
  });

  describe('several compiled functions side by side', () => {
    it('give independent results; disposing one leaves the others right', () => {
      const f1 = compile((x: Scalar, y: Scalar) => add(mul(x, y), sin(x)), { backend });
      const f2 = compile(rosenbrock, 6, { backend });
      const f3 = compile((x: Scalar) => [exp(x), mul(x, x)], 'scalar', { backend });
      const random = seededRandom(3);
      const checkAll = (alive: { f1: boolean; f2: boolean; f3: boolean }) => {
        const [x, y] = [random() * 4 - 2, random() * 4 - 2];
        const v = randomVector(6, random);
        if (alive.f1) expectClose(flat(f1.valueAndGrad(x, y).grad), [y + Math.cos(x), x], 1e-15, 0, 'f1');
        if (alive.f2) {
          const r = f2.valueAndGrad(v);
          expectClose(r.value, rosenbrockValue(v), 1e-13, 0, 'f2 value');
          expectClose(r.grad as Float64Array, rosenbrockGradient(v), 1e-12, 1e-12, 'f2');
        }
        if (alive.f3) {
          expectClose(f3.value(x) as Float64Array, [Math.exp(x), x * x], 1e-15, 0, 'f3 value');
          expectClose(f3.vjp(x, [1, 2]) as number, Math.exp(x) + 4 * x, 1e-14, 1e-15, 'f3 vjp');
        }
      };
      for (let k = 0; k < 30; k++) checkAll({ f1: true, f2: true, f3: true });
      f2.dispose();
      expect(f2.disposed).toBe(true);
      expect(f1.disposed).toBe(false);
      for (let k = 0; k < 30; k++) checkAll({ f1: true, f2: false, f3: true });
      // A new tape may take f2's memory: the others must not notice.
      const f4 = compile((v: Vector) => mul(v.at(0), v.at(5)), 6, { backend });
      for (let k = 0; k < 30; k++) {
        checkAll({ f1: true, f2: false, f3: true });
        expect(f4.grad([2, 0, 0, 0, 0, 3])).toEqual(Float64Array.of(3, 0, 0, 0, 0, 2));
      }
      for (const f of [f1, f3, f4]) f.dispose();
    });

    it('a disposed compiled function throws a clear error on every use', () => {
      const f = compile((v: Vector) => [sin(v.at(0)), v.at(1)], 2, { backend });
      const g = compile((x: Scalar) => square(x), { backend });
      f.dispose();
      g.dispose();
      expect(f.disposed).toBe(true);
      const uses: [string, () => unknown][] = [
        ['value', () => f.value([1, 2])],
        ['vjp', () => f.vjp([1, 2], [1, 1])],
        ['grad', () => g.grad(1)],
        ['valueAndGrad', () => g.valueAndGrad(1)],
        ['toBytes', () => f.toBytes()],
        ['toString', () => f.toString()],
        ['toDot', () => f.toDot()],
        ['stats', () => f.stats],
      ];
      for (const [name, use] of uses) {
        const error = thrown(use);
        expect(error, name).toBeInstanceOf(StaleHandleError);
        expect(error.message, name).toMatch(/disposed.*compile it again/);
      }
      expect(() => f.dispose()).not.toThrow();
    });
  });

  describe('serialization', () => {
    const FUNCTIONS: { name: string; make: (backend: Backend) => CompiledFunction; args: (random: () => number) => unknown[] }[] = [
      {
        name: 'quickstart',
        make: (b) => compile((x: Scalar, y: Scalar, z: Scalar) => add(mul(x, y), z), { backend: b }),
        args: (r) => [r(), r(), r()],
      },
      {
        name: 'where and every comparison',
        make: (b) =>
          compile(
            (x: Scalar, y: Scalar) =>
              add(where(lt(x, y), mul(x, y), sin(x)), where(le(x, 0), where(gt(y, 0.5), ge(x, -0.5), eq(x, y)), 2.5)),
            { backend: b },
          ),
        args: (r) => [r() * 2 - 1, r()],
      },
      {
        name: 'vector output with a constant, an input and a repeated slot',
        make: (b) => compile((v: Vector) => [mul(v.at(0), v.at(1)), 3, v.at(2), exp(v.at(0)), v.at(2)], 3, { backend: b }),
        args: (r) => [[r(), r(), r()]],
      },
      {
        name: 'vector handle output',
        make: (b) => compile((v: Vector) => v, 4, { backend: b }),
        args: (r) => [[r(), r(), r(), r()]],
      },
      {
        name: 'scalar and vector arguments, many constants',
        make: (b) => compile((s: Scalar, v: Vector) => div(rosenbrock(v), add(1.5, square(s))), 'scalar', 5, { backend: b }),
        args: (r) => [r(), Array.from({ length: 5 }, r)],
      },
      {
        name: 'vector rows: softmax, broadcast map, matvec, dot, logsumexp, concat',
        make: (b) =>
          compile(
            (v: Vector, s: Scalar) => concat(mul(softmax(v), s), matvec(reshape(v, 2, 2), [1, -1]), dot(v, exp(v)), logsumexp(v)),
            4,
            'scalar',
            { backend: b },
          ),
        args: (r) => [[r(), r(), r(), r()], r()],
      },
      {
        name: 'a constant result',
        make: (b) => compile((x: Scalar) => 4.25, 'scalar', { backend: b }),
        args: (r) => [r()],
      },
    ];

    /** Value and gradient (or uᵀJ with u = 1, 2, …) at a point, flattened. */
    function evaluateAt(f: CompiledFunction, args: unknown[]): number[] {
      if (!f.vectorOutput) {
        const { value, grad } = f.valueAndGrad(...(args as never[]));
        return [value, ...flat(grad)];
      }
      const u = Float64Array.from({ length: f.outputCount }, (_, j) => j + 1);
      return [...flat(f.value(...(args as number[]))), ...flat(f.vjp(...(args as never[]), u))];
    }

    it.each(FUNCTIONS.map((c) => [c.name, c] as const))('%s: round trip on both backends', (_, c) => {
      const f = c.make(backend);
      const bytes = f.toBytes();
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('WGRT');
      for (const target of BACKENDS) {
        const g = fromBytes(bytes, { backend: target });
        expect(g.backend).toBe(target);
        expect(g.toBytes()).toEqual(bytes);
        expect(g.toString()).toBe(f.toString());
        expect(g.stats.nodes).toBe(f.stats.nodes);
        expect(g.vectorOutput).toBe(f.vectorOutput);
        const random = seededRandom(5);
        for (let k = 0; k < 20; k++) {
          const args = c.args(random);
          const [got, want] = [evaluateAt(g, args), evaluateAt(f, args)];
          // Same backend: the same rows run, bit for bit. Across backends, Math differs in the last bit.
          if (target === backend) expect(got).toEqual(want);
          else expectClose(got, want, 1e-13, 1e-15, `${target} from ${backend} bytes`);
        }
        g.dispose();
      }
      f.dispose();
    });

    it('bytes do not depend on the replays in between', () => {
      const f = compile((x: Scalar, y: Scalar) => where(lt(x, y), mul(x, y), sin(x)), { backend });
      const before = f.toBytes();
      f.valueAndGrad(7, -3);
      f.valueAndGrad(-1, 4);
      expect(f.toBytes()).toEqual(before);
    });

    it('reads an ArrayBuffer or a view at an offset, and keeps its own copy', () => {
      const f = compile((x: Scalar, y: Scalar) => add(mul(x, y), sin(y)), { backend });
      const bytes = f.toBytes();
      const padded = new Uint8Array(bytes.length + 8);
      padded.set(bytes, 8);
      const fromView = fromBytes(padded.subarray(8), { backend });
      const fromBuffer = fromBytes(bytes.slice().buffer, { backend });
      padded.fill(0xff);
      for (const g of [fromView, fromBuffer]) expect(g.valueAndGrad(2, 3)).toEqual(f.valueAndGrad(2, 3));
    });

    it('compile drops dead code; inputs stay even when unused', () => {
      const f = compile(
        (x: Scalar, y: Scalar, z: Scalar) => {
          sin(x);
          exp(mul(x, y));
          where(lt(x, y), x, y);
          return add(x, 1);
        },
        { backend },
      );
      // x, y, z, the constant 1, x + 1.
      expect(f.stats.nodes).toBe(5);
      expect(f.stats.rows).toBe(5);
      const text = f.toString();
      expect(text).not.toMatch(/sin|exp|where|lt|·/);
      expect(text).toContain('v₄ = v₀ + v₃');
      expect(f.valueAndGrad(2, 3, 4)).toEqual({ value: 3, grad: [1, 0, 0] });
      expect(fromBytes(f.toBytes(), { backend }).stats.nodes).toBe(5);
    });

    it('dead vector rows are dropped too', () => {
      const f = compile((v: Vector) => (softmax(v), matvec(reshape(v, 1, 3), v), sum(v)), 3, { backend });
      // v₀…v₂ (the argument's VecInput row and its Param row) and the sum (a VecSum row and its Param row).
      expect(f.stats).toMatchObject({ nodes: 4, rows: 4 });
      expect(f.toString()).not.toMatch(/softmax|matMul/i);
      expect(f.valueAndGrad([1, 2, 3])).toEqual({ value: 6, grad: Float64Array.of(1, 1, 1) });
    });

    it('a where() whose result is unused is dropped with its condition; a used one keeps its Param row', () => {
      const dead = compile((x: Scalar, y: Scalar) => (where(gt(x, y), x, y), mul(x, y)), { backend });
      expect(dead.stats).toMatchObject({ nodes: 3, rows: 3 });
      const live = compile((x: Scalar, y: Scalar) => where(gt(x, y), x, y), { backend });
      // x, y, gt, where (+ its Param row).
      expect(live.stats).toMatchObject({ nodes: 4, rows: 5 });
    });
  });

  describe('printing', () => {
    const quickstart = () => compile((x: Scalar, y: Scalar, z: Scalar) => add(mul(x, y), z), { backend });

    it('toString() is the Wengert list of the quickstart function', () => {
      const lines = quickstart().toString().split('\n');
      expect(lines).toContain('v₃ = v₀ · v₁');
      expect(lines).toContain('v₄ = v₃ + v₂');
      expect(lines[lines.length - 1]).toBe('return v₄');
      expect(lines.slice(0, 3)).toEqual(['v₀ = x₀', 'v₁ = x₁', 'v₂ = x₂']);
    });

    it('toString() names where, vector arguments and vector results', () => {
      const f = compile((s: Scalar, v: Vector) => [where(lt(s, v.at(1)), v.at(0), 2), s], 'scalar', 2, { backend });
      const text = f.toString();
      expect(text).toContain('v₁…v₂ = x₁');
      expect(text).toMatch(/v₃ = lt\(v₀, v₂\)/);
      expect(text).toMatch(/v₅ = where\(v₃, v₁, v₄\)/);
      expect(text.split('\n').pop()).toBe('return [v₅, v₀]');
    });

    it('toString() prints a vector row once, over its ranges', () => {
      const text = compile((v: Vector) => sin(v), 3, { backend }).toString();
      expect(text).toContain('v₃…v₅ = sin(v₀…v₂)');
      expect(text.split('\n').pop()).toBe('return [v₃, v₄, v₅]');
    });

    it('toString() gives a matrix product its shapes m×k·k×n', () => {
      const text = compile((v: Vector) => matvec(reshape(v, 2, 3), [1, 2, 3]), 6, { backend }).toString();
      expect(text).toMatch(/matMul\(v₀…v₅, v₆…v₈; 2×3·3×1\)/);
      const outer = compile((v: Vector) => matmul(reshape(v.slice(0, 3), 3, 1), reshape(v.slice(3), 1, 2)).flatten(), 5, { backend });
      expect(outer.toString()).toMatch(/; 3×1·1×2\)/);
    });

    it('toDot() is a digraph with one node line per value and one edge per operand', () => {
      const f = quickstart();
      const dot = f.toDot();
      expect(dot.startsWith('digraph')).toBe(true);
      expect(dot.trimEnd().endsWith('}')).toBe(true);
      const nodes = dot.split('\n').filter((l) => /^\s*v\d+ \[/.test(l));
      expect(nodes).toHaveLength(f.stats.nodes);
      const edges = dot.split('\n').filter((l) => l.includes('->')).map((l) => l.trim().replace(/;$/, ''));
      expect(edges.sort()).toEqual(['v0 -> v3', 'v1 -> v3', 'v2 -> v4', 'v3 -> v4']);
      expect(nodes.find((l) => l.trim().startsWith('v4 '))).toMatch(/peripheries=2/);
    });

    it('toDot(): every edge leaves a drawn node; an element of a vector row leaves the row, labelled with its index', () => {
      const f = compile((x: Vector) => {
        const y = exp(x.slice(1));
        return add(mul(x.at(2), y.at(0)), where(gt(x.at(0), 0), sum(mul(x, x)), y.at(1)));
      }, 4, { backend });
      const lines = f.toDot().split('\n');
      const nodes = new Set(lines.map((l) => /^\s*(v\d+) \[/.exec(l)?.[1]).filter((v) => v !== undefined));
      const edges = lines.filter((l) => l.includes('->')).map((l) => /^\s*(v\d+) -> (v\d+)/.exec(l)!);
      expect(edges.length).toBeGreaterThan(5);
      for (const [line, from, to] of edges) expect([nodes.has(from), nodes.has(to)], line).toEqual([true, true]);
      // v₀…v₃ = x, v₄…v₆ = exp(v₁…v₃), v₇ = v₂ · v₄, v₉ = gt(v₀, 0), …, v₁₅ = where(v₉, v₁₄, v₅)
      expect(lines).toContain('  v0 -> v4 [label="[1]"];');
      expect(lines).toContain('  v0 -> v7 [label="[2]"];');
      expect(lines).toContain('  v4 -> v7 [label="[0]"];');
      expect(lines).toContain('  v0 -> v9 [label="[0]"];');
      expect(lines).toContain('  v4 -> v15 [label="[1]"];');
      f.dispose();
    });

    it('toDot() draws where() with a condition edge', () => {
      const dot = compile((x: Scalar, y: Scalar) => where(lt(x, y), x, y), { backend }).toDot();
      expect(dot).toMatch(/v2 -> v3 \[style=dashed/);
      expect(dot).toContain('v0 -> v3;');
      expect(dot).toContain('v1 -> v3;');
    });

    it('a large tape is truncated with a "more" line', () => {
      const f = compile(rosenbrock, 1000, { backend });
      // A line per row but Param rows: the argument's VecInput row has the only one.
      const nodes = f.stats.rows - 1;
      const lines = f.toString().split('\n');
      expect(lines).toHaveLength(200 + 2);
      expect(lines[200]).toMatch(new RegExp(`^… ${nodes - 200} more`));
      expect(lines[201]).toMatch(/^return v[₀-₉]+$/);
      const short = f.toString(10).split('\n');
      expect(short).toHaveLength(12);
      expect(short[10]).toMatch(new RegExp(`^… ${nodes - 10} more`));
      expect(f.toString(nodes)).not.toMatch(/more/);
      expect(f.toString(nodes).split('\n')).toHaveLength(nodes + 1);
    });
  });

  describe('documented errors', () => {
    const two = (x: Scalar, y: Scalar) => add(x, y);

    it('compile takes a function', () => {
      for (const notFunction of ['f', 3, null, {}]) {
        const error = thrown(() => compile(notFunction as never));
        expect(error).toBeInstanceOf(ArgumentError);
        expect(error.message).toMatch(/compile takes a function/);
      }
    });

    it('bad shapes: negative, fractional or non-finite lengths, strings, null, objects', () => {
      // A plain object or an array holding a non-number is a tree of shapes: its bad leaf is named.
      for (const bad of [-1, 2.5, NaN, Infinity, 'vector', null, true, { length: 'x' }, [1, 'a'], new Date(0)]) {
        const error = thrown(() => compile(two, bad as never, 'scalar', { backend }));
        expect(error, String(bad)).toBeInstanceOf(ArgumentError);
        expect(error.message).toMatch(/shape 0/);
      }
    });

    it('a non-number array as the last shape is a bad shape, not options', () => {
      expect(() => compile((x: Vector) => x.at(0), [1, 'a'] as never, { backend })).toThrow(ArgumentError);
      expect(() => compile((x: Vector) => x.at(0), [1, 'a'] as never)).toThrow(ArgumentError);
    });

    it('a vector length beyond what a tape can index is refused', () => {
      for (const length of [2 ** 31, 2 ** 32, 2 ** 53]) {
        expect(() => compile((x: Vector) => x, length, { backend }), String(length)).toThrow(ArgumentError);
      }
    });

    it('shape count must match f.length; f of no declared parameters needs shapes', () => {
      // @ts-expect-error: the types reject this misuse too
      const error = thrown(() => compile(two, 'scalar', { backend }));
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error.message).toMatch(/takes 2 arguments but compile got 1 shape/);
      expect(() => compile(two, 'scalar', 'scalar', 'scalar', { backend })).toThrow(/got 3 shapes/);
      expect(() => compile((...xs: Scalar[]) => xs[0])).toThrow(/needs the shapes/);
    });

    it('compile: unknown backend; a maxBytes the tape cannot fit in', () => {
      expect(thrown(() => compile(two, { backend: 'gpu' as never })).message).toMatch(/unknown backend "gpu"/);
      expect(() => compile(two, { backend, maxBytes: 100 })).toThrow(OutOfMemoryError);
    });

    it('fromBytes: unknown backend', () => {
      const bytes = compile(two, { backend }).toBytes();
      expect(() => fromBytes(bytes, { backend: 'gpu' as never })).toThrow(ArgumentError);
    });

    it('replay: wrong argument count', () => {
      const f = compile(two, { backend });
      // @ts-expect-error: the types reject this misuse too
      expect(thrown(() => f.value(1))).toBeInstanceOf(ArgumentError);
      // @ts-expect-error: the types reject this misuse too
      expect(thrown(() => f.value(1)).message).toMatch(/value takes 2 arguments, got 1/);
      // @ts-expect-error: the types reject this misuse too
      expect(thrown(() => f.value(1, 2, 3)).message).toMatch(/takes 2 arguments, got 3/);
      // @ts-expect-error: the types reject this misuse too
      expect(thrown(() => f.grad(1)).message).toMatch(/2 arguments \(plus an optional out\), got 1/);
      // @ts-expect-error: the types reject this misuse too
      expect(thrown(() => f.valueAndGrad(1, 2, [0, 0], 4)).message).toMatch(/got 4/);
    });

    it('replay: wrong argument type', () => {
      const f = compile((s: Scalar, v: Vector) => mul(s, v.at(0)), 'scalar', 3, { backend });
      expect(thrown(() => f.value('1' as never, [1, 2, 3])).message).toMatch(/argument 0 must be a number \(it was compiled as a scalar\)/);
      expect(thrown(() => f.value([1] as never, [1, 2, 3]))).toBeInstanceOf(ArgumentError);
      expect(thrown(() => f.value(1, 2 as never)).message).toMatch(/argument 1 must be a Float64Array or number\[\] of length 3/);
      expect(thrown(() => f.value(1, [1, 'a', 3] as never))).toBeInstanceOf(ArgumentError);
    });

    it('replay: wrong vector length names the compiled length and says to compile again', () => {
      const f = compile((v: Vector) => v.at(0), 3, { backend });
      const error = thrown(() => f.grad([1, 2]));
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error.message).toMatch(/length 2 but the function was compiled for length 3: compile again/);
      expect(() => f.value(new Float64Array(4))).toThrow(/compiled for length 3/);
    });

    it('grad and valueAndGrad on a vector-valued function point to vjp', () => {
      const f = compile((v: Vector) => [v.at(0), v.at(1)], 2, { backend });
      for (const call of [() => f.grad([1, 2]), () => f.valueAndGrad([1, 2])]) {
        const error = thrown(call);
        expect(error).toBeInstanceOf(ArgumentError);
        expect(error.message).toMatch(/returns 2 values: use vjp/);
      }
    });

    it('vjp: u of the wrong length or type, wrong count', () => {
      const f = compile((v: Vector) => [v.at(0), v.at(1), 1], 2, { backend });
      expect(thrown(() => f.vjp([1, 2], [1, 1])).message).toMatch(/u has length 2 but the function has 3 outputs/);
      expect(thrown(() => f.vjp([1, 2], 'u' as never)).message).toMatch(/u must be a Float64Array or number\[\] of length 3/);
      expect(thrown(() => f.vjp([1, 2], 1))).toBeInstanceOf(ArgumentError);
      // @ts-expect-error: the types reject this misuse too
      expect(thrown(() => f.vjp([1, 2])).message).toMatch(/vjp takes the 1 argument, then u \(length 3\)/);
    });

    it('out of the wrong length or type', () => {
      const f = compile((v: Vector) => mul(v.at(0), v.at(2)), 3, { backend });
      for (const out of [new Float64Array(2), [0, 0, 0], new Float32Array(3), 'out']) {
        // @ts-expect-error: the types reject this misuse too
        const error = thrown(() => f.grad([1, 2, 3], out));
        expect(error, String(out)).toBeInstanceOf(ArgumentError);
        expect(error.message).toMatch(/out for argument 0 must be a Float64Array of length 3/);
      }
      expect(thrown(() => f.grad([1, 2, 3], new Float64Array(2))).message).toMatch(/got a Float64Array of length 2$/);
      const g = compile((s: Scalar, v: Vector) => mul(s, v.at(0)), 'scalar', 2, { backend });
      // @ts-expect-error: the types reject this misuse too
      expect(thrown(() => g.grad(1, [1, 2], new Float64Array(2))).message).toMatch(/out must be an array of 2 entries/);
      expect(thrown(() => g.grad(1, [1, 2], [0])).message).toMatch(/out must be an array of 2 entries/);
      expect(thrown(() => g.grad(1, [1, 2], [0, new Float64Array(3)])).message).toMatch(/out for argument 1 must be a Float64Array of length 2/);
      const h = compile((v: Vector) => [v.at(0), v.at(1)], 2, { backend });
      expect(thrown(() => h.vjp([1, 2], [1, 1], new Float64Array(1))).message).toMatch(/out for argument 0/);
    });

    it('f returning a handle or vector from another tape', () => {
      const tape = new Tape({ backend });
      const outsider = tape.input(1);
      const outsiderVector = tape.input([1, 2]);
      for (const f of [() => outsider, () => outsiderVector, (x: Scalar) => [x, outsider]]) {
        expect(thrown(() => compile(f as (x: Scalar) => Scalar, 'scalar', { backend }))).toBeInstanceOf(TapeMismatchError);
      }
      expect(thrown(() => compile((x: Scalar) => add(x, outsider), { backend }))).toBeInstanceOf(TapeMismatchError);
      // A handle that escaped an earlier trace is from another (disposed) tape too.
      let escaped: Scalar | undefined;
      compile((x: Scalar) => ((escaped = x), x), { backend });
      expect(thrown(() => compile((y: Scalar) => escaped!, { backend }))).toBeInstanceOf(TapeMismatchError);
      tape.dispose();
    });

    it('f returning a string, undefined, a non-number element, or an empty array', () => {
      const cases: [(x: Scalar) => unknown, RegExp][] = [
        [() => 'x', /must return a scalar handle, a number, a vector handle or an array/],
        [() => undefined, /must return/],
        [(x) => [x, 'y'], /output 1 must be a handle or a number, got string/],
        [() => [], /empty array: a compiled function needs at least one output/],
      ];
      for (const [f, message] of cases) {
        const error = thrown(() => compile(f as never, 'scalar', { backend }));
        expect(error).toBeInstanceOf(ArgumentError);
        expect(error.message).toMatch(message);
      }
    });

    it('f returning an empty vector is refused like an empty array', () => {
      const error = thrown(() => compile((v: Vector) => v, 0, { backend }));
      expect(error).toBeInstanceOf(ArgumentError);
    });

    it('an error thrown by f propagates unchanged', () => {
      const mine = new RangeError('mine');
      expect(thrown(() => compile(() => { throw mine; }, 'scalar', { backend }))).toBe(mine);
    });
  });

  it('Rosenbrock, n = 1000, in scalar ops: the compiled gradient is the analytic one', () => {
    const f = compile(rosenbrock, 1000, { backend });
    const random = seededRandom(1000);
    for (let k = 0; k < 10; k++) {
      const x = randomVector(1000, random);
      const { value, grad } = f.valueAndGrad(x);
      expectClose(value, rosenbrockValue(x), 1e-12, 0, 'value');
      expectClose(grad as Float64Array, rosenbrockGradient(x), 1e-10, 1e-10, `gradient ${k}`);
    }
    expect(f.valueAndGrad(new Float64Array(1000).fill(1))).toEqual({ value: 0, grad: new Float64Array(1000) });
    f.dispose();
  });
});

describe('wasm memory', () => {
  const inUse = () => {
    const probe = compile((x: Scalar) => x);
    const bytes = probe.stats.memoryInUse;
    probe.dispose();
    return bytes;
  };

  it('memory freed by dispose is reused: compile, dispose, compile again does not grow', () => {
    const make = () => compile(rosenbrock, 2000);
    const first = make();
    first.valueAndGrad(new Float64Array(2000));
    const top = first.stats.memoryInUse;
    first.dispose();
    for (let k = 0; k < 20; k++) {
      const again = make();
      expect(again.stats.memoryInUse).toBe(top);
      again.dispose();
    }
  });

  it('failed compiles and failed loads hold no memory', () => {
    const before = inUse();
    for (let k = 0; k < 50; k++) {
      expect(() => compile((x: Scalar) => (x.value > 0 ? x : 0))).toThrow(TracingError);
      expect(() => compile((() => 'nothing') as never, 'scalar')).toThrow(ArgumentError);
      expect(() => fromBytes(new Uint8Array(64))).toThrow();
    }
    expect(inUse()).toBe(before);
  });

  it('the js backend holds no wasm memory', () => {
    const f = compile(rosenbrock, 100, { backend: 'js' });
    expect(f.stats.memoryInUse).toBe(0);
    expect(f.stats.bytes).toBeGreaterThan(0);
  });
});

describe('the two reverse-sweep designs', () => {
  /** Scalar rows of many ops (where, comparisons, kinks), broadcasts, matmul and softmax. */
  const mixed = (x: Vector, m: Vector) => {
    let s: Operand = 0;
    for (let i = 0; i + 1 < x.length; i++) {
      const a = x.at(i);
      const b = x.at(i + 1);
      const branch = where(gt(a, b), mul(a, tanh(b)), div(sin(a), add(2, cos(b))));
      s = add(s, add(branch, add(mul(pow(abs(a), 1.5), relu(b)), max(a, sub(b, 0.25)))));
    }
    const w = m.reshape(3, 4);
    const h = sigmoid(add(matmul(x.slice(0, 3).reshape(1, 3), w), [0.1, 0.2, 0.3, 0.4]));
    return add(s, add(sum(mul(softmax(h.flatten()), [1, -2, 3, -4])), logsumexp(exp(h))));
  };

  it('storing partials in the forward sweep gives bit-identical values and gradients (wasm)', () => {
    const recompute = compile(mixed, 9, 12);
    const stored = compile(mixed, 9, 12, { partials: 'store' });
    const random = seededRandom(99);
    for (let trial = 0; trial < 50; trial++) {
      const x = Float64Array.from({ length: 9 }, () => 4 * random() - 2);
      const m = Float64Array.from({ length: 12 }, () => 2 * random() - 1);
      const want = recompute.valueAndGrad(x, m);
      const got = stored.valueAndGrad(x, m);
      expect(got.value).toBe(want.value);
      expect(got.grad).toEqual(want.grad);
      expect(Number.isFinite(want.value)).toBe(true);
    }
    expect(stored.stats.bytes).toBeGreaterThan(recompute.stats.bytes); // the partials buffer is really there
    recompute.dispose();
    stored.dispose();
  });
});
