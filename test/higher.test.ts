/** @file Higher order: JVP, HVP, Jacobian and Hessian of whole functions on both backends, against
 *  finite differences, each other, and the first-order sweeps (every op's own second derivatives:
 *  expectAd in ops.test.ts and vector.test.ts). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as wengert from '../src/index.js';
import {
  compile, jvp, hvp, hessian, jacobian, add, mul, sub, div, sin, cos, exp, tanh, square, gt, lt, where,
  sum, dot, prod, max, min, logsumexp, softmax, logSoftmax, matmul, reshape, concat,
  ArgumentError, StaleHandleError, type Operand, type Vector,
} from '../src/index.js';
import { OP_INFO, SLOPED_NAMES, opFunction, squash, type PublicOpName } from './support/catalog.js';
import { expectAd, flatten, gradientDifference, type AdFunction, type Arg } from './support/expect-ad.js';
import { jacobianMode } from '../src/higher/higher-order.js';
import { WasmCore } from '../src/wasm/wasm-core.js';
import { BACKENDS, expectClose, isClose, seededRandom, thrown } from './helpers.js';

/** Random programs are checked against finite differences: built from the ops whose derivative is their slope. */
const NAMES = SLOPED_NAMES;

const maxAbs = (x: ArrayLike<number>) => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Every expectAd check of a scalar f at `args`, with the full Hessian (vs differences of
 *  gradients within rtol of its largest entry). Returns the js Hessian. */
function checkScalarFunction(f: (...xs: never[]) => unknown, args: readonly Arg[], what: string, rtol = 1e-5): Float64Array {
  return expectAd(f as AdFunction, [args], { name: what, hessian: true, tolerance: { hvp: { rtol, atol: rtol, scaled: true } } }).hessian!;
}

// ── whole functions ──

const rosenbrock = (x: Vector) => {
  let total: Operand = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    total = add(total, add(mul(100, square(sub(x.at(i + 1), square(x.at(i))))), square(sub(1, x.at(i)))));
  }
  return total;
};

/** ∇²f of Rosenbrock by hand. */
function rosenbrockHessian(x: Float64Array): Float64Array {
  const n = x.length;
  const h = new Float64Array(n * n);
  for (let i = 0; i + 1 < n; i++) {
    h[i * n + i] += 1200 * x[i] * x[i] - 400 * x[i + 1] + 2;
    h[(i + 1) * n + i + 1] += 200;
    h[i * n + i + 1] += -400 * x[i];
    h[(i + 1) * n + i] += -400 * x[i];
  }
  return h;
}

const mixed = (s: Operand, v: Vector) => add(mul(s, sin(dot(v, v))), div(exp(mul(s, v.at(0))), add(1, square(v.at(1)))));

/** R³ → R⁴ (and a repeated output). */
const vectorValued = (x: Vector) => [mul(x.at(0), x.at(1)), sin(add(x.at(1), square(x.at(2)))), exp(mul(x.at(0), x.at(2))), mul(x.at(0), x.at(1))];

describe('a function of a scalar and a vector', () => {
  it('HVP, JVP and Hessian (both backends) vs differences, each other and H·v', () => {
    checkScalarFunction(mixed as never, [0.4, Float64Array.of(0.3, -0.8, 1.1)], 'mixed');
  });
});

