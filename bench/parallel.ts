/**
 * @file `npx tsx bench/parallel.ts [--rounds=N] [--time=ms] [--workers=N]` (or `npm run bench
 * parallel`): the MNIST MLP 784-128-10 at batch 256, loss and gradient, in one wasm instance on
 * this thread vs dataParallel over worker threads. Rounds alternate the order; prints a table,
 * then one JSON line.
 */
import { loadavg } from 'node:os';
import { Bench } from 'tinybench';
import { compile, dataParallel } from '../src/index.js';
import { batchLoss, parameterLayout } from '../examples/mnist/model.js';
import { median } from './engine.js';

const HIDDEN = 128;
const BATCH = 256;
const PIXELS = 784;
const CLASSES = 10;

export interface ParallelOutput {
  workers: number;
  rounds: number;
  /** Per round, tinybench's median and best ms per step. */
  single: { medianMs: number; minMs: number }[];
  parallel: { medianMs: number; minMs: number }[];
  load: { before: number; after: number };
  /** Largest |Δ| between the two gradients (order of summation only). */
  maxDifference: number;
}

function parse(argv: string[]) {
  const options = { rounds: 5, timeMs: 1500, workers: 2 };
  for (const arg of argv) {
    const match = /^--(rounds|time|workers)=(\d+)$/.exec(arg);
    if (!match || !(Number(match[2]) > 0)) throw new Error(`${arg}: options are --rounds=N --time=ms --workers=N (positive integers)`);
    options[match[1] === 'time' ? 'timeMs' : (match[1] as 'rounds' | 'workers')] = Number(match[2]);
  }
  return options;
}

async function timeStep(step: () => unknown, timeMs: number): Promise<{ medianMs: number; minMs: number }> {
  const bench = new Bench({ time: timeMs, iterations: 10, warmupTime: 300, warmupIterations: 3, throws: true });
  bench.add('step', step);
  const [task] = await bench.run();
  if (task.result.state !== 'completed') throw new Error(`benchmark did not complete (state ${task.result.state})`);
  return { medianMs: task.result.latency.p50, minMs: task.result.latency.min };
}

export async function benchParallel(argv: string[]): Promise<ParallelOutput> {
  const { rounds, timeMs, workers } = parse(argv);
  const size = parameterLayout(HIDDEN).size;
  const params = Float64Array.from({ length: size }, (_, i) => 0.05 * Math.sin(i));
  const images = Float64Array.from({ length: BATCH * PIXELS }, (_, i) => ((i * 7919) % 256) / 255);
  const oneHot = new Float64Array(BATCH * CLASSES).map((_, i) => (i % CLASSES === Math.floor(i / CLASSES) % CLASSES ? 1 : 0));
  const loss = batchLoss(HIDDEN, BATCH);
  const shapes = [size, BATCH * PIXELS, BATCH * CLASSES] as const;
  const outputs = () => [new Float64Array(size), new Float64Array(BATCH * PIXELS), new Float64Array(BATCH * CLASSES)];
  const before = loadavg()[0];
  const one = compile(loss, ...shapes);
  const parallel = await dataParallel(loss, ...shapes, { workers, batch: [1, 2], rows: BATCH });
  const singleOut = outputs();
  const parallelOut = outputs();
  const single: ParallelOutput['single'] = [];
  const split: ParallelOutput['parallel'] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const timeSingle = async () => single.push(await timeStep(() => one.valueAndGrad(params, images, oneHot, singleOut), timeMs));
      const timeParallel = async () => split.push(await timeStep(() => parallel.valueAndGrad(params, images, oneHot, parallelOut), timeMs));
      if (round % 2 === 0) await timeSingle().then(timeParallel);
      else await timeParallel().then(timeSingle);
    }
  } finally {
    await parallel.dispose();
    one.dispose();
  }
  let maxDifference = 0;
  for (let k = 0; k < size; k++) maxDifference = Math.max(maxDifference, Math.abs(singleOut[0][k] - parallelOut[0][k]));
  return { workers, rounds, single, parallel: split, load: { before, after: loadavg()[0] }, maxDifference };
}

/** The summary lines: medians over rounds of each round's median, and the best step of all. */
export function parallelTable(o: ParallelOutput): string[] {
  const mid = (xs: { medianMs: number }[]) => median(xs.map((x) => x.medianMs));
  const best = (xs: { minMs: number }[]) => Math.min(...xs.map((x) => x.minMs));
  const row = (name: string, xs: { medianMs: number; minMs: number }[]) => `  ${name.padEnd(34)}${mid(xs).toFixed(2).padStart(9)} ms${best(xs).toFixed(2).padStart(10)} ms`;
  return [
    `MLP 784-128-10, batch 256, loss + gradient: one instance vs dataParallel (${o.rounds} rounds; load average ${o.load.before.toFixed(2)} → ${o.load.after.toFixed(2)})`,
    `  ${''.padEnd(34)}${'median'.padStart(12)}${'best'.padStart(13)}`,
    row('one wasm instance (this thread)', o.single),
    row(`dataParallel, ${o.workers} workers`, o.parallel),
    `  speed-up ${(mid(o.single) / mid(o.parallel)).toFixed(2)}× by medians, ${(best(o.single) / best(o.parallel)).toFixed(2)}× by best steps; gradients differ by ≤ ${o.maxDifference.toExponential(1)}`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const output = await benchParallel(process.argv.slice(2));
  console.log(parallelTable(output).join('\n'));
  console.log(JSON.stringify(output));
}
