/** @file The BA residuals on wengert (examples/ba/objective-wengert.ts) and their sparse Jacobian
 *  against ADBench's golden values, the generated references, the plain-JS objective, the dense
 *  Jacobian and finite differences, on both backends; likewise the Jacobian by observation
 *  (examples/ba/observation.ts: one compiled residual, its small Jacobian per observation). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBaInput, readBaInput, type BaInput } from '../examples/ba/io.js';
import { baObjective } from '../examples/ba/objective-plain.js';
import { baJacobian, compileBa } from '../examples/ba/objective-wengert.js';
import { BaJacobianByObservation, compileObservation } from '../examples/ba/observation.js';
import type { SparseMatrix } from '../src/index.js';
import { BACKENDS, denseFromSparse, expectClose, seededRandom } from './helpers.js';

const fixture = (path: string): URL => new URL(`./fixtures/adbench/${path}`, import.meta.url);
const golden = JSON.parse(readFileSync(fixture('reference/from_adbench_unit_tests/ba_test.json'), 'utf8')) as {
  reproj_err_even_entries: number; reproj_err_odd_entries: number; w_err_all_entries: number; jacobian_csr_vals: number[];
};
interface Reference { instance: string; reproj_err: number[]; w_err: number; reproj_block_row0: number[]; reproj_block_row1: number[]; w_err_derivative: number }
const references = (JSON.parse(readFileSync(fixture('reference/generated/ba.ref.json'), 'utf8')) as { instances: Reference[] }).instances;

/** ADBench's own check (docs/JacobianCheck.md): |x − y| / max(1, |x| + |y|). */
const adbenchError = (x: number, y: number): number => Math.abs(x - y) / Math.max(1, Math.abs(x) + Math.abs(y));

/** ADBench's pattern: reprojection rows 2i, 2i + 1 hold camera cᵢ's 11 columns, point tᵢ's 3 and weight i's; row 2p + i weight i's. */
function expectAdbenchPattern(jac: SparseMatrix, input: BaInput): void {
  const { n, m, p } = input;
  expect(jac.shape).toEqual([3 * p, 11 * n + 3 * m + p]);
  expect(jac.cols.length).toBe(31 * p);
  const rows = new Int32Array(3 * p + 1);
  const cols = new Int32Array(31 * p);
  let k = 0;
  for (let r = 0; r < 3 * p; r++) {
    const i = r < 2 * p ? r >> 1 : r - 2 * p;
    if (r < 2 * p) {
      for (let q = 0; q < 11; q++) cols[k++] = 11 * input.camIndex[i] + q;
      for (let q = 0; q < 3; q++) cols[k++] = 11 * n + 3 * input.pointIndex[i] + q;
    }
    cols[k++] = 11 * n + 3 * m + i;
    rows[r + 1] = k;
  }
  expect(firstDifference(jac.rows, rows), 'first row offset that differs').toBe(-1);
  expect(firstDifference(jac.cols, cols), 'first column that differs').toBe(-1);
}

/** The first index where a and b differ (−1: none; vitest's deep equality is slow on 10⁶ entries). */
function firstDifference(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}


