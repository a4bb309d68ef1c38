/** @file A compiled function: one tape recorded once, replayed in its backend with new inputs. */
import type { TapeCore } from '../core.js';
import { ArgumentError, StaleHandleError } from '../errors.js';
import { isNumberArray, typeName } from '../tape.js';
import { createCore, wasmMemoryInUse, type Backend } from '../backends.js';
import { encode } from './format.js';
import { constantValues, loadProgram, rowSlots, type Program } from './program.js';
import { dotGraph, wengertList } from './print.js';
import { describe } from '../operands.js';
import { HigherOrder, type HessianOptions, type JacobianOptions, type ShapedLikeArguments, type SparseHessianOptions, type SparseJacobianOptions } from '../higher/higher-order.js';
import type { SparseMatrix } from '../higher/sparse.js';
import type { GradientOf, Gradients, ValueAndGrad } from '../grad.js';
import type { Tree } from '../trees.js';
import { GeneratedSweeps, defaultCodegen, type Codegen } from '../codegen/generated-sweeps.js';

export type { Backend };
/** What a compiled function is called with: a number for a 'scalar' shape, an array of the
 *  compiled length for a vector, a tree of those for a tree. */
export type CompiledArgument = Tree;
/** What jvp returns: f's value and the directional derivative J·v, each a number for a scalar f. */
export interface ValueAndTangent<V extends number | Float64Array = number | Float64Array> {
  /** f(args). */
  value: V;
  /** J·v. */
  tangent: V;
}
/** A gradient shaped like the arguments A (ShapedLikeArguments when tsc does not know A's length). */
export type GradientsOf<A extends readonly CompiledArgument[]> = number extends A['length'] ? ShapedLikeArguments : Gradients<A>;
/** A direction (jvp, hvp) shaped like the arguments A: like the one argument, or an array with one entry per argument. */
export type DirectionOf<A extends readonly CompiledArgument[]> = A extends readonly [infer X] ? DirectionOfArgument<X> : number extends A['length'] ? unknown : readonly CompiledArgument[];
/** A direction for one argument: a number, a vector, or the same tree of those. */
export type DirectionOfArgument<X> = X extends number ? number : X extends Float64Array | readonly number[] ? Float64Array | readonly number[] : { [K in keyof X]: DirectionOfArgument<X[K]> };
/** Where a gradient may be written: a Float64Array for one vector argument, else an array with one entry per argument. */
export type GradientOut<A extends readonly CompiledArgument[]> = A extends readonly [infer X] ? GradientOf<X> : number extends A['length'] ? unknown : (number | Float64Array)[] | { -readonly [K in keyof A]: GradientOf<A[K]> };

/** What `stats` reports about a compiled function's tape. */
export interface CompiledStats {
  /** Values on the tape: inputs, constants, results. */
  nodes: number;
  /** Instructions (a where() takes two). */
  rows: number;
  /** Bytes this function's tape holds. */
  bytes: number;
  /** bytes / nodes. */
  bytesPerNode: number;
  /** Bytes of wasm memory in use by every tape together (0 on the JS backend). */
  memoryInUse: number;
  /** What ran the last replay (before any: what will run the next): code generated for this
   *  tape, or the interpreter (the JS backend, codegen 'off', a tape the generator does not
   *  handle, or the module still compiling in a browser). */
  engine: 'generated' | 'interpreter';
  /** Why the interpreter runs when it does (absent when the generated code runs). */
  engineReason?: string;
  /** Bytes of the generated wasm module (0 when none). */
  moduleBytes: number;
  /** Loops of the tape (a body recorded over and over, as a `for` loop records it) that the
   *  generated module runs as wasm loops rather than written out row by row. */
  rolledLoops: number;
}


/** The arguments A at the indices W, in W's order: what a `wrt` list differentiates. */
export type ArgumentsAt<A extends readonly CompiledArgument[], W extends readonly number[]> = number extends A['length'] | W['length']
  ? CompiledArgument[]
  : { -readonly [K in keyof W]: W[K] extends keyof A ? A[W[K]] : never };

