/** @file The `wrt` option of grad, valueAndGrad and compile: which arguments are differentiated. */
import { ArgumentError } from './errors.js';
import { describe } from './operands.js';

/** Checks a `wrt` list against the argument count: distinct integer indices, at least one.
 *  Returns every index when it is absent. */
export function wrtList(wrt: unknown, argCount: number, what: string): Int32Array {
  if (wrt === undefined) return Int32Array.from({ length: argCount }, (_, i) => i);
  if (!Array.isArray(wrt) || wrt.length === 0) {
    throw new ArgumentError(`${what}: wrt must be a non-empty array of argument indices (e.g. { wrt: [0] }), got ${describe(wrt)}`);
  }
  const seen = new Set<number>();
  for (const i of wrt) {
    if (!Number.isInteger(i) || i < 0) throw new ArgumentError(`${what}: wrt entries are argument indices (integers from 0), got ${describe(i)}`);
    if (i >= argCount) {
      throw new ArgumentError(`${what}: wrt names argument ${String(i)}, but the function takes ${argCount} argument${argCount === 1 ? '' : 's'} (indices 0…${argCount - 1})`);
    }
    if (seen.has(i)) throw new ArgumentError(`${what}: wrt names argument ${i} twice`);
    seen.add(i);
  }
  return Int32Array.from(wrt as number[]);
}
