/** @file compile(f, ...shapes): trace f once into a program, then load it for fast replays. */
import { Scalar, Vector, Matrix, type Operand, type Tensor } from '../handles.js';
import { ArgumentError, TapeMismatchError } from '../errors.js';
import { isNumberArray, typeName } from '../tape.js';
import { createCore } from '../backends.js';
import type { TapeCore } from '../core.js';
import { CompiledFunction, type ArgumentsAt, type Backend, type CompiledArgument } from './compiled.js';
import { wrtList } from '../wrt.js';
import { argumentsFromLeaves, flattenArguments, isPlainObject, isTreeNode, treeDef, type Tree } from '../trees.js';
import { CompiledTreeFunction, leafWrt, type ArgumentLayout } from './tree-function.js';
import { decode } from './format.js';
import { inputCount, programFrom, recordArguments, type Program } from './program.js';

/** An argument's shape: 'scalar', a vector length, or a sample argument (number[] or
 *  Float64Array: a vector of its length, traced at its values); or a tree of those (plain
 *  objects and arrays, e.g. `{ w: 6, b: 'scalar' }` or the parameter tree itself). */
export type Shape = 'scalar' | number | Float64Array | readonly number[] | ShapeArray | ShapeObject;
/** An array node of a tree of shapes. */
export interface ShapeArray extends ReadonlyArray<Shape> {}
/** An object node of a tree of shapes. */
export interface ShapeObject {
  readonly [key: string]: Shape;
}

/** The handle f receives for an argument of shape S: a Scalar for 'scalar', a Vector for a
 *  length or sample, and the same tree of handles for a tree. */
export type HandleOf<S> = S extends 'scalar'
  ? Scalar
  : S extends number | Float64Array | readonly number[]
    ? Vector
    : { -readonly [K in keyof S]: HandleOf<S[K]> };
/** f's parameters for these shapes (any handle when the shapes are not a tuple known to tsc). */
export type HandlesOf<S extends readonly Shape[]> = number extends S['length'] ? any[] : { -readonly [K in keyof S]: HandleOf<S[K]> }; // eslint-disable-line @typescript-eslint/no-explicit-any
/** What the compiled function is called with for an argument of shape S (a tree for a tree). */
export type ArgumentOf<S> = S extends 'scalar'
  ? number
  : S extends number | Float64Array | readonly number[]
    ? Float64Array | readonly number[]
    : { -readonly [K in keyof S]: ArgumentOf<S[K]> };
/** The compiled function's arguments for these shapes. */
export type ArgumentsOf<S extends readonly Shape[]> = number extends S['length'] ? CompiledArgument[] : { -readonly [K in keyof S]: ArgumentOf<S[K]> };
/** A number for each scalar parameter of f (compile without shapes). */
export type NumbersFor<P extends readonly Scalar[]> = { -readonly [K in keyof P]: number };
/** What a traced function may return: a scalar (handle or number), a vector or matrix, or an array of scalars. */
export type Traceable = Operand | Tensor | readonly Operand[];
/** A compiled function's value: a number for a scalar result, a Float64Array for a vector-valued one. */
export type ValueOf<R> = R extends Operand ? number : Float64Array;

/** compile's and fromBytes's options. */
export interface CompileOptions {
  /** 'wasm' (default) or 'js', the pure-JS tape. */
  backend?: Backend;
  /** Ceiling on the bytes of the compiled tape. */
  maxBytes?: number;
  /** Reverse-sweep design (wasm): 'recompute' partials from the stored values (default,
   *  25 B/node), or 'store' them during the forward sweep (41 B/node). See README. */
  partials?: 'recompute' | 'store';
  /** The indices of the arguments to differentiate (default: all), in the order gradients are
   *  returned; the others are data: no adjoint is accumulated into them, vector rows skip
   *  their partials (a matmul with data X computes no X̄), and gradients, directions, Jacobian
   *  columns and Hessians cover the listed arguments only. */
  wrt?: readonly number[];
  /** Wasm backend: 'auto' (default) replays through WebAssembly code generated for this tape
   *  where the generator handles it (in a browser, once it compiled), 'off' keeps the interpreter. */
  codegen?: 'auto' | 'off';
}

