/** @file defineOp: a user-defined op with its own derivative rules (JAX custom_vjp, PyTorch
 *  autograd.Function, tfjs customGrad, ADOL-C external functions), recorded as one Custom row. */
import type { Scalar, Vector, Matrix } from '../handles.js';
import type { ArrayOperand } from '../operands.js';
import { ArgumentError } from '../errors.js';
import { register } from './registry.js';
import { applyRule } from './record.js';
import { secondOrderRule } from './second-order.js';
import './host.js';

/** A custom op's argument or result as its rules see it: a number, or a vector's values. */
export type CustomValue = number | Float64Array;

/** What a custom op may be called with: handles, numbers and constant arrays (a matrix is passed
 *  to the rules as its row-major values). */
export type CustomArgument = Scalar | Vector | Matrix | number | ArrayOperand;

/** The rules of a custom op whose result is R (a number or a Float64Array of fixed length). */
export interface CustomOpRules<R extends CustomValue = CustomValue> {
  /** The result from the arguments' values (numbers, or Float64Arrays for vector arguments). */
  value(...args: CustomValue[]): R;
  /** The arguments' adjoints, one per argument and shaped like it, from the arguments, the
   *  output and the output's adjoint: the vector-Jacobian product ȳᵀ ∂y/∂x. */
  vjp(inputs: CustomValue[], output: R, adjoint: R): CustomValue[];
  /** Optional: the output's tangent from the arguments' tangents, ∂y/∂x · ẋ (for jvp, the
   *  forward-mode Jacobian, hvp and hessian). Without it those throw an error naming the op.
   *  hvp and hessian also run it with the inputs as handles (Scalar, Vector; typed here as their
   *  values) and the tangents as values, to differentiate it: write it with wengert ops (mul,
   *  cos, dot, …), which take numbers and handles alike, not Math.* or JS operators. */
  jvp?(inputs: CustomValue[], tangents: CustomValue[]): R;
  /** Optional: true when the op is linear (or affine) in its arguments, i.e. its jvp does not
   *  depend on their values: its second derivatives are zero, and hvp and hessian do not run the
   *  jvp rule on handles (a rule like `(_x, [t]) => t` returns no handle to differentiate). */
  linear?: boolean;
}

/** A custom op: records one row on its handle arguments' tape (a Scalar for a number result, a
 *  Vector for a Float64Array); with no handle among its arguments, returns `value`'s result. */
export interface CustomOp<R extends CustomValue = CustomValue> {
  (...args: (number | ArrayOperand)[]): R;
  (...args: CustomArgument[]): R extends number ? Scalar : Vector;
}

/** Defines an op from its value and derivative rules. The op records one row (on either backend),
 *  replays in compiled tapes (the wasm core calls these rules back), shows by `name` in toString
 *  and toDot, and toBytes saves that name: fromBytes needs the op defined again under it.
 *  Defining a name again replaces its rules, also for compiled tapes that use it.
 *
 *  ```ts
 *  const cube = defineOp('cube', {
 *    value: (x) => (x as number) ** 3,
 *    vjp: ([x], _y, g) => [3 * (x as number) ** 2 * (g as number)],
 *  });
 *  ``` */
export function defineOp<R extends CustomValue>(name: string, rules: CustomOpRules<R>): CustomOp<R> {
  if (typeof name !== 'string' || name.length === 0) throw new ArgumentError(`defineOp needs a non-empty name, got ${typeof name === 'string' ? 'an empty string' : typeof name}`);
  if (typeof rules !== 'object' || rules === null || typeof rules.value !== 'function' || typeof rules.vjp !== 'function') {
    throw new ArgumentError(`defineOp('${name}', rules): rules must be an object with functions value and vjp (and optionally jvp)`);
  }
  if (rules.jvp !== undefined && typeof rules.jvp !== 'function') throw new ArgumentError(`defineOp('${name}', rules): jvp must be a function when given`);
  if (rules.linear !== undefined && typeof rules.linear !== 'boolean') throw new ArgumentError(`defineOp('${name}', rules): linear must be true or false when given, got ${typeof rules.linear}`);
  const jvp = rules.jvp;
  const vjp = (args: CustomValue[], output: CustomValue, adjoint: CustomValue) => rules.vjp(args, output as R, adjoint as R);
  const id = register({
    name,
    saved: true,
    value: (args) => rules.value(...args),
    vjp,
    jvp: jvp === undefined ? undefined : (args, tangents) => jvp.call(rules, args, tangents),
    secondOrder: jvp === undefined ? undefined : secondOrderRule(name, vjp, (args, tangents) => jvp.call(rules, args, tangents), rules.linear === true),
  });
  return ((...args: unknown[]) => applyRule(id, args)) as CustomOp<R>;
}
