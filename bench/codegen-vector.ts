/** @file Fused vector loops vs the interpreter for compiled vector Rosenbrock (both recordings:
 *  the benches' two-dot form and the issue's sum form): value + gradient per replay, as ratios to
 *  plain JS f (timed before wengert is imported) and to the interpreter.
 *  Run: npx tsx bench/codegen-vector.ts */
import { median, time } from './engine.js';
import { rosenbrockPlain, uniform } from './plain-rosenbrock.js';

const SIZES = [1_000, 100_000, 1_000_000];
const ROUNDS = 3;
const timing = { timeMs: 400, warmupMs: 300, minIterations: 10 };

// Plain JS first, before wengert's import can change how V8 treats typed arrays.
const plainMs = new Map<number, number[]>();
let sink = 0;
for (const n of SIZES) {
  const x = uniform(n, n);
  plainMs.set(n, Array.from({ length: ROUNDS }, () => time(() => { sink += rosenbrockPlain(x); }, timing).medianMs));
}

const { compile, add, mul, square, sub, dot, sum } = await import('../src/index.js');
type V = import('../src/index.js').Vector;

const forms = {
  'two dots (bench/workloads.ts)': (x: V) => {
    const head = x.slice(0, -1);
    const u = sub(x.slice(1), square(head));
    const v = sub(1, head);
    return add(mul(100, dot(u, u)), dot(v, v));
  },
  'one sum (the issue)': (x: V) => {
    const a = x.slice(0, -1), b = x.slice(1);
    return sum(add(mul(100, square(sub(b, square(a)))), square(sub(1, a))));
  },
};

const fmt = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);
const lines: string[] = [];
for (const n of SIZES) {
  const x = uniform(n, n);
  const g = new Float64Array(n);
  const plain = median(plainMs.get(n)!);
  lines.push(`vector Rosenbrock n=${n}: plain JS f ${fmt(plain)} (best ${fmt(Math.min(...plainMs.get(n)!))})`);
  for (const [name, f] of Object.entries(forms)) {
    const interpreted = compile(f, n, { codegen: 'off' });
    const generated = compile(f, n, { codegen: 'auto' });
    const interp: number[] = [];
    const gen: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      interp.push(time(() => interpreted.valueAndGrad(x, g), timing).medianMs);
      gen.push(time(() => generated.valueAndGrad(x, g), timing).medianMs);
    }
    const i = median(interp), ge = median(gen);
    const a = interpreted.valueAndGrad(x), b = generated.valueAndGrad(x);
    const same = Object.is(a.value, b.value) && a.grad.every((v, k) => Object.is(v, b.grad[k])) ? 'bit-identical' : 'DIFFER';
    const { engine, engineReason, moduleBytes } = generated.stats;
    lines.push(`  ${name}   [${same}; ${engine}${engineReason ? `: ${engineReason}` : ''}, module ${moduleBytes} B]`);
    lines.push(`    interpreter  ${fmt(i)}  ${(i / plain).toFixed(1)}× plain f  (best ${fmt(Math.min(...interp))})`);
    lines.push(`    generated    ${fmt(ge)}  ${(ge / plain).toFixed(1)}× plain f, ${(i / ge).toFixed(2)}× faster than the interpreter  (best ${fmt(Math.min(...gen))})`);
    interpreted.dispose();
    generated.dispose();
  }
}
console.log(lines.join('\n'));
if (sink === 0.5) console.log(sink);
