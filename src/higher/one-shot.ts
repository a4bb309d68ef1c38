/** @file jvp, hvp, jacobian and hessian of a plain function: compile for the arguments' shapes,
 *  take the derivative, dispose. For repeated calls, compile once and use its methods. */
import { compile, shapeOf, type CompileOptions, type Shape } from '../compile/compile.js';
import { isTreeNode, type Tree } from '../trees.js';
import type { CompiledFunction, DirectionOf, GradientsOf, ValueAndTangent } from '../compile/compiled.js';
import type { Differentiable } from '../grad.js';
import { ArgumentError } from '../errors.js';
import { isNumberArray, typeName } from '../tape.js';
import type { HessianOptions, JacobianOptions, SparseHessianOptions, SparseJacobianOptions } from './higher-order.js';
import type { SparseMatrix } from './sparse.js';

import type { Argument } from '../grad.js';

/** jvp(f)(...args, v) = { value: f(args), tangent: J·v }, v shaped like the arguments. */
export function jvp(f: Differentiable, options: CompileOptions = {}) {
  checkFunction(f, 'jvp');
  return <A extends Argument[]>(...argsAndV: [...A, DirectionOf<A>]): ValueAndTangent => {
    if (argsAndV.length < 2) throw new ArgumentError(`jvp(f) is called with f's arguments, then v; got ${argsAndV.length} value${argsAndV.length === 1 ? '' : 's'}`);
    return once(f, argsAndV.slice(0, -1), options, 'jvp', (c) => c.jvp(...(argsAndV as [...Argument[], unknown])));
  };
}

/** hvp(f)(...args, v) = H·v for a scalar f, shaped like the arguments. */
export function hvp(f: Differentiable, options: CompileOptions = {}) {
  checkFunction(f, 'hvp');
  return <A extends Argument[]>(...argsAndV: [...A, DirectionOf<A>]): GradientsOf<A> => {
    if (argsAndV.length < 2) throw new ArgumentError(`hvp(f) is called with f's arguments, then v; got ${argsAndV.length} value${argsAndV.length === 1 ? '' : 's'}`);
    return once(f, argsAndV.slice(0, -1), options, 'hvp', (c) => c.hvp(...(argsAndV as [...Argument[], unknown])) as GradientsOf<A>);
  };
}

/** jacobian(f, { sparsity: 'auto' })(...args): the Jacobian of f as a CSR SparseMatrix, its
 *  pattern detected from the tape (see CompiledFunction.jacobian). */
export function jacobian(f: Differentiable, options: CompileOptions & SparseJacobianOptions): (...args: Argument[]) => SparseMatrix;
/** jacobian(f)(...args): the m × n Jacobian of f, row-major (see CompiledFunction.jacobian). */
export function jacobian(f: Differentiable, options?: CompileOptions & JacobianOptions & { sparsity?: 'none' }): (...args: Argument[]) => Float64Array;
/** jacobian(f, options)(...args): dense or sparse as the options say. */
export function jacobian(f: Differentiable, options?: CompileOptions & JacobianOptions): (...args: Argument[]) => Float64Array | SparseMatrix;
export function jacobian(f: Differentiable, options: CompileOptions & JacobianOptions = {}) {
  checkFunction(f, 'jacobian');
  const { mode, sparsity, ...compileOptions } = options;
  return (...args: Argument[]): Float64Array | SparseMatrix => once(f, args, compileOptions, 'jacobian', (c) => c.jacobian(...args, { mode, sparsity }));
}

/** hessian(f, { sparsity: 'auto' })(...args): the Hessian of a scalar f as a CSR SparseMatrix,
 *  its symmetric pattern detected from the tape. */
export function hessian(f: Differentiable, options: CompileOptions & SparseHessianOptions): (...args: Argument[]) => SparseMatrix;
/** hessian(f)(...args): the n × n Hessian of a scalar f, row-major, symmetric. */
export function hessian(f: Differentiable, options?: CompileOptions & HessianOptions & { sparsity?: 'none' }): (...args: Argument[]) => Float64Array;
/** hessian(f, options)(...args): dense or sparse as the options say. */
export function hessian(f: Differentiable, options?: CompileOptions & HessianOptions): (...args: Argument[]) => Float64Array | SparseMatrix;
export function hessian(f: Differentiable, options: CompileOptions & HessianOptions = {}) {
  checkFunction(f, 'hessian');
  const { sparsity, ...compileOptions } = options;
  return (...args: Argument[]): Float64Array | SparseMatrix => once(f, args, compileOptions, 'hessian', (c) => c.hessian(...args, { sparsity }));
}

function checkFunction(f: unknown, what: string): void {
  if (typeof f !== 'function') throw new ArgumentError(`${what} takes a function, got ${typeName(f)}`);
}

/** Compiles f for the shapes of `args`, runs `use`, and frees the tape whatever happens. */
function once<T>(f: Differentiable, args: unknown[], options: CompileOptions, what: string, use: (c: CompiledFunction) => T): T {
  if (args.length === 0) throw new ArgumentError(`${what}: call it with at least one argument`);
  if (f.length > 0 && args.length !== f.length) {
    throw new ArgumentError(`the function takes ${f.length} argument${f.length === 1 ? '' : 's'} but ${what} got ${args.length}`);
  }
  const shapes: Shape[] = args.map((a, i) => {
    if (typeof a === 'number') return 'scalar';
    if (isNumberArray(a)) return a.length;
    if (isTreeNode(a)) return shapeOf(a as Tree);
    throw new ArgumentError(`${what}: argument ${i} must be a number, a Float64Array, a number[] or a tree of those, got ${typeName(a)}`);
  });
  const compiled = compile(f, ...shapes, options);
  try {
    return use(compiled);
  } finally {
    compiled.dispose();
  }
}
