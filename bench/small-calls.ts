/** @file The fixed cost of small compiled Jacobians: a 26-row pinhole projection R⁹ → R² (rotation
 *  to first order, perspective divide) and one observation of ADBench BA's residual (104 rows,
 *  R¹⁵ → R², examples/ba/observation.ts), per call of jacobian(…, { out }), vjps(…, seeds, out)
 *  with the two unit seeds, and per point of one jacobians call over 100 points; on the
 *  interpreter and on the generated code. Each timed iteration runs 100 calls: tinybench's own
 *  per-iteration cost would otherwise be a third of the figure, and much longer iterations are
 *  cut by the scheduler on a loaded machine. Rounds alternate the engines.
 *  Run: npx tsx bench/small-calls.ts [--rounds=N] */
import { compile, add, sub, mul, div, type CompiledArgument, type CompiledFunction, type Vector } from '../src/index.js';
import { compileObservation } from '../examples/ba/observation.js';
import { median, time } from './engine.js';

const CALLS = 100;
const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Number(roundsArg.slice('--rounds='.length)) : 5;
const timing = { timeMs: 300, warmupMs: 100, minIterations: 10 };

/** Rotation r (to first order), centre c, point x → the projected point (Z₀/Z₂, Z₁/Z₂). */
const projection = (r: Vector, c: Vector, x: Vector) => {
  const y = [0, 1, 2].map((k) => sub(x.at(k), c.at(k)));
  const rxy = [sub(mul(r.at(1), y[2]), mul(r.at(2), y[1])), sub(mul(r.at(2), y[0]), mul(r.at(0), y[2])), sub(mul(r.at(0), y[1]), mul(r.at(1), y[0]))];
  const z = [0, 1, 2].map((k) => add(y[k], rxy[k]));
  return [div(z[0], z[2]), div(z[1], z[2])];
};

type Any = CompiledFunction<CompiledArgument[], Float64Array>;
interface Workload {
  name: string;
  make(codegen: 'auto' | 'off'): Any;
  args: CompiledArgument[];
  /** Columns of the Jacobian (differentiated inputs). */
  n: number;
}

const cam = Float64Array.of(-0.0157, 0.0129, -0.0045, -0.0342, 0.015, 0.0036, 399.75, 0, 0, -3.2e-7, 6.8e-13);
const workloads: Workload[] = [
  {
    name: 'projection R⁹ → R²',
    make: (codegen) => compile(projection, 3, 3, 3, { codegen }) as unknown as Any,
    args: [Float64Array.of(0.01, -0.02, 0.03), Float64Array.of(0.1, 0.2, -3), Float64Array.of(0.5, -0.4, 2)],
    n: 9,
  },
  {
    name: 'BA observation R¹⁵ → R²',
    make: (codegen) => compileObservation({ codegen }) as unknown as Any,
    args: [cam, Float64Array.of(-0.612, 0.571, -1.847), 0.5, Float64Array.of(-332.65, 262.09)],
    n: 15,
  },
];

/** Each argument repeated over CALLS points, for jacobians. */
const stack = (args: CompiledArgument[]): Float64Array[] => args.map((a) => {
  const one = typeof a === 'number' ? [a] : Array.from(a as Float64Array);
  const out = new Float64Array(CALLS * one.length);
  for (let t = 0; t < CALLS; t++) out.set(one, t * one.length);
  return out;
});

const us = (ms: number) => `${(ms * 1000 / CALLS).toFixed(3)} µs`;
for (const w of workloads) {
  const engines = (['off', 'auto'] as const).map((codegen) => {
    const f = w.make(codegen);
    const out = new Float64Array(2 * w.n);
    const options = { out };
    const seeds = Float64Array.of(1, 0, 0, 1);
    const stacked = stack(w.args);
    const many = new Float64Array(CALLS * 2 * w.n);
    const cases = {
      jacobian: () => { for (let i = 0; i < CALLS; i++) f.jacobian(...w.args, options); },
      vjps: () => { for (let i = 0; i < CALLS; i++) f.vjps(...w.args, seeds, out); },
      'jacobians (per point)': () => { f.jacobians(...stacked, many); },
    };
    f.jacobian(...w.args, options);
    const engine = f.stats.engine;
    return { codegen, f, cases, engine, times: new Map<string, number[]>() };
  });
  const rows = engines[0].f.stats.rows;
  // The same Jacobian from both engines, and from every path.
  const reference = engines[0].f.jacobian(...w.args);
  for (const e of engines) {
    const check = [e.f.jacobian(...w.args), e.f.vjps(...w.args, Float64Array.of(1, 0, 0, 1)), e.f.jacobians(...stack(w.args)).subarray(0, 2 * w.n)];
    for (const c of check) if (!c.every((v, i) => Object.is(v, reference[i]))) throw new Error(`${w.name}: ${e.codegen} differs from the interpreter`);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const e of engines) {
      for (const [name, run] of Object.entries(e.cases)) {
        const t = time(run, timing);
        const list = e.times.get(name) ?? [];
        list.push(t.medianMs, t.minMs);
        e.times.set(name, list);
      }
    }
  }
  console.log(`${w.name}: ${rows} rows, Jacobian 2 × ${w.n}, same bits on every path and engine; per call, median of ${ROUNDS} rounds (best)`);
  for (const name of Object.keys(engines[0].cases)) {
    const cells = engines.map((e) => {
      const list = e.times.get(name)!;
      const medians = list.filter((_, i) => i % 2 === 0), bests = list.filter((_, i) => i % 2 === 1);
      return { label: e.engine, med: median(medians), best: Math.min(...bests) };
    });
    const [interp, gen] = cells;
    console.log(`  ${name.padEnd(22)} ${interp.label} ${us(interp.med)} (${us(interp.best)})   ${gen.label} ${us(gen.med)} (${us(gen.best)})   ${(interp.med / gen.med).toFixed(1)}× faster`);
  }
  for (const e of engines) e.f.dispose();
}