/** compile's options with a `wrt` list, typed so that gradients follow it. */
export type CompileOptionsWith<W extends readonly number[]> = CompileOptions & {
  /** The differentiated arguments' indices (see CompileOptions.wrt). */
  wrt: W;
};

/** Traces f once for arguments of the given shapes (default: one scalar per parameter of f)
 *  and returns a compiled function that replays the tape with new inputs. A JS `if` on a
 *  traced value would be frozen at trace time, so reading one throws TracingError: branch
 *  with comparisons and where(cond, a, b), which the tape records.
 *
 *  This form, without shapes, traces one scalar per parameter of f (it comes first so that tsc
 *  tries it before the shaped forms). */
export function compile<P extends Scalar[], R extends Traceable, const W extends readonly number[]>(f: (...handles: P) => R, options: CompileOptionsWith<W>): CompiledFunction<NumbersFor<P>, ValueOf<R>, ArgumentsAt<NumbersFor<P>, W>>;
/** Traces one scalar per parameter of f. */
export function compile<P extends Scalar[], R extends Traceable>(f: (...handles: P) => R, options?: CompileOptions): CompiledFunction<NumbersFor<P>, ValueOf<R>>;
/** Traces f for arguments of these shapes, with options last that differentiate only `wrt`. */
export function compile<const S extends readonly Shape[], R extends Traceable, const W extends readonly number[]>(
  f: (...handles: HandlesOf<S>) => R,
  ...shapesAndOptions: [...S, CompileOptionsWith<W>]
): CompiledFunction<ArgumentsOf<S>, ValueOf<R>, ArgumentsAt<ArgumentsOf<S>, W>>;
/** Traces f for arguments of these shapes, with options last. */
export function compile<const S extends readonly Shape[], R extends Traceable>(
  f: (...handles: HandlesOf<S>) => R,
  ...shapesAndOptions: [...S, CompileOptions]
): CompiledFunction<ArgumentsOf<S>, ValueOf<R>>;
/** Traces f for arguments of these shapes: 'scalar', a vector length, a sample array, or a tree
 *  of those (after the forms with options, which a tree of shapes could otherwise pass for). */
export function compile<const S extends readonly Shape[], R extends Traceable>(f: (...handles: HandlesOf<S>) => R, ...shapes: S): CompiledFunction<ArgumentsOf<S>, ValueOf<R>>;
export function compile(f: (...handles: any[]) => Traceable, ...shapesAndOptions: (Shape | CompileOptions | undefined)[]): CompiledFunction<any, any> {
  if (typeof f !== 'function') throw new ArgumentError(`compile takes a function, got ${typeName(f)}`);
  const last = shapesAndOptions[shapesAndOptions.length - 1];
  // Options are a plain object of option names; arrays (even malformed ones) are shapes and get
  // checked as such, and so is an object with other keys (a tree of shapes).
  const hasOptions = isOptions(last);
  const options = (hasOptions ? last : {}) as CompileOptions;
  const shapes = (hasOptions ? shapesAndOptions.slice(0, -1) : shapesAndOptions) as Shape[];
  if (shapes.length === 0) {
    if (f.length === 0) throw new ArgumentError('compile needs the shapes of the arguments: compile(f, n) for a vector of length n, compile(f, "scalar") for a number');
    for (let i = 0; i < f.length; i++) shapes.push('scalar');
  }
  if (f.length > 0 && shapes.length !== f.length) {
    throw new ArgumentError(`the function takes ${f.length} argument${f.length === 1 ? '' : 's'} but compile got ${shapes.length} shape${shapes.length === 1 ? '' : 's'}`);
  }
  checkOptions(options);
  const wrt = wrtList(options.wrt, shapes.length, 'compile');
  const backend = options.backend ?? 'wasm';
  if (shapes.some(isTreeNode)) return compileTrees(f, shapes, options, wrt);
  const args = Int32Array.from(shapes, (s, i) => shapeLength(s, i));
  const program = trace(f, shapes, args, backend, wrt);
  return new CompiledFunction(program, options);
}

