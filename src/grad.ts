/** @file grad and valueAndGrad: differentiate a function of numbers, arrays and parameter trees in one call. */
import { Scalar, Vector, type Operand } from './handles.js';
import { Tape, isNumberArray, typeName, type TapeOptions } from './tape.js';
import { ArgumentError, TapeMismatchError } from './errors.js';
import { wrtList } from './wrt.js';
import { flattenInto, isTreeNode, treeDef, unflatten, type Tree, type TreeDef } from './trees.js';

/** What a differentiated function may be called with: a number, a vector, or a parameter tree
 *  of those (nested plain objects and arrays, e.g. `{ w1, b1, w2, b2 }`). */
export type Argument = Tree;
/** The gradient's shape mirrors the argument's: number ↔ number, array ↔ Float64Array, and a
 *  tree ↔ the same tree of gradients. */
export type GradientOf<A> = A extends number
  ? number
  : A extends Float64Array | readonly number[]
    ? Float64Array
    : { -readonly [K in keyof A]: GradientOf<A[K]> };
/** What f receives for an argument: a Scalar for a number, a Vector for an array, and for a
 *  tree the same tree of handles. */
export type HandlesOfTree<A> = A extends number ? Scalar : A extends Float64Array | readonly number[] ? Vector : { -readonly [K in keyof A]: HandlesOfTree<A[K]> };
/** One argument: its gradient unwrapped; several: a tuple of gradients. */
export type Gradients<A extends readonly Argument[]> = A extends readonly [infer X]
  ? GradientOf<X>
  : { -readonly [K in keyof A]: GradientOf<A[K]> };

/** What valueAndGrad returns. */
export interface ValueAndGrad<G> {
  /** f(args). */
  value: number;
  /** ∇f(args), shaped like the arguments. */
  grad: G;
}

/** grad's and valueAndGrad's options: those of the Tape each call records on, and `wrt`. */
export interface GradOptions extends Pick<TapeOptions, 'backend' | 'maxBytes' | 'reserve'> {
  /** The indices of the arguments to differentiate (default: all), in the order gradients are
   *  returned; the others are data (see Tape.data): f still receives them as handles, but no
   *  adjoint flows into them and vector ops skip their partials. */
  wrt?: readonly number[];
}

/** The gradients of the arguments A at the indices W, in W's order: one unwrapped, several a tuple. */
export type GradientsAt<A extends readonly Argument[], W extends readonly number[]> = W extends readonly [infer I]
  ? I extends keyof A ? GradientOf<A[I]> : never
  : number extends W['length'] ? (number | Float64Array)[] : { -readonly [K in keyof W]: W[K] extends keyof A ? GradientOf<A[W[K]]> : never };

/** Inside f, a number argument arrives as a Scalar handle and an array as a Vector handle. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Differentiable = (...handles: any[]) => Operand | Vector | readonly Operand[];

/** Returns a function computing f's value and its gradient with respect to the arguments `wrt` lists. */
export function valueAndGrad<const W extends readonly number[]>(f: Differentiable, options: GradOptions & { wrt: W }): <A extends Argument[]>(...args: A) => ValueAndGrad<GradientsAt<A, W>>;
/** Returns a function computing f's value and its gradient with respect to every argument. */
export function valueAndGrad(f: Differentiable, options?: GradOptions): <A extends Argument[]>(...args: A) => ValueAndGrad<Gradients<A>>;
export function valueAndGrad(f: Differentiable, options: GradOptions = {}): (...args: Argument[]) => ValueAndGrad<unknown> {
  return differentiator(f, options, 'valueAndGrad');
}

function differentiator(f: Differentiable, options: GradOptions, what: string) {
  if (typeof f !== 'function') throw new ArgumentError(`${what} takes a function, got ${typeName(f)}`);
  // Checked now as far as f's parameter count tells (0: unknown until the call).
  if (options.wrt !== undefined) wrtList(options.wrt, f.length > 0 ? f.length : Number.POSITIVE_INFINITY, what);
  let spare: Tape | undefined; // reused across calls: reset() keeps its memory
  let busy = false;
  return <A extends Argument[]>(...args: A): ValueAndGrad<Gradients<A>> => {
    checkArguments(f, args);
    const wrt = wrtList(options.wrt, args.length, what);
    // A nested call (f calling this same function) gets a tape of its own.
    const reuse = !busy;
    const tape = reuse && spare ? (spare.reset(), spare) : new Tape(options);
    if (reuse) {
      spare = tape;
      busy = true;
    }
    try {
      return differentiate(f, tape, args, wrt) as ValueAndGrad<Gradients<A>>;
    } finally {
      if (reuse) busy = false;
      else tape.dispose();
    }
  };
}

