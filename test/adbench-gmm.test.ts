/** @file The GMM objective on wengert (examples/gmm/objective-wengert.ts): value and gradient
 *  against ADBench's golden values and the generated references, on both backends. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { valueAndGrad, type Vector } from '../src/index.js';
import { gmmParameterCount, packGmmParameters, readGmmInput } from '../examples/gmm/io.js';
import { gmmObjective } from '../examples/gmm/objective-plain.js';
import { compileGmm, gmmFeatureCount, gmmFeatures, gmmGradient, gmmObjectiveOnTape } from '../examples/gmm/objective-wengert.js';
import { BACKENDS, expectClose, seededRandom } from './helpers.js';

const fixture = (path: string): URL => new URL(`./fixtures/adbench/${path}`, import.meta.url);
const readJson = (path: string): { objective: number; gradient: number[] } => JSON.parse(readFileSync(fixture(path), 'utf8'));

const INSTANCES = [
  { name: 'test.txt (d=2, k=3, n=1)', data: 'data/gmm/test.txt', reference: 'reference/generated/gmm_test.ref.json' },
  { name: '1k d2 K5', data: 'data/gmm/1k/gmm_d2_K5.txt', reference: 'reference/generated/gmm_1k_gmm_d2_K5.ref.json' },
  { name: '1k d10 K5', data: 'data/gmm/1k/gmm_d10_K5.txt', reference: 'reference/generated/gmm_1k_gmm_d10_K5.ref.json' },
];

/** ADBench's own check (docs/JacobianCheck.md): |x − y| / max(1, |x| + |y|). */
const adbenchError = (x: number, y: number): number => Math.abs(x - y) / Math.max(1, Math.abs(x) + Math.abs(y));

/** Relative error, each entry measured against the gradient's largest entry scaled down by 10³
 *  (entries near 0 are sums of cancelling terms the size of the others). */
function expectGradient(actual: Float64Array, expected: readonly number[], rtol: number, what: string): void {
  const scale = Math.max(...expected.map(Math.abs));
  expectClose(actual, expected, rtol, rtol * 1e-3 * scale, what);
  for (let i = 0; i < expected.length; i++) expect(adbenchError(actual[i], expected[i]), `${what}[${i}], ADBench's check`).toBeLessThan(1e-12);
}

describe.each(BACKENDS)('GMM objective on wengert (%s)', (backend) => {
  for (const { name, data, reference } of INSTANCES) {
    it(`${name}: objective and gradient = the reference (1e-9 relative)`, () => {
      const input = readGmmInput(fixture(data));
      const ref = readJson(reference);
      const params = packGmmParameters(input);
      const { value, grad } = gmmGradient(input, params, { backend });
      expect(grad.length).toBe(gmmParameterCount(input.d, input.k));
      expectClose(value, ref.objective, 1e-9, 0, 'objective');
      expectClose(value, gmmObjective(input, params), 1e-12, 0, 'objective vs the plain-JS objective');
      expectGradient(grad, ref.gradient, 1e-9, 'gradient');
    });
  }

  it("test.txt: equals ADBench's own unit-test values", () => {
    const input = readGmmInput(fixture('data/gmm/test.txt'));
    const golden = readJson('reference/from_adbench_unit_tests/gmm_test.json');
    const { value, grad } = gmmGradient(input, packGmmParameters(input), { backend });
    expectClose(value, golden.objective, 1e-12, 0, 'objective');
    expectGradient(grad, golden.gradient, 1e-9, 'gradient');
  });

  it('the compiled tape replays at other parameters: value = the plain objective, gradient = a fresh recording', () => {
    const input = readGmmInput(fixture('data/gmm/1k/gmm_d2_K5.txt'));
    const random = seededRandom(3);
    const features = gmmFeatures(input);
    const objective = gmmObjectiveOnTape(input.d, input.k, input.n, input.wishart);
    const fresh = valueAndGrad((p: Vector, f: Vector) => objective(p, f), { backend });
    const out = new Float64Array(gmmParameterCount(input.d, input.k));
    for (let trial = 0; trial < 3; trial++) {
      const params = packGmmParameters(input).map((x) => x + 0.3 * (random() - 0.5));
      const replay = gmmGradient(input, params, { backend, out });
      expect(replay.grad).toBe(out);
      expectClose(replay.value, gmmObjective(input, params), 1e-12, 0, `value, trial ${trial}`);
      const recorded = fresh(params, features);
      expectClose(replay.value, recorded.value, 1e-14, 0, `vs fresh value, trial ${trial}`);
      expectGradient(out, Array.from(recorded.grad[0]), 1e-13, `vs fresh gradient, trial ${trial}`);
    }
  });

  it('compiles once per instance and backend', () => {
    const input = readGmmInput(fixture('data/gmm/test.txt'));
    const first = compileGmm(input, { backend });
    gmmGradient(input, packGmmParameters(input), { backend });
    expect(compileGmm(input, { backend })).toBe(first);
    expect(first.fn.arity).toBe(2);
  });
});

describe('gmmFeatures', () => {
  it('holds −½·x_a·x_b (doubled off the diagonal), then x, then 1, per point', () => {
    const x = Float64Array.of(2, 3, 5, 7);
    const phi = gmmFeatures({ d: 2, n: 2, x });
    expect(gmmFeatureCount(2)).toBe(6);
    expect(Array.from(phi)).toEqual([-2, -6, -4.5, 2, 3, 1, -12.5, -35, -24.5, 5, 7, 1]);
  });
});