/** Every option name compile and fromBytes know: an object of only these is the options. */
const OPTION_NAMES = ['backend', 'maxBytes', 'partials', 'wrt', 'codegen'];

function isOptions(x: unknown): boolean {
  return isPlainObject(x) && Object.keys(x).every((k) => OPTION_NAMES.includes(k));
}

/** compile for shapes some of which are trees: the tape's arguments are the trees' leaves. */
function compileTrees(f: (...handles: any[]) => Traceable, shapes: Shape[], options: CompileOptions, wrt: Int32Array): CompiledFunction<any, any> {
  const layout: ArgumentLayout[] = shapes.map((s, i) => (isTreeNode(s) ? treeDef(s, `shape ${i}`, (leaf, path) => shapeLength(leaf as Shape, path)) : undefined));
  const leafShapes = flattenArguments(layout, shapes, [], (i) => `shape ${i}`) as Shape[];
  const args = Int32Array.from(leafShapes, (s, i) => shapeLength(s, `leaf ${i}`));
  const onLeaves = (...handles: unknown[]) => f(...argumentsFromLeaves(layout, handles));
  const program = trace(onLeaves, leafShapes, args, options.backend ?? 'wasm', leafWrt(layout, wrt));
  return new CompiledTreeFunction(program, options, layout, wrt);
}

/** Reads a tape written by toBytes (validating every op, index and length). */
export function fromBytes<A extends CompiledArgument[] = CompiledArgument[], V extends number | Float64Array = number | Float64Array>(
  bytes: Uint8Array | ArrayBuffer,
  options: CompileOptions = {},
): CompiledFunction<A, V> {
  checkOptions(options);
  return new CompiledFunction<A, V>(decode(bytes), options);
}

function checkOptions(options: CompileOptions): void {
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'js') throw new ArgumentError(`unknown backend ${JSON.stringify(backend)}: use 'wasm' (default) or 'js'`);
  if (options.partials !== undefined && options.partials !== 'recompute' && options.partials !== 'store') {
    throw new ArgumentError(`unknown partials option ${JSON.stringify(options.partials)}: use 'recompute' (default) or 'store'`);
  }
  if (options.codegen !== undefined && options.codegen !== 'auto' && options.codegen !== 'off') {
    throw new ArgumentError(`unknown codegen option ${JSON.stringify(options.codegen)}: use 'auto' (default) or 'off'`);
  }
  if (options.maxBytes !== undefined && !(options.maxBytes > 0)) throw new ArgumentError(`maxBytes must be a positive number of bytes, got ${options.maxBytes}`);
}

/** A vector argument needs at least 16 bytes a slot (its value and its adjoint): 2²⁸ of them fill wasm32's 4 GiB. */
const MAX_VECTOR_LENGTH = 2 ** 28;

/** The shape that compiles f for arguments like `value`: 'scalar' for a number, the sample itself
 *  for a vector, and the same tree for a parameter tree (whose number leaves, as shapes, would
 *  otherwise read as vector lengths): `compile(loss, shapeOf(params), batchLength)`. */
export function shapeOf<T extends Tree>(value: T): ShapeOfValue<T> {
  if (typeof value === 'number') return 'scalar' as ShapeOfValue<T>;
  if (isNumberArray(value)) return value as ShapeOfValue<T>;
  if (Array.isArray(value) && isTreeNode(value)) return value.map((v) => shapeOf(v as Tree)) as unknown as ShapeOfValue<T>;
  if (isPlainObject(value)) {
    const out: Record<string, Shape> = {};
    for (const k of Object.keys(value)) out[k] = shapeOf(value[k] as Tree);
    return out as ShapeOfValue<T>;
  }
  throw new ArgumentError(`shapeOf takes a number, a Float64Array, a number[] or a tree of those, got ${typeName(value)}`);
}