describe.each(BACKENDS)('compiled functions on the %s tape', (backend) => {
  it('the Hessian of Rosenbrock is the one by hand', () => {
    const x = Float64Array.of(-1.2, 1, 0.7, -0.3, 1.5);
    const c = compile(rosenbrock, 5, { backend });
    expectClose(c.hessian(x), rosenbrockHessian(x), 1e-12, 1e-12, 'Rosenbrock Hessian');
    c.dispose();
  });

  it('HVP columns are symmetric before the Hessian averages them', () => {
    const c = compile(mixed, 'scalar', 4, { backend });
    const args = [0.4, Float64Array.of(0.3, -0.8, 1.1, 0.2)] as const;
    const n = 5;
    const columns = Array.from({ length: n }, (_, i) => {
      const e = new Float64Array(n);
      e[i] = 1;
      return flatten(c.hvp(...args, [e[0], e.slice(1)]) as Arg[]);
    });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expectClose(columns[i][j], columns[j][i], 1e-12, 1e-12, `H e${i} vs H e${j}`);
    c.dispose();
  });

  it('Jacobian: forward = reverse, rows = vjp, columns = jvp, ≈ differences', () => {
    const c = compile(vectorValued, 3, { backend });
    const x = Float64Array.of(0.5, -1.2, 0.8);
    const n = 3;
    const m = 4;
    const forward = c.jacobian(x, { mode: 'forward' });
    const reverse = c.jacobian(x, { mode: 'reverse' });
    expect(forward.length).toBe(m * n);
    expectClose(forward, reverse, 1e-15, 1e-15, 'forward vs reverse Jacobian');
    expect(c.jacobian(x)).toEqual(forward); // n ≤ m: auto takes the forward sweeps
    for (let j = 0; j < m; j++) {
      const u = new Float64Array(m);
      u[j] = 1;
      expectClose(reverse.subarray(j * n, (j + 1) * n), c.vjp(x, u) as Float64Array, 0, 0, `row ${j} vs vjp`);
    }
    for (let i = 0; i < n; i++) {
      const e = new Float64Array(n);
      e[i] = 1;
      const { value, tangent } = c.jvp(x, e);
      expect(value).toEqual(c.value(x));
      expectClose(tangent as Float64Array, Array.from({ length: m }, (_, j) => forward[j * n + i]), 0, 0, `column ${i} vs jvp`);
      const h = 1e-6;
      const up = c.value(x.map((v, k) => (k === i ? v + h : v))) as Float64Array;
      const down = c.value(x.map((v, k) => (k === i ? v - h : v))) as Float64Array;
      expectClose(tangent as Float64Array, up.map((v, j) => (v - down[j]) / (2 * h)), 1e-6, 1e-8, `column ${i} vs differences`);
    }
    c.dispose();
  });

  it('several arguments: v and the HVP mirror them; out is filled', () => {
    const c = compile((a: Operand, v: Vector, b: Operand) => mul(mul(a, b), dot(v, v)), 'scalar', 2, 'scalar', { backend });
    const out: [number, Float64Array, number] = [0, new Float64Array(2), 0];
    const result = c.hvp(2, [3, 4], 5, [1, Float64Array.of(0, 1), 0], out) as [number, Float64Array, number];
    expect(result).toBe(out);
    // f = ab(v·v): H·(1, e₁, 0) = (2b v₁, 2ab e₁ + 2b v, 2a v₁ + v·v) = (40, [30, 60], 41)
    expect(result[0]).toBeCloseTo(40, 12);
    expectClose(result[1] as Float64Array, [30, 60], 1e-14, 0, 'HVP of v');
    expect(result[2]).toBeCloseTo(41, 12);
    const { value, tangent } = c.jvp(2, [3, 4], 5, [1, [0, 1], 0]);
    expect(value).toBe(250); // 2·5·25; tangent = b(v·v) + ab·2v₁ = 125 + 80
    expect(tangent).toBeCloseTo(205, 12);
    c.dispose();
  });

  it('where follows the taken branch; comparisons have zero derivatives', () => {
    const f = (x: Operand, y: Operand) => add(where(gt(x, y), mul(square(x), y), mul(sin(x), mul(y, square(y)))), mul(lt(x, y), 7));
    const c = compile(f, 'scalar', 'scalar', { backend });
    // x > y: f = x²y → H = [[2y, 2x], [2x, 0]]
    expectClose(c.hessian(2, 0.5), [1, 4, 4, 0], 1e-14, 1e-14, 'taken: x²y');
    // x < y: f = sin(x)·y³ + 7 → H = [[−sin x y³, 3 cos x y²], [·, 6 sin x y]]
    const [x, y] = [0.3, 1.4];
    expectClose(c.hessian(x, y), [-Math.sin(x) * y ** 3, 3 * Math.cos(x) * y * y, 3 * Math.cos(x) * y * y, 6 * Math.sin(x) * y], 1e-13, 1e-13, 'taken: sin(x)y³');
    expect(c.jvp(x, y, [1, 1]).tangent).toBeCloseTo(Math.cos(x) * y ** 3 + 3 * Math.sin(x) * y * y, 12);
    const comparisons = compile((a: Operand, b: Operand) => [lt(a, b), gt(a, b), wengert.le(a, b), wengert.ge(a, b), wengert.eq(a, b)], 'scalar', 'scalar', { backend });
    expect(Array.from(comparisons.jvp(1, 2, [1, -1]).tangent as Float64Array)).toEqual([0, 0, 0, 0, 0]);
    const weighted = compile((a: Operand, b: Operand) => mul(lt(a, b), mul(a, b)), 'scalar', 'scalar', { backend });
    expect(Array.from(weighted.hessian(1, 2))).toEqual([0, 1, 1, 0]);
    expect(Array.from(weighted.hessian(3, 2))).toEqual([0, 0, 0, 0]);
    for (const k of [c, comparisons, weighted]) k.dispose();
  });

  it('an untaken branch contributes nothing, even where its derivatives are ±∞ or NaN', () => {
    const sqrt = wengert.sqrt;
    const scalar = compile((x: Operand) => where(gt(x, 0), sqrt(x), mul(square(x), x)), 'scalar', { backend });
    expect(scalar.hessian(-2)[0]).toBe(-12); // (x³)″ = 6x; sqrt(−2) and its derivatives are NaN
    expect(scalar.hvp(-2, 1)).toBe(-12);
    expect(scalar.jvp(-2, 1)).toEqual({ value: -8, tangent: 12 });
    expect(scalar.hessian(0)[0]).toBe(0); // sqrt(0) has ∂ = ∞, ∂² = −∞: not taken at 0
    const vector = compile((x: Vector) => sum(where(gt(x, 0), sqrt(x), square(x))), 2, { backend });
    expect(Array.from(vector.hessian(Float64Array.of(-1, 4)))).toEqual([2, 0, 0, -1 / 32]);
    scalar.dispose();
    vector.dispose();
  });

  it('where over vectors follows each element’s branch', () => {
    const f = (x: Vector) => sum(where(gt(x, 0), mul(square(x), x), mul(x, 3)));
    const c = compile(f, 3, { backend });
    const x = Float64Array.of(0.5, -1, 2);
    // x > 0: x³ → 6x on the diagonal; else 3x → 0.
    expectClose(c.hessian(x), [3, 0, 0, 0, 0, 0, 0, 0, 12], 1e-14, 1e-14, 'vector where');
    c.dispose();
  });

  it('the stored-partials design gives the same HVP, and gradients after it', () => {
    const x = Float64Array.of(-1.2, 1, 0.7);
    const v = Float64Array.of(0.3, -0.1, 2);
    const plain = compile(rosenbrock, 3, { backend });
    const stored = compile(rosenbrock, 3, { backend, partials: 'store' });
    expectClose(stored.hvp(x, v) as Float64Array, plain.hvp(x, v) as Float64Array, 1e-14, 1e-14, 'stored vs recomputed HVP');
    expectClose(stored.grad(x) as Float64Array, plain.grad(x) as Float64Array, 1e-14, 1e-14, 'gradient after an HVP');
    plain.dispose();
    stored.dispose();
  });

  it('a JVP (which leaves the adjoints alone) between gradients and HVPs changes none of them', () => {
    const f = (x: Vector) => add(rosenbrock(x), sum(exp(mul(0.1, x))));
    const x = Float64Array.of(-1.2, 1, 0.7, 2);
    const v = Float64Array.of(0.3, -0.1, 2, 1);
    const fresh = (call: (c: ReturnType<typeof compile>) => unknown) => {
      const c = compile(f, 4, { backend });
      const r = call(c);
      c.dispose();
      return r;
    };
    const c = compile(f, 4, { backend });
    const sequence: [string, (c: ReturnType<typeof compile>) => unknown][] = [
      ['grad', (k) => k.grad(x)], ['jvp', (k) => k.jvp(x, v)], ['grad', (k) => k.grad(x)], ['hvp', (k) => k.hvp(x, v)],
      ['jvp', (k) => k.jvp(x, v)], ['hvp', (k) => k.hvp(x, v)], ['jvp', (k) => k.jvp(x, v)], ['vjp', (k) => k.vjp(x, 2)],
    ];
    for (const [what, call] of sequence) expect(call(c), `${what} after the calls before it`).toEqual(fresh(call));
    c.dispose();
  });
});