/** A compiled function of arguments A (from compile's shapes) whose value is V (number for a
 *  scalar f, Float64Array for a vector-valued f); gradients, directions and Hessians are shaped
 *  like the differentiated arguments G (all of A unless compiled with `wrt`). */
export class CompiledFunction<A extends CompiledArgument[] = CompiledArgument[], V extends number | Float64Array = number | Float64Array, G extends CompiledArgument[] = A> {
  private core: TapeCore;
  private readonly inputStart: number;
  private readonly outputs: Int32Array;
  /** The output recorded last: the reverse sweep starts at its row. */
  private readonly lastOutput: number;
  /** Where each argument starts in the input block. */
  private readonly offsets: number[];
  private readonly args: Int32Array;
  /** The differentiated arguments, in the order gradients list them. */
  private readonly wrt: Int32Array;
  /** Whether f returned a vector (value is a Float64Array; use vjp or jacobian for derivatives). */
  readonly vectorOutput: boolean;
  /** Where the tape lives and replays: 'wasm' (default) or 'js'. */
  readonly backend: Backend;

  /** Loads a validated program into a fresh tape of the given backend (compile and fromBytes call it).
   *  @internal */
  constructor(program: Program, options: { backend?: Backend; maxBytes?: number; partials?: 'recompute' | 'store'; codegen?: Codegen } = {}) {
    const backend = options.backend ?? 'wasm';
    let slots = 0;
    for (let r = 0; r < program.op.length; r++) slots += rowSlots(program, r);
    // One segment holds the whole program, so every vector range stays contiguous.
    const reserve = Math.max(program.op.length, slots) + 1;
    this.core = createCore(backend, { reserve, maxBytes: options.maxBytes });
    this.backend = backend;
    const loaded = loadProgram(this.core, program);
    this.core.flush(); // the higher-order sweeps read the tape through wasm directly
    this.inputStart = loaded.inputStart;
    this.outputs = loaded.outputs;
    let last = program.outputs[0];
    for (const o of program.outputs) if (o > last) last = o;
    this.lastOutput = loaded.outputs[Array.prototype.indexOf.call(program.outputs, last)];
    this.args = program.args;
    this.wrt = program.wrt;
    this.vectorOutput = program.vectorOutput;
    this.offsets = [];
    let at = 0;
    for (const len of program.args) {
      this.offsets.push(at);
      at += len < 0 ? 1 : len;
    }
    if (options.partials === 'store') this.core.storePartials();
    this.generated = this.generate(program, options.codegen ?? defaultCodegen());
  }

  /** The generated sweeps (wasm backend, codegen 'auto'), or why the interpreter runs. */
  private readonly generated: GeneratedSweeps | string;
  /** Which engine ran the last forward sweep. */
  private lastEngine?: 'generated' | 'interpreter';

  private generate(program: Program, codegen: Codegen): GeneratedSweeps | string {
    if (this.backend !== 'wasm') return 'the JS backend replays on the interpreter';
    if (codegen === 'off') return "codegen: 'off'";
    // The generated code addresses slot k of the program as the core's slot inputStart + k.
    for (let j = 0; j < program.outputs.length; j++) {
      if (this.outputs[j] !== this.inputStart + program.outputs[j]) return 'the tape does not lie in one run of slots';
    }
    return new GeneratedSweeps(program, this.inputStart, this.core.tape);
  }

  private sweepForward(): void {
    const g = this.generated;
    if (typeof g !== 'string' && g.forward()) this.lastEngine = 'generated';
    else {
      this.core.forward();
      this.lastEngine = 'interpreter';
    }
  }

