/** @file Checks the GMM reader and the plain-JS objective against ADBench's golden values and generated references. */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  gmmParameterCount,
  packGmmParameters,
  parseGmmInput,
  readGmmInput,
  unpackGmmParameters,
} from '../examples/gmm/io.js';
import { gmmObjective } from '../examples/gmm/objective-plain.js';
import type { GmmInput } from '../examples/gmm/types.js';

const fixture = (path: string): URL => new URL(`./fixtures/adbench/${path}`, import.meta.url);
const readJson = (path: string): { objective: number; gradient: number[] } =>
  JSON.parse(readFileSync(fixture(path), 'utf8'));

const TEST_TXT = 'data/gmm/test.txt';
const D10_K5 = 'data/gmm/1k/gmm_d10_K5.txt';
const D2_K5 = 'data/gmm/1k/gmm_d2_K5.txt';
const testText = readFileSync(fixture(TEST_TXT), 'utf8');

/** ADBench's own Jacobian check (docs/JacobianCheck.md): |x − y| / max(1, |x| + |y|). */
const adbenchError = (x: number, y: number): number => Math.abs(x - y) / Math.max(1, Math.abs(x) + Math.abs(y));

/**
 * Fourth-order central difference of the objective along parameter `index`.
 * Fourth order lets h be large enough (1e-3) that rounding in an objective of
 * size ~3e4 stays far below the 1e-6 tolerance.
 */
function finiteDifference(input: GmmInput, params: Float64Array, index: number, h = 1e-3): number {
  const p = params.slice();
  const at = (delta: number): number => {
    p[index] = params[index] + delta;
    return gmmObjective(input, p);
  };
  return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
}

describe('parseGmmInput', () => {
  it('reads test.txt (d=2, k=3, n=1)', () => {
    const input = readGmmInput(fixture(TEST_TXT));
    expect([input.d, input.k, input.n]).toEqual([2, 3, 1]);
    expect(Array.from(input.alphas)).toEqual([-0.649014, 1.181166, -0.758453]);
    expect(Array.from(input.means)).toEqual([0.092339, 0.18626, 0.345561, 0.396767, 0.538817, 0.419195]);
    expect(input.icf.length).toBe(9);
    expect(Array.from(input.icf.subarray(0, 3))).toEqual([0.586443, -0.851887, 0.800321]);
    expect(input.icf[8]).toBe(-1.270071);
    expect(Array.from(input.x)).toEqual([1.175171, 2.02916]);
    expect(input.wishart).toEqual({ gamma: 1, m: 0 });
  });

  it('reads 1k d10 K5', () => {
    const input = readGmmInput(fixture(D10_K5));
    expect([input.d, input.k, input.n]).toEqual([10, 5, 1000]);
    expect(input.alphas.length).toBe(5);
    expect(input.means.length).toBe(50);
    expect(input.icf.length).toBe(5 * 55);
    expect(input.x.length).toBe(10_000);
    expect(input.alphas[0]).toBe(-0.649014);
    expect(input.alphas[1]).toBe(1.181166);
    expect(input.x[9999]).toBe(0.026634);
    expect(input.wishart).toEqual({ gamma: 1, m: 0 });
    expect(gmmParameterCount(input.d, input.k)).toBe(330);
  });

  it('replicates the single stored point in replicatePoint mode', () => {
    const header = /^2 3 1\n/;
    const stored = parseGmmInput(testText.replace(header, '2 3 4\n'), { replicatePoint: true });
    const point = '1.175171 2.029160 \n';
    const spelledOut = parseGmmInput(testText.replace(header, '2 3 4\n').replace(point, point.repeat(4)));
    expect(stored.n).toBe(4);
    expect(Array.from(stored.x)).toEqual(Array.from(spelledOut.x));
    expect(gmmObjective(stored)).toBe(gmmObjective(spelledOut));
  });

  it('accepts CRLF line endings and arbitrary whitespace', () => {
    const crlf = parseGmmInput(testText.replace(/\n/g, '\r\n'));
    const oneLine = parseGmmInput(testText.replace(/\s+/g, '\t'));
    expect(gmmObjective(crlf)).toBe(gmmObjective(readGmmInput(fixture(TEST_TXT))));
    expect(gmmObjective(oneLine)).toBe(gmmObjective(crlf));
  });

  describe('rejects malformed input with the line and what was expected', () => {
    const lines = testText.split('\n');
    const withLine = (index: number, text: string): string => lines.map((l, i) => (i === index ? text : l)).join('\n');

    it.each([
      ['empty input', '', /line 1: the input ends too early: expected the dimension d/],
      ['a non-numeric alpha', withLine(2, 'abc'), /line 3: expected alpha 1 of 3 as a decimal number, found "abc"/],
      ['a hexadecimal mean', withLine(4, '0x1 0.2'), /line 5: expected mean value 0 of 2 for component 0 .*"0x1"/],
      ['a non-integer dimension', withLine(0, '2.5 3 1'), /line 1: expected the dimension d .*found "2.5"/],
      ['d = 1', withLine(0, '1 3 1'), /line 1: d = 1 is not supported/],
      ['k = 0', withLine(0, '2 0 1'), /line 1: k = 0/],
      ['a missing Wishart line', lines.slice(0, 11).join('\n'), /the input ends too early: expected the Wishart gamma/],
      [
        'a short icf row, which shifts every later number',
        withLine(7, '0.586443 -0.851887'),
        /line 12: the Wishart gamma is 0.*Expected layout: line 1: `d k n`; lines 2-4: 1 alpha each; lines 5-7: 2 means each; lines 8-10: 3 icf values each; line 11: 2 coordinates each; line 12: `gamma m`/,
      ],
      ['a non-integer m', withLine(11, '1.0 0.5'), /line 12: expected the Wishart m, a non-negative integer/],
      ['gamma <= 0', withLine(11, '0 0'), /line 12: the Wishart gamma is 0, but it must be positive/],
      ['trailing tokens', `${testText}\n7\n`, /line 14: expected the end of the input .*found "7"/],
    ])('%s', (_name, text, message) => {
      expect(() => parseGmmInput(text, { source: 'test.txt' })).toThrow(message);
    });

    it('suggests replicatePoint when the file holds fewer points than n', () => {
      expect(() => parseGmmInput(withLine(0, '2 3 3'))).toThrow(/ends too early.*pass \{ replicatePoint: true \}/);
    });

    it('suggests dropping replicatePoint when the file holds all n points', () => {
      const twoPoints = testText.replace(/^2 3 1/, '2 3 2').replace('1.175171 2.029160 \n', '1.175171 2.029160 \n'.repeat(2));
      expect(() => parseGmmInput(twoPoints, { replicatePoint: true })).toThrow(
        /without \{ replicatePoint: true \}/,
      );
    });

    it('names the file when reading from disk', () => {
      expect(() => readGmmInput(fixture('reference/generated/gmm_test.ref.json'))).toThrow(/gmm_test\.ref\.json, line 1:/);
    });
  });
});