// ── vector instructions ──

describe('vector instructions: Hessians vs differences of gradients, wasm vs js', () => {
  const x4 = Float64Array.of(0.7, -0.4, 1.3, 0.2);
  const y4 = Float64Array.of(-0.5, 0.9, 0.6, -1.1);
  const w4 = [1.5, -0.5, 0.25, 2];
  const cases: [string, (...xs: never[]) => unknown, Arg[]][] = [
    ['sum', ((x: Vector) => mul(sum(square(x)), sum(x))) as never, [x4]],
    ['dot', ((x: Vector, y: Vector) => mul(dot(x, y), dot(x, x))) as never, [x4, y4]],
    ['prod', ((x: Vector) => prod(x)) as never, [x4]],
    ['prod, one zero', ((x: Vector) => prod(x)) as never, [Float64Array.of(0.7, 0, 1.3, 0.2)]],
    ['prod, two zeros', ((x: Vector) => prod(x)) as never, [Float64Array.of(0.7, 0, 1.3, 0)]],
    ['max', ((x: Vector) => mul(max(x), max(square(x)))) as never, [x4]],
    ['min', ((x: Vector) => mul(min(x), sum(square(x)))) as never, [x4]],
    ['logsumexp', ((x: Vector) => logsumexp(mul(x, w4))) as never, [x4]],
    ['softmax', ((x: Vector) => dot(softmax(x), w4)) as never, [x4]],
    ['logSoftmax', ((x: Vector) => dot(logSoftmax(x), w4)) as never, [x4]],
    ['copy / concat', ((x: Vector, s: Operand) => dot(concat(x, square(s), s), concat(sin(x), mul(s, 3), cos(s)))) as never, [x4, 0.6]],
    ['where', ((x: Vector, y: Vector) => sum(mul(where(gt(x, y), square(x), mul(x, y)), w4))) as never, [x4, y4]],
  ];
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const [m, k, n] = [2, 3, 2];
    const random = seededRandom(ta ? (tb ? 1 : 2) : tb ? 3 : 4);
    const a = Float64Array.from({ length: m * k }, () => random() - 0.5);
    const b = Float64Array.from({ length: k * n }, () => random() - 0.5);
    const f = (x: Vector, y: Vector) =>
      sum(tanh(matmul(reshape(x, ta ? k : m, ta ? m : k), reshape(y, tb ? n : k, tb ? k : n), { transposeA: ta, transposeB: tb })));
    cases.push([`matmul${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`, f as never, [a, b]]);
  }
  it.each(cases)('%s', (what, f, args) => {
    const h = checkScalarFunction(f, args, what);
    expect(maxAbs(h)).toBeGreaterThan(0);
  });
});

