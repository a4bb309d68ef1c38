/** @file stopGradient(x): x's value, with its adjoint blocked, on scalars and tensors, eagerly and
 *  replayed (the op table's StopGradient: one entry and one export line). */
import { describe, expect, it } from 'vitest';
import { compile, grad, mul, sum, dot, stopGradient, sin, type Scalar, type Vector } from '../src/index.js';
import { BACKENDS } from './helpers.js';

describe.each(BACKENDS)('stopGradient on the %s backend', (backend) => {
  it('d/dx [x · stop(x)] = stop(x): the blocked factor counts as a constant', () => {
    const f = (x: Scalar) => mul(x, stopGradient(x));
    expect(grad(f, { backend })(3)).toBe(3);
    const c = compile(f, 'scalar', { backend });
    expect(c.valueAndGrad(-2)).toEqual({ value: 4, grad: -2 });
    expect(c.valueAndGrad(5)).toEqual({ value: 25, grad: 5 }); // replayed: follows the new x
    c.dispose();
  });

  it('elementwise on a vector: the gradient flows only through the unblocked path', () => {
    const f = (x: Vector) => dot(stopGradient(sin(x)), x);
    const x = Float64Array.of(0.3, -1.2, 2);
    expect(Array.from(grad(f, { backend })(x))).toEqual(Array.from(x, Math.sin));
    const c = compile(f, 3, { backend });
    expect(Array.from(c.grad(x))).toEqual(Array.from(x, Math.sin));
    expect(c.hvp(x, Float64Array.of(1, 0, 0))).toEqual(Float64Array.of(0, 0, 0)); // d(sin x)ᵀ is blocked too
    c.dispose();
  });

  it('a whole blocked expression contributes nothing to the gradient', () => {
    const f = (x: Vector) => sum(mul(x, stopGradient(mul(x, x))));
    expect(Array.from(grad(f, { backend })(Float64Array.of(0, 2)))).toEqual([0, 4]);
  });
});
