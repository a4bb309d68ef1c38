/** @file defineOp and customVjp: user rules recorded as one Custom row, checked against finite
 *  differences and plain-op versions of the same function on both backends, eager and compiled;
 *  their names in toString, toDot and saved tapes; the errors they give. */
import { describe, expect, it } from 'vitest';
import {
  defineOp, customVjp, checkpoint, jacobian, compile, fromBytes, grad, valueAndGrad, jvp, hvp, hessian, add, mul, div, sin, cos, sum, dot, exp, log1p, sigmoid, square,
  softplus as builtinSoftplus, logsumexp, ArgumentError, TapeFormatError, type Scalar, type Vector, type CustomValue,
} from '../src/index.js';
import { expectAd } from './support/expect-ad.js';
import { BACKENDS, denseFromSparse, seededRandom } from './helpers.js';

const num = (x: CustomValue) => x as number;
const vec = (x: CustomValue) => x as Float64Array;

/** y = x³, with a jvp rule in JS operators (enough for jvp, not for hvp). */
const cube = defineOp('test.cube', {
  value: (x) => num(x) ** 3,
  vjp: ([x], _y, g) => [3 * num(x) ** 2 * g],
  jvp: ([x], [t]) => 3 * num(x) ** 2 * num(t),
});

/** y = s·sin(v) over a vector v and a number s: two arguments, a vector result. */
const scaledSin = defineOp('test.scaledSin', {
  value: (v, s) => vec(v).map((x) => num(s) * Math.sin(x)),
  vjp: ([v, s], _y, g) => [vec(v).map((x, i) => vec(g)[i] * num(s) * Math.cos(x)), vec(v).reduce((acc, x, i) => acc + vec(g)[i] * Math.sin(x), 0)],
  jvp: ([v, s], [tv, ts]) => vec(v).map((x, i) => num(s) * Math.cos(x) * vec(tv)[i] + num(ts) * Math.sin(x)),
});

/** y = ½|v|² + a·b: a number from a vector and two numbers; no jvp rule. */
const energy = defineOp('test.energy', {
  value: (v, a, b) => 0.5 * vec(v).reduce((acc, x) => acc + x * x, 0) + num(a) * num(b),
  vjp: ([v, a, b], _y, g) => [vec(v).map((x) => num(g) * x), num(g) * num(b), num(g) * num(a)],
});

function points(n: number, count: number, seed: number): [Float64Array, number][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => [Float64Array.from({ length: n }, () => 2 * random() - 1), 2 * random() - 1]);
}

const noSecondOrder = { hvp: 'its jvp rule uses JS operators, which hvp cannot differentiate (the error is checked below)' };

