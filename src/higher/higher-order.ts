/** @file Higher-order derivatives of a compiled function: JVP, HVP, Jacobian and Hessian.
 *
 *  One forward sweep that carries tangents gives a Jacobian-vector product J·v with the value;
 *  one more reverse sweep that carries the tangents of the adjoints gives ∇f and H·v
 *  (forward-over-reverse, assembly/shared/walk.ts). Jacobians and Hessians repeat those sweeps. */
import type { TapeCore, Tangents } from '../core.js';
import { ArgumentError } from '../errors.js';
import { isNumberArray, typeName } from '../tape.js';
import { describe } from '../operands.js';
import type { Program } from '../compile/program.js';
import { hessianPlan, jacobianPlan, sparseHessian, sparseJacobian, type HessianPlan, type Plan, type SparseMatrix } from './sparse.js';

export type { SparseMatrix };

/** A result shaped like the arguments: one per argument, unwrapped for a single argument. */
export type ShapedLikeArguments = number | Float64Array | (number | Float64Array)[];

/** jacobian's options. */
export interface JacobianOptions {
  /** Where to write the m × n Jacobian (a Float64Array of length m·n; no allocation then). */
  out?: Float64Array;
  /** 'forward': one tangent sweep per input element; 'reverse': one reverse sweep per output;
   *  'auto' (default): forward when inputs ≤ outputs (n ≤ m), else reverse. */
  mode?: 'auto' | 'forward' | 'reverse';
  /** 'auto': detect the sparsity pattern from the tape, colour it, and return a SparseMatrix
   *  from one sweep per colour (forward: column colours, reverse: row colours, 'auto' mode: the
   *  fewer); 'none' (default): the dense row-major Float64Array. */
  sparsity?: 'none' | 'auto';
}

/** jacobian's options asking for the sparse result. */
export interface SparseJacobianOptions extends JacobianOptions {
  sparsity: 'auto';
}

/** hessian's options. */
export interface HessianOptions {
  /** 'auto': detect the pattern, colour its columns, and return a SparseMatrix from one
   *  Hessian-vector product per colour; 'none' (default): the dense row-major Float64Array. */
  sparsity?: 'none' | 'auto';
}

/** hessian's options asking for the sparse result. */
export interface SparseHessianOptions extends HessianOptions {
  sparsity: 'auto';
}

/** The 'auto' rule: a tangent sweep gives one column of J, a reverse sweep one row, at about the
 *  same cost, so take the fewer: forward when n ≤ m (inputs ≤ outputs), else reverse. */
export function jacobianMode(inputs: number, outputs: number): 'forward' | 'reverse' {
  return inputs <= outputs ? 'forward' : 'reverse';
}

/** What a compiled function lends its higher-order derivatives (src/compile/compiled.ts). */
export interface CompiledParts {
  readonly core: TapeCore;
  /** Slot id of the first input; the inputs are contiguous, arguments in order. */
  readonly inputStart: number;
  /** Per argument: −1 for a scalar, else the vector's length. */
  readonly args: Int32Array;
  /** Where each argument starts in the input block. */
  readonly offsets: readonly number[];
  /** The differentiated arguments, in the order results list them; the others are data
   *  (tangent 0, no column of the Jacobian, no row of the Hessian). */
  readonly wrt: Int32Array;
  readonly outputs: Int32Array;
  /** The output recorded last: reverse sweeps start at its row. */
  readonly lastOutput: number;
  readonly vectorOutput: boolean;
  /** Checks the first `args.length` (arity) entries of the list and writes them into the input
   *  slots (no sweep; the caller has checked the list's length). */
  writeInputs(args: readonly unknown[]): void;
  /** The forward sweep on the generated code where it is ready, else the interpreter. */
  sweepForward(): void;
  /** The reverse sweep from the seeded adjoints on the engine of the last forward sweep (the
   *  interpreter from the row of `from`). */
  sweepReverse(from: number): void;
  /** The tape as a program (for sparsity detection). */
  program(): Program;
}

