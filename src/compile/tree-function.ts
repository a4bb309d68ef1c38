/** @file A compiled function of parameter trees: compile traces f over the trees' leaves (each
 *  leaf one argument of the tape) and this class maps calls and results between the trees and
 *  those leaves, so gradients, directions and `out` arguments mirror the trees. */
import { ArgumentError } from '../errors.js';
import { describe } from '../operands.js';
import { argumentsFromLeaves, flattenArguments, leafSpan, type TreeDef } from '../trees.js';
import { CompiledFunction, type CompiledArgument, type ValueAndTangent } from './compiled.js';
import type { Program } from './program.js';
import type { ValueAndGrad } from '../grad.js';
import type { JacobianOptions } from '../higher/higher-order.js';

/** One argument of the compiled function: a tree (its structure) or a plain argument (one leaf). */
export type ArgumentLayout = TreeDef | undefined;

/** The leaf arguments of the arguments `wrt` lists, in order: what the tape differentiates. */
export function leafWrt(layout: readonly ArgumentLayout[], wrt: Int32Array): Int32Array {
  const starts: number[] = [];
  let at = 0;
  for (const def of layout) {
    starts.push(at);
    at += leafSpan(def);
  }
  const out: number[] = [];
  for (const i of wrt) for (let k = 0; k < leafSpan(layout[i]); k++) out.push(starts[i] + k);
  return Int32Array.from(out);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A compiled function whose arguments may be parameter trees (see compile). toBytes writes the
 *  tape over the leaves: fromBytes reads it back as a function of the leaves, in order. */
export class CompiledTreeFunction<A extends CompiledArgument[] = CompiledArgument[], V extends number | Float64Array = number | Float64Array, G extends CompiledArgument[] = A> extends CompiledFunction<A, V, G> {
  /** @internal */
  constructor(
    program: Program,
    options: ConstructorParameters<typeof CompiledFunction>[1],
    private readonly layout: readonly ArgumentLayout[],
    private readonly topWrt: Int32Array,
  ) {
    super(program, options);
  }

  override get arity(): number {
    return this.layout.length;
  }

  override get differentiated(): number[] {
    return Array.from(this.topWrt);
  }

  override value(...args: A): V {
    return super.value(...(this.leaves(args, 'value') as Any));
  }

  override grad(...args: Any[]): Any {
    return this.valueAndGrad(...args).grad;
  }

  override valueAndGrad(...args: Any[]): ValueAndGrad<Any> {
    const [inputs, out] = this.split(args, 'valueAndGrad');
    const flat = super.valueAndGrad(...(this.withOut(inputs, out, 'valueAndGrad') as Any));
    return { value: flat.value, grad: this.gradientTrees(flat.grad) };
  }

  override gradView(...args: A): Any {
    return this.gradientTrees(super.gradView(...(this.leaves(args, 'gradView') as Any)));
  }

  override vjp(...argsAndU: Any[]): Any {
    const n = this.layout.length;
    if (argsAndU.length !== n + 1 && argsAndU.length !== n + 2) {
      throw new ArgumentError(`vjp takes the ${n} argument${n === 1 ? '' : 's'}, then u, then an optional out; got ${argsAndU.length} values`);
    }
    const flat = [...this.leaves(argsAndU.slice(0, n), 'vjp'), argsAndU[n]];
    if (argsAndU.length === n + 2) flat.push(this.gradientLeaves(argsAndU[n + 1], 'out'));
    return this.gradientTrees(super.vjp(...(flat as Any)));
  }

  override jvp(...argsAndV: Any[]): ValueAndTangent<V> {
    const n = this.layout.length;
    if (argsAndV.length !== n + 1) throw new ArgumentError(`jvp takes the ${n} argument${n === 1 ? '' : 's'}, then v; got ${argsAndV.length} values`);
    return super.jvp(...([...this.leaves(argsAndV.slice(0, n), 'jvp'), this.gradientLeaves(argsAndV[n], 'v')] as Any));
  }

  override hvp(...argsAndV: Any[]): Any {
    const n = this.layout.length;
    if (argsAndV.length !== n + 1 && argsAndV.length !== n + 2) {
      throw new ArgumentError(`hvp takes the ${n} argument${n === 1 ? '' : 's'}, then v, then an optional out; got ${argsAndV.length} values`);
    }
    const flat = [...this.leaves(argsAndV.slice(0, n), 'hvp'), this.gradientLeaves(argsAndV[n], 'v')];
    if (argsAndV.length === n + 2) flat.push(this.gradientLeaves(argsAndV[n + 1], 'out'));
    return this.gradientTrees(super.hvp(...(flat as Any)));
  }

  /** The Jacobian over the differentiated arguments' leaves, in order (columns follow the leaves). */
  override jacobian(...argsAndOptions: Any[]): Any {
    const n = this.layout.length;
    const options = argsAndOptions.length === n + 1 ? [argsAndOptions[n] as JacobianOptions] : [];
    return super.jacobian(...([...this.leaves(argsAndOptions.slice(0, n), 'jacobian'), ...options] as Any));
  }

  /** vjps over the differentiated arguments' leaves, in order (columns follow the leaves). */
  override vjps(...argsAndSeeds: Any[]): Float64Array {
    const n = this.layout.length;
    return super.vjps(...([...this.leaves(argsAndSeeds.slice(0, n), 'vjps'), ...argsAndSeeds.slice(n)] as Any));
  }

  /** Stacks of trees are not defined: jacobians takes numbers and vectors stacked over the points. */
  override jacobians(): Float64Array {
    throw new ArgumentError('jacobians stacks number and vector arguments over the points, and this function was compiled with tree shapes: compile it for the leaves (vectors and scalars), or call jacobian once per point');
  }

  /** The Hessian over the differentiated arguments' leaves, in order. */
  override hessian(...argsAndOptions: Any[]): Any {
    const n = this.layout.length;
    const options = argsAndOptions.length === n + 1 ? [argsAndOptions[n]] : [];
    return super.hessian(...([...this.leaves(argsAndOptions.slice(0, n), 'hessian'), ...options] as Any));
  }

  /** The arguments as the tape's leaf arguments. */
  private leaves(args: unknown[], what: string): unknown[] {
    const n = this.layout.length;
    if (args.length !== n) throw new ArgumentError(`${what} takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
    return flattenArguments(this.layout, args, [], (i) => `argument ${i}`);
  }

  private split(args: unknown[], what: string): [unknown[], unknown] {
    const n = this.layout.length;
    if (args.length === n) return [args, undefined];
    if (args.length === n + 1) return [args.slice(0, n), args[n]];
    throw new ArgumentError(`${what} takes the function's ${n} argument${n === 1 ? '' : 's'} (plus an optional out), got ${args.length}`);
  }

  private withOut(inputs: unknown[], out: unknown, what: string): unknown[] {
    const flat = this.leaves(inputs, what);
    if (out !== undefined) flat.push(this.gradientLeaves(out, 'out'));
    return flat;
  }

  /** Something shaped like the differentiated arguments (one unwrapped, several in an array) as
   *  the tape's form: one leaf unwrapped, several in an array. */
  private gradientLeaves(x: unknown, name: string): unknown {
    const wrt = this.topWrt;
    const parts = wrt.length === 1 ? [x] : x;
    if (!Array.isArray(parts) || parts.length !== wrt.length) {
      throw new ArgumentError(`${name} must be an array of ${wrt.length} entries shaped like the differentiated arguments, got ${describe(x)}`);
    }
    const flat = flattenArguments(this.wrtLayout(), parts, [], (k) => (wrt.length === 1 ? name : `${name}[${k}]`));
    return flat.length === 1 ? flat[0] : flat;
  }

  /** The tape's gradient (one leaf unwrapped, several in an array) as trees like the arguments. */
  private gradientTrees(g: unknown): unknown {
    const layout = this.wrtLayout();
    const count = layout.reduce((n, def) => n + leafSpan(def), 0);
    const trees = argumentsFromLeaves(layout, count === 1 ? [g] : (g as unknown[]));
    return trees.length === 1 ? trees[0] : trees;
  }

  /** The differentiated arguments' structures, in wrt order. */
  private wrtLayout(): ArgumentLayout[] {
    return Array.from(this.topWrt, (i) => this.layout[i]);
  }
}
