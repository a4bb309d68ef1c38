/** @file Calling a host rule from user code: one Custom row on the arguments' tape, or, with no
 *  handle among the arguments, the rule's value itself. */
import { Scalar, Vector, Matrix } from '../handles.js';
import type { TapeCore } from '../core.js';
import { ArgumentError } from '../errors.js';
import { commonCore, describe, isArrayOperand, tensorStart, scalarSlot } from '../operands.js';
import { ruleOf, type HostValue } from './registry.js';
import { shapeOf } from './host.js';

/** Records rule `id` applied to `args` (handles, numbers, constant arrays); returns a Scalar for a
 *  number result, a Vector for a Float64Array, or the plain result when no argument is a handle. */
export function applyRule(id: number, args: unknown[]): Scalar | Vector | HostValue {
  const rule = ruleOf(id);
  const where = `custom op '${rule.name}'`;
  for (const [i, x] of args.entries()) {
    const ok = x instanceof Scalar || x instanceof Vector || x instanceof Matrix || typeof x === 'number' || isArrayOperand(x);
    if (!ok) throw new ArgumentError(`${where}: argument ${i} must be a handle, a number or an array of numbers, got ${describe(x)}`);
  }
  const core = commonCore(where, args);
  if (core === undefined) {
    const plain = args.map((x) => (typeof x === 'number' ? x : Float64Array.from(x as ArrayLike<number>)));
    return checked(rule.name, rule.value(plain, 'js'));
  }
  const runs: number[] = [];
  for (const x of args) {
    if (x instanceof Scalar || typeof x === 'number') runs.push(scalarSlot(core, x), -1);
    else {
      const t = x as Vector | Matrix | readonly number[];
      runs.push(tensorStart(core, t as Vector), t.length);
    }
  }
  const output = checked(rule.name, rule.value(valuesOf(core, runs), core.backend));
  const start = core.custom(id, runs, output);
  return typeof output === 'number' ? new Scalar(core, start) : new Vector(core, start, output.length);
}

/** The arguments' current values, read even while compile traces: the row re-runs the rule on
 *  every replay, so reading them freezes no branch. */
function valuesOf(core: TapeCore, runs: number[]): HostValue[] {
  const tracing = core.tracing;
  core.tracing = false;
  try {
    const out: HostValue[] = [];
    for (let i = 0; i < runs.length; i += 2) out.push(runs[i + 1] < 0 ? core.value(runs[i]) : core.valuesView(runs[i], runs[i + 1]).slice());
    return out;
  } finally {
    core.tracing = tracing;
  }
}

function checked(name: string, y: unknown): HostValue {
  if (typeof y === 'number') return y;
  if (y instanceof Float64Array && y.length > 0) return y;
  if (Array.isArray(y) && y.length > 0 && y.every((v) => typeof v === 'number')) return Float64Array.from(y);
  throw new ArgumentError(`custom op '${name}': value must return a number or a non-empty Float64Array, got ${shapeOf(y)}`);
}