  /** The reverse sweep from the seeded outputs, on the engine that ran the forward sweep; the
   *  interpreter starts at the row of `from` (the generated sweep runs every row: those after
   *  `from` have adjoint 0 and add nothing, so the bits are the same). */
  private sweepReverse(from = this.lastOutput): void {
    const g = this.generated;
    if (this.lastEngine === 'generated' && typeof g !== 'string' && g.reverse()) return;
    this.core.reverseFrom(from);
  }

  /** Number of arguments the function takes. */
  get arity(): number {
    return this.args.length;
  }

  /** The indices of the differentiated arguments, in the order gradients are returned (every
   *  argument unless compiled with `wrt`; the others are data). */
  get differentiated(): number[] {
    return Array.from(this.wrt);
  }

  /** Number of outputs (1 for a scalar function). */
  get outputCount(): number {
    return this.outputs.length;
  }

  /** f(args): a number, or a Float64Array for a vector-valued f. */
  value(...args: A): V {
    this.replay(args, 'value');
    return this.readValue() as V;
  }

  /** ∇f(args), shaped like the (differentiated) arguments; fills `out` when given as one extra argument. */
  grad(...args: A | [...A, GradientOut<G>]): GradientsOf<G> {
    return this.valueAndGrad(...args).grad;
  }

  /** { value: f(args), grad: ∇f(args) }; `grad` is `out` when given as one extra argument. */
  valueAndGrad(...args: A | [...A, GradientOut<G>]): ValueAndGrad<GradientsOf<G>> {
    if (this.vectorOutput) {
      throw new ArgumentError(`grad needs a scalar function but this one returns ${this.outputs.length} values: use vjp(…args, u) or jacobian(…args)`);
    }
    const [inputs, out] = this.splitOut(args, 'valueAndGrad');
    this.replay(inputs, 'valueAndGrad');
    const core = this.core;
    const value = core.value(this.outputs[0]);
    core.setAdjoint(this.outputs[0], 1);
    this.sweepReverse();
    return { value, grad: this.readGradient(out) as GradientsOf<G> };
  }

  /** ∇f(args) shaped like the arguments, each vector argument's gradient a Float64Array over the
   *  tape's own memory (no copy, no allocation for it): valid until this function is next
   *  called, disposed or garbage-collected; read or copy it before then. Where wasm memory is
   *  shared (Node, cross-origin-isolated pages) memory growth never invalidates it. */
  gradView(...args: A): GradientsOf<G> {
    if (this.vectorOutput) {
      throw new ArgumentError(`gradView needs a scalar function but this one returns ${this.outputs.length} values: use vjp(…args, u) or jacobian(…args)`);
    }
    this.replay(args, 'gradView');
    const core = this.core;
    core.setAdjoint(this.outputs[0], 1);
    this.sweepReverse();
    const view = (i: number): number | Float64Array => {
      const at = this.inputStart + this.offsets[i];
      return this.args[i] < 0 ? core.adjoint(at) : core.adjointsView(at, this.args[i]);
    };
    return (this.wrt.length === 1 ? view(this.wrt[0]) : Array.from(this.wrt, (i) => view(i))) as GradientsOf<G>;
  }

