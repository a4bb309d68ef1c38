/** @file `npx tsx examples/ba/run.ts [test | ba1]`: ADBench's BA residuals and their sparse Jacobian
 *  with wengert on a shipped instance, by both methods (the residuals in vector ops with
 *  sparsity: 'auto'; one compiled residual's Jacobian per observation), checked against the
 *  reference block. */
import { readFileSync } from 'node:fs';
import { readBaInput } from './io.js';
import { baObjective } from './objective-plain.js';
import { baJacobian, compileBa } from './objective-wengert.js';
import { BaJacobianByObservation } from './observation.js';

const FIXTURES = new URL('../../test/fixtures/adbench/', import.meta.url);
const INSTANCES: Record<string, string> = { test: 'data/ba/test.txt', ba1: 'data/ba/ba1_n49_m7776_p31843.txt' };

const name = process.argv[2] ?? 'ba1';
if (!(name in INSTANCES)) {
  console.error(`unknown instance "${name}": choose one of ${Object.keys(INSTANCES).join(', ')}`);
  process.exit(2);
}
const input = readBaInput(new URL(INSTANCES[name], FIXTURES));
interface Reference { instance: string; reproj_block_row0: number[]; reproj_block_row1: number[]; w_err_derivative: number }
const reference = (JSON.parse(readFileSync(new URL('reference/generated/ba.ref.json', FIXTURES), 'utf8')) as { instances: Reference[] }).instances.find((r) => r.instance === INSTANCES[name])!;

let t = performance.now();
const f = compileBa(input);
const compileMs = performance.now() - t;
t = performance.now();
const first = baJacobian(f, input);
const firstMs = performance.now() - t;
t = performance.now();
const jac = baJacobian(f, input);
const againMs = performance.now() - t;
const residuals = f.value(input.cams, input.points, input.weights);
const plain = baObjective(input);
let worstValue = 0;
for (let i = 0; i < plain.length; i++) worstValue = Math.max(worstValue, Math.abs(residuals[i] - plain[i]));
// Every reprojection row holds one 2 × 15 block; every weight row −2w.
const worstError = (matrix: typeof jac): number => {
  let worst = 0;
  for (let r = 0; r < 3 * input.p; r++) {
    const expected = r < 2 * input.p ? (r % 2 === 0 ? reference.reproj_block_row0 : reference.reproj_block_row1) : [reference.w_err_derivative];
    for (let k = matrix.rows[r], q = 0; k < matrix.rows[r + 1]; k++, q++) {
      worst = Math.max(worst, Math.abs(matrix.values[k] - expected[q]) / Math.max(1, Math.abs(expected[q])));
    }
  }
  return worst;
};
const worst = worstError(jac);
console.log(`BA ${name}: n=${input.n} m=${input.m} p=${input.p}; Jacobian ${jac.shape[0]} × ${jac.shape[1]}, ${jac.cols.length} nonzeros (${first === jac ? 'same' : 'fresh'} matrix per call)`);
console.log(`residuals vs plain JS: largest difference ${worstValue.toExponential(1)}; Jacobian vs reference: largest relative error ${worst.toExponential(1)}`);
console.log(`compile ${compileMs.toFixed(0)} ms, first sparse Jacobian (pattern + colouring + sweeps) ${firstMs.toFixed(0)} ms, next ${againMs.toFixed(1)} ms`);
f.dispose();

t = performance.now();
const byObservation = new BaJacobianByObservation(input);
const setupMs = performance.now() - t;
t = performance.now();
byObservation.fill();
const firstFillMs = performance.now() - t;
t = performance.now();
const filled = byObservation.fill();
const fillMs = performance.now() - t;
console.log(`by observation (one compiled residual, jacobians over all observations): largest relative error ${worstError(filled).toExponential(1)}; compile + pattern ${setupMs.toFixed(0)} ms, first call ${firstFillMs.toFixed(0)} ms, next ${fillMs.toFixed(1)} ms`);
console.log('for the ratios to the plain-JS objective, run: npx tsx bench/ba.ts');
byObservation.dispose();
