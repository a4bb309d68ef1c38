/** @file Data arguments: `wrt` on grad, valueAndGrad and compile (and every compiled method that
 *  returns derivatives), Tape.data, and the data flags that let vector rows skip the partials of
 *  data operands. The oracle is always the same function differentiated with respect to every
 *  argument (the listed gradients must equal its entries) plus finite differences. */
import { describe, expect, it } from 'vitest';
import {
  compile, fromBytes, grad, valueAndGrad, Tape, ArgumentError, TapeFormatError,
  add, sub, mul, div, square, tanh, exp, relu, where, gt,
  sum, mean, prod, max, min, logsumexp, dot, softmax, logSoftmax, matmul, matvec, concat,
  type Vector, type Scalar,
} from '../src/index.js';
import { BACKENDS, expectClose } from './helpers.js';

function values(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
}

/** Central differences of f along each element of argument `which`. */
function numericGradient(f: (...args: (number | Float64Array)[]) => number, args: (number | Float64Array)[], which: number): number | Float64Array {
  const h = 1e-6;
  const arg = args[which];
  const at = (v: number | Float64Array) => f(...args.map((a, i) => (i === which ? v : a)));
  if (typeof arg === 'number') return (at(arg + h) - at(arg - h)) / (2 * h);
  return Float64Array.from(arg, (_, e) => {
    const up = Float64Array.from(arg), down = Float64Array.from(arg);
    up[e] += h;
    down[e] -= h;
    return (at(up) - at(down)) / (2 * h);
  });
}

/** A small MLP loss with the batch X and targets Y as arguments 1 and 2. */
const mlp = (w: Vector, x: Vector, y: Vector) => {
  const h = relu(matmul(x.reshape(4, 3), w.slice(0, 6).reshape(3, 2)));
  const z = add(h, w.slice(6, 8));
  return mean(square(sub(z.flatten(), y)));
};
const W = values(8, 3);
const X = values(12, 5);
const Y = values(8, 7);

