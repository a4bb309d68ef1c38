/**
 * @file A fixed function and point whose gradient the browser page and Node both compute with
 * wengert, so the browser test can check that the page's wasm gives Node's numbers.
 */

import { add, div, exp, mul, sin, square, valueAndGrad, type Operand, type Vector } from '../../src/index.js';

export const FIXED_POINT = [0.3, -1.2, 2.5, 0.7, -0.4, 1.9, -2.2, 0.05];

/** f(x) = Σᵢ sin(xᵢ)·xᵢ₊₁ + exp(x₀) / (1 + x₁²) */
export function fixedFunction(x: Vector): Operand {
  let total: Operand = div(exp(x.at(0)), add(1, square(x.at(1))));
  for (let i = 0; i + 1 < x.length; i++) total = add(total, mul(sin(x.at(i)), x.at(i + 1)));
  return total;
}

/** ∇f at FIXED_POINT. */
export function gradientOfFixedFunction(): number[] {
  return Array.from(valueAndGrad(fixedFunction)(Float64Array.from(FIXED_POINT)).grad);
}