describe('packGmmParameters / unpackGmmParameters', () => {
  it('lays parameters out as [alphas, means, icf] and round-trips', () => {
    const input = readGmmInput(fixture(TEST_TXT));
    const flat = packGmmParameters(input);
    expect(flat.length).toBe(18);
    expect(Array.from(flat.subarray(0, 3))).toEqual(Array.from(input.alphas));
    expect(Array.from(flat.subarray(3, 9))).toEqual(Array.from(input.means));
    expect(Array.from(flat.subarray(9))).toEqual(Array.from(input.icf));
    const parts = unpackGmmParameters(flat, input.d, input.k);
    expect(Array.from(parts.icf)).toEqual(Array.from(input.icf));
    expect(() => unpackGmmParameters(flat.subarray(1), 2, 3)).toThrow(/length 17, expected 18/);
  });
});

describe('gmmObjective (plain JS)', () => {
  it.each([
    ['test.txt vs ADBench unit tests', TEST_TXT, 'reference/from_adbench_unit_tests/gmm_test.json'],
    ['test.txt vs generated reference', TEST_TXT, 'reference/generated/gmm_test.ref.json'],
    ['1k d10 K5 vs generated reference', D10_K5, 'reference/generated/gmm_1k_gmm_d10_K5.ref.json'],
    ['1k d2 K5 vs generated reference', D2_K5, 'reference/generated/gmm_1k_gmm_d2_K5.ref.json'],
  ])('matches the golden objective: %s', (_name, data, reference) => {
    const input = readGmmInput(fixture(data));
    const { objective } = readJson(reference);
    expect(Math.abs(gmmObjective(input) - objective) / Math.abs(objective)).toBeLessThan(1e-10);
    expect(gmmObjective(input, packGmmParameters(input))).toBe(gmmObjective(input));
  });

  it('rejects a parameter vector of the wrong length', () => {
    const input = readGmmInput(fixture(TEST_TXT));
    expect(() => gmmObjective(input, new Float64Array(17))).toThrow(/length 17, expected .* = 18/);
  });

  it('stays finite when alphas are huge (stable log-sum-exp)', () => {
    const input = readGmmInput(fixture(TEST_TXT));
    const params = packGmmParameters(input);
    const shifted = params.slice();
    for (let j = 0; j < input.k; j++) shifted[j] += 1000;
    // Shifting all alphas by a constant cancels between the data term and the normaliser.
    expect(gmmObjective(input, shifted)).toBeCloseTo(gmmObjective(input, params), 9);
  });
});

describe('golden gradients agree with finite differences of the plain objective (layout check)', () => {
  const check = (data: string, reference: string, indices?: number[]): void => {
    const input = readGmmInput(fixture(data));
    const params = packGmmParameters(input);
    const { gradient } = readJson(reference);
    expect(gradient.length).toBe(params.length);
    for (const i of indices ?? gradient.map((_, i) => i)) {
      const fd = finiteDifference(input, params, i);
      expect(adbenchError(fd, gradient[i]), `entry ${i}: fd ${fd} vs golden ${gradient[i]}`).toBeLessThan(1e-6);
    }
  };

  it('test.txt: all 18 entries of the ADBench unit-test gradient', () => {
    check(TEST_TXT, 'reference/from_adbench_unit_tests/gmm_test.json');
  });

  it('1k d2 K5: all 30 entries', () => {
    check(D2_K5, 'reference/generated/gmm_1k_gmm_d2_K5.ref.json');
  });

  it('1k d10 K5: a sample covering every block and both ends of each icf row', () => {
    const d = 10;
    const k = 5;
    const t = (d * (d + 1)) / 2;
    const alpha = (j: number): number => j;
    const mean = (j: number, r: number): number => k + j * d + r;
    const icf = (j: number, s: number): number => k + k * d + j * t + s;
    // In each icf row, s < d is a log-diagonal entry and s >= d an off-diagonal one.
    const indices = [0, 2, 4].flatMap((j) => [
      alpha(j),
      mean(j, 0),
      mean(j, d - 1),
      icf(j, 0),
      icf(j, d - 1),
      icf(j, d),
      icf(j, d + 13),
      icf(j, t - 1),
    ]);
    expect(indices.length).toBe(24);
    check(D10_K5, 'reference/generated/gmm_1k_gmm_d10_K5.ref.json', indices);
  });
});