  /** uᵀJ: the gradient of u · f(args) for a vector-valued f, shaped like the arguments. */
  vjp(...argsAndU: [...A, Float64Array | readonly number[] | number] | [...A, Float64Array | readonly number[] | number, GradientOut<G>]): GradientsOf<G> {
    const n = this.args.length;
    if (argsAndU.length !== n + 1 && argsAndU.length !== n + 2) {
      throw new ArgumentError(`vjp takes the ${n} argument${n === 1 ? '' : 's'}, then u (length ${this.outputs.length}), then an optional out; got ${argsAndU.length} values`);
    }
    const inputs = argsAndU.slice(0, n) as CompiledArgument[];
    const u = argsAndU[n];
    if (!isNumberArray(u) && !(typeof u === 'number' && this.outputs.length === 1)) {
      throw new ArgumentError(`vjp: u must be a Float64Array or number[] of length ${this.outputs.length}, got ${describe(u)}`);
    }
    const weights = typeof u === 'number' ? [u] : u;
    if (weights.length !== this.outputs.length) {
      throw new ArgumentError(`vjp: u has length ${weights.length} but the function has ${this.outputs.length} outputs`);
    }
    this.replay(inputs, 'vjp');
    const core = this.core;
    // Outputs may repeat a slot, so seeds add up (the forward sweep zeroed every adjoint).
    for (let j = 0; j < this.outputs.length; j++) core.setAdjoint(this.outputs[j], core.adjoint(this.outputs[j]) + weights[j]);
    this.sweepReverse();
    return this.readGradient(argsAndU.length === n + 2 ? argsAndU[n + 1] : undefined) as GradientsOf<G>;
  }

  /** The versioned bytes of this tape: wengert's fromBytes(bytes) reads them back. */
  toBytes(): Uint8Array {
    return encode(this.program());
  }

  /** The Wengert list, one line per value (the first `limit` lines of a large tape). */
  toString(limit = 200): string {
    return wengertList(this.program(), limit);
  }

  /** A Graphviz digraph of the tape. */
  toDot(): string {
    return dotGraph(this.program());
  }

  /** Sizes of the tape and of the wasm memory in use. */
  get stats(): CompiledStats {
    const { rows, slots, bytes } = this.live().stats();
    return {
      nodes: slots,
      rows,
      bytes,
      bytesPerNode: bytes / Math.max(1, slots),
      memoryInUse: this.backend === 'wasm' ? wasmMemoryInUse() : 0,
      ...this.engineStats(),
    };
  }

  private engineStats(): Pick<CompiledStats, 'engine' | 'engineReason' | 'moduleBytes' | 'rolledLoops'> {
    const g = this.generated;
    if (typeof g === 'string') return { engine: 'interpreter', engineReason: g, moduleBytes: 0, rolledLoops: 0 };
    const state = g.state;
    const engine = this.lastEngine ?? state.engine;
    const reason = engine === 'generated' ? undefined : (state.reason ?? 'the generated module was not ready at the last replay');
    const module = { moduleBytes: state.moduleBytes, rolledLoops: state.rolledLoops };
    return reason === undefined ? { engine, ...module } : { engine, engineReason: reason, ...module };
  }

  /** Frees the tape; its memory is reused by the next tape. */
  dispose(): void {
    this.core.dispose();
    this.higherOrder?.dispose();
  }

  /** Whether dispose() was called: every method then throws StaleHandleError. */
  get disposed(): boolean {
    return !this.core.live;
  }

  private live(): TapeCore {
    if (!this.core.live) throw new StaleHandleError('this compiled function was disposed: compile it again');
    return this.core;
  }

  /** Rebuilds the program from the live tape (its rows are the truth; nothing is cached). */
  private program(): Program {
    const snap = this.live().snapshot();
    const consts = constantValues(snap, snap.values);
    return {
      op: snap.op, a: snap.a, b: snap.b, consts, args: this.args, outputs: this.outputs.map((id) => snap.relative(id)), vectorOutput: this.vectorOutput, wrt: this.wrt,
    };
  }

  private splitOut(args: unknown[], what: string): [CompiledArgument[], unknown] {
    const n = this.args.length;
    if (args.length === n) return [args as CompiledArgument[], undefined];
    if (args.length === n + 1) return [args.slice(0, n) as CompiledArgument[], args[n]];
    throw new ArgumentError(`${what} takes the function's ${n} argument${n === 1 ? '' : 's'} (plus an optional out), got ${args.length}`);
  }

  /** Writes the arguments into the input slots and runs the forward sweep (unless `run` is false). */
  private replay(args: CompiledArgument[], what: string, run = true): void {
    if (args.length !== this.args.length) {
      throw new ArgumentError(`${what} takes ${this.args.length} argument${this.args.length === 1 ? '' : 's'}, got ${args.length}`);
    }
    this.writeArguments(args);
    if (run) this.sweepForward();
  }