/** Returns a function computing f's gradient with respect to the arguments `wrt` lists. */
export function grad<const W extends readonly number[]>(f: Differentiable, options: GradOptions & { wrt: W }): <A extends Argument[]>(...args: A) => GradientsAt<A, W>;
/** Returns a function computing f's gradient with respect to every argument. */
export function grad(f: Differentiable, options?: GradOptions): <A extends Argument[]>(...args: A) => Gradients<A>;
export function grad(f: Differentiable, options: GradOptions = {}): (...args: Argument[]) => unknown {
  const both = differentiator(f, options, 'grad');
  return (...args: Argument[]) => both(...args).grad;
}

function checkArguments(f: Differentiable, args: unknown[]): void {
  if (args.length === 0) throw new ArgumentError('nothing to differentiate: call the gradient function with at least one argument');
  // f.length counts parameters before any default or rest parameter; 0 tells us nothing.
  if (f.length > 0 && args.length !== f.length) {
    throw new ArgumentError(`the function takes ${f.length} argument${f.length === 1 ? '' : 's'} but was called with ${args.length}`);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a instanceof Scalar || a instanceof Vector) {
      throw new ArgumentError(
        `argument ${i} is a ${a instanceof Scalar ? 'scalar' : 'vector'} handle: grad(grad(f)) and other nesting of grad inside a differentiated function are not supported; ` +
          'for second derivatives use hvp(f)(x, v) or hessian(f)(x), or compile(f, …).hvp / .hessian',
      );
    }
    if (typeof a !== 'number' && !isNumberArray(a) && !isTreeNode(a)) {
      throw new ArgumentError(`argument ${i} must be a number, a Float64Array, a number[] or a tree of those (plain objects and arrays), got ${typeName(a)}`);
    }
  }
}

/** A leaf of an argument tree: its length, −1 for a number. */
function leafLength(x: unknown, path: string): number {
  if (typeof x === 'number') return -1;
  if (isNumberArray(x)) return x.length;
  if (x instanceof Scalar || x instanceof Vector) throw new ArgumentError(`${path} is a handle: pass numbers and arrays (see hvp/hessian for second derivatives)`);
  throw new ArgumentError(`${path} must be a number, a Float64Array or a number[], got ${typeName(x)}`);
}

/** Each argument's leaves (one for a plain argument) and, for a tree, its structure. */
function leavesOf(args: Argument[]): { leaves: (number | ArrayLike<number>)[][]; defs: (TreeDef | undefined)[] } {
  const leaves: (number | ArrayLike<number>)[][] = [];
  const defs: (TreeDef | undefined)[] = [];
  args.forEach((a, i) => {
    if (!isTreeNode(a)) {
      leaves.push([a as number | ArrayLike<number>]);
      defs.push(undefined);
      return;
    }
    const def = treeDef(a, `argument ${i}`, leafLength);
    const flat: unknown[] = [];
    flattenInto(def, a, flat, `argument ${i}`);
    leaves.push(flat as (number | ArrayLike<number>)[]);
    defs.push(def);
  });
  return { leaves, defs };
}

function differentiate(f: Differentiable, tape: Tape, args: Argument[], wrt: Int32Array): ValueAndGrad<unknown> {
  const { leaves, defs } = leavesOf(args);
  const handles = leaves.map((l, i) => l.map((a) => (wrt.includes(i) ? tape.input(a) : tape.data(a))));
  const out = f(...handles.map((h, i) => (defs[i] === undefined ? h[0] : unflatten(defs[i]!, h))));
  const core = tape.core;
  let value: number;
  if (typeof out === 'number') {
    value = out; // f ignored its arguments: every gradient is 0
  } else if (out instanceof Scalar) {
    if (out.core !== core) {
      throw new TapeMismatchError('the function returned a handle recorded on another tape: build the result from its own arguments');
    }
    value = core.value(out.id);
    core.backward(out.id);
  } else {
    throw new ArgumentError(
      `the function must return a scalar handle or a number, got ${typeName(out)}; ` +
        'for vector-valued functions use compile(f, …).vjp or .jacobian',
    );
  }
  const gradientOf = (h: Scalar | Vector): number | Float64Array => {
    if (h instanceof Scalar) return typeof out === 'number' ? 0 : core.adjoint(h.id);
    const g = new Float64Array(h.length);
    if (typeof out !== 'number') core.readAdjoints(h.start, h.length, g, 0);
    return g;
  };
  const grads = Array.from(wrt, (i) => {
    const g = handles[i].map(gradientOf);
    return defs[i] === undefined ? g[0] : unflatten(defs[i]!, g);
  });
  return { value, grad: grads.length === 1 ? grads[0] : grads };
}