describe.each(BACKENDS)('wrt on the %s backend', (backend) => {
  it('grad and valueAndGrad return only the listed gradients, equal to those of the full gradient', () => {
    const full = valueAndGrad(mlp, { backend })(W, X, Y);
    const onlyW = grad(mlp, { backend, wrt: [0] })(W, X, Y);
    expect(onlyW).toEqual(full.grad[0]);
    const two = valueAndGrad(mlp, { backend, wrt: [2, 0] })(W, X, Y);
    expect(two.value).toBe(full.value);
    expect(two.grad[0]).toEqual(full.grad[2]);
    expect(two.grad[1]).toEqual(full.grad[0]);
    const plain = (w: Float64Array) => valueAndGrad(mlp, { backend })(w, X, Y).value;
    expectClose(onlyW, numericGradient((w) => plain(w as Float64Array), [W], 0) as Float64Array, 1e-6, 1e-8);
  });

  it('a scalar data argument and a scalar wrt argument', () => {
    const f = (a: Scalar, v: Vector, s: Scalar) => mul(s, sum(mul(a, exp(v))));
    const full = grad(f, { backend })(0.5, values(3, 9), 2);
    expect(grad(f, { backend, wrt: [2] })(0.5, values(3, 9), 2)).toBe(full[2]);
    const [ga, gs] = grad(f, { backend, wrt: [0, 2] })(0.5, values(3, 9), 2);
    expect([ga, gs]).toEqual([full[0], full[2]]);
  });

  it('compile(f, …shapes, { wrt }) mirrors only the listed arguments in every derivative method', () => {
    const all = compile(mlp, 8, 12, 8, { backend });
    const part = compile(mlp, 8, 12, 8, { backend, wrt: [0] });
    try {
      expect(part.differentiated).toEqual([0]);
      expect(all.differentiated).toEqual([0, 1, 2]);
      const g = all.grad(W, X, Y);
      expect(part.grad(W, X, Y)).toEqual(g[0]);
      const out = new Float64Array(8);
      expect(part.valueAndGrad(W, X, Y, out).grad).toBe(out);
      expect(out).toEqual(g[0]);
      expect(Array.from(part.gradView(W, X, Y))).toEqual(Array.from(g[0]));
      const v = values(8, 11);
      // hvp and jvp take a direction for W alone; the data move with tangent 0.
      const hv = part.hvp(W, X, Y, v);
      const hvAll = all.hvp(W, X, Y, [v, new Float64Array(12), new Float64Array(8)]);
      expectClose(hv, hvAll[0], 1e-13, 1e-15);
      const jv = part.jvp(W, X, Y, v);
      expectClose(jv.tangent, all.jvp(W, X, Y, [v, new Float64Array(12), new Float64Array(8)]).tangent, 1e-13, 1e-15);
      // The Hessian is 8 × 8 (W's elements only) and equals that block of the full one.
      const h = part.hessian(W, X, Y);
      const hAll = all.hessian(W, X, Y);
      expect(h.length).toBe(64);
      for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(h[i * 8 + j]).toBeCloseTo(hAll[i * 28 + j], 12);
    } finally {
      all.dispose();
      part.dispose();
    }
  });

  it('jacobian and vjp of a vector-valued f cover the listed arguments, in their order', () => {
    const f = (a: Vector, d: Vector, b: Scalar) => [dot(a, d), mul(b, sum(mul(a, a))), tanh(mul(b, d.at(1)))];
    const a = values(3, 13), d = values(3, 17);
    const all = compile(f, 3, 3, 'scalar', { backend });
    const part = compile(f, 3, 3, 'scalar', { backend, wrt: [2, 0] });
    try {
      const jAll = all.jacobian(a, d, 0.7);
      for (const mode of ['forward', 'reverse'] as const) {
        const j = part.jacobian(a, d, 0.7, { mode });
        expect(j.length).toBe(3 * 4);
        for (let r = 0; r < 3; r++) {
          expect(j[r * 4]).toBeCloseTo(jAll[r * 7 + 6], 14); // b first, as wrt lists it
          for (let e = 0; e < 3; e++) expect(j[r * 4 + 1 + e]).toBeCloseTo(jAll[r * 7 + e], 14);
        }
      }
      const u = Float64Array.of(1, -2, 0.5);
      const [gb, ga] = part.vjp(a, d, 0.7, u);
      const full = all.vjp(a, d, 0.7, u);
      expect(gb).toBe(full[2]);
      expect(ga).toEqual(full[0]);
    } finally {
      all.dispose();
      part.dispose();
    }
  });

  it('toBytes keeps the wrt list; fromBytes gives the same derivatives', () => {
    const part = compile(mlp, 8, 12, 8, { backend, wrt: [0] });
    const back = fromBytes(part.toBytes(), { backend });
    try {
      expect(back.differentiated).toEqual([0]);
      expect(back.grad(W, X, Y)).toEqual(part.grad(W, X, Y));
    } finally {
      part.dispose();
      back.dispose();
    }
  });

  it('refuses a bad wrt list, naming it', () => {
    expect(() => grad(mlp, { backend, wrt: [3] })).toThrow(/wrt names argument 3, but the function takes 3 arguments/);
    expect(() => grad(mlp, { backend, wrt: [0, 0] })).toThrow(/wrt names argument 0 twice/);
    expect(() => grad(mlp, { backend, wrt: [] })).toThrow(/non-empty array/);
    expect(() => grad(mlp, { backend, wrt: [-1] })).toThrow(ArgumentError);
    expect(() => grad(mlp, { backend, wrt: 0 as unknown as number[] })).toThrow(/wrt must be a non-empty array/);
    expect(() => compile(mlp, 8, 12, 8, { backend, wrt: [1.5] })).toThrow(/integers from 0/);
    // f.length is 0 for a rest parameter: the index is checked at the call.
    const g = grad((...xs: Scalar[]) => xs[0], { backend, wrt: [2] });
    expect(() => g(1, 2)).toThrow(/wrt names argument 2, but the function takes 2 arguments/);
  });
});

/** Every vector op with a data operand: the live operand's gradient equals the all-live one, and
 *  no adjoint reaches the data (Tape.adjoints of a data vector stay 0). */