// ── random DAGs ──

/** One instruction of a random program; operand fields index earlier scalar nodes. */
type Step =
  | { kind: 'op'; name: PublicOpName; a: number; b: number }
  | { kind: 'where'; c: number; d: number; a: number; b: number }
  | { kind: 'vector'; which: number; picks: number[] };

const VECTOR_STEPS = 8;


/** Runs a program on the traced inputs; vector steps gather four scalar nodes with concat.
 *  Comparisons and max/min get odd offsets, so that equal nodes (all 0 at x = 0, say) do not
 *  sit on a kink, where differences straddle two branches. */
function runProgram(steps: Step[], xs: Operand[]): Operand {
  const nodes: Operand[] = [...xs];
  const pick = (i: number) => nodes[i % nodes.length];
  for (const s of steps) {
    if (s.kind === 'where') {
      nodes.push(where(gt(pick(s.c), add(pick(s.d), 0.1234)), pick(s.a), pick(s.b)));
    } else if (s.kind === 'op') {
      const info = OP_INFO[s.name];
      const operands = info.domain[0].map(([lo, hi], k) => squash(pick(k === 0 ? s.a : s.b), lo, hi));
      nodes.push(opFunction(s.name)(...operands));
    } else {
      const v = concat(...s.picks.slice(0, 4).map((i) => tanh(pick(i))));
      const u = concat(...s.picks.slice(4).map((i) => pick(i)));
      const matrix = (x: Vector) => reshape(x, 2, 2);
      const vectorOps = [
        () => sum(mul(v, u)),
        () => dot(v, sin(u)),
        () => prod(add(v, 1.5)),
        () => logsumexp(mul(v, u)),
        () => dot(softmax(v), u),
        () => dot(logSoftmax(u), v),
        () => sum(square(matmul(matrix(v), matrix(u), { transposeB: true }))),
        () => mul(max(add(v, [0, 0.31, 0.62, 0.93])), min(add(u, [0, 0.37, 0.74, 1.11]))),
      ];
      nodes.push(vectorOps[s.which % VECTOR_STEPS]());
    }
  }
  return nodes.slice(-3).reduce<Operand>((total, v) => add(total, v), 0);
}

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('op' as const), name: fc.constantFrom(...NAMES), a: fc.nat(), b: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('where' as const), c: fc.nat(), d: fc.nat(), a: fc.nat(), b: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('vector' as const), which: fc.nat(), picks: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }) }) },
);