describe.each(BACKENDS)('BA residuals and their sparse Jacobian on wengert (%s)', (backend) => {
  const input = readBaInput(fixture('data/ba/test.txt'));

  it("test.txt: residuals and the CSR Jacobian = ADBench's unit-test values", () => {
    const f = compileBa(input, { backend });
    const residuals = f.value(input.cams, input.points, input.weights);
    for (let i = 0; i < input.p; i++) {
      expectClose(residuals[2 * i], golden.reproj_err_even_entries, 1e-12, 0, `x residual ${i}`);
      expectClose(residuals[2 * i + 1], golden.reproj_err_odd_entries, 1e-12, 0, `y residual ${i}`);
      expectClose(residuals[2 * input.p + i], golden.w_err_all_entries, 1e-12, 0, `weight residual ${i}`);
    }
    expectClose(residuals, baObjective(input), 0, 1e-15, 'vs the plain-JS objective');
    const jac = baJacobian(f, input);
    expectAdbenchPattern(jac, input);
    expect(jac.values.length).toBe(golden.jacobian_csr_vals.length);
    for (let k = 0; k < jac.values.length; k++) expect(adbenchError(jac.values[k], golden.jacobian_csr_vals[k]), `value ${k}`).toBeLessThan(1e-12);
    f.dispose();
  });

  it('test.txt at perturbed parameters: sparse = dense Jacobian ≈ central differences; values = plain JS', () => {
    const f = compileBa(input, { backend });
    const random = seededRandom(5);
    const perturb = (x: Float64Array, size: number) => x.map((v) => v + size * (random() - 0.5) * Math.max(1, Math.abs(v)));
    for (let trial = 0; trial < 3; trial++) {
      const cams = perturb(input.cams, 0.05), points = perturb(input.points, 0.05), weights = perturb(input.weights, 0.2);
      expectClose(f.value(cams, points, weights), baObjective(input, cams, points, weights), 1e-12, 1e-12, 'values');
      const jac = f.jacobian(cams, points, weights, { sparsity: 'auto' });
      expectAdbenchPattern(jac, input);
      const full = f.jacobian(cams, points, weights);
      expectClose(denseFromSparse(jac), full, 1e-13, 1e-12, 'sparse vs dense');
      // Central differences of the plain objective, column by column.
      const all = [cams, points, weights];
      const columns = cams.length + points.length + weights.length;
      for (let col = 0; col < columns; col++) {
        const which = col < cams.length ? 0 : col < cams.length + points.length ? 1 : 2;
        const at = col - (which === 0 ? 0 : which === 1 ? cams.length : cams.length + points.length);
        const x = all[which][at];
        const h = 1e-6 * Math.max(1, Math.abs(x));
        const shifted = (d: number) => {
          const args = all.map((a) => Float64Array.from(a));
          args[which][at] = x + d;
          return baObjective(input, args[0], args[1], args[2]);
        };
        const plus = shifted(h), minus = shifted(-h);
        for (let r = 0; r < 3 * input.p; r++) {
          const fd = (plus[r] - minus[r]) / (2 * h);
          const ad = full[r * columns + col];
          expect(Math.abs(ad - fd), `(${r}, ${col})`).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
        }
      }
    }
    f.dispose();
  });

  it('a camera with zero rotation takes the first-order branch: values = plain JS, Jacobian finite and = dense', () => {
    const f = compileBa(input, { backend });
    const cams = Float64Array.from(input.cams);
    cams.fill(0, 0, 3); // camera 0: r = 0
    const values = f.value(cams, input.points, input.weights);
    expectClose(values, baObjective(input, cams), 1e-12, 1e-12, 'values');
    const jac = f.jacobian(cams, input.points, input.weights, { sparsity: 'auto' });
    expect(jac.values.every(Number.isFinite)).toBe(true);
    expectClose(denseFromSparse(jac), f.jacobian(cams, input.points, input.weights), 1e-13, 1e-12, 'sparse vs dense');
    f.dispose();
  });
});

describe.each(BACKENDS)('BA Jacobian by observation (%s)', (backend) => {
  const input = readBaInput(fixture('data/ba/test.txt'));

  it("test.txt: the CSR Jacobian = ADBench's unit-test values; one observation's residual = plain JS", () => {
    const byObservation = new BaJacobianByObservation(input, { backend });
    const jac = byObservation.fill();
    expectAdbenchPattern(jac, input);
    for (let k = 0; k < jac.values.length; k++) expect(adbenchError(jac.values[k], golden.jacobian_csr_vals[k]), `value ${k}`).toBeLessThan(1e-12);
    byObservation.dispose();
    const f = compileObservation({ backend });
    const plain = baObjective(input);
    const residual = f.value(input.cams.subarray(0, 11), input.points.subarray(0, 3), input.weights[0], input.features.subarray(0, 2));
    expectClose(residual, plain.subarray(0, 2), 0, 1e-15, 'observation 0');
    f.dispose();
  });

  for (const codegen of ['auto', 'off'] as const) {
    it(`at perturbed parameters and a zero rotation: = the vector-ops sparse Jacobian (≈ central differences, tested above); jacobians = a jacobian call per observation, to the bit (codegen '${codegen}')`, () => {
      const byObservation = new BaJacobianByObservation(input, { backend, codegen });
      const vectorOps = compileBa(input, { backend });
      const random = seededRandom(11);
      const perturb = (x: Float64Array, size: number) => x.map((v) => v + size * (random() - 0.5) * Math.max(1, Math.abs(v)));
      for (let trial = 0; trial < 3; trial++) {
        const cams = perturb(input.cams, 0.05), points = perturb(input.points, 0.05), weights = perturb(input.weights, 0.2);
        if (trial === 2) cams.fill(0, 0, 3); // camera 0: r = 0, the first-order branch
        const expected = vectorOps.jacobian(cams, points, weights, { sparsity: 'auto' });
        const batched = Float64Array.from(byObservation.fill(cams, points, weights).values);
        const byCalls = byObservation.fillByCalls(cams, points, weights);
        expect(byCalls.rows).toEqual(expected.rows);
        expect(byCalls.cols).toEqual(expected.cols);
        expect(batched.every(Number.isFinite)).toBe(true);
        expectClose(batched, expected.values, 1e-13, 1e-12, `trial ${trial}: by observation vs vector ops`);
        for (let k = 0; k < batched.length; k++) if (!Object.is(batched[k], byCalls.values[k])) expect.fail(`value ${k}: jacobians ${batched[k]} ≠ jacobian ${byCalls.values[k]}`);
      }
      byObservation.dispose();
      vectorOps.dispose();
    });
  }

  it('the generated code and the interpreter give the same bits', () => {
    const generated = new BaJacobianByObservation(input, { backend, codegen: 'auto' });
    const interpreted = new BaJacobianByObservation(input, { backend, codegen: 'off' });
    const cams = input.cams.map((v, i) => v * (1 + 0.01 * Math.sin(i)));
    const a = generated.fill(cams).values, b = interpreted.fill(cams).values;
    for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) expect.fail(`value ${k}: generated ${a[k]} ≠ interpreter ${b[k]}`);
    generated.dispose();
    interpreted.dispose();
  });
});