describe('defineOp', () => {
  it('a scalar op with a jvp rule: gradient and jvp vs finite differences and the plain-op version, both backends, eager and compiled', () => {
    expectAd((x: Scalar, y: Scalar) => add(cube(sin(x)), mul(cube(y), x)), [[0.3, -0.7], [1.2, 0.4], [-0.9, 2]], {
      name: 'cube',
      sameAs: (x: Scalar, y: Scalar) => add(mul(square(sin(x)), sin(x)), mul(mul(square(y), y), x)),
      skip: noSecondOrder,
    });
  });

  it('vector and number arguments, a vector result', () => {
    expectAd((v: Vector, s: Scalar) => dot(scaledSin(v, s), cos(v)), points(5, 3, 11), {
      name: 'scaledSin',
      sameAs: (v: Vector, s: Scalar) => dot(mul(s, sin(v)), cos(v)),
      skip: noSecondOrder,
    });
  });

  it('a number from a vector and two numbers (no jvp rule), constants among the arguments', () => {
    expectAd((v: Vector, s: Scalar) => add(energy(v, s, exp(s)), energy(Float64Array.of(1, 2), s, 3)), points(4, 3, 12), {
      name: 'energy',
      sameAs: (v: Vector, s: Scalar) => add(add(mul(0.5, dot(v, v)), mul(s, exp(s))), add(2.5, mul(s, 3))),
      skip: { hvp: 'energy has no jvp rule (its error is checked below)', jvp: 'energy has no jvp rule (its error is checked below)' },
    });
  });

  it('with no handle among the arguments it returns the value', () => {
    expect(cube(2)).toBe(8);
    expect(scaledSin(Float64Array.of(0, Math.PI / 2), 2)).toEqual(Float64Array.of(0, 2));
  });

  describe.each(BACKENDS)('on the %s backend', (backend) => {
    const f = (v: Vector, s: Scalar) => add(sum(scaledSin(v, cube(s))), energy(v, s, 2));

    it('appears by name in toString and toDot', () => {
      const c = compile(f, 3, 'scalar', { backend });
      try {
        const text = c.toString();
        expect(text).toMatch(/v₄ = test\.cube\(v₃\)/);
        expect(text).toMatch(/v₅…v₇ = test\.scaledSin\(v₀…v₂, v₄\)/);
        expect(text).toMatch(/= test\.energy\(v₀…v₂, v₃, v[₀-₉]+\)/);
        expect(c.toDot()).toMatch(/label="v₅…v₇ test\.scaledSin", shape=box3d/);
        expect(c.toDot()).toContain('v3 -> v4;');
      } finally {
        c.dispose();
      }
    });

    it('toBytes carries the names (format 4) and fromBytes finds the ops again: the same function, bit for bit', () => {
      const c = compile(f, 3, 'scalar', { backend });
      const bytes = c.toBytes();
      expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(4);
      const saved = fromBytes(bytes, { backend });
      try {
        for (const [v, s] of points(3, 4, 13)) expect(saved.valueAndGrad(v, s)).toEqual(c.valueAndGrad(v, s));
        expect(saved.toString()).toBe(c.toString());
        expect(saved.toBytes()).toEqual(bytes);
      } finally {
        c.dispose();
        saved.dispose();
      }
    });

    it('replays the same with stored partials (the second reverse-sweep design) and after many replays', () => {
      const plain = compile(f, 3, 'scalar', { backend });
      const stored = compile(f, 3, 'scalar', { backend, partials: 'store' });
      try {
        for (const [v, s] of points(3, 20, 14)) expect(stored.valueAndGrad(v, s)).toEqual(plain.valueAndGrad(v, s));
      } finally {
        plain.dispose();
        stored.dispose();
      }
    });

    it('fromBytes names an op that is not defined and says how to define it', () => {
      defineOp('test.ghost', { value: (x) => x, vjp: (_x, _y, g) => [g] });
      const ghost = defineOp('test.ghost', { value: (x) => 2 * num(x), vjp: (_x, _y, g) => [2 * num(g)] });
      const bytes = compile((x: Scalar) => ghost(x), { backend }).toBytes();
      const at = Buffer.from(bytes).indexOf('test.ghost');
      expect(at).toBeGreaterThan(0);
      bytes.set(new TextEncoder().encode('test.ghozt'), at);
      expect(() => fromBytes(bytes, { backend })).toThrow(TapeFormatError);
      expect(() => fromBytes(bytes, { backend })).toThrow(/custom op 'test\.ghozt', which is not defined here: call defineOp\('test\.ghozt'/);
    });

    it('jvp uses the jvp rule; without one jvp names the op', () => {
      const g = (x: Scalar) => cube(sin(x));
      const { tangent } = jvp(g, { backend })(0.4, 0.5) as { tangent: number };
      expect(tangent).toBeCloseTo(3 * Math.sin(0.4) ** 2 * Math.cos(0.4) * 0.5, 14);
      expect(() => jvp((v: Vector) => energy(v, 1, 2), { backend })(Float64Array.of(1, 2), Float64Array.of(1, 0))).toThrow(/jvp, hvp and hessian through custom op 'test\.energy' need a jvp rule/);
    });

    it('a rule returning the wrong shape is an ArgumentError naming the op, not a wasm trap', () => {
      let length = 2;
      const shifty = defineOp('test.shifty', { value: (x) => new Float64Array(length).fill(num(x)), vjp: () => [new Float64Array(2)] });
      const c = compile((x: Scalar) => sum(shifty(x)), { backend });
      try {
        expect(() => c.grad(1)).toThrow(/custom op 'test\.shifty': vjp's adjoint 0 must be a number/);
        length = 3;
        expect(() => c.grad(1)).toThrow(/custom op 'test\.shifty': its value has length 3 but must have length 2/);
      } finally {
        c.dispose();
      }
      const bad = defineOp('test.bad', { value: () => 'x' as never, vjp: () => [] });
      expect(() => grad((x: Scalar) => bad(x), { backend })(1)).toThrow(/custom op 'test\.bad': value must return a number or a non-empty Float64Array, got string/);
      expect(() => defineOp('test.noVjp', { value: (x: CustomValue) => x } as never)).toThrow(/functions value and vjp/);
    });
  });
});

describe('hvp and hessian through defineOp with a jvp rule in wengert ops', () => {
  /** log(1 + eˣ); its jvp rule σ(x)·ẋ in wengert ops, so hvp can differentiate it. */
  const softplusOp = defineOp('test.softplus', {
    value: (x) => Math.log1p(Math.exp(num(x))),
    vjp: ([x], _y, g) => [num(g) / (1 + Math.exp(-num(x)))],
    jvp: ([x], [t]) => mul(sigmoid(num(x)), num(t)),
  });

  /** s·sin(v), as scaledSin but with the jvp rule s·cos(v)·v̇ + ṡ·sin(v) in wengert ops. */
  const scaledSinOps = defineOp<Float64Array>('test.scaledSinOps', {
    value: (v, s) => vec(v).map((x) => num(s) * Math.sin(x)),
    vjp: ([v, s], _y, g) => [vec(v).map((x, i) => vec(g)[i] * num(s) * Math.cos(x)), vec(v).reduce((acc, x, i) => acc + vec(g)[i] * Math.sin(x), 0)],
    jvp: ([v, s], [tv, ts]) => add(mul(mul(num(s), cos(vec(v))), vec(tv)), mul(num(ts), sin(vec(v)))) as Float64Array,
  });

  /** log Σ eᵛ: a number from a vector; jvp Σ eᵛ·v̇ / Σ eᵛ. */
  const logSumExpOp = defineOp('test.logSumExp', {
    value: (v) => Math.log(vec(v).reduce((acc, x) => acc + Math.exp(x), 0)),
    vjp: ([v], y, g) => [vec(v).map((x) => num(g) * Math.exp(x - num(y)))],
    jvp: ([v], [t]) => div(dot(exp(vec(v)), vec(t)), sum(exp(vec(v)))),
  });

  /** Running sums: linear, so its jvp rule may be plain JavaScript when it says so. */
  const runningSum = (x: Float64Array) => {
    let acc = 0;
    return x.map((xi) => (acc += xi));
  };
  const cumsumRules = {
    value: (v: CustomValue) => runningSum(vec(v)),
    vjp: ([_v]: CustomValue[], _y: Float64Array, g: Float64Array) => [runningSum(g.slice().reverse()).reverse()],
    jvp: (_v: CustomValue[], [t]: CustomValue[]) => runningSum(vec(t)),
  };
  const cumsum = defineOp('test.cumsum', { ...cumsumRules, linear: true });
  const cumsumUndeclared = defineOp('test.cumsumUndeclared', cumsumRules);
  /** Σᵢ sin(v₀ + … + vᵢ) in scalar ops. */
  const sinOfRunningSums = (v: Vector) => {
    let acc: Scalar = v.at(0);
    let total: Scalar = sin(acc);
    for (let i = 1; i < v.length; i++) {
      acc = add(acc, v.at(i));
      total = add(total, sin(acc));
    }
    return total;
  };

  // expectAd checks compiled hvp and hessian against differences of the gradient, the plain-op
  // version's Hessian and the other backend (and, in the interpreter project, with codegen 'off').
  it('a scalar op: hvp and hessian vs differences of the gradient and the built-in softplus', () => {
    expectAd((x: Scalar, y: Scalar) => add(mul(softplusOp(mul(x, y)), sin(y)), softplusOp(square(x))), [[0.3, -0.7], [1.2, 0.4], [-0.9, 2]], {
      name: 'softplusOp',
      sameAs: (x: Scalar, y: Scalar) => add(mul(builtinSoftplus(mul(x, y)), sin(y)), builtinSoftplus(square(x))),
      hessian: true,
    });
  });

  it('vector and number arguments, a vector result', () => {
    expectAd((v: Vector, s: Scalar) => dot(scaledSinOps(v, mul(s, s)), cos(v)), points(4, 3, 21), {
      name: 'scaledSinOps',
      sameAs: (v: Vector, s: Scalar) => dot(mul(mul(s, s), sin(v)), cos(v)),
      hessian: true,
    });
  });

  it('a number from a vector, called twice on one tape', () => {
    expectAd((v: Vector, s: Scalar) => mul(logSumExpOp(mul(v, s)), logSumExpOp(square(v))), points(4, 3, 22), {
      name: 'logSumExpOp',
      sameAs: (v: Vector, s: Scalar) => mul(logsumexp(mul(v, s)), logsumexp(square(v))),
      hessian: true,
    });
  });

  it('a linear op that says so: its jvp rule in plain JavaScript, no curvature term', () => {
    expectAd((v: Vector) => sum(sin(cumsum(v))), points(5, 3, 23).map(([v]) => [v]), {
      name: 'cumsum',
      sameAs: sinOfRunningSums,
      hessian: true,
    });
  });

  describe.each(BACKENDS)('on the %s backend', (backend) => {
    const cases = [
      {
        name: 'softplusOp',
        f: (x: Scalar, y: Scalar) => mul(softplusOp(mul(x, y)), softplusOp(sin(x))),
        plain: (x: Scalar, y: Scalar) => mul(builtinSoftplus(mul(x, y)), builtinSoftplus(sin(x))),
        args: [0.8, -1.1] as CustomValue[],
        v: [0.6, 0.3] as CustomValue[],
      },
      {
        name: 'scaledSinOps',
        f: (v: Vector, s: Scalar) => sum(scaledSinOps(mul(v, v), s)),
        plain: (v: Vector, s: Scalar) => sum(mul(s, sin(mul(v, v)))),
        args: [Float64Array.of(0.5, -1, 2), 0.7] as CustomValue[],
        v: [Float64Array.of(1, -0.5, 0.25), -2] as CustomValue[],
      },
    ];

    it.each(cases)('$name: one-shot hvp and hessian = compiled on both engines = the built-in version ≈ differences of the gradient', ({ f, plain, args, v }) => {
      const flat = (r: unknown) => Float64Array.from((r as CustomValue[]).flatMap((x) => (typeof x === 'number' ? [x] : Array.from(x))));
      const hv = flat(hvp(f, { backend })(...args, v));
      const h = hessian(f, { backend })(...args);
      const n = hv.length;
      expect(h.length).toBe(n * n);
      const vFlat = flat(v);
      for (let i = 0; i < n; i++) {
        let hi = 0;
        for (let j = 0; j < n; j++) hi += h[i * n + j] * vFlat[j];
        expect(hv[i]).toBeCloseTo(hi, 12);
      }
      for (const codegen of ['auto', 'off'] as const) {
        const c = compile(f, ...args.map((a) => (typeof a === 'number' ? ('scalar' as const) : a.length)), { backend, codegen });
        try {
          expect(flat(c.hvp(...args, v))).toEqual(hv);
          expect(c.hessian(...args)).toEqual(h);
        } finally {
          c.dispose();
        }
      }
      const want = flat(hvp(plain, { backend })(...args, v));
      for (let i = 0; i < n; i++) expect(hv[i]).toBeCloseTo(want[i], 12);
      const wantH = hessian(plain, { backend })(...args);
      for (let i = 0; i < n * n; i++) expect(h[i]).toBeCloseTo(wantH[i], 12);
      // (∇f(x + εv) − ∇f(x − εv)) / 2ε
      const eps = 1e-5;
      const moved = (sign: number) => args.map((a, k) => (typeof a === 'number' ? a + sign * eps * num(v[k]) : vec(a).map((ai, i) => ai + sign * eps * vec(v[k])[i])));
      const up = flat(grad(f, { backend })(...moved(1)));
      const down = flat(grad(f, { backend })(...moved(-1)));
      for (let i = 0; i < n; i++) expect(hv[i]).toBeCloseTo((up[i] - down[i]) / (2 * eps), 6);
    });

    it('without a jvp rule hvp and hessian name the op and ask for one, eager and compiled', () => {
      const f = (v: Vector) => energy(v, 1, 2);
      const x = Float64Array.of(1, 2);
      const needsRule = /jvp, hvp and hessian through custom op 'test\.energy' need a jvp rule: defineOp\('test\.energy', \{ value, vjp, jvp \}\)/;
      expect(() => hvp(f, { backend })(x, x)).toThrow(needsRule);
      expect(() => hessian(f, { backend })(x)).toThrow(needsRule);
      const c = compile(f, 2, { backend });
      try {
        expect(() => c.hvp(x, x)).toThrow(needsRule);
        expect(c.grad(x)).toEqual(x); // the tape still works after the error
      } finally {
        c.dispose();
      }
    });

    it('a jvp rule in Math.* or JS operators: hvp and hessian name the op and say to use wengert ops; jvp still works', () => {
      const viaOperators = /hvp\/hessian through custom op 'test\.cube' runs its jvp rule on wengert handles \(to take its derivative\), and it threw: a wengert handle is not a number.*Write the jvp rule with wengert ops/;
      const f = (x: Scalar) => cube(sin(x));
      expect(() => hvp(f, { backend })(0.4, 1)).toThrow(ArgumentError);
      expect(() => hvp(f, { backend })(0.4, 1)).toThrow(viaOperators);
      expect(() => hessian(f, { backend })(0.4)).toThrow(viaOperators);
      for (const codegen of ['auto', 'off'] as const) {
        const c = compile(f, { backend, codegen });
        try {
          expect(() => c.hvp(0.4, 1)).toThrow(viaOperators);
          expect(c.jvp(0.4, 1).tangent).toBeCloseTo(3 * Math.sin(0.4) ** 2 * Math.cos(0.4), 14);
          expect(c.grad(0.4)).toBeCloseTo(3 * Math.sin(0.4) ** 2 * Math.cos(0.4), 14);
        } finally {
          c.dispose();
        }
      }
      // Array methods on a vector handle fail too, with the op's name.
      const g = (v: Vector) => sum(scaledSin(v, 2));
      expect(() => hvp(g, { backend })(Float64Array.of(1, 2), Float64Array.of(1, 0))).toThrow(/hvp\/hessian through custom op 'test\.scaledSin' runs its jvp rule on wengert handles.*it threw: .*map/);
    });

    it('a jvp rule returning a plain array when traced: the error names the op and offers linear: true', () => {
      const x = Float64Array.of(0.1, 0.2, 0.3);
      const f = (v: Vector) => sum(sin(cumsumUndeclared(v)));
      expect(() => hvp(f, { backend })(x, x)).toThrow(/hvp\/hessian through custom op 'test\.cumsumUndeclared' differentiates its jvp rule, run on wengert handles, but the rule returned an array of length 3, not a handle: write the jvp rule with wengert ops.*defineOp\('test\.cumsumUndeclared', \{ …, linear: true \}\)/);
      const declared = hvp((v: Vector) => sum(sin(cumsum(v))), { backend })(x, x) as Float64Array;
      const want = hvp(sinOfRunningSums, { backend })(x, x) as Float64Array;
      declared.forEach((d, i) => expect(d).toBeCloseTo(want[i], 13));
    });
  });

  it.each(BACKENDS)('sparse hessian and jacobian (sparsity auto) see through custom ops and checkpoints (%s)', (backend) => {
    // A Custom row's rules are opaque to the pattern: all its outputs depend on all its arguments.
    const squares = checkpoint((v: Vector) => mul(v, v));
    const f = (v: Vector) => add(mul(logSumExpOp(v.slice(0, 2)), v.at(2)), dot(squares(v.slice(2)), scaledSinOps(v.slice(2), 1.5)));
    const x = Float64Array.of(0.3, -0.4, 0.8, 1.1);
    const dense = hessian(f, { backend })(x);
    const sparse = hessian(f, { backend, sparsity: 'auto' })(x);
    expect(sparse.cols.length).toBeGreaterThan(0);
    denseFromSparse(sparse).forEach((h, i) => expect(h).toBeCloseTo(dense[i], 12));
    const plain = hessian((v: Vector) => add(mul(logsumexp(v.slice(0, 2)), v.at(2)), dot(mul(v.slice(2), v.slice(2)), mul(1.5, sin(v.slice(2))))), { backend })(x);
    dense.forEach((h, i) => expect(h).toBeCloseTo(plain[i], 12));
    const g = (v: Vector) => scaledSinOps(v, 2);
    const jacobianDense = jacobian(g, { backend })(x);
    expect(denseFromSparse(jacobian(g, { backend, sparsity: 'auto' })(x))).toEqual(jacobianDense);
    jacobianDense.forEach((j, k) => expect(j).toBeCloseTo(Math.floor(k / 4) === k % 4 ? 2 * Math.cos(x[k % 4]) : 0, 14));
  });

  it('linear must be a boolean', () => {
    expect(() => defineOp('test.badLinear', { ...cumsumRules, linear: 'yes' as never })).toThrow(/defineOp\('test\.badLinear', rules\): linear must be true or false when given, got string/);
  });
});

describe('customVjp', () => {
  /** log(1 + eˣ) with the gradient σ(x), finite where the plain ops' eˣ/(1 + eˣ) is ∞/∞. */
  const softplus = customVjp(
    (x: Scalar) => log1p(exp(x)),
    ([x], _y, g) => [num(g) / (1 + Math.exp(-num(x)))],
  );

  it('its gradient vs finite differences and the plain ops, both backends, eager and compiled', () => {
    expectAd((x: Scalar, y: Scalar) => mul(softplus(mul(x, y)), y), [[0.3, 0.8], [-1.5, 0.5], [2, -1]], {
      name: 'softplus',
      sameAs: (x: Scalar, y: Scalar) => mul(log1p(exp(mul(x, y))), y),
      skip: { ...noSecondOrder, jvp: 'customVjp gives only a reverse rule' },
    });
  });

  it.each(BACKENDS)('uses the rule it is given where the plain ops overflow (%s)', (backend) => {
    // The plain ops: log1p's partial 1/(1 + ∞) = 0 stops the adjoint before exp's ∞.
    expect(grad((x: Scalar) => log1p(exp(x)), { backend })(800)).toBe(0);
    expect(grad((x: Scalar) => softplus(x), { backend })(800)).toBe(1);
    expect(compile((x: Scalar) => softplus(x), { backend }).grad(800)).toBe(1);
    expect(valueAndGrad((x: Scalar) => softplus(x), { backend })(0)).toEqual({ value: Math.log(2), grad: 0.5 });
    expect(grad((x: Scalar) => sigmoid(x), { backend })(0)).toBe(0.25);
  });

  it.each(BACKENDS)('a compiled tape using it cannot be saved, and has no jvp or hvp; each error says why (%s)', (backend) => {
    const c = compile((x: Scalar) => softplus(x), { backend });
    expect(() => c.toBytes()).toThrow(/toBytes cannot save '.*': a checkpoint or customVjp function is a closure/);
    const reverseOnly = /jvp, hvp and hessian through '.*' are not supported: a customVjp function has a reverse rule only/;
    expect(() => c.jvp(1, 1)).toThrow(reverseOnly);
    expect(() => c.hvp(1, 1)).toThrow(reverseOnly);
  });
});
