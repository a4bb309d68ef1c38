/** @file Generated code with the other vector rows left to the interpreter (matmul, softmax,
 *  logsumexp, … called from the generated sweeps) against the interpreter alone, on the
 *  compiled tapes of the examples: the MNIST model's step (784-128-10, batch 16, data as data),
 *  the MLP bench's (64-128-10, batch 32), ADBench GMM (d=10, K=5) and D-LSTM. Alternating rounds,
 *  each a tinybench median; checks that both engines give the same bits first.
 *  Run: npx tsx bench/hybrid.ts [--rounds=N] */
import { compile, shapeOf, type CompiledFunction } from '../src/index.js';
import { parameterLayout, parameterTree, treeLoss } from '../examples/mnist/model.js';
import { DESIGN_MLP, mlpLayout, mlpLoss, withOnesColumn } from '../examples/mlp.js';
import { readGmmInput, packGmmParameters } from '../examples/gmm/io.js';
import { compileGmm } from '../examples/gmm/objective-wengert.js';
import { readLstmInput } from '../examples/lstm/io.js';
import { compileLstm } from '../examples/lstm/objective-wengert.js';
import { setDefaultCodegen } from '../src/codegen/generated-sweeps.js';
import { median, time } from './engine.js';
import { uniform } from './workloads.js';

const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Number(roundsArg.slice('--rounds='.length)) : 5;
const timing = { timeMs: 400, warmupMs: 100, minIterations: 10 };

/** Bits of every number a step returned, to compare engines exactly. */
function bits(result: unknown): string {
  const parts: string[] = [];
  const walk = (x: unknown): void => {
    if (typeof x === 'number') parts.push(Object.is(x, -0) ? '-0' : String(x));
    else if (x instanceof Float64Array) x.forEach((v) => parts.push(String(v)));
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x !== null && typeof x === 'object') Object.values(x).forEach(walk);
  };
  walk(result);
  return parts.join(',');
}

function pair(name: string, make: (codegen: 'auto' | 'off') => { f: CompiledFunction<any, any, any>; step: () => unknown }): void {
  const generated = make('auto'), interpreted = make('off');
  const stats = generated.f.stats;
  if (stats.engine !== 'generated') {
    console.log(`${name}: not generated (${stats.engineReason})`);
    return;
  }
  const same = bits(generated.step()) === bits(interpreted.step());
  const g: number[] = [], i: number[] = [], gBest: number[] = [], iBest: number[] = [], ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const ti = time(interpreted.step, timing), tg = time(generated.step, timing);
    i.push(ti.medianMs);
    g.push(tg.medianMs);
    iBest.push(ti.minMs);
    gBest.push(tg.minMs);
    ratios.push(tg.medianMs / ti.medianMs);
  }
  console.log(
    `${name} (${stats.rows} rows, module ${stats.moduleBytes} B): interpreter ${median(i).toFixed(3)} ms (best ${Math.min(...iBest).toFixed(3)}) · ` +
      `generated ${median(g).toFixed(3)} ms (best ${Math.min(...gBest).toFixed(3)}) · generated ÷ interpreter ${median(ratios).toFixed(2)}× by medians, ` +
      `${(Math.min(...gBest) / Math.min(...iBest)).toFixed(2)}× best ÷ best · same bits: ${same}`,
  );
  generated.f.dispose();
  interpreted.f.dispose();
}

{
  const hidden = 128, batch = 16;
  const params = uniform(parameterLayout(hidden).size, -0.05, 0.05, 1);
  const images = uniform(batch * 784, 0, 1, 2);
  const labels = new Float64Array(batch * 10).map((_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
  pair('MNIST step 784-128-10, batch 16', (codegen) => {
    const tree = parameterTree(params, hidden);
    const f = compile(treeLoss(batch), shapeOf(tree), batch * 784, batch * 10, { wrt: [0], codegen });
    return { f, step: () => f.valueAndGrad(tree, images, labels) };
  });
}
{
  const { inputs, classes, batch } = DESIGN_MLP;
  const params = uniform(mlpLayout(DESIGN_MLP).size, -0.3, 0.3, 3);
  const x = withOnesColumn(uniform(batch * inputs, -1, 1, 4), batch, inputs);
  const y = new Float64Array(batch * classes).map((_, i) => (i % classes === Math.floor(i / classes) % classes ? 1 : 0));
  const grad = new Float64Array(params.length);
  pair('MLP 64-128-10, batch 32', (codegen) => {
    const f = compile(mlpLoss(DESIGN_MLP), params.length, x.length, y.length, { wrt: [0], codegen });
    return { f, step: () => f.valueAndGrad(params, x, y, grad) };
  });
}
// The examples compile with the default engine (and cache per input): a fresh input per engine.
const ADBENCH = new URL('../test/fixtures/adbench/data/', import.meta.url);
pair('ADBench GMM d=10 K=5', (codegen) => {
  setDefaultCodegen(codegen);
  const input = readGmmInput(new URL('gmm/1k/gmm_d10_K5.txt', ADBENCH));
  const { fn, features } = compileGmm(input);
  setDefaultCodegen('auto');
  const params = packGmmParameters(input);
  return { f: fn, step: () => fn.valueAndGrad(params, features) };
});
pair('ADBench D-LSTM l=2 c=1024', (codegen) => {
  setDefaultCodegen(codegen);
  const input = readLstmInput(new URL('lstm/lstm_l2_c1024.txt', ADBENCH));
  const fn = compileLstm(input);
  setDefaultCodegen('auto');
  return { f: fn, step: () => fn.valueAndGrad(input.main, input.extra) };
});
