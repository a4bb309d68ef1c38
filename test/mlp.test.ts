/** @file The MLP example (examples/mlp.ts): wengert's gradient = the hand-written one ≈ finite differences. */
import { describe, expect, it } from 'vitest';
import { Tape, valueAndGrad, type Scalar, type Vector } from '../src/index.js';
import { DESIGN_MLP, compileMlp, mlpLayout, mlpLoss, mlpManual, mlpProblem, withOnesColumn, type MlpShape } from '../examples/mlp.js';
import { MLP, mlpLossScalar } from '../bench/mlp-scalar.js';
import { BACKENDS, centralDifference, expectClose, seededRandom } from './helpers.js';

const SMALL: MlpShape = { inputs: 5, hidden: 7, classes: 3, batch: 4 };

/** The hand-written loss and gradient. */
function manual(shape: MlpShape, problem: ReturnType<typeof mlpProblem>) {
  const grad = new Float64Array(mlpLayout(shape).size);
  const value = mlpManual(shape, problem.params, problem.x, problem.labels, grad);
  return { value, grad };
}

/** ∂loss/∂params[i] by central differences of the plain-JS loss. */
function finiteDifference(shape: MlpShape, problem: ReturnType<typeof mlpProblem>, i: number): number {
  const params = problem.params.slice();
  const scratch = new Float64Array(params.length);
  return centralDifference((t) => {
    params[i] = t;
    return mlpManual(shape, params, problem.x, problem.labels, scratch);
  }, problem.params[i], 1e-6);
}

/** Soft labels (rows summing to 0.7, not 1) exercise the general rule dz = p·Σy − y. */
function softLabels(shape: MlpShape, problem: ReturnType<typeof mlpProblem>) {
  const random = seededRandom(7);
  const labels = Float64Array.from(problem.labels, () => random());
  for (let n = 0; n < shape.batch; n++) {
    const row = labels.subarray(n * shape.classes, (n + 1) * shape.classes);
    const total = row.reduce((s, y) => s + y, 0);
    row.forEach((y, c) => (row[c] = (0.7 * y) / total));
  }
  return { ...problem, labels };
}

describe('the hand-written MLP gradient', () => {
  for (const [name, shape] of [['small', SMALL], ['DESIGN 64-128-10', DESIGN_MLP]] as const) {
    it(`matches central finite differences (${name})`, () => {
      for (const problem of [mlpProblem(shape, 3), softLabels(shape, mlpProblem(shape, 4))]) {
        const { grad } = manual(shape, problem);
        const size = grad.length;
        // Every parameter of the small net; a spread of 60 (every block) of the large one.
        const indices = size <= 200 ? Array.from({ length: size }, (_, i) => i) : Array.from({ length: 60 }, (_, k) => Math.floor((k * size) / 60) + (k % 7));
        for (const i of indices) expectClose(grad[i], finiteDifference(shape, problem, i), 1e-6, 1e-8, `∂loss/∂params[${i}]`);
      }
    });
  }

  it('withOnesColumn appends a 1 to every row', () => {
    expect(Array.from(withOnesColumn(Float64Array.of(1, 2, 3, 4), 2, 2))).toEqual([1, 2, 1, 3, 4, 1]);
  });
});

describe.each(BACKENDS)('the MLP on wengert (%s)', (backend) => {
  it('compiled vector-op gradient = hand-written gradient (1e-10), at the DESIGN size', () => {
    const shape = DESIGN_MLP;
    const step = compileMlp(shape, { backend });
    for (const problem of [mlpProblem(shape, 1), softLabels(shape, mlpProblem(shape, 2))]) {
      const want = manual(shape, problem);
      const grad = new Float64Array(want.grad.length);
      const value = step.step(problem.params, problem.xWithOnes, problem.labels, grad);
      expectClose(value, want.value, 1e-12, 0, 'loss');
      const scale = Math.max(...Array.from(want.grad, Math.abs));
      expectClose(grad, want.grad, 1e-10, 1e-10 * scale, 'gradient');
    }
    step.compiled.dispose();
  });

  it('eager valueAndGrad = compiled replay = hand-written (small net, soft labels)', () => {
    const shape = SMALL;
    const problem = softLabels(shape, mlpProblem(shape, 5));
    const want = manual(shape, problem);
    const eager = valueAndGrad((p: Vector, x: Vector, y: Vector) => mlpLoss(shape)(p, x, y), { backend })(problem.params, problem.xWithOnes, problem.labels);
    expectClose(eager.value, want.value, 1e-12, 0, 'eager loss');
    expectClose(eager.grad[0], want.grad, 1e-10, 1e-12, 'eager gradient');
    const step = compileMlp(shape, { backend });
    const grad = new Float64Array(want.grad.length);
    expectClose(step.step(problem.params, problem.xWithOnes, problem.labels, grad), want.value, 1e-12, 0, 'compiled loss');
    expectClose(grad, want.grad, 1e-10, 1e-12, 'compiled gradient');
    step.compiled.dispose();
  });

  it('= the same MLP in scalar ops (bench/mlp-scalar.ts) recorded on the same backend', () => {
    expect(MLP).toEqual(DESIGN_MLP);
    const problem = mlpProblem(DESIGN_MLP, 6);
    const labels = Uint8Array.from({ length: MLP.batch }, (_, b) => problem.labels.subarray(b * MLP.classes, (b + 1) * MLP.classes).indexOf(1));
    const tape = new Tape({ backend });
    const p = tape.input(problem.params);
    const loss = mlpLossScalar((i) => p.at(i), (b, i) => problem.x[b * MLP.inputs + i], labels) as Scalar;
    tape.backward(loss);
    const step = compileMlp(DESIGN_MLP, { backend });
    const grad = new Float64Array(p.length);
    expectClose(step.step(problem.params, problem.xWithOnes, problem.labels, grad), loss.value, 1e-12, 0, 'loss');
    expectClose(grad, tape.adjoints(p), 1e-10, 1e-12, 'gradient');
    expect(step.compiled.stats.nodes).toBeLessThan(tape.stats.nodes / 20);
    step.compiled.dispose();
    tape.dispose();
  });

  it('a compiled step replays with new parameters and data', () => {
    const shape = SMALL;
    const step = compileMlp(shape, { backend });
    for (const seed of [11, 12, 13]) {
      const problem = mlpProblem(shape, seed);
      const want = manual(shape, problem);
      const grad = new Float64Array(want.grad.length);
      expectClose(step.step(problem.params, problem.xWithOnes, problem.labels, grad), want.value, 1e-12, 0, `loss, seed ${seed}`);
      expectClose(grad, want.grad, 1e-10, 1e-12, `gradient, seed ${seed}`);
    }
    step.compiled.dispose();
  });
});
