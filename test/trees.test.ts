/** @file Parameter trees (nested objects and arrays of numbers and vectors) through grad,
 *  valueAndGrad, compile and its methods, the one-shot higher-order functions and the
 *  optimizers. The oracle is the same function written over one flat vector, plus finite
 *  differences. */
import { describe, expect, it } from 'vitest';
import {
  Adam, SGD, compile, grad, hessian, hvp, shapeOf, valueAndGrad, ArgumentError,
  add, dot, matmul, mul, square, sum, tanh, type Scalar, type Vector,
} from '../src/index.js';
import { BACKENDS, expectClose } from './helpers.js';
import { batchLoss, parameterLayout, parameterTree, treeLoss } from '../examples/mnist/model.js';

type Params = { w: Float64Array; b: Float64Array; s: number; more: [Float64Array, { k: number }] };
type Handles = { w: Vector; b: Vector; s: Scalar; more: [Vector, { k: Scalar }] };

const params = (): Params => ({ w: Float64Array.of(0.5, -1, 2, 0.25, 1.5, -0.75), b: Float64Array.of(0.1, -0.2), s: 0.7, more: [Float64Array.of(1, -2), { k: 3 }] });
const x0 = Float64Array.of(0.3, -0.1, 0.2);

/** The loss over the tree... */
const loss = (p: Handles, x: Vector) => {
  const h = tanh(add(matmul(x.reshape(1, 3), p.w.reshape(3, 2)).flatten(), p.b));
  return add(mul(p.s, sum(square(h))), mul(dot(p.more[0], h), p.more[1].k));
};
/** …and over the same numbers as one flat vector [w, b, s, more0, k]. */
const flatLoss = (q: Vector, x: Vector) => loss({ w: q.slice(0, 6), b: q.slice(6, 8), s: q.at(8), more: [q.slice(9, 11), { k: q.at(11) }] }, x);
const flatten = (p: Params) => Float64Array.of(...p.w, ...p.b, p.s, ...p.more[0], p.more[1].k);
const asTree = (g: Float64Array) => ({ w: g.subarray(0, 6), b: g.subarray(6, 8), s: g[8], more: [g.subarray(9, 11), { k: g[11] }] });

function expectTreeClose(actual: unknown, expected: unknown, rtol = 1e-14): void {
  if (typeof expected === 'number') expect(actual).toBeCloseTo(expected, 12);
  else if (expected instanceof Float64Array) {
    expect(actual).toBeInstanceOf(Float64Array);
    expectClose(actual as Float64Array, expected, rtol, 1e-15);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    expect((actual as unknown[]).length).toBe(expected.length);
    expected.forEach((e, i) => expectTreeClose((actual as unknown[])[i], e, rtol));
  } else {
    expect(Object.keys(actual as object)).toEqual(Object.keys(expected as object));
    for (const k of Object.keys(expected as object)) expectTreeClose((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], rtol);
  }
}

