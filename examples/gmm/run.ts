/** @file `npx tsx examples/gmm/run.ts [instance]`: the ADBench GMM objective and its gradient with
 *  wengert on a shipped instance, checked against the reference and timed against plain JS. */
import { readFileSync } from 'node:fs';
import { medianMs } from '../median-time.js';
import { readGmmInput, packGmmParameters } from './io.js';
import { gmmObjective } from './objective-plain.js';
import { gmmGradient } from './objective-wengert.js';

const FIXTURES = new URL('../../test/fixtures/adbench/', import.meta.url);
const INSTANCES: Record<string, { data: string; reference: string }> = {
  '1k-d10-k5': { data: 'data/gmm/1k/gmm_d10_K5.txt', reference: 'reference/generated/gmm_1k_gmm_d10_K5.ref.json' },
  '1k-d2-k5': { data: 'data/gmm/1k/gmm_d2_K5.txt', reference: 'reference/generated/gmm_1k_gmm_d2_K5.ref.json' },
  test: { data: 'data/gmm/test.txt', reference: 'reference/generated/gmm_test.ref.json' },
};

const name = process.argv[2] ?? '1k-d10-k5';
const instance = INSTANCES[name];
if (instance === undefined) {
  console.error(`unknown instance "${name}": choose one of ${Object.keys(INSTANCES).join(', ')}`);
  process.exit(2);
}
const input = readGmmInput(new URL(instance.data, FIXTURES));
const reference = JSON.parse(readFileSync(new URL(instance.reference, FIXTURES), 'utf8')) as { objective: number; gradient: number[] };
const params = packGmmParameters(input);

const { value, grad } = gmmGradient(input, params);
let worst = 0;
grad.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - reference.gradient[i]) / Math.max(1, Math.abs(reference.gradient[i])))));
console.log(`GMM ${name}: d=${input.d} K=${input.k} n=${input.n}, ${params.length} parameters`);
console.log(`objective ${value} (reference ${reference.objective}, relative error ${(Math.abs(value - reference.objective) / Math.abs(reference.objective)).toExponential(1)})`);
console.log(`gradient: largest relative error against the reference ${worst.toExponential(1)}`);

const out = new Float64Array(params.length);
const gradientMs = medianMs(() => gmmGradient(input, params, { out }), 200);
const objectiveMs = medianMs(() => gmmObjective(input, params), 200);
console.log(`gradient ${gradientMs.toFixed(3)} ms, plain-JS objective ${objectiveMs.toFixed(3)} ms (medians of 200, one process)`);
// Once wasm memory has grown, V8 runs this process's typed-array loops slower (DESIGN), so the
// plain objective is measured slow here: `npm run bench -- gmm` times each in its own process.
console.log('for the ratio, run: npm run bench -- gmm');