const DATA_CASES: [string, (w: Vector, d: Vector) => Scalar | number][] = [
  ['add (data b)', (w, d) => sum(square(add(w, d)))],
  ['sub (data a)', (w, d) => sum(square(sub(d, w)))],
  ['mul', (w, d) => sum(mul(d, tanh(w)))],
  ['div (data a and b)', (w, d) => add(sum(div(d, add(square(w), 1))), sum(div(w, add(square(d), 2))))],
  ['broadcast scalar with data', (w, d) => sum(mul(w.at(0), exp(d)))],
  ['matmul data A', (w, d) => sum(square(matmul(d.reshape(2, 3), w.reshape(3, 2))))],
  ['matmul data B', (w, d) => sum(square(matmul(w.reshape(2, 3), d.reshape(3, 2))))],
  ['matmul data Aᵀ', (w, d) => sum(square(matmul(d.reshape(3, 2), w.reshape(3, 2), { transposeA: true })))],
  ['matvec data A', (w, d) => sum(square(matvec(d.reshape(2, 3), w.slice(0, 3))))],
  ['matvec data x', (w, d) => sum(square(matvec(w.reshape(2, 3), d.slice(0, 3))))],
  ['dot', (w, d) => dot(d, exp(w))],
  ['reductions of data', (w, d) => mul(sum(w), add(add(sum(d), prod(d)), add(add(max(d), min(d)), add(logsumexp(d), mean(d)))))],
  ['softmax and logSoftmax of data', (w, d) => add(dot(w, softmax(d)), dot(w, logSoftmax(d)))],
  ['data through elementwise chains', (w, d) => dot(w, tanh(mul(d, exp(d))))],
  ['concat with data parts', (w, d) => sum(square(concat(w, d, w.at(1))))],
  ['where with data branches', (w, d) => sum(where(gt(w, 0), d, mul(d, 2)))],
  ['where with one data branch', (w, d) => sum(where(gt(d, 0), square(w), d))],
  ['row broadcasting with a data row', (w, d) => sum(square(add(w.reshape(2, 3), d.slice(0, 3))))],
  ['row broadcasting with a data matrix', (w, d) => sum(square(mul(d.reshape(2, 3), w.slice(0, 3))))],
];

describe.each(BACKENDS)('data operands of every vector op on the %s backend', (backend) => {
  const w0 = values(6, 21);
  const d0 = values(6, 23);
  it.each(DATA_CASES)('%s', (_, f) => {
    const live = grad(f, { backend })(w0, d0)[0];
    const onlyW = grad(f, { backend, wrt: [0] })(w0, d0);
    expectClose(onlyW, live, 1e-15, 1e-15);
    // Eagerly on a Tape: the data vector's adjoints stay 0.
    const tape = new Tape({ backend });
    try {
      const w = tape.input(w0);
      const d = tape.data(d0);
      expect(d.data).toBe(true);
      const y = f(w, d);
      if (typeof y === 'number') throw new Error('expected a handle');
      tape.backward(y);
      expect(Array.from(tape.adjoints(d))).toEqual(new Array(6).fill(0));
      expectClose(tape.adjoints(w), live, 1e-15, 1e-15);
    } finally {
      tape.dispose();
    }
    // Compiled, the same.
    const c = compile(f, 6, 6, { backend, wrt: [0] });
    try {
      expectClose(c.grad(w0, d0), live, 1e-15, 1e-15);
    } finally {
      c.dispose();
    }
  });
});

describe('a serialized tape whose data flags disagree with its wrt list', () => {
  it.each(BACKENDS)('is refused by fromBytes (%s): a data flag on a differentiated operand would drop gradient', (backend) => {
    const part = compile((w: Vector, d: Vector) => sum(square(matmul(d.reshape(2, 3), w.reshape(3, 2)))), 6, 6, { wrt: [0] });
    const bytes = part.toBytes();
    part.dispose();
    // Claim argument 1 (the data) is the one differentiated: the MatMul's A flag now lies.
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(24, true)).toBe(1);
    const wrtAt = 28 + 4 * (2 + 1);
    expect(view.getUint32(wrtAt, true)).toBe(0);
    view.setUint32(wrtAt, 1, true);
    expect(() => fromBytes(bytes, { backend })).toThrow(TapeFormatError);
    expect(() => fromBytes(bytes, { backend })).toThrow(/calls its a operand data, but a differentiated argument reaches it/);
  });
});
