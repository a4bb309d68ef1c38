/** @file `npx tsx examples/lstm/run.ts`: ADBench's D-LSTM objective (l=2, c=1024, b=14) and its
 *  gradient with wengert, checked against the reference; `npm run bench -- lstm` gives ∇/f. */
import { readFileSync } from 'node:fs';
import { medianMs } from '../median-time.js';
import { readLstmInput } from './io.js';
import { lstmObjective } from './objective-plain.js';
import { compileLstm, lstmGradient } from './objective-wengert.js';

const FIXTURES = new URL('../../test/fixtures/adbench/', import.meta.url);
const input = readLstmInput(new URL('data/lstm/lstm_l2_c1024.txt', FIXTURES));
const reference = JSON.parse(readFileSync(new URL('reference/generated/lstm_l2_c1024.ref.json', FIXTURES), 'utf8')) as { objective: number; gradient: number[] };

const { value, grad } = lstmGradient(input, input.main, input.extra);
const flat = [...grad[0], ...grad[1]];
let worst = 0;
flat.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - reference.gradient[i]) / Math.max(1, Math.abs(reference.gradient[i])))));
console.log(`D-LSTM l=${input.l} c=${input.c} b=${input.b}: ${flat.length} parameters, ${compileLstm(input).stats.nodes} tape nodes`);
console.log(`objective ${value} (reference ${reference.objective}, relative error ${(Math.abs(value - reference.objective) / Math.abs(reference.objective)).toExponential(1)})`);
console.log(`gradient: largest relative error against the reference ${worst.toExponential(1)}`);

const out: [Float64Array, Float64Array] = [new Float64Array(input.main.length), new Float64Array(input.extra.length)];
const gradientMs = medianMs(() => lstmGradient(input, input.main, input.extra, { out }), 50);
const objectiveMs = medianMs(() => lstmObjective(input, input.main, input.extra), 50);
console.log(`gradient ${gradientMs.toFixed(3)} ms, plain-JS objective ${objectiveMs.toFixed(3)} ms (medians of 50, one process)`);
console.log('for the ratio, run: npm run bench -- lstm');
