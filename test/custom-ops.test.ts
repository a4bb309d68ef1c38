/** @file defineOp and customVjp: user rules recorded as one Custom row, checked against finite
 *  differences and plain-op versions of the same function on both backends, eager and compiled;
 *  their names in toString, toDot and saved tapes; the errors they give. */
import { describe, expect, it } from 'vitest';
import {
  defineOp, customVjp, compile, fromBytes, grad, valueAndGrad, jvp, hvp, add, mul, sin, cos, sum, dot, exp, log1p, sigmoid, square,
  ArgumentError, TapeFormatError, type Scalar, type Vector, type CustomValue,
} from '../src/index.js';
import { expectAd } from './support/expect-ad.js';
import { BACKENDS, seededRandom } from './helpers.js';

const num = (x: CustomValue) => x as number;
const vec = (x: CustomValue) => x as Float64Array;

/** y = x³, with a jvp rule. */
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

const noSecondOrder = { hvp: 'a custom op has no second derivatives (its vjp is JavaScript)' };

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
      skip: { ...noSecondOrder, jvp: 'energy has no jvp rule (its error is checked below)' },
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

    it('toBytes carries the names (format 3) and fromBytes finds the ops again: the same function, bit for bit', () => {
      const c = compile(f, 3, 'scalar', { backend });
      const bytes = c.toBytes();
      expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(3);
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

    it('jvp uses the jvp rule; without one jvp names the op, and hvp names the op', () => {
      const g = (x: Scalar) => cube(sin(x));
      const { tangent } = jvp(g, { backend })(0.4, 0.5) as { tangent: number };
      expect(tangent).toBeCloseTo(3 * Math.sin(0.4) ** 2 * Math.cos(0.4) * 0.5, 14);
      expect(() => jvp((v: Vector) => energy(v, 1, 2), { backend })(Float64Array.of(1, 2), Float64Array.of(1, 0))).toThrow(/jvp through custom op 'test\.energy' needs a jvp rule/);
      expect(() => hvp(g, { backend })(0.4, 1)).toThrow(ArgumentError);
      expect(() => hvp(g, { backend })(0.4, 1)).toThrow(/hvp\/hessian through custom op 'test\.cube' is not supported/);
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
