/** @file Data arguments: the compiled gradient of the MNIST model (784-128-10, batch 16, its
 *  parameters a tree { w1, b1, w2, b2 }) with images and labels as data ({ wrt: [0] }) against
 *  the same tape differentiating every argument, in alternating rounds; and the MLP bench's
 *  workload (64-128-10, batch 32) the same way. Run: npx tsx bench/data-arguments.ts */
import { compile, shapeOf } from '../src/index.js';
import { parameterLayout, parameterTree, treeLoss } from '../examples/mnist/model.js';
import { DESIGN_MLP, mlpLayout, mlpLoss } from '../examples/mlp.js';
import { median, time } from './engine.js';
import { uniform } from './workloads.js';

const ROUNDS = 5;
const timing = { timeMs: 400, warmupMs: 100, minIterations: 10 };

function pair(name: string, all: () => void, data: () => void): void {
  const a: number[] = [], d: number[] = [], ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(time(all, timing).medianMs);
    d.push(time(data, timing).medianMs);
    ratios.push(d[r] / a[r]);
  }
  console.log(`${name}: every argument ${median(a).toFixed(3)} ms (best round ${Math.min(...a).toFixed(3)}) · data as data ${median(d).toFixed(3)} ms (best ${Math.min(...d).toFixed(3)}) · ratio ${median(ratios).toFixed(2)}× (median of ${ROUNDS} rounds)`);
}

{
  const hidden = 128, batch = 16;
  const params = uniform(parameterLayout(hidden).size, -0.05, 0.05, 1);
  const images = uniform(batch * 784, 0, 1, 2);
  const labels = new Float64Array(batch * 10).map((_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
  const tree = parameterTree(params, hidden);
  const gradTree = parameterTree(new Float64Array(params.length), hidden);
  const all = compile(treeLoss(batch), shapeOf(tree), batch * 784, batch * 10);
  const data = compile(treeLoss(batch), shapeOf(tree), batch * 784, batch * 10, { wrt: [0] });
  const out: [typeof gradTree, Float64Array, Float64Array] = [gradTree, new Float64Array(batch * 784), new Float64Array(batch * 10)];
  pair('MNIST step 784-128-10, batch 16', () => all.valueAndGrad(tree, images, labels, out), () => data.valueAndGrad(tree, images, labels, gradTree));
}
{
  const { inputs, classes, batch } = DESIGN_MLP;
  const size = mlpLayout(DESIGN_MLP).size;
  const params = uniform(size, -0.1, 0.1, 3);
  const x = uniform(batch * (inputs + 1), -1, 1, 4);
  const y = new Float64Array(batch * classes).map((_, i) => (i % classes === 0 ? 1 : 0));
  const g = new Float64Array(size);
  const all = compile(mlpLoss(DESIGN_MLP), size, x.length, y.length);
  const data = compile(mlpLoss(DESIGN_MLP), size, x.length, y.length, { wrt: [0] });
  const out = [g, new Float64Array(x.length), new Float64Array(y.length)];
  pair('MLP 64-128-10, batch 32', () => all.valueAndGrad(params, x, y, out), () => data.valueAndGrad(params, x, y, g));
}
