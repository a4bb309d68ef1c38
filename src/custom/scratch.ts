/** @file Running a function written in wengert ops on a tape of its own: the value of a customVjp
 *  function or a checkpoint, and a checkpoint's recomputation in the reverse sweep. */
import { Scalar, Vector, Matrix } from '../handles.js';
import type { TapeCore, Tangents } from '../core.js';
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

  /** f's tangent at `args` along `tangents` (on a pure-JS scratch tape, which has tangent
   *  columns at any size). */
  jvp(args: HostValue[], tangents: HostValue[]): HostValue {
    return this.run(args, 'js', (core, out, inputs) => {
      const t = core.tangents();
      try {
        seedTangents(t, inputs, tangents);
        t.forward(true, false);
        return out.length < 0 ? t.tangent(out.start) : Float64Array.from({ length: out.length }, (_, i) => t.tangent(out.start + i));
      } finally {
        t.dispose();
      }
    });
  }

  /** The arguments' adjoints and their tangents: f's forward-over-reverse sweep from its output's
   *  adjoint and adjoint tangent, along the arguments' tangents. */
  secondOrder(args: HostValue[], tangents: HostValue[], adjoint: HostValue, adjointTangent: HostValue): { adjoints: HostValue[]; adjointTangents: HostValue[] } {
    return this.run(args, 'js', (core, out, inputs) => {
      const t = core.tangents();
      try {
        seedTangents(t, inputs, tangents);
        t.forward(true, true);
        const count = Math.max(out.length, 1);
        for (let i = 0; i < count; i++) {
          core.setAdjoint(out.start + i, out.length < 0 ? (adjoint as number) : (adjoint as Float64Array)[i]);
          t.setAdjointTangent(out.start + i, out.length < 0 ? (adjointTangent as number) : (adjointTangent as Float64Array)[i]);
        }
        t.reverse(out.start + count - 1);
        const adjoints = inputs.map((h) => (h instanceof Scalar ? core.adjoint(h.id) : core.adjointsView(h.start, h.length).slice()));
        const adjointTangents = inputs.map((h) => {
          const o = new Float64Array(h instanceof Scalar ? 1 : h.length);
          t.readAdjointTangents(h instanceof Scalar ? h.id : h.start, o.length, o, 0);
          return h instanceof Scalar ? o[0] : o;
        });
        return { adjoints, adjointTangents };
      } finally {
        t.dispose();
      }
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

/** Writes the arguments' tangents onto their inputs. */
function seedTangents(t: Tangents, inputs: (Scalar | Vector)[], tangents: HostValue[]): void {
  inputs.forEach((h, i) => (h instanceof Scalar ? t.setTangent(h.id, tangents[i] as number) : t.writeTangents(h.start, tangents[i] as Float64Array)));
}
