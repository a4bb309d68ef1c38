/** @file The D-LSTM objective on wengert (examples/lstm/objective-wengert.ts): value and gradient
 *  against ADBench's golden values and the generated reference, on both backends. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { valueAndGrad, type Vector } from '../src/index.js';
import { lstmParameterCount, packLstmParameters, parseLstmInput, readLstmInput } from '../examples/lstm/io.js';
import { lstmObjective } from '../examples/lstm/objective-plain.js';
import { compileLstm, lstmGradient, lstmObjectiveOnTape } from '../examples/lstm/objective-wengert.js';
import { BACKENDS, expectClose, seededRandom } from './helpers.js';

const fixture = (path: string): URL => new URL(`./fixtures/adbench/${path}`, import.meta.url);
const readJson = (path: string): { objective: number; gradient: number[] } => JSON.parse(readFileSync(fixture(path), 'utf8'));
const input = readLstmInput(fixture('data/lstm/lstm_l2_c1024.txt'));
const flat = (g: [Float64Array, Float64Array]) => Float64Array.from([...g[0], ...g[1]]);

/** ADBench's own check (docs/JacobianCheck.md): |x − y| / max(1, |x| + |y|). */
const adbenchError = (x: number, y: number): number => Math.abs(x - y) / Math.max(1, Math.abs(x) + Math.abs(y));

/** Relative error, each entry measured against the gradient's largest entry scaled down by 10³. */
function expectGradient(actual: Float64Array, expected: readonly number[], rtol: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  expectClose(actual, expected, rtol, rtol * 1e-3 * scale, what);
  for (let i = 0; i < expected.length; i++) expect(adbenchError(actual[i], expected[i]), `${what}[${i}], ADBench's check`).toBeLessThan(1e-12);
}

describe('the D-LSTM reader', () => {
  it('reads l=2, c=1024, b=14 and its blocks in file order', () => {
    expect([input.l, input.c, input.b]).toEqual([2, 1024, 14]);
    expect([input.main.length, input.extra.length, input.state.length, input.sequence.length]).toEqual([224, 42, 56, 1024 * 14]);
    expect(input.sequence.every((bit) => bit === 0 || bit === 1)).toBe(true);
    expect(lstmParameterCount(2, 14)).toBe(266);
  });

  it('says which number is wrong', () => {
    expect(() => parseLstmInput('1 2')).toThrow(/ends before the hidden size b/);
    expect(() => parseLstmInput('1 2 x')).toThrow(/number 3 \(the hidden size b.*\) is "x"/);
    expect(() => parseLstmInput('1 2 1' + ' 0'.repeat(8 + 3 + 2 + 2) + ' 5')).toThrow(/1 numbers after the sequence/);
  });
});

describe('the plain-JS D-LSTM objective', () => {
  it('= the generated reference (1e-13 relative) and ADBench\'s 8 digits', () => {
    const value = lstmObjective(input, input.main, input.extra);
    expectClose(value, readJson('reference/generated/lstm_l2_c1024.ref.json').objective, 1e-13, 0, 'objective');
    expect(Math.abs(value - readJson('reference/from_adbench_unit_tests/lstm_l2_c1024.json').objective)).toBeLessThan(1e-8);
  });
});

describe.each(BACKENDS)('D-LSTM objective on wengert (%s)', (backend) => {
  it('objective and gradient = the generated reference (1e-9 relative) and the plain objective', () => {
    const ref = readJson('reference/generated/lstm_l2_c1024.ref.json');
    const { value, grad } = lstmGradient(input, input.main, input.extra, { backend });
    expectClose(value, ref.objective, 1e-12, 0, 'objective');
    expectClose(value, lstmObjective(input, input.main, input.extra), 1e-13, 0, 'objective vs the plain-JS objective');
    expectGradient(flat(grad), ref.gradient, 1e-9, 'gradient');
  });

  it("equals ADBench's own unit-test values (objective to its 8 digits, 266-entry gradient)", () => {
    const golden = readJson('reference/from_adbench_unit_tests/lstm_l2_c1024.json');
    const { value, grad } = lstmGradient(input, input.main, input.extra, { backend });
    expect(Math.abs(value - golden.objective)).toBeLessThan(1e-8);
    expectGradient(flat(grad), golden.gradient, 1e-8, 'gradient');
  });

  it('the compiled tape replays at other parameters: value = the plain objective, gradient = a fresh recording', () => {
    const random = seededRandom(5);
    const fresh = valueAndGrad((m: Vector, e: Vector) => lstmObjectiveOnTape(input)(m, e), { backend });
    const out: [Float64Array, Float64Array] = [new Float64Array(input.main.length), new Float64Array(input.extra.length)];
    for (let trial = 0; trial < 2; trial++) {
      const params = packLstmParameters(input).map((x) => x + 0.3 * (random() - 0.5));
      const main = params.subarray(0, input.main.length);
      const extra = params.subarray(input.main.length);
      const replay = lstmGradient(input, main, extra, { backend, out });
      expect(replay.grad).toBe(out);
      expectClose(replay.value, lstmObjective(input, main, extra), 1e-12, 0, `value, trial ${trial}`);
      const recorded = fresh(main, extra);
      expectClose(replay.value, recorded.value, 1e-14, 0, `vs fresh value, trial ${trial}`);
      expectGradient(flat(out), Array.from(flat(recorded.grad as [Float64Array, Float64Array])), 1e-13, `vs fresh gradient, trial ${trial}`);
    }
  });

  it('compiles once per instance and backend', () => {
    const first = compileLstm(input, { backend });
    lstmGradient(input, input.main, input.extra, { backend });
    expect(compileLstm(input, { backend })).toBe(first);
    expect(first.arity).toBe(2);
  });
});