  /** Checks the first `arity` entries of `args` and writes them into the input slots (the
   *  higher-order methods pass their whole argument list: no copy of its head per call). */
  private writeArguments(args: readonly unknown[]): void {
    const core = this.live();
    for (let i = 0; i < this.args.length; i++) {
      const x = args[i];
      const len = this.args[i];
      const at = this.inputStart + this.offsets[i];
      if (len < 0) {
        if (typeof x !== 'number') throw new ArgumentError(`argument ${i} must be a number (it was compiled as a scalar), got ${describe(x)}`);
        core.setValue(at, x);
      } else {
        if (!isNumberArray(x)) throw new ArgumentError(`argument ${i} must be a Float64Array or number[] of length ${len}, got ${describe(x)}`);
        if (x.length !== len) {
          throw new ArgumentError(`argument ${i} has length ${x.length} but the function was compiled for length ${len}: compile again with that shape`);
        }
        core.writeValues(at, x);
      }
    }
  }

  private readValue(): number | Float64Array {
    const core = this.core;
    if (!this.vectorOutput) return core.value(this.outputs[0]);
    const out = new Float64Array(this.outputs.length);
    for (let j = 0; j < out.length; j++) out[j] = core.value(this.outputs[j]);
    return out;
  }

  /** The differentiated arguments' adjoints, in wrt order. */
  private readGradient(out: unknown): number | Float64Array | (number | Float64Array)[] {
    const wrt = this.wrt;
    const n = wrt.length;
    if (n === 1) return this.readArgument(wrt[0], out);
    if (out !== undefined && !(Array.isArray(out) && out.length === n)) {
      throw new ArgumentError(`out must be an array of ${n} entries (a Float64Array per differentiated vector argument), got ${describe(out)}`);
    }
    const result: (number | Float64Array)[] = (out as (number | Float64Array)[] | undefined) ?? new Array(n);
    for (let k = 0; k < n; k++) result[k] = this.readArgument(wrt[k], out === undefined ? undefined : result[k]);
    return result;
  }

  private readArgument(i: number, out: unknown): number | Float64Array {
    const len = this.args[i];
    const at = this.inputStart + this.offsets[i];
    if (len < 0) return this.core.adjoint(at);
    if (out !== undefined && !(out instanceof Float64Array && out.length === len)) {
      throw new ArgumentError(`out for argument ${i} must be a Float64Array of length ${len}, got ${describe(out)}`);
    }
    const g = (out as Float64Array | undefined) ?? new Float64Array(len);
    this.core.readAdjoints(at, len, g, 0);
    return g;
  }

  // ── higher order (src/higher/): tangents forward, forward-over-reverse ──

  private higherOrder?: HigherOrder;

  private higher(): HigherOrder {
    this.live();
    return (this.higherOrder ??= new HigherOrder({
      core: this.core,
      inputStart: this.inputStart,
      args: this.args,
      offsets: this.offsets,
      wrt: this.wrt,
      outputs: this.outputs,
      lastOutput: this.lastOutput,
      vectorOutput: this.vectorOutput,
      writeInputs: (args) => this.writeArguments(args),
      sweepForward: () => this.sweepForward(),
      sweepReverse: (from) => this.sweepReverse(from),
      program: () => this.program(),
    }));
  }

  /** { value: f(args), tangent: J·v }: the directional derivative along v with the value, in one
   *  forward sweep. v mirrors the arguments (several arguments: an array of their shapes);
   *  tangent is a number for a scalar f, a Float64Array for a vector-valued f. */
  jvp(...argsAndV: [...A, DirectionOf<G>]): ValueAndTangent<V> {
    return this.higher().jvp(argsAndV) as ValueAndTangent<V>;
  }

