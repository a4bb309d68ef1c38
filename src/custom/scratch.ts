/** @file Running a function written in wengert ops on a tape of its own: the value of a customVjp
 *  function or a checkpoint, and a checkpoint's recomputation in the reverse sweep. */
import { Scalar, Vector, Matrix } from '../handles.js';
import type { TapeCore } from '../core.js';
import { createCore, type Backend } from '../backends.js';
import { ArgumentError } from '../errors.js';
import { describe } from '../operands.js';
import type { HostValue } from './registry.js';

/** A function over handles whose gradient a Custom row stands for. */
export type HandleFunction = (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One scratch tape per function and backend, reset between uses; a nested use of the same
 *  function while one is running (recursion) gets a tape of its own. */
export class Scratch {
  private readonly idle = new Map<Backend, TapeCore>();

  constructor(
    private readonly name: string,
    private readonly f: HandleFunction,
  ) {}

  /** f's value at `args`. */
  value(args: HostValue[], backend: Backend): HostValue {
    return this.run(args, backend, (core, out) => (out.length < 0 ? core.value(out.start) : core.valuesView(out.start, out.length).slice()));
  }

  /** The arguments' adjoints: f recorded again at `args`, its output seeded with `adjoint`, swept back. */
  vjp(args: HostValue[], adjoint: HostValue, backend: Backend): HostValue[] {
    return this.run(args, backend, (core, out, inputs) => {
      core.flush(); // a lazy (wasm) tape zeroes adjoints as it evaluates: evaluate, then seed
      if (out.length < 0) core.setAdjoint(out.start, adjoint as number);
      else (adjoint as Float64Array).forEach((g, i) => core.setAdjoint(out.start + i, g));
      core.reverseFrom(out.start + Math.max(out.length, 1) - 1);
      return inputs.map((h) => (h instanceof Scalar ? core.adjoint(h.id) : core.adjointsView(h.start, h.length).slice()));
    });
  }

  private run<T>(args: HostValue[], backend: Backend, read: (core: TapeCore, out: { start: number; length: number }, inputs: (Scalar | Vector)[]) => T): T {
    const cached = this.idle.get(backend);
    this.idle.delete(backend);
    let core = cached === undefined ? createCore(backend) : cached.reset();
    try {
      const inputs = args.map((x) => (typeof x === 'number' ? new Scalar(core, core.input(x)) : new Vector(core, core.inputs(x), x.length)));
      const result = this.f(...inputs);
      return read(core, this.output(core, result), inputs);
    } catch (error) {
      core.dispose();
      core = undefined as never;
      throw error;
    } finally {
      if (core !== undefined) {
        if (this.idle.has(backend)) core.dispose();
        else this.idle.set(backend, core);
      }
    }
  }

  /** f's result as a run of slots (length −1: a number). */
  private output(core: TapeCore, result: unknown): { start: number; length: number } {
    if (result instanceof Scalar && result.core === core) return { start: result.id, length: -1 };
    if ((result instanceof Vector || result instanceof Matrix) && result.core === core) return { start: result.start, length: result.length };
    if (typeof result === 'number') return { start: core.constant(result), length: -1 };
    throw new ArgumentError(`${this.name}: the function must return a scalar or vector handle built from its arguments, got ${describe(result)}`);
  }
}