describe('random DAGs with scalar and vector ops', () => {
  it('wasm Hessian = js Hessian; JVP = ∇f·v; HVP ≈ differences of gradients where stable', () => {
    const runs = Number(process.env.PROPERTY_RUNS ?? 80);
    let compared = 0;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 4 }),
        fc.array(stepArbitrary, { minLength: 1, maxLength: 12 }),
        (inputs, steps) => {
          const n = inputs.length;
          const f = (x: Vector) => runProgram(steps, Array.from({ length: n }, (_, i) => x.at(i)));
          const x = Float64Array.from(inputs);
          const [wasm, js] = BACKENDS.map((backend) => compile(f, n, { backend }));
          try {
            const value = js.value(x) as number;
            fc.pre(Number.isFinite(value));
            const hw = wasm.hessian(x);
            const hj = js.hessian(x);
            fc.pre(hj.every(Number.isFinite));
            const scale = Math.max(1, maxAbs(hj));
            expectClose(hw, hj, 1e-8, 1e-9 * scale, 'wasm vs js Hessian');
            const v = x.map((_, i) => Math.cos(3 * i + 1));
            const g = js.grad(x) as Float64Array;
            let gv = 0;
            for (let i = 0; i < n; i++) gv += g[i] * v[i];
            for (const c of [wasm, js]) expectClose(c.jvp(x, v).tangent as number, gv, 1e-9, 1e-9 * Math.max(1, maxAbs(g)), `${c.backend} JVP vs ∇f·v`);
            // Differences of gradients, where two step sizes agree (no branch switch, no saturation).
            for (let i = 0; i < n; i++) {
              const e = new Float64Array(n);
              e[i] = 1;
              const column = (h: number) => gradientDifference(js, x, e, h, [x]);
              const h = 1e-5 * Math.max(1, Math.abs(x[i]));
              const coarse = column(h);
              const fine = column(h / 4);
              if (!fine.every((d, j) => Number.isFinite(d) && isClose(coarse[j], d, 1e-4, 1e-6 * scale))) continue;
              compared++;
              expectClose(Array.from({ length: n }, (_, j) => hj[j * n + i]), fine, 1e-4, 1e-5 * scale, `H column ${i} vs differences`);
            }
          } finally {
            wasm.dispose();
            js.dispose();
          }
        },
      ),
      { numRuns: runs },
    );
    // The comparison with differences must not be skipped wholesale (≈ 2.4 columns per run seen).
    expect(compared).toBeGreaterThan(runs);
  });
});

// ── one-shot functions, the Jacobian rule, resources, errors ──

describe('one-shot jvp, hvp, jacobian, hessian', () => {
  it('match the compiled methods', () => {
    const x = Float64Array.of(0.5, -1.2, 0.8);
    const c = compile(vectorValued, 3);
    expect(jacobian(vectorValued)(x)).toEqual(c.jacobian(x));
    expect(jacobian(vectorValued, { mode: 'reverse', backend: 'js' })(x)).toEqual(c.jacobian(x, { mode: 'reverse' }));
    expect(jvp(vectorValued)(x, [1, 0, 0])).toEqual(c.jvp(x, [1, 0, 0]));
    c.dispose();
    const r = Float64Array.of(-1.2, 1, 0.7);
    expectClose(hessian(rosenbrock)(r), rosenbrockHessian(r), 1e-12, 1e-12, 'hessian(f)');
    expectClose(hvp(rosenbrock, { backend: 'js' })(r, [1, 0, 0]) as Float64Array, rosenbrockHessian(r).subarray(0, 3), 1e-12, 1e-12, 'hvp(f)');
    expect(jvp((a: Operand, b: Operand) => mul(a, b))(3, 4, [1, 0])).toEqual({ value: 12, tangent: 4 });
    expect(Array.from(hessian((a: Operand, b: Operand) => mul(a, mul(a, b)))(3, 4))).toEqual([8, 6, 6, 0]);
  });

  it('the auto rule: forward sweeps when n ≤ m, else reverse', () => {
    expect(jacobianMode(3, 4)).toBe('forward');
    expect(jacobianMode(4, 4)).toBe('forward');
    expect(jacobianMode(5, 4)).toBe('reverse');
    expect(jacobianMode(10, 1)).toBe('reverse');
  });

  it('a wide Jacobian (n > m) by reverse sweeps equals the forward one', () => {
    const f = (x: Vector) => [dot(x, x), sum(sin(x))];
    const x = Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5);
    for (const backend of BACKENDS) {
      const c = compile(f, 5, { backend });
      const auto = c.jacobian(x);
      expectClose(auto, c.jacobian(x, { mode: 'forward' }), 1e-15, 1e-15, 'auto (reverse) vs forward');
      expectClose(auto, [...x.map((v) => 2 * v), ...x.map(Math.cos)], 1e-15, 1e-15, 'by hand');
      c.dispose();
    }
  });
});