  /** H·v, the Hessian of a scalar f times v, shaped like the arguments (forward-over-reverse:
   *  one forward and one reverse sweep, each carrying tangents); fills `out` when given. */
  hvp(...argsAndVAndOut: [...A, DirectionOf<G>] | [...A, DirectionOf<G>, GradientOut<G>]): GradientsOf<G> {
    return this.higher().hvp(argsAndVAndOut) as GradientsOf<G>;
  }

  /** The m × n Jacobian as a CSR SparseMatrix ({ sparsity: 'auto' }): the pattern is detected
   *  from the tape and coloured at the first call, then each call takes one sweep per colour. */
  jacobian(...argsAndOptions: [...A, SparseJacobianOptions]): SparseMatrix;
  /** The m × n Jacobian as a row-major Float64Array (n = the differentiated arguments' elements, in wrt order):
   *  n tangent sweeps when n ≤ m, else m reverse sweeps after one forward ({ mode } overrides). */
  jacobian(...argsAndOptions: A | [...A, JacobianOptions & { sparsity?: 'none' }]): Float64Array;
  /** The Jacobian, dense or sparse as the options say. */
  jacobian(...argsAndOptions: A | [...A, JacobianOptions]): Float64Array | SparseMatrix;
  jacobian(...argsAndOptions: A | [...A, JacobianOptions]): Float64Array | SparseMatrix {
    return this.higher().jacobian(argsAndOptions);
  }

  /** The dense Jacobians at many points in one call: each argument stacked over the points
   *  (count × its length, row-major; a scalar argument: count numbers), the result count × m × n
   *  (point t's m × n Jacobian, row-major, from t·m·n) in `out` when given. Per point one forward
   *  sweep and m reverse sweeps, to the bit jacobian(…, { mode: 'reverse' }) at that point, without
   *  a call's fixed cost per point: for many small Jacobians (one per observation of a
   *  least-squares problem) with few outputs. */
  jacobians(...stackedAndOut: { [K in keyof A]: Float64Array | readonly number[] } | [...{ [K in keyof A]: Float64Array | readonly number[] }, Float64Array]): Float64Array {
    this.live();
    return this.higher().jacobians(stackedAndOut);
  }

  /** Several vector-Jacobian products at one point, for a vector-valued f: one forward sweep,
   *  then one reverse sweep per seed. `seeds` is k × m row-major (or k arrays of length m); the
   *  k × n result (row j = uⱼᵀJ over the differentiated arguments' elements) goes into `out`
   *  when given, so a loop of calls allocates nothing. */
  vjps(...argsAndSeeds: [...A, Float64Array | readonly number[] | readonly (Float64Array | readonly number[])[]] | [...A, Float64Array | readonly number[] | readonly (Float64Array | readonly number[])[], Float64Array]): Float64Array {
    return this.higher().vjps(argsAndSeeds);
  }

  /** The n × n Hessian of a scalar f as a CSR SparseMatrix ({ sparsity: 'auto' }): the symmetric
   *  pattern is detected from the tape and its columns coloured at the first call, then each call
   *  takes one Hessian-vector product per colour. */
  hessian(...argsAndOptions: [...A, SparseHessianOptions]): SparseMatrix;
  /** The n × n Hessian of a scalar f (row-major, symmetric; n = the differentiated arguments' elements) from n Hessian-vector products:
   *  n forward + reverse sweeps, O(n·N) for a tape of N nodes. */
  hessian(...argsAndOptions: A | [...A, HessianOptions & { sparsity?: 'none' }]): Float64Array;
  /** The Hessian, dense or sparse as the options say. */
  hessian(...argsAndOptions: A | [...A, HessianOptions]): Float64Array | SparseMatrix;
  hessian(...argsAndOptions: A | [...A, HessianOptions]): Float64Array | SparseMatrix {
    return this.higher().hessian(argsAndOptions);
  }
}