/** shapeOf's result type: 'scalar' for number leaves, the value's own type for vectors. */
export type ShapeOfValue<T> = T extends number ? 'scalar' : T extends Float64Array | readonly number[] ? T : { -readonly [K in keyof T]: ShapeOfValue<T[K]> };

function shapeName(i: number | string): string {
  return typeof i === 'number' ? `shape ${i}` : i;
}

/** An argument's length from its shape: −1 for 'scalar'. `i` names it in errors (its index, or a path in a tree). */
export function shapeLength(s: Shape, i: number | string): number {
  if (s === 'scalar') return -1;
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 0) throw new ArgumentError(`${shapeName(i)}: a vector length must be a non-negative integer, got ${s} (use 'scalar' for a number argument)`);
    if (s > MAX_VECTOR_LENGTH) throw new ArgumentError(`${shapeName(i)}: length ${s} is more than a tape can index (${MAX_VECTOR_LENGTH})`);
    return s;
  }
  if (isNumberArray(s)) return s.length;
  throw new ArgumentError(`${shapeName(i)} must be 'scalar', a vector length, a sample array or a tree of those, got ${typeName(s)}`);
}

function trace(f: (...handles: any[]) => Traceable, shapes: Shape[], args: Int32Array, backend: Backend, wrt: Int32Array): Program {
  const core: TapeCore = createCore(backend);
  try {
    const samples = new Float64Array(inputCount(args));
    let at = 0;
    shapes.forEach((s, i) => {
      if (isNumberArray(s)) samples.set(s, at);
      at += args[i] < 0 ? 1 : args[i];
    });
    at = recordArguments(core, args, samples);
    const handles = Array.from(args, (len, i) => {
      const h = len < 0 ? new Scalar(core, at) : new Vector(core, at, len, !wrt.includes(i));
      at += len < 0 ? 1 : len;
      return h;
    });
    core.tracing = true;
    let result: unknown;
    try {
      result = f(...handles);
    } finally {
      core.tracing = false;
    }
    const { ids, vector } = outputsOf(result, core);
    return programFrom(core.snapshot(), args, ids, vector, wrt);
  } finally {
    core.dispose();
  }
}

/** The output slot ids of f's result: a scalar handle, a number, a vector handle, or an array of those. */
function outputsOf(result: unknown, core: TapeCore): { ids: number[]; vector: boolean } {
  const idOf = (x: unknown, where: string): number => {
    if (x instanceof Scalar) {
      if (x.core !== core) throw new TapeMismatchError(`${where} is a handle from another tape: build the result from f's own arguments`);
      return x.id;
    }
    if (typeof x === 'number') return core.constant(x);
    throw new ArgumentError(`${where} must be a handle or a number, got ${typeName(x)}`);
  };
  if (result instanceof Vector || result instanceof Matrix) {
    if (result.core !== core) throw new TapeMismatchError("f returned a vector from another tape: build the result from f's own arguments");
    if (result.length === 0) throw new ArgumentError('f returned an empty vector: a compiled function needs at least one output');
    return { ids: Array.from({ length: result.length }, (_, i) => result.start + i), vector: true };
  }
  if (Array.isArray(result)) {
    if (result.length === 0) throw new ArgumentError('f returned an empty array: a compiled function needs at least one output');
    return { ids: result.map((x, i) => idOf(x, `output ${i}`)), vector: true };
  }
  if (result instanceof Scalar || typeof result === 'number') return { ids: [idOf(result, "f's result")], vector: false };
  throw new ArgumentError(`f must return a scalar handle, a number, a vector handle or an array of those, got ${typeName(result)}`);
}