describe('resources', () => {
  it('dispose frees the tangent buffer: repeated compile + Hessian + dispose does not grow wasm memory', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const cycle = () => {
      const c = compile(rosenbrock, 50);
      c.hessian(x);
      c.jvp(x, x);
      c.dispose();
      return WasmCore.memoryInUse();
    };
    cycle();
    const settled = cycle();
    for (let i = 0; i < 4; i++) expect(cycle()).toBe(settled);
  });
});

describe('bad input', () => {
  const c = compile(mixed, 'scalar', 3);
  const v3 = Float64Array.of(1, 2, 3);

  it('v of the wrong length, shape or type', () => {
    expect(thrown(() => c.hvp(0.5, v3, [1, Float64Array.of(1, 2)]))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => c.hvp(0.5, v3, [Float64Array.of(1), v3]))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => c.jvp(0.5, v3, [1]))).toBeInstanceOf(ArgumentError);
    // @ts-expect-error: the types reject this misuse too
    expect(thrown(() => c.jvp(0.5, v3, 'v'))).toBeInstanceOf(ArgumentError);
    const single = compile((x: Vector) => sum(x), 3);
    expect(thrown(() => single.jvp(v3, Float64Array.of(1, 2))).message).toMatch(/length 3/);
    expect(thrown(() => single.hvp(v3, [1, 2, 3, 4])).message).toMatch(/length 3/);
    expect(thrown(() => single.hvp(v3, [1, 2])).message).toMatch(/of length 3 like argument 0, got an array of length 2$/);
    expect(thrown(() => single.hvp(v3, v3, new Float64Array(2))).message).toMatch(/out/);
    single.dispose();
  });

  it('wrong argument counts, modes and output kinds', () => {
    // @ts-expect-error: the types reject this misuse too
    expect(thrown(() => c.jvp(0.5, v3))).toBeInstanceOf(ArgumentError);
    // @ts-expect-error: the types reject this misuse too
    expect(thrown(() => c.hessian(0.5))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => c.hessian(0.5, Float64Array.of(1, 2)))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => c.jacobian(0.5, v3, { mode: 'sideways' as never })).message).toMatch(/mode/);
    const vector = compile(vectorValued, 3);
    expect(thrown(() => vector.hvp(v3, v3)).message).toMatch(/scalar function/);
    expect(thrown(() => vector.hessian(v3)).message).toMatch(/scalar function/);
    vector.dispose();
    expect(thrown(() => jvp(42 as never))).toBeInstanceOf(ArgumentError);
    // @ts-expect-error: the types reject this misuse too
    expect(thrown(() => jvp((x: Operand) => x)(1))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => hessian((x: Operand, y: Operand) => mul(x, y))(1))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => hessian((x: Operand) => x)('1' as never))).toBeInstanceOf(ArgumentError);
  });

  it('a disposed function', () => {
    const d = compile(mixed, 'scalar', 3);
    d.hessian(0.5, v3);
    d.dispose();
    for (const call of [() => d.hvp(0.5, v3, [1, v3]), () => d.jvp(0.5, v3, [1, v3]), () => d.jacobian(0.5, v3), () => d.hessian(0.5, v3)]) {
      expect(thrown(call)).toBeInstanceOf(StaleHandleError);
    }
    d.dispose(); // twice is harmless
  });
});
