/** @file hvp and hessian through a defined op: its forward-over-reverse rule, built from its vjp
 *  and jvp rules. For y = f(x) the adjoint x̄ = vjp(x, ȳ) has the tangent
 *    d x̄ = vjp(x, ẏ̄) + ∇ₓ⟨ȳ, jvp(x, ẋ)⟩ (ẋ held fixed)
 *  (vjp is linear in ȳ; the second term is f's curvature along ẋ, since ∂ₖJᵢⱼ = ∂ⱼJᵢₖ). A
 *  JavaScript function on numbers has no derivative wengert can take, but wengert ops take numbers
 *  and handles alike: the jvp rule runs again on a scratch tape with x as handles and ẋ as
 *  numbers, and ⟨ȳ, ·⟩ is swept back to x there. */
import { Scalar, Vector, Matrix } from '../handles.js';
import { ArgumentError } from '../errors.js';
import { Scratch } from './scratch.js';
import { asRun, shapeOf } from './host.js';
import type { HostRule, HostValue } from './registry.js';

type SecondOrder = NonNullable<HostRule['secondOrder']>;
type VjpRule = (args: HostValue[], output: HostValue, adjoint: HostValue) => unknown;
type JvpRule = (args: HostValue[], tangents: HostValue[]) => unknown;

/** The rule for op `name`. A `linear` op (its Jacobian does not depend on its arguments) has no
 *  curvature term, and its jvp rule is not traced. */
export function secondOrderRule(name: string, vjp: VjpRule, jvp: JvpRule, linear: boolean): SecondOrder {
  // The tangents and output of the call being traced: the scratch function's arguments are x only.
  let tangentsNow: HostValue[] = [];
  let outputNow: HostValue = 0;
  const traced = (...inputs: (Scalar | Vector)[]): Scalar | Vector | Matrix => {
    let t: unknown;
    try {
      t = jvp(inputs as never, tangentsNow);
    } catch (error) {
      throw untraceable(name, error);
    }
    checkTraced(name, t, outputNow);
    return t as Scalar | Vector | Matrix;
  };
  const scratch = new Scratch(`custom op '${name}': its jvp rule`, traced);

  return (args, tangents, output, adjoint, adjointTangent) => {
    const lengths = args.map((x) => (typeof x === 'number' ? -1 : x.length));
    const adjoints = adjointsOf(name, vjp, args, output, adjoint, lengths);
    const adjointTangents = adjointsOf(name, vjp, args, output, adjointTangent, lengths);
    // With ȳ = 0 the curvature term is 0: no trace.
    if (!linear && !isZero(adjoint)) {
      tangentsNow = tangents;
      outputNow = output;
      scratch.vjp(args, adjoint, 'js').forEach((c, i) => {
        const sum = adjointTangents[i];
        if (typeof sum === 'number') adjointTangents[i] = sum + (c as number);
        else (c as Float64Array).forEach((ci, k) => (sum[k] += ci));
      });
    }
    return { adjoints, adjointTangents };
  };
}

const isZero = (x: HostValue): boolean => (typeof x === 'number' ? x === 0 : x.every((v) => v === 0));

/** vjp(x, y, g) checked against the arguments' shapes (zeros for g = 0, without a call, as the
 *  first-order sweep does), as fresh values the caller may add to. */
function adjointsOf(name: string, vjp: VjpRule, args: HostValue[], output: HostValue, g: HostValue, lengths: number[]): HostValue[] {
  if (isZero(g)) return lengths.map((n) => (n < 0 ? 0 : new Float64Array(n)));
  const adjoints = vjp(args, output, g);
  if (!Array.isArray(adjoints) || adjoints.length !== args.length) {
    throw new ArgumentError(`custom op '${name}': vjp must return an array with one adjoint per argument (${args.length}), got ${shapeOf(adjoints)}`);
  }
  return adjoints.map((x, i) => {
    const run = asRun({ name }, x, lengths[i], `vjp's adjoint ${i}`);
    return lengths[i] < 0 ? run[0] : run.slice();
  });
}

const HOW = 'write the jvp rule with wengert ops (mul, cos, dot, …, which take numbers and handles alike), not Math.* or JS operators';

/** The traced rule's result must be a handle shaped like the op's value: a number or a
 *  Float64Array means the rule computed it outside the ops, so its dependence on x is lost. */
function checkTraced(name: string, t: unknown, output: HostValue): void {
  if (!(t instanceof Scalar || t instanceof Vector || t instanceof Matrix)) {
    throw new ArgumentError(
      `hvp/hessian through custom op '${name}' differentiates its jvp rule, run on wengert handles, but the rule returned ${shapeOf(t)}, not a handle: ` +
        `${HOW}. If the op is linear (its jvp does not depend on the arguments' values), say so: defineOp('${name}', { …, linear: true }).`,
    );
  }
  const want = typeof output === 'number' ? 'a scalar' : `a vector of length ${output.length}`;
  const ok = typeof output === 'number' ? t instanceof Scalar : !(t instanceof Scalar) && t.length === output.length;
  if (!ok) throw new ArgumentError(`custom op '${name}': its jvp rule returned ${t instanceof Scalar ? 'a scalar' : `a tensor of length ${t.length}`} on handles, but the op's value is ${want}`);
}

function untraceable(name: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new ArgumentError(`hvp/hessian through custom op '${name}' runs its jvp rule on wengert handles (to take its derivative), and it threw: ${message}. ${HOW[0].toUpperCase()}${HOW.slice(1)}.`);
}