export class HigherOrder {
  /** Allocated at the first tangent sweep, freed by dispose(). */
  private tangentStore?: Tangents;
  /** Elements of the differentiated arguments (n of an m × n Jacobian). */
  private readonly inputs: number;
  /** Elements of every argument (the input block). */
  private readonly allInputs: number;
  /** Per differentiated element, in wrt order: its input slot. */
  private readonly columns: Int32Array;
  /** The columns' slots as runs of consecutive slots (start, length), in wrt order. */
  private readonly runStart: Int32Array;
  private readonly runLength: Int32Array;
  /** Sparse plans, made at the first sparse call of each kind and kept. */
  private readonly jacobianPlans = new Map<string, Plan>();
  private hessianPlanStore?: HessianPlan;

  constructor(private readonly f: CompiledParts) {
    let all = 0;
    for (const len of f.args) all += len < 0 ? 1 : len;
    this.allInputs = all;
    const columns: number[] = [];
    for (const i of f.wrt) {
      const len = f.args[i] < 0 ? 1 : f.args[i];
      for (let e = 0; e < len; e++) columns.push(f.inputStart + f.offsets[i] + e);
    }
    this.columns = Int32Array.from(columns);
    this.inputs = columns.length;
    // Consecutive columns in consecutive slots are one run: one copy per run, not per argument.
    const starts: number[] = [], lengths: number[] = [];
    for (let c = 0; c < columns.length; c++) {
      if (c > 0 && columns[c] === columns[c - 1] + 1) lengths[lengths.length - 1]++;
      else {
        starts.push(columns[c]);
        lengths.push(1);
      }
    }
    this.runStart = Int32Array.from(starts);
    this.runLength = Int32Array.from(lengths);
  }

  /** { value: f(x), tangent: J·v }, v shaped like the arguments (see `direction`). */
  jvp(argsAndV: unknown[]): { value: number | Float64Array; tangent: number | Float64Array } {
    const f = this.f;
    const k = f.args.length;
    if (argsAndV.length !== k + 1) throw new ArgumentError(`jvp takes the ${count(k, 'argument')}, then v shaped like the differentiated ones; got ${argsAndV.length} values`);
    f.writeInputs(argsAndV);
    const t = this.tangents();
    this.direction(t, argsAndV[k], 'jvp');
    t.forward(true, false);
    const { core, outputs } = f;
    if (!f.vectorOutput) return { value: core.value(outputs[0]), tangent: t.tangent(outputs[0]) };
    const value = new Float64Array(outputs.length);
    const tangent = new Float64Array(outputs.length);
    for (let j = 0; j < outputs.length; j++) {
      value[j] = core.value(outputs[j]);
      tangent[j] = t.tangent(outputs[j]);
    }
    return { value, tangent };
  }

  /** H·v for a scalar f, shaped like the arguments; fills `out` when given as one more argument. */
  hvp(argsAndV: unknown[]): ShapedLikeArguments {
    const f = this.f;
    const k = f.args.length;
    if (argsAndV.length !== k + 1 && argsAndV.length !== k + 2) {
      throw new ArgumentError(`hvp takes the ${count(k, 'argument')}, then v shaped like the differentiated ones, then an optional out; got ${argsAndV.length} values`);
    }
    this.scalarOnly('hvp');
    f.writeInputs(argsAndV);
    const t = this.tangents();
    this.direction(t, argsAndV[k], 'hvp');
    this.secondOrder(t, true);
    return this.readShaped(t, argsAndV.length === k + 2 ? argsAndV[k + 1] : undefined);
  }

