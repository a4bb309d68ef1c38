/** @file ADBench's BA residuals on wengert (examples/ba/objective-wengert.ts): residuals and the
 *  sparse Jacobian against ADBench's golden values and the generated references, on both
 *  backends; the rotation's first-order branch at θ = 0 against finite differences. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBaInput, readBaInput } from '../examples/ba/io.js';
import { baResidual, baResiduals } from '../examples/ba/objective-plain.js';
import { BA_BLOCK, baBatchParameters, baJacobian, compileBa } from '../examples/ba/objective-wengert.js';
import { BACKENDS, expectClose, seededRandom } from './helpers.js';

const fixture = (path: string): URL => new URL(`./fixtures/adbench/${path}`, import.meta.url);
const readJson = <T>(path: string): T => JSON.parse(readFileSync(fixture(path), 'utf8')) as T;

interface Golden {
  reproj_err_even_entries: number;
  reproj_err_odd_entries: number;
  w_err_all_entries: number;
  jacobian_csr_vals: number[];
}
interface Generated {
  instances: { instance: string; p: number; reproj_err: number[]; w_err: number; reproj_block_row0: number[]; reproj_block_row1: number[]; w_err_derivative: number }[];
}

const test = readBaInput(fixture('data/ba/test.txt'));
const ba1 = readBaInput(fixture('data/ba/ba1_n49_m7776_p31843.txt'));
const generated = readJson<Generated>('reference/generated/ba_all.ref.json');
const referenceFor = (name: string) => generated.instances.find((r) => r.instance === `data/ba/${name}`)!;

describe('the BA reader and the plain residuals', () => {
  it('reads the header and the one sample, and says what is wrong', () => {
    expect([test.n, test.m, test.p]).toEqual([2, 10, 10]);
    expect([ba1.n, ba1.m, ba1.p]).toEqual([49, 7776, 31843]);
    expect(test.camera.length).toBe(11);
    expect(() => parseBaInput('1 2 3')).toThrow(/expected 20 numbers/);
    expect(() => parseBaInput(`0 1 1${' 1'.repeat(17)}`)).toThrow(/n \(header `n m p`\) must be a positive integer/);
  });

  it("= ADBench's unit-test residuals on test.txt, for every observation", () => {
    const golden = readJson<Golden>('reference/from_adbench_unit_tests/ba_test.json');
    const r = baResiduals(test);
    for (let i = 0; i < test.p; i++) {
      expectClose(r[3 * i], golden.reproj_err_even_entries, 1e-12, 0, `reproj x of observation ${i}`);
      expectClose(r[3 * i + 1], golden.reproj_err_odd_entries, 1e-12, 0, `reproj y of observation ${i}`);
      expectClose(r[3 * i + 2], golden.w_err_all_entries, 1e-12, 0, `w_err of observation ${i}`);
    }
  });
});

describe.each(BACKENDS)('BA on wengert (%s)', (backend) => {
  it("the sparse Jacobian of test.txt = ADBench's 310 CSR values (1e-9 relative to the largest)", () => {
    const golden = readJson<Golden>('reference/from_adbench_unit_tests/ba_test.json');
    const vals = baJacobian(test, backend);
    expect(vals.length).toBe(golden.jacobian_csr_vals.length);
    const scale = Math.max(...golden.jacobian_csr_vals.map(Math.abs));
    expectClose(vals, golden.jacobian_csr_vals, 1e-9, 1e-12 * scale, 'CSR values');
  });

  for (const name of ['test.txt', 'ba1_n49_m7776_p31843.txt']) {
    it(`${name}: one observation's residuals and 2 × 15 block = the generated reference and the plain residual`, () => {
      const input = name === 'test.txt' ? test : ba1;
      const ref = referenceFor(name);
      const fn = compileBa(input, backend, 1);
      const params = baBatchParameters(input, 1);
      const value = fn.value(params) as Float64Array;
      const plain = new Float64Array(3);
      baResidual(input.camera, input.point, input.weight, input.feature, plain);
      expectClose(value, [...ref.reproj_err, ref.w_err], 1e-12, 0, 'residuals');
      expectClose(value, plain, 1e-13, 0, 'residuals vs plain JS');
      const block = fn.jacobian(params);
      const rows = [...ref.reproj_block_row0, ...ref.reproj_block_row1];
      const scale = Math.max(...rows.map(Math.abs));
      expectClose(block.subarray(0, 30), rows, 1e-10, 1e-12 * scale, 'reprojection block');
      expect(block[44]).toBeCloseTo(ref.w_err_derivative, 14);
      expectClose(fn.jacobian(params, { mode: 'forward' }), block, 1e-13, 1e-13 * scale, 'forward = reverse');
    });
  }

  it('ba1 (p = 31843, batches of 1024 and one of 99): every block = the reference', () => {
    const ref = referenceFor('ba1_n49_m7776_p31843.txt');
    const vals = baJacobian(ba1, backend);
    const rows = [...ref.reproj_block_row0, ...ref.reproj_block_row1];
    const scale = Math.max(...rows.map(Math.abs));
    for (const i of [0, 1023, 1024, 31 * 1024, ba1.p - 1]) {
      expectClose(vals.subarray(30 * i, 30 * i + 30), rows, 1e-10, 1e-12 * scale, `block of observation ${i}`);
      expect(vals[30 * ba1.p + i]).toBeCloseTo(ref.w_err_derivative, 14);
    }
  });

  it('a batch of different observations: three reverse sweeps give each one its own block', () => {
    const random = seededRandom(11);
    const b = 3;
    const params = baBatchParameters(test, b).map((x) => x * (1 + 0.1 * (random() - 0.5)));
    const batch = compileBa(test, backend, b);
    const single = compileBa(test, backend, 1);
    const value = batch.value(params) as Float64Array;
    for (let i = 0; i < b; i++) {
      const column = Float64Array.from({ length: BA_BLOCK }, (_, k) => params[k * b + i]);
      const own = single.value(column) as Float64Array;
      expectClose([value[i], value[b + i], value[2 * b + i]], own, 1e-15, 0, `residuals of observation ${i}`);
      const block = single.jacobian(column);
      for (let row = 0; row < 3; row++) {
        const u = new Float64Array(3 * b);
        u.fill(1, row * b, (row + 1) * b);
        const g = batch.vjp(params, u) as Float64Array;
        expectClose(Array.from({ length: BA_BLOCK }, (_, k) => g[k * b + i]), block.subarray(15 * row, 15 * row + 15), 1e-13, 1e-12, `row ${row} of observation ${i}`);
      }
    }
  });

  it('at r = 0 exactly the first-order rotation is used, and its Jacobian ≈ central differences', () => {
    const camera = test.camera.slice();
    camera.fill(0, 0, 3);
    const atOrigin = { ...test, camera };
    const fn = compileBa(atOrigin, backend, 1);
    const params = baBatchParameters(atOrigin, 1);
    const at = (c: Float64Array) => {
      const out = new Float64Array(3);
      baResidual(c, test.point, test.weight, test.feature, out);
      return out;
    };
    expectClose(fn.value(params) as Float64Array, at(camera), 1e-13, 0, 'value at r = 0');
    const block = fn.jacobian(params);
    expect(block.every(Number.isFinite)).toBe(true);
    for (let k = 0; k < 11; k++) {
      const h = 1e-6 * Math.max(1, Math.abs(camera[k]));
      const up = camera.slice();
      const down = camera.slice();
      up[k] += h;
      down[k] -= h;
      // At r = 0 the differences step off 0, onto the full formula: the two forms agree to first order.
      for (let row = 0; row < 2; row++) {
        const fd = (at(up)[row] - at(down)[row]) / (2 * h);
        expect(Math.abs(block[row * 15 + k] - fd), `∂ row ${row} / ∂ camera[${k}]`).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }
    }
  });
});
