/** @file Nesting grad: grad(grad(f)) and a grad call inside a function being differentiated (or
 *  compiled) are refused with an ArgumentError that points to hvp/hessian, never the bare "a
 *  Scalar is not a number". */
import { describe, expect, it } from 'vitest';
import { grad, valueAndGrad, compile, hvp, hessian, mul, sin, ArgumentError, type Scalar, type Vector, dot } from '../src/index.js';
import { BACKENDS } from './helpers.js';

const NAMES_HVP = /grad\(grad\(f\)\) and other nesting of grad inside a differentiated function are not supported; for second derivatives use hvp\(f\)\(x, v\) or hessian\(f\)\(x\)/;

describe.each(BACKENDS)('nested grad on the %s backend', (backend) => {
  const f = (x: Scalar) => mul(x, sin(x));
  const inner = (y: Scalar) => mul(y, y);

  it('grad(grad(f)) throws an ArgumentError naming hvp and hessian', () => {
    const outer = grad(grad(f, { backend }) as unknown as (x: Scalar) => Scalar, { backend });
    expect(() => outer(0.5)).toThrow(ArgumentError);
    expect(() => outer(0.5)).toThrow(NAMES_HVP);
  });

  it('grad called on handles inside a differentiated function throws the same', () => {
    const g = (x: Scalar) => mul(x, grad(inner, { backend })(x as unknown as number) as unknown as Scalar);
    expect(() => grad(g, { backend })(0.5)).toThrow(NAMES_HVP);
    expect(() => valueAndGrad(g, { backend })(0.5)).toThrow(ArgumentError);
  });

  it('and inside a function being compiled', () => {
    const g = (x: Scalar) => mul(x, grad(inner, { backend })(x as unknown as number) as unknown as Scalar);
    expect(() => compile(g, { backend })).toThrow(NAMES_HVP);
    const v = (x: Vector) => dot(x, grad((y: Vector) => dot(y, y), { backend })(x as unknown as Float64Array) as unknown as Vector);
    expect(() => compile(v, 2, { backend })).toThrow(NAMES_HVP);
  });

  it('the second derivative it points to: hessian(f) = 2cos x − x sin x', () => {
    const x = 0.5;
    const want = 2 * Math.cos(x) - x * Math.sin(x);
    expect(hvp(f, { backend })(x, 1)).toBeCloseTo(want, 14);
    const h = hessian(f, { backend })(x) as unknown as Float64Array | number[][] | number;
    expect(typeof h === 'number' ? h : Array.isArray(h) ? h[0][0] : h[0]).toBeCloseTo(want, 14);
  });
});
