/** @file Higher-order derivatives: HVP time ÷ gradient time (Rosenbrock, scalar ops; an MLP,
 *  vector ops) and a small Jacobian by forward vs reverse sweeps. Run: npx tsx bench/higher.ts */
import {
  add, compile, div, dot, logSoftmax, matmul, mul, reshape, square, sub, sum, tanh,
  type Scalar, type Vector,
} from '../src/index.js';
import { time } from './engine.js';

/** Deterministic inputs in [lo, hi) (mulberry32). */
function uniform(n: number, lo: number, hi: number, seed: number): Float64Array {
  const x = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    x[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return x;
}

interface Row {
  workload: string;
  what: string;
  ms: number;
  ratio?: string;
}

const rows: Row[] = [];
const timing = { timeMs: 1500, warmupMs: 300, minIterations: 10 };
const ms = (fn: () => void) => time(fn, timing).medianMs;

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
  const grad = ms(() => f.valueAndGrad(x, g));
  const hvp = ms(() => f.hvp(x, v, hv));
  const nodes = f.stats.nodes;
  rows.push({ workload: `Rosenbrock n=10⁵ (${nodes} nodes)`, what: 'gradient (forward + reverse)', ms: grad });
  rows.push({ workload: '', what: 'HVP (forward-over-reverse)', ms: hvp, ratio: `${(hvp / grad).toFixed(2)}× gradient (goal ≤ 2.5×)` });
  f.dispose();
}

// ── MLP 64-128-10, tanh, softmax cross-entropy, batch 32, vector ops ──
{
  const [inputs, hidden, classes, batch] = [64, 128, 10, 32];
  const sizes = { w1: inputs * hidden, b1: hidden, w2: hidden * classes, b2: classes };
  const total = sizes.w1 + sizes.b1 + sizes.w2 + sizes.b2;
  // Biases enter as ones(batch × 1) · bᵀ(1 × width): every operation is one vector row.
  const f = compile((p: Vector, images: Vector, oneHot: Vector, ones: Vector) => {
    let at = 0;
    const take = (len: number) => p.slice(at, (at += len));
    const w1 = reshape(take(sizes.w1), inputs, hidden);
    const b1 = reshape(take(sizes.b1), 1, hidden);
    const w2 = reshape(take(sizes.w2), hidden, classes);
    const b2 = reshape(take(sizes.b2), 1, classes);
    const column = reshape(ones, batch, 1);
    const h = tanh(add(matmul(reshape(images, batch, inputs), w1), matmul(column, b1)));
    const logits = add(matmul(h, w2), matmul(column, b2));
    return div(sum(mul(reshape(oneHot, batch, classes), logSoftmax(logits))), -batch);
  }, total, batch * inputs, batch * classes, batch);
  const params = uniform(total, -0.2, 0.2, 3);
  const images = uniform(batch * inputs, 0, 1, 4);
  const oneHot = new Float64Array(batch * classes);
  for (let i = 0; i < batch; i++) oneHot[i * classes + (i % classes)] = 1;
  const ones = new Float64Array(batch).fill(1);
  const v = [uniform(total, -1, 1, 5), new Float64Array(batch * inputs), new Float64Array(batch * classes), new Float64Array(batch)];
  const gOut = [new Float64Array(total), new Float64Array(batch * inputs), new Float64Array(batch * classes), new Float64Array(batch)];
  const hvOut = gOut.map((a) => new Float64Array(a.length));
  const grad = ms(() => f.valueAndGrad(params, images, oneHot, ones, gOut));
  const hvp = ms(() => f.hvp(params, images, oneHot, ones, v, hvOut));
  rows.push({ workload: `MLP 64-128-10 batch 32 (${f.stats.nodes} nodes)`, what: 'gradient (forward + reverse)', ms: grad });
  rows.push({ workload: '', what: 'HVP (forward-over-reverse)', ms: hvp, ratio: `${(hvp / grad).toFixed(2)}× gradient (goal ≤ 2.5×)` });
  f.dispose();
}

// ── Jacobian of R¹⁰ → R¹⁰⁰: yⱼ = tanh(aⱼ·x) · x_{j mod 10} ──
{
  const [n, m] = [10, 100];
  const a = Array.from({ length: m }, (_, j) => uniform(n, -1, 1, 10 + j));
  const f = compile((x: Vector) => a.map((aj, j) => mul(tanh(dot(aj, x)), x.at(j % n))), n);
  const x = uniform(n, -1, 1, 6);
  const forward = ms(() => f.jacobian(x, { mode: 'forward' }));
  const reverse = ms(() => f.jacobian(x, { mode: 'reverse' }));
  rows.push({ workload: `Jacobian R¹⁰ → R¹⁰⁰ (${f.stats.nodes} nodes)`, what: 'forward: 10 tangent sweeps (auto picks this)', ms: forward });
  rows.push({ workload: '', what: 'reverse: 1 forward + 100 reverse sweeps', ms: reverse, ratio: `${(reverse / forward).toFixed(2)}× forward` });
  f.dispose();
}

const widths = [38, 46, 10];
const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
console.log(line(['workload', 'what (median of tinybench samples)', 'ms']) + '  ratio');
console.log('-'.repeat(widths.reduce((s, w) => s + w + 2, 0) + 30));
for (const r of rows) console.log(line([r.workload, r.what, r.ms.toFixed(3)]) + (r.ratio ? `  ${r.ratio}` : ''));