describe.each(BACKENDS)('parameter trees on the %s backend', (backend) => {
  const flatGrad = () => grad(flatLoss, { backend, wrt: [0] })(flatten(params()), x0) as Float64Array;

  it('grad and valueAndGrad mirror the tree, equal to the flat function’s gradient and to finite differences', () => {
    const g = grad(loss, { backend })(params(), x0);
    expectTreeClose(g[0], asTree(flatGrad()));
    const { value, grad: onlyTree } = valueAndGrad(loss, { backend, wrt: [0] })(params(), x0);
    expect(value).toBeCloseTo(valueAndGrad(flatLoss, { backend })(flatten(params()), x0).value, 14);
    expectTreeClose(onlyTree, asTree(flatGrad()));
    // Finite differences of the scalar leaf s and of w[2].
    const h = 1e-6;
    const at = (edit: (p: Params) => void) => {
      const p = params();
      edit(p);
      return valueAndGrad(loss, { backend })(p, x0).value;
    };
    expect(onlyTree.s).toBeCloseTo((at((p) => (p.s += h)) - at((p) => (p.s -= h))) / (2 * h), 7);
    expect(onlyTree.w[2]).toBeCloseTo((at((p) => (p.w[2] += h)) - at((p) => (p.w[2] -= h))) / (2 * h), 7);
  });

  it('compile over a tree: shapeOf(params) or a tree of shapes; every method mirrors the tree', () => {
    const byValue = compile(loss, shapeOf(params()), 3, { backend });
    const byShape = compile(loss, { w: 6, b: 2, s: 'scalar', more: [2, { k: 'scalar' }] }, 3, { backend, wrt: [0] });
    const flat = compile(flatLoss, 12, 3, { backend, wrt: [0] });
    try {
      const expected = asTree(flat.grad(flatten(params()), x0));
      expectTreeClose(byValue.grad(params(), x0)[0], expected);
      expectTreeClose(byShape.grad(params(), x0), expected);
      expect(byShape.arity).toBe(2);
      expect(byShape.differentiated).toEqual([0]);
      // out: a tree of Float64Arrays is filled (number leaves come back in the result).
      const out = { w: new Float64Array(6), b: new Float64Array(2), s: 0, more: [new Float64Array(2), { k: 0 }] as [Float64Array, { k: number }] };
      const r = byShape.valueAndGrad(params(), x0, out);
      expectClose(out.w, expected.w, 1e-14, 1e-15);
      expect(r.grad.w).toBe(out.w);
      expectTreeClose(byShape.gradView(params(), x0), expected);
      // hvp with a direction tree equals the flat hvp along the flattened direction.
      const v = { w: Float64Array.of(1, 0, -1, 2, 0, 1), b: Float64Array.of(0.5, 0), s: 1, more: [Float64Array.of(0, 1), { k: -1 }] as [Float64Array, { k: number }] };
      const vFlat = Float64Array.of(...v.w, ...v.b, v.s, ...v.more[0], v.more[1].k);
      expectTreeClose(byShape.hvp(params(), x0, v), asTree(flat.hvp(flatten(params()), x0, vFlat) as Float64Array), 1e-12);
      expect(byShape.jvp(params(), x0, v).tangent).toBeCloseTo(flat.jvp(flatten(params()), x0, vFlat).tangent as number, 12);
      // Jacobian and Hessian columns follow the leaves in order: the flat function's.
      expectClose(byShape.hessian(params(), x0), flat.hessian(flatten(params()), x0), 1e-12, 1e-14);
      expectClose(byShape.jacobian(params(), x0), flat.jacobian(flatten(params()), x0), 1e-12, 1e-14);
    } finally {
      byValue.dispose();
      byShape.dispose();
      flat.dispose();
    }
  });

  it('refuses a tree of another structure, naming the place', () => {
    const c = compile(loss, shapeOf(params()), 3, { backend, wrt: [0] });
    try {
      expect(() => c.grad({ ...params(), extra: 1 } as unknown as Params, x0)).toThrow(/argument 0 has key extra that the tree it was set up with lacks/);
      const { b: _, ...noB } = params();
      expect(() => c.grad(noB as unknown as Params, x0)).toThrow(/argument 0 lacks key b/);
      expect(() => c.grad({ ...params(), more: [Float64Array.of(1, 2)] } as unknown as Params, x0)).toThrow(/argument 0.more must be an array of 2 entries/);
      expect(() => c.grad({ ...params(), s: Float64Array.of(1) } as unknown as Params, x0)).toThrow(ArgumentError);
      expect(() => c.grad({ ...params(), w: new Float64Array(5) }, x0)).toThrow(/length/);
    } finally {
      c.dispose();
    }
    expect(() => grad(loss, { backend })({ ...params(), s: 'a' } as unknown as Params, x0)).toThrow(/argument 0.s must be a number, a Float64Array or a number\[\]/);
  });

  it('one-shot hvp and hessian take trees', () => {
    const v: Params = { w: new Float64Array(6).fill(1), b: Float64Array.of(1, 1), s: 1, more: [Float64Array.of(1, 1), { k: 1 }] };
    // Both Hessians are 15 × 15: the tree's 12 numbers then x's 3, in leaf order.
    expectClose(hessian(loss, { backend })(params(), x0), hessian(flatLoss, { backend })(flatten(params()), x0), 1e-12, 1e-14);
    const vFlat = Float64Array.of(...v.w, ...v.b, v.s, ...v.more[0], v.more[1].k);
    const [hvTree, hvX] = hvp(loss, { backend })(params(), x0, [v, Float64Array.of(1, 0, 0)]) as [unknown, Float64Array];
    const [hvFlat, hvFlatX] = hvp(flatLoss, { backend })(flatten(params()), x0, [vFlat, Float64Array.of(1, 0, 0)]) as [Float64Array, Float64Array];
    expectTreeClose(hvTree, asTree(hvFlat), 1e-12);
    expectClose(hvX, hvFlatX, 1e-12, 1e-14);
  });
});

describe('optimizers over a parameter tree', () => {
  it.each([
    ['Adam', (p: Float64Array | Params) => new Adam(p as Float64Array, { learningRate: 0.05 })],
    ['SGD with momentum', (p: Float64Array | Params) => new SGD(p as Float64Array, { learningRate: 0.05, momentum: 0.9 })],
  ] as const)('%s: steps on a tree equal steps on the flat vector, written back into the tree (number leaves too)', (_, make) => {
    const tree = params();
    const flat = flatten(tree);
    const onTree = make(tree);
    const onFlat = make(flat);
    const g = grad(loss, { wrt: [0] });
    const gf = grad(flatLoss, { wrt: [0] });
    for (let step = 0; step < 5; step++) {
      onTree.step(g(tree, x0));
      onFlat.step(gf(flat, x0) as Float64Array);
    }
    expect(flatten(tree)).toEqual(flat);
    expect(onTree.params).toEqual(flat);
    expect(tree.s).toBe(flat[8]);
    expect(tree.more[1].k).toBe(flat[11]);
  });

  it('refuses a gradient tree of another structure', () => {
    const opt = new Adam(params() as unknown as Float64Array);
    expect(() => opt.step({ w: new Float64Array(6) } as unknown as Float64Array)).toThrow(/grad lacks key b/);
  });
});

describe('the MNIST model over { w1, b1, w2, b2 }', () => {
  it('treeLoss and the flat batchLoss agree in value and gradient', () => {
    const hidden = 8, batch = 3;
    const { size } = parameterLayout(hidden);
    const flatParams = Float64Array.from({ length: size }, (_, i) => Math.sin(i) * 0.1);
    const images = Float64Array.from({ length: batch * 784 }, (_, i) => ((i * 7) % 11) / 11);
    const labels = new Float64Array(batch * 10).map((_, i) => (i % 10 === i % 3 ? 1 : 0));
    const tree = parameterTree(flatParams, hidden);
    const t = compile(treeLoss(batch), shapeOf(tree), batch * 784, batch * 10, { wrt: [0] });
    const f = compile(batchLoss(hidden, batch), size, batch * 784, batch * 10, { wrt: [0] });
    try {
      const gFlat = new Float64Array(size);
      const a = t.valueAndGrad(tree, images, labels, parameterTree(gFlat, hidden));
      const b = f.valueAndGrad(flatParams, images, labels);
      expect(a.value).toBeCloseTo(b.value, 13);
      expectClose(gFlat, b.grad, 1e-12, 1e-15);
    } finally {
      t.dispose();
      f.dispose();
    }
  });
});
