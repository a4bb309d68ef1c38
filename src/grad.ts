/** @file grad and valueAndGrad: differentiate a function of numbers and arrays in one call. */
import { Scalar, Vector, type Operand } from './handles.js';
import { Tape, isNumberArray, typeName, type TapeOptions } from './tape.js';
import { ArgumentError, TapeMismatchError } from './errors.js';

/** What a differentiated function may be called with. */
export type Argument = number | Float64Array | readonly number[];
/** The gradient's shape mirrors the argument's: number ↔ number, array ↔ Float64Array. */
export type GradientOf<A> = A extends number ? number : Float64Array;
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

/** grad's and valueAndGrad's options: those of the Tape each call records on. */
export type GradOptions = Pick<TapeOptions, 'backend' | 'maxBytes' | 'reserve'>;

/** Inside f, a number argument arrives as a Scalar handle and an array as a Vector handle. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Differentiable = (...handles: any[]) => Operand | Vector | readonly Operand[];

/** Returns a function computing f's value and its gradient with respect to every argument. */
export function valueAndGrad(f: Differentiable, options: GradOptions = {}) {
  if (typeof f !== 'function') throw new ArgumentError(`valueAndGrad takes a function, got ${typeName(f)}`);
  let spare: Tape | undefined; // reused across calls: reset() keeps its memory
  let busy = false;
  return <A extends Argument[]>(...args: A): ValueAndGrad<Gradients<A>> => {
    checkArguments(f, args);
    // A nested call (f calling this same function) gets a tape of its own.
    const reuse = !busy;
    const tape = reuse && spare ? (spare.reset(), spare) : new Tape(options);
    if (reuse) {
      spare = tape;
      busy = true;
    }
    try {
      return differentiate(f, tape, args) as ValueAndGrad<Gradients<A>>;
    } finally {
      if (reuse) busy = false;
      else tape.dispose();
    }
  };
}

/** Returns a function computing f's gradient with respect to every argument. */
export function grad(f: Differentiable, options: GradOptions = {}) {
  const both = valueAndGrad(f, options);
  return <A extends Argument[]>(...args: A): Gradients<A> => both(...args).grad;
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
    if (typeof a !== 'number' && !isNumberArray(a)) {
      throw new ArgumentError(`argument ${i} must be a number, a Float64Array or a number[], got ${typeName(a)}`);
    }
  }
}

function differentiate(f: Differentiable, tape: Tape, args: Argument[]): ValueAndGrad<unknown> {
  const handles = args.map((a) => tape.input(a));
  const out = f(...handles);
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
  const grads = handles.map((h, i) => {
    const a = args[i];
    if (typeof out === 'number') return typeof a === 'number' ? 0 : new Float64Array(a.length);
    if (h instanceof Scalar) return core.adjoint(h.id);
    const g = new Float64Array(h.length);
    core.readAdjoints(h.start, h.length, g, 0);
    return g;
  });
  return { value, grad: grads.length === 1 ? grads[0] : grads };
}
