/** @file customVjp and checkpoint: a function written in wengert ops recorded as one Custom row,
 *  whose reverse rule is the user's (customVjp) or a recomputation of the function (checkpoint). */
import type { Scalar, Vector, Matrix } from '../handles.js';
import { ArgumentError } from '../errors.js';
import { register, type HostValue } from './registry.js';
import { applyRule } from './record.js';
import { Scratch, type HandleFunction } from './scratch.js';
import './host.js';

/** A function over handles whose result is a scalar or a vector (a checkpoint's or customVjp's f). */
export type TapeFunction = (...args: any[]) => Scalar | Vector | Matrix; // eslint-disable-line @typescript-eslint/no-explicit-any

/** customVjp's reverse rule: the arguments' adjoints (one per argument, a number for a scalar and
 *  a Float64Array for a vector) from their values, f's value and its adjoint. */
export type VjpRule = (inputs: (number | Float64Array)[], output: number | Float64Array, adjoint: number | Float64Array) => (number | Float64Array)[];

function checkFunction(where: string, f: unknown): asserts f is HandleFunction {
  if (typeof f !== 'function') throw new ArgumentError(`${where} takes a function written in wengert ops, got ${typeof f}`);
}

/** f, with the gradient given by `vjp` instead of by differentiating f's ops (JAX custom_vjp):
 *  for a numerically stable or cheaper gradient. The call records one row on its arguments' tape;
 *  f itself runs on a tape of its own, which is not kept. Works eagerly and in compiled tapes.
 *
 *  ```ts
 *  // log(1 + eˣ), with the gradient σ(x) that stays finite for large x
 *  const softplusStable = customVjp((x: Scalar) => log1p(exp(x)), ([x], _y, g) => [(g as number) / (1 + Math.exp(-(x as number)))]);
 *  ``` */
export function customVjp<F extends TapeFunction>(f: F, vjp: VjpRule): F {
  checkFunction('customVjp', f);
  if (typeof vjp !== 'function') throw new ArgumentError(`customVjp(f, vjp): vjp must be a function (inputs, output, adjoint) => adjoints, got ${typeof vjp}`);
  const name = f.name === '' ? 'customVjp' : f.name;
  const scratch = new Scratch(`customVjp '${name}'`, f);
  const id = register({
    name,
    saved: false,
    value: (args, backend) => scratch.value(args, backend),
    vjp: (args, output, adjoint) => vjp(args, output, adjoint),
  });
  return ((...args: unknown[]) => applyRule(id, args)) as F;
}

/** f, with its interior not kept on the tape but recomputed in the reverse sweep (Griewank's
 *  checkpointing; jax.checkpoint, torch.utils.checkpoint): a call records one row holding only
 *  f's arguments and result. In the reverse sweep f is recorded again on a tape of its own from
 *  the saved arguments and swept back, so memory falls from f's whole interior to its inputs and
 *  outputs, for one more evaluation of f. The gradient is identical to the bit to the plain one's
 *  for a value that crosses each checkpoint once (within rounding for one that every call uses).
 *  Works eagerly and in compiled tapes, on both backends, and with jvp, hvp and hessian (f's
 *  tangent and second-order sweeps, run again on a pure-JS scratch tape). */
export function checkpoint<F extends TapeFunction>(f: F): F {
  checkFunction('checkpoint', f);
  const name = `checkpoint(${f.name === '' ? 'f' : f.name})`;
  const scratch = new Scratch(name, f);
  const id = register({
    name,
    saved: false,
    value: (args, backend) => scratch.value(args, backend),
    vjp: (args, _output, adjoint, backend) => scratch.vjp(args, adjoint, backend) as HostValue[],
    jvp: (args, tangents) => scratch.jvp(args, tangents),
    secondOrder: (args, tangents, _output, adjoint, adjointTangent) => scratch.secondOrder(args, tangents, adjoint, adjointTangent),
  });
  return ((...args: unknown[]) => applyRule(id, args)) as F;
}
