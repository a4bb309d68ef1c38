/** @file Generated code vs the interpreter for compiled scalar Rosenbrock: value + gradient per
 *  replay, as ratios to plain JS f (timed before wengert is imported) and to the interpreter;
 *  generation and compile times, module bytes per row. Run: npx tsx bench/codegen.ts */
import { median, time } from './engine.js';
import { rosenbrockPlain, uniform } from './plain-rosenbrock.js';

const SIZES = [1_000, 4_444, 11_112];
const ROUNDS = 3;
const timing = { timeMs: 300, warmupMs: 300, minIterations: 20 };

// Plain JS first, before wengert's import can change how V8 treats typed arrays.
const plainMs = new Map<number, number>();
let sink = 0;
for (const n of SIZES) {
  const x = uniform(n, n);
  plainMs.set(n, median(Array.from({ length: ROUNDS }, () => time(() => { sink += rosenbrockPlain(x); }, timing).medianMs)));
}

const { compile, add, mul, square, sub } = await import('../src/index.js');
const { generateScalarModule } = await import('../src/codegen/scalar-module.js');
const { decode } = await import('../src/compile/format.js');
type V = import('../src/index.js').Vector;
type O = import('../src/index.js').Operand;

const rosenbrock = (x: V): O => {
  let total: O = 0;
  for (let i = 0; i + 1 < x.length; i++) total = add(total, add(mul(100, square(sub(x.at(i + 1), square(x.at(i))))), square(sub(1, x.at(i)))));
  return total;
};

const lines: string[] = [];
const fmt = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);
for (const n of SIZES) {
  const x = uniform(n, n);
  const g = new Float64Array(n);
  const interpreted = compile(rosenbrock, n, { codegen: 'off' });
  let started = performance.now();
  const generated = compile(rosenbrock, n, { codegen: 'auto' });
  const compileMs = performance.now() - started;
  started = performance.now();
  generated.valueAndGrad(x, g);
  const firstMs = performance.now() - started;
  const stats = generated.stats;
  // Generation and WebAssembly.Module alone, on the same program (V8 compiles lazily: the first
  // call above pays the rest).
  const program = decode(generated.toBytes());
  const layout = { valueBase: 1 << 20, adjointBase: 1 << 24, sharedMemory: true };
  generateScalarModule(program, layout, undefined, Infinity); // warm the generator's own code up
  started = performance.now();
  const module = generateScalarModule(program, layout, undefined, Infinity);
  const generateMs = performance.now() - started;
  let wasmCompileMs = NaN;
  if (!('reason' in module)) {
    started = performance.now();
    new WebAssembly.Module(module.bytes as BufferSource);
    wasmCompileMs = performance.now() - started;
  }
  const interp: number[] = [];
  const gen: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    interp.push(time(() => interpreted.valueAndGrad(x, g), timing).medianMs);
    gen.push(time(() => generated.valueAndGrad(x, g), { ...timing, warmupMs: 1000 }).medianMs);
  }
  const plain = plainMs.get(n)!;
  const i = median(interp);
  const ge = median(gen);
  const check = interpreted.valueAndGrad(x).value === generated.valueAndGrad(x).value ? 'same value' : 'VALUES DIFFER';
  lines.push(`Rosenbrock n=${n} (${stats.rows} rows), value + gradient   [${check}]`);
  lines.push(`  plain JS f              ${fmt(plain)}`);
  lines.push(`  interpreter             ${fmt(i)}   ${(i / plain).toFixed(1)}× plain f   (best ${fmt(Math.min(...interp))})`);
  lines.push(`  ${stats.engine.padEnd(22)}  ${fmt(ge)}   ${(ge / plain).toFixed(1)}× plain f, ${(i / ge).toFixed(2)}× faster than the interpreter   (best ${fmt(Math.min(...gen))})${stats.engineReason ? `  [${stats.engineReason}]` : ''}`);
  if ('reason' in module) lines.push(`  not generated: ${module.reason}`);
  else {
    if (stats.engine !== 'generated') lines.push(`  (over the row limit; had it been generated:)`);
    lines.push(`  module ${(module.bytes.length / 1024).toFixed(0)} KiB = ${(module.bytes.length / program.op.length).toFixed(1)} B/row, ${module.functions} functions; generate ${generateMs.toFixed(1)} ms + WebAssembly.Module ${wasmCompileMs.toFixed(1)} ms; compile() ${compileMs.toFixed(0)} ms, first call (lazy V8 compile) ${firstMs.toFixed(0)} ms`);
  }
  interpreted.dispose();
  generated.dispose();
}
console.log(lines.join('\n'));
if (sink === 0.5) console.log(sink);