// The full instance once, on wasm (the js tape gives the same values on test.txt above; ba1 there
// takes 15 s): 95,529 rows, 55,710 columns, 987,133 nonzeros.
describe('ba1 on wasm', () => {
  const backend = 'wasm';
  it('ba1 (n=49, m=7776, p=31843): the pattern is ADBench’s and every block = the generated reference', () => {
    const big = readBaInput(fixture('data/ba/ba1_n49_m7776_p31843.txt'));
    const reference = references.find((r) => r.instance === 'data/ba/ba1_n49_m7776_p31843.txt')!;
    const f = compileBa(big, { backend });
    const residuals = f.value(big.cams, big.points, big.weights);
    const plain = baObjective(big);
    let worst = 0;
    for (let i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(residuals[i] - plain[i]));
    expect(worst, 'largest difference from the plain-JS objective').toBeLessThanOrEqual(1e-15);
    expectClose(residuals.subarray(0, 2), reference.reproj_err, 1e-12, 0, 'first residuals');
    const jac = baJacobian(f, big);
    expectAdbenchPattern(jac, big);
    for (let r = 0; r < 3 * big.p; r++) {
      const expected = r < 2 * big.p ? (r % 2 === 0 ? reference.reproj_block_row0 : reference.reproj_block_row1) : [reference.w_err_derivative];
      for (let k = jac.rows[r], q = 0; k < jac.rows[r + 1]; k++, q++) {
        if (!(adbenchError(jac.values[k], expected[q]) < 1e-12)) expect.fail(`row ${r}, nonzero ${q}: ${jac.values[k]} vs ${expected[q]}`);
      }
    }
    f.dispose();
  }, 60_000);

  it('ba1 by observation: the same pattern, every block = the generated reference', () => {
    const big = readBaInput(fixture('data/ba/ba1_n49_m7776_p31843.txt'));
    const reference = references.find((r) => r.instance === 'data/ba/ba1_n49_m7776_p31843.txt')!;
    const byObservation = new BaJacobianByObservation(big, { backend });
    const jac = byObservation.fill();
    expectAdbenchPattern(jac, big);
    for (let r = 0; r < 3 * big.p; r++) {
      const expected = r < 2 * big.p ? (r % 2 === 0 ? reference.reproj_block_row0 : reference.reproj_block_row1) : [reference.w_err_derivative];
      for (let k = jac.rows[r], q = 0; k < jac.rows[r + 1]; k++, q++) {
        if (!(adbenchError(jac.values[k], expected[q]) < 1e-12)) expect.fail(`row ${r}, nonzero ${q}: ${jac.values[k]} vs ${expected[q]}`);
      }
    }
    byObservation.dispose();
  }, 60_000);
});

describe('parseBaInput', () => {
  const sample = '2 3 4\n1 2 3 4 5 6 7 8 9 10 11\n12 13 14\n0.5\n15 16\n';

  it('replicates the one sample as ADBench does: camera i mod n, point i mod m', () => {
    const input = parseBaInput(sample);
    expect([input.n, input.m, input.p]).toEqual([2, 3, 4]);
    expect(Array.from(input.cams.subarray(11, 22))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(input.points.subarray(6, 9))).toEqual([12, 13, 14]);
    expect(Array.from(input.weights)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(input.features.subarray(6, 8))).toEqual([15, 16]);
    expect(Array.from(input.camIndex)).toEqual([0, 1, 0, 1]);
    expect(Array.from(input.pointIndex)).toEqual([0, 1, 2, 0]);
  });

  it('names what is wrong with a malformed file', () => {
    expect(() => parseBaInput('2 3 4 1 2', 'f.txt')).toThrow(/f\.txt: expected 20 numbers .* got 5/);
    expect(() => parseBaInput(sample.replace('0.5', 'w'))).toThrow(/token 18 "w" is not a number/);
    expect(() => parseBaInput(sample.replace('2 3 4', '2 0 4'))).toThrow(/m = 0 in the header must be a positive integer/);
  });
});
