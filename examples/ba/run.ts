/** @file `npx tsx examples/ba/run.ts`: ADBench's BA residuals and sparse Jacobian with wengert on
 *  ba1 (p=31843), checked against the reference; `npm run bench -- ba` gives J/f. */
import { readFileSync } from 'node:fs';
import { readBaInput } from './io.js';
import { baResiduals } from './objective-plain.js';
import { BA_BATCH, baJacobian, compileBa } from './objective-wengert.js';

const FIXTURES = new URL('../../test/fixtures/adbench/', import.meta.url);
const input = readBaInput(new URL('data/ba/ba1_n49_m7776_p31843.txt', FIXTURES));
type Reference = { instances: { instance: string; reproj_block_row0: number[]; reproj_block_row1: number[]; w_err_derivative: number }[] };
const all = JSON.parse(readFileSync(new URL('reference/generated/ba_all.ref.json', FIXTURES), 'utf8')) as Reference;
const reference = all.instances.find((r) => r.instance === 'data/ba/ba1_n49_m7776_p31843.txt')!;

baJacobian(input); // compiles the batch tapes
let t = performance.now();
const jacobian = baJacobian(input);
const jacobianMs = performance.now() - t;
t = performance.now();
baResiduals(input);
const residualsMs = performance.now() - t;
const block = [...reference.reproj_block_row0, ...reference.reproj_block_row1];
const scale = Math.max(...block.map(Math.abs));
let worst = 0;
for (let i = 0; i < input.p; i++) for (let k = 0; k < 30; k++) worst = Math.max(worst, Math.abs(jacobian[30 * i + k] - block[k]) / scale);
for (let i = 0; i < input.p; i++) worst = Math.max(worst, Math.abs(jacobian[30 * input.p + i] - reference.w_err_derivative) / scale);
console.log(`BA ba1: n=${input.n} m=${input.m} p=${input.p}; ${jacobian.length} Jacobian values from a ${compileBa(input).stats.nodes}-node tape per batch of ${BA_BATCH} observations`);
console.log(`largest error against the reference, relative to the largest entry: ${worst.toExponential(1)}`);
console.log(`Jacobian ${jacobianMs.toFixed(1)} ms, plain-JS residuals ${residualsMs.toFixed(2)} ms (one run each, after a first that compiled; npm run bench -- ba for medians)`);
