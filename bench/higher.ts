/** @file Higher-order derivatives: HVP time ÷ gradient time (Rosenbrock, scalar ops; an MLP,
 *  vector ops) and a small Jacobian by forward vs reverse sweeps. Run: npx tsx bench/higher.ts */
import { add, compile, dot, mul, square, sub, tanh, type Scalar, type Vector } from '../src/index.js';
import { DESIGN_MLP, mlpLayout, mlpLoss, withOnesColumn } from '../examples/mlp.js';
import { median, time } from './engine.js';
import { uniform } from './workloads.js';


interface Row {
  workload: string;
  what: string;
  ms: number;
  ratio?: string;
}

const rows: Row[] = [];
const ROUNDS = 5;
const timing = { timeMs: 400, warmupMs: 100, minIterations: 10 };

/** Times two cases in alternating rounds (so a change in machine load hits both): the median
 *  over rounds of each tinybench median, and the median over rounds of their ratio b ÷ a. */
function pair(a: () => void, b: () => void): { a: number; b: number; ratio: number } {
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    as.push(time(a, timing).medianMs);
    bs.push(time(b, timing).medianMs);
    ratios.push(bs[r] / as[r]);
  }
  return { a: median(as), b: median(bs), ratio: median(ratios) };
}

// ── Rosenbrock, n = 10⁵, scalar ops: f(x) = Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)² ──
{
  const n = 100_000;
  const f = compile((x: Vector) => {
    let total: Scalar | number = 0;
    for (let i = 0; i < n - 1; i++) {
      const xi = x.at(i);
      total = add(total, add(mul(100, square(sub(x.at(i + 1), square(xi)))), square(sub(1, xi))));
    }
    return total;
  }, n);
  const x = uniform(n, -1.5, 1.5, 1);
  const v = uniform(n, -1, 1, 2);
  const g = new Float64Array(n);
  const hv = new Float64Array(n);
  const t = pair(() => f.valueAndGrad(x, g), () => f.hvp(x, v, hv));
  rows.push({ workload: `Rosenbrock n=10⁵ (${f.stats.nodes} nodes)`, what: 'gradient (forward + reverse)', ms: t.a });
  rows.push({ workload: '', what: 'HVP (forward-over-reverse)', ms: t.b, ratio: `${t.ratio.toFixed(2)}× gradient (goal ≤ 2.5×)` });
  f.dispose();
}

// ── MLP 64-128-10, tanh, softmax cross-entropy, batch 32: examples/mlp.ts, in vector ops ──
{
  const shape = DESIGN_MLP;
  const { inputs, classes, batch } = shape;
  const size = mlpLayout(shape).size;
  const f = compile(mlpLoss(shape), size, batch * (inputs + 1), batch * classes);
  const params = uniform(size, -0.2, 0.2, 3);
  const images = withOnesColumn(uniform(batch * inputs, 0, 1, 4), batch, inputs);
  const oneHot = new Float64Array(batch * classes);
  for (let i = 0; i < batch; i++) oneHot[i * classes + ((i * 7) % classes)] = 1;
  // The direction moves the parameters only; the data's rows of H·v are computed all the same.
  const v = [uniform(size, -1, 1, 5), new Float64Array(images.length), new Float64Array(oneHot.length)];
  const gOut = v.map((a) => new Float64Array(a.length));
  const hvOut = v.map((a) => new Float64Array(a.length));
  const t = pair(() => f.valueAndGrad(params, images, oneHot, gOut), () => f.hvp(params, images, oneHot, v, hvOut));
  rows.push({ workload: `MLP 64-128-10 batch 32 (${f.stats.nodes} nodes)`, what: 'gradient (forward + reverse)', ms: t.a });
  rows.push({ workload: '', what: 'HVP (forward-over-reverse)', ms: t.b, ratio: `${t.ratio.toFixed(2)}× gradient (goal ≤ 2.5×)` });
  f.dispose();
}

// ── Jacobian of R¹⁰ → R¹⁰⁰: yⱼ = tanh(aⱼ·x) · x_{j mod 10} ──
{
  const [n, m] = [10, 100];
  const a = Array.from({ length: m }, (_, j) => uniform(n, -1, 1, 10 + j));
  const f = compile((x: Vector) => a.map((aj, j) => mul(tanh(dot(aj, x)), x.at(j % n))), n);
  const x = uniform(n, -1, 1, 6);
  const t = pair(() => f.jacobian(x, { mode: 'forward' }), () => f.jacobian(x, { mode: 'reverse' }));
  rows.push({ workload: `Jacobian R¹⁰ → R¹⁰⁰ (${f.stats.nodes} nodes)`, what: 'forward: 10 tangent sweeps (auto picks this)', ms: t.a });
  rows.push({ workload: '', what: 'reverse: 1 forward + 100 reverse sweeps', ms: t.b, ratio: `${t.ratio.toFixed(2)}× forward` });
  f.dispose();
}

const widths = [38, 46, 10];
const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
console.log(`wengert higher order, wasm backend: medians over ${ROUNDS} alternating rounds of tinybench medians`);
console.log(line(['workload', 'what', 'ms']) + '  ratio (median per round)');
console.log('-'.repeat(widths.reduce((s, w) => s + w + 2, 0) + 30));
for (const r of rows) console.log(line([r.workload, r.what, r.ms.toFixed(3)]) + (r.ratio ? `  ${r.ratio}` : ''));