  /** The m × n Jacobian, row-major (row j: ∂fⱼ/∂x over all n input elements, arguments in order). */
  jacobian(argsAndOptions: unknown[]): Float64Array | SparseMatrix {
    const f = this.f;
    const k = f.args.length;
    const hasOptions = argsAndOptions.length === k + 1 && isOptions(argsAndOptions[k]);
    if (argsAndOptions.length !== k && !hasOptions) {
      throw new ArgumentError(`jacobian takes the ${count(k, 'argument')}, then optional options ({ mode, sparsity }); got ${argsAndOptions.length} values`);
    }
    const options = (hasOptions ? argsAndOptions[k] : {}) as JacobianOptions;
    const mode = options.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'forward' && mode !== 'reverse') {
      throw new ArgumentError(`unknown jacobian mode ${JSON.stringify(mode)}: use 'auto', 'forward' or 'reverse'`);
    }
    const sparse = sparsityOf(options.sparsity, 'jacobian');
    const n = this.inputs;
    const m = f.outputs.length;
    const forward = mode === 'auto' ? jacobianMode(n, m) === 'forward' : mode === 'forward';
    const out = hasOptions ? (argsAndOptions[k] as JacobianOptions).out : undefined;
    if (out !== undefined && !(out instanceof Float64Array && out.length === m * n)) {
      throw new ArgumentError(`jacobian: out must be a Float64Array of length ${m * n} (${m} outputs × ${n} inputs), got ${describe(out)}`);
    }
    f.writeInputs(argsAndOptions);
    if (sparse) {
      this.sparseCoversAll('jacobian');
      if (out !== undefined) throw new ArgumentError("jacobian: out is for the dense result; with sparsity: 'auto' the result is a new SparseMatrix");
      let plan = this.jacobianPlans.get(mode);
      if (plan === undefined) this.jacobianPlans.set(mode, (plan = jacobianPlan(f, n, mode)));
      return sparseJacobian(f, plan, () => this.tangents(), n);
    }
    const jac = out ?? new Float64Array(m * n);
    const columns = this.columns;
    if (forward) {
      const t = this.tangents();
      t.writeTangents(f.inputStart, new Float64Array(this.allInputs));
      for (let i = 0; i < n; i++) {
        if (i > 0) t.setTangent(columns[i - 1], 0);
        t.setTangent(columns[i], 1);
        t.forward(i === 0, false);
        for (let j = 0; j < m; j++) jac[j * n + i] = t.tangent(f.outputs[j]);
      }
    } else this.reverseRows(jac, 0);
    return jac;
  }

  /** The dense Jacobians at `count` points in one call: argument i stacked as count × its length
   *  (a scalar argument: count numbers), row-major; the result is count × m × n (point t's
   *  Jacobian at t·m·n, row-major as jacobian's). Per point one forward sweep and m reverse
   *  sweeps with unit seeds, the same as jacobian(…, { mode: 'reverse' }) point by point, without
   *  its per-call checks and option handling. */
  jacobians(stackedAndOut: unknown[]): Float64Array {
    const f = this.f;
    const k = f.args.length;
    if (stackedAndOut.length !== k && stackedAndOut.length !== k + 1) {
      throw new ArgumentError(`jacobians takes the ${count(k, 'argument')}, each stacked over the points, then an optional out; got ${stackedAndOut.length} values`);
    }
    const { core, args, offsets, inputStart, outputs } = f;
    if (k === 0) throw new ArgumentError('jacobians needs a function of at least one argument: with none there is nothing to stack over points');
    let points = -1;
    for (let i = 0; i < k; i++) {
      const x = stackedAndOut[i];
      const len = args[i] < 0 ? 1 : args[i];
      if (!isNumberArray(x) || x.length % len !== 0) {
        throw new ArgumentError(`jacobians: argument ${i} must be a Float64Array or number[] of points × ${len} numbers (its ${args[i] < 0 ? 'value' : `${len} values`} at each point, one after another), got ${describe(x)}`);
      }
      if (points < 0) points = x.length / len;
      else if (x.length / len !== points) {
        throw new ArgumentError(`jacobians: argument ${i} holds ${x.length / len} points but argument 0 holds ${points}: stack every argument over the same points`);
      }
    }
    const m = outputs.length;
    const n = this.inputs;
    const out = stackedAndOut[k];
    if (out !== undefined && !(out instanceof Float64Array && out.length === points * m * n)) {
      throw new ArgumentError(`jacobians: out must be a Float64Array of length ${points * m * n} (${points} points × ${m} outputs × ${n} inputs), got ${describe(out)}`);
    }
    const result = (out as Float64Array | undefined) ?? new Float64Array(points * m * n);
    if (points === 0) return result;
    // A view of the input block's values, taken once: sweeps allocate nothing, so the memory
    // under it cannot grow during the loop.
    const values = core.valuesView(inputStart, this.allInputs);
    for (let t = 0; t < points; t++) {
      for (let i = 0; i < k; i++) {
        const x = stackedAndOut[i] as ArrayLike<number>;
        const len = args[i] < 0 ? 1 : args[i];
        for (let e = 0, from = t * len, at = offsets[i]; e < len; e++) values[at + e] = x[from + e];
      }
      this.reverseRows(result, t * m * n);
    }
    return result;
  }

  /** Several vector-Jacobian products at one point: one forward sweep, then one reverse sweep per
   *  seed u (a row of `seeds`, k × m row-major, or an array of k arrays of length m); row j of the
   *  k × n result is uⱼᵀJ over the differentiated arguments' elements. */
  vjps(argsAndSeeds: unknown[]): Float64Array {
    const f = this.f;
    const k = f.args.length;
    if (argsAndSeeds.length !== k + 1 && argsAndSeeds.length !== k + 2) {
      throw new ArgumentError(`vjps takes the ${count(k, 'argument')}, then the seeds (k × ${f.outputs.length}), then an optional out; got ${argsAndSeeds.length} values`);
    }
    const m = f.outputs.length;
    const n = this.inputs;
    const seeds = argsAndSeeds[k];
    const rows = seedCount(seeds, m);
    const out = argsAndSeeds[k + 1];
    if (out !== undefined && !(out instanceof Float64Array && out.length === rows * n)) {
      throw new ArgumentError(`vjps: out must be a Float64Array of length ${rows * n} (${rows} seeds × ${n} inputs), got ${describe(out)}`);
    }
    const result = (out as Float64Array | undefined) ?? new Float64Array(rows * n);
    f.writeInputs(argsAndSeeds);
    const core = f.core;
    const outputs = f.outputs;
    const flat = isNumberArray(seeds);
    f.sweepForward();
    for (let j = 0; j < rows; j++) {
      if (j > 0) core.zeroAdjoints();
      const u = flat ? seeds : (seeds as ArrayLike<number>[])[j];
      const from = flat ? j * m : 0;
      // Outputs may repeat a slot, so seeds add up.
      for (let o = 0; o < m; o++) core.setAdjoint(outputs[o], core.adjoint(outputs[o]) + u[from + o]);
      f.sweepReverse(f.lastOutput);
      this.readAdjointRow(j * n, result);
    }
    return result;
  }

  /** The n × n Hessian of a scalar f, row-major, from n Hessian-vector products. */
  hessian(argsAndOptions: unknown[]): Float64Array | SparseMatrix {
    const f = this.f;
    const k = f.args.length;
    const hasOptions = argsAndOptions.length === k + 1 && isOptions(argsAndOptions[k]);
    if (argsAndOptions.length !== k && !hasOptions) {
      throw new ArgumentError(`hessian takes the function's ${count(k, 'argument')}, then optional options ({ sparsity }); got ${argsAndOptions.length}`);
    }
    const sparse = sparsityOf(hasOptions ? (argsAndOptions[k] as HessianOptions).sparsity : undefined, 'hessian');
    this.scalarOnly('hessian');
    f.writeInputs(argsAndOptions);
    const t = this.tangents();
    const n = this.inputs;
    const columns = this.columns;
    if (sparse) {
      this.sparseCoversAll('hessian');
      return sparseHessian(f, (this.hessianPlanStore ??= hessianPlan(f, n)), t, n);
    }
    t.writeTangents(f.inputStart, new Float64Array(this.allInputs));
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      if (i > 0) t.setTangent(columns[i - 1], 0);
      t.setTangent(columns[i], 1);
      this.secondOrder(t, i === 0);
      this.readRow(i * n, (at, len, into, offset) => t.readAdjointTangents(at, len, into, offset), h);
    }
    // H eᵢ and H eⱼ agree on (i, j) up to rounding; the average is exactly symmetric.
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) h[i * n + j] = h[j * n + i] = 0.5 * (h[i * n + j] + h[j * n + i]);
    }
    return h;
  }

  dispose(): void {
    this.tangentStore?.dispose();
    this.tangentStore = undefined;
  }

  /** The m × n Jacobian at the written inputs into `into` from `offset`: one forward sweep, then
   *  per output a rezero, a unit seed and a reverse sweep, on the generated code where it is
   *  ready (the same operations in the same order as the interpreter's). */
  private reverseRows(into: Float64Array, offset: number): void {
    const f = this.f;
    const { core, outputs } = f;
    f.sweepForward();
    for (let j = 0; j < outputs.length; j++) {
      if (j > 0) core.zeroAdjoints();
      core.setAdjoint(outputs[j], 1);
      f.sweepReverse(outputs[j]);
      this.readAdjointRow(offset + j * this.inputs, into);
    }
  }

  /** The differentiated arguments' adjoints, in wrt order, into `into` from `offset`. */
  private readAdjointRow(offset: number, into: Float64Array): void {
    const { runStart, runLength } = this;
    const core = this.f.core;
    for (let k = 0; k < runStart.length; k++) {
      core.readAdjoints(runStart[k], runLength[k], into, offset);
      offset += runLength[k];
    }
  }

  /** The differentiated arguments' entries, in wrt order, into `into` from `offset`. */
  private readRow(offset: number, read: (at: number, len: number, into: Float64Array, offset: number) => void, into: Float64Array): void {
    const f = this.f;
    for (const i of f.wrt) {
      const len = f.args[i] < 0 ? 1 : f.args[i];
      read(f.inputStart + f.offsets[i], len, into, offset);
      offset += len;
    }
  }

  /** Sparse plans index the whole input block: they need every argument differentiated, in order. */
  private sparseCoversAll(what: string): void {
    const { wrt, args } = this.f;
    if (wrt.length !== args.length || wrt.some((i, k) => i !== k)) {
      throw new ArgumentError(`${what} with sparsity: 'auto' differentiates every argument in order: compile this function without wrt (or with wrt listing all ${args.length} arguments in order) for a sparse result`);
    }
  }

  private tangents(): Tangents {
    return (this.tangentStore ??= this.f.core.tangents());
  }

  /** Forward with tangents, seed ȳ = 1, reverse with adjoint tangents: leaves H·v behind. */
  private secondOrder(t: Tangents, values: boolean): void {
    const f = this.f;
    t.forward(values, true);
    f.core.setAdjoint(f.outputs[0], 1);
    t.reverse(f.lastOutput);
  }

  private scalarOnly(what: string): void {
    if (this.f.vectorOutput) {
      throw new ArgumentError(`${what} needs a scalar function but this one returns ${this.f.outputs.length} values: use jacobian(…args), or ${what} of a scalar such as dot(u, f(x))`);
    }
  }

  /** Writes the direction v as the inputs' tangents: v mirrors the arguments (a number for a
   *  scalar argument, an array of its length for a vector; for several arguments, an array
   *  of those). */
  private direction(t: Tangents, v: unknown, what: string): void {
    const f = this.f;
    const k = f.wrt.length;
    // Data arguments move with no direction: tangent 0.
    if (k < f.args.length) t.writeTangents(f.inputStart, new Float64Array(this.allInputs));
    if (k === 1) {
      this.directionPart(t, f.wrt[0], v, what, 'v');
      return;
    }
    if (!Array.isArray(v) || v.length !== k) {
      throw new ArgumentError(`${what}: v must be an array of ${k} entries shaped like the ${k < f.args.length ? 'differentiated ' : ''}arguments, got ${describe(v)}`);
    }
    for (let j = 0; j < k; j++) this.directionPart(t, f.wrt[j], v[j], what, `v[${j}]`);
  }

  private directionPart(t: Tangents, i: number, v: unknown, what: string, name: string): void {
    const f = this.f;
    const len = f.args[i];
    const at = f.inputStart + f.offsets[i];
    if (len < 0) {
      if (typeof v !== 'number') throw new ArgumentError(`${what}: ${name} must be a number (argument ${i} is a scalar), got ${describe(v)}`);
      t.setTangent(at, v);
      return;
    }
    if (!isNumberArray(v) || v.length !== len) {
      throw new ArgumentError(`${what}: ${name} must be a Float64Array or number[] of length ${len} like argument ${i}, got ${describe(v)}`);
    }
    t.writeTangents(at, v);
  }

  /** The inputs' adjoint tangents, shaped like the arguments (into `out` when given). */
  private readShaped(t: Tangents, out: unknown): ShapedLikeArguments {
    const f = this.f;
    const read = (i: number, into: unknown): number | Float64Array => {
      const len = f.args[i];
      const at = f.inputStart + f.offsets[i];
      if (len < 0) {
        const one = new Float64Array(1);
        t.readAdjointTangents(at, 1, one, 0);
        return one[0];
      }
      if (into !== undefined && !(into instanceof Float64Array && into.length === len)) {
        throw new ArgumentError(`out for argument ${i} must be a Float64Array of length ${len}, got ${describe(into)}`);
      }
      const result = (into as Float64Array | undefined) ?? new Float64Array(len);
      t.readAdjointTangents(at, len, result, 0);
      return result;
    };
    if (f.wrt.length === 1) return read(f.wrt[0], out);
    if (out !== undefined && !(Array.isArray(out) && out.length === f.wrt.length)) {
      throw new ArgumentError(`out must be an array of ${f.wrt.length} entries (a Float64Array per differentiated vector argument), got ${describe(out)}`);
    }
    const result: (number | Float64Array)[] = (out as (number | Float64Array)[] | undefined) ?? new Array(f.wrt.length);
    f.wrt.forEach((i, j) => (result[j] = read(i, out === undefined ? undefined : result[j])));
    return result;
  }
}

/** How many seeds (rows of length m) `seeds` holds: a flat k × m array, or an array of k rows. */
function seedCount(seeds: unknown, m: number): number {
  if (isNumberArray(seeds)) {
    if (seeds.length % m !== 0) throw new ArgumentError(`vjps: the seeds hold ${seeds.length} numbers, not a whole number of rows of ${m} (one per output)`);
    return seeds.length / m;
  }
  if (Array.isArray(seeds) && seeds.every((u) => isNumberArray(u) && u.length === m)) return seeds.length;
  throw new ArgumentError(`vjps: seeds must be a Float64Array of k × ${m} numbers or an array of rows of length ${m}, got ${describe(seeds)}`);
}

/** Whether the options ask for a sparse result. */
function sparsityOf(sparsity: unknown, what: string): boolean {
  if (sparsity === undefined || sparsity === 'none') return false;
  if (sparsity === 'auto') return true;
  throw new ArgumentError(`unknown ${what} sparsity ${JSON.stringify(sparsity)}: use 'auto' (a SparseMatrix) or 'none' (dense, the default)`);
}

function isOptions(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
