/** @file The contract between an optimizer and the function it minimizes, and the one place that calls it. */
import { ObjectiveError } from '../errors.js';

/** Writes ∇f(x) into gradOut and returns f(x). Must not keep references to x or gradOut. */
export type Objective = (x: Float64Array, gradOut: Float64Array) => number;

/** A NaN with a payload no arithmetic produces (arithmetic gives the canonical 0x7ff8…0 NaN). The
 *  gradient is seeded with it through an integer view, and an element still holding it after the
 *  call was never written: an objective that forgets gradOut would otherwise look converged at 0. */
const SEED_HIGH = 0x7ff4dead;
const SEED_LOW = 0x0badf00d;

/** Calls objective(x, gradOut) and returns f(x); throws ObjectiveError when gradOut was left unwritten. */
export function evaluateObjective(owner: string, objective: Objective, x: Float64Array, gradOut: Float64Array): number {
  const words = new Uint32Array(gradOut.buffer, gradOut.byteOffset, gradOut.length * 2);
  // Written and read through the same integer view, so byte order does not matter.
  for (let i = 0; i < words.length; i += 2) {
    words[i] = SEED_LOW;
    words[i + 1] = SEED_HIGH;
  }
  const value = objective(x, gradOut);
  let unwritten = 0;
  for (let i = 0; i < words.length; i += 2) if (words[i] === SEED_LOW && words[i + 1] === SEED_HIGH) unwritten++;
  if (unwritten > 0) {
    throw new ObjectiveError(
      `${owner}: the objective did not write ${unwritten === gradOut.length ? 'its gradient' : `${unwritten} of the ${gradOut.length} gradient entries`} ` +
        'into gradOut. An objective is (x, gradOut) => f(x) and must fill gradOut with ∇f(x), ' +
        'e.g. (x, g) => compiled.valueAndGrad(x, g).value, or g.set(grad(f)(x)) before returning f(x)',
    );
  }
  return value;
}
