/** @file Generated code vs the interpreter for compiled scalar Rosenbrock: value + gradient per
 *  replay, as ratios to plain JS f (timed before wengert is imported) and to the interpreter, for
 *  the module 'auto' generates (the tape's loop rolled into a wasm loop) and for the loop written
 *  out row by row (timed above the row limit too, where 'auto' would keep the interpreter); then
 *  the cost of generating a module, rolled and written out (the cost of a tape of as many rows
 *  without repetition): generation, WebAssembly.Module (V8 decodes and validates; it compiles
 *  each function lazily, with Liftoff, at its first call) and the first call, their sum (the time
 *  from a program to having run its generated forward and reverse sweeps once) for about 10⁴ and
 *  10⁵ rows, and the module's bytes per row. Run: npx tsx bench/codegen.ts */
import { loadavg } from 'node:os';
import { median, time } from './engine.js';
import { rosenbrockPlain, uniform } from './plain-rosenbrock.js';

const SIZES = [1_000, 4_444, 11_112];
/** About 10⁴ and 10⁵ rows (11 rows per term). */
const GENERATION_SIZES = [1_112, 9_091];
const ROUNDS = 3;
const GENERATIONS = 9;
const timing = { timeMs: 300, warmupMs: 300, minIterations: 20 };

// Plain JS first, before wengert's import can change how V8 treats typed arrays.
const plainMs = new Map<number, number>();
let sink = 0;
for (const n of SIZES) {
  const x = uniform(n, n);
  plainMs.set(n, median(Array.from({ length: ROUNDS }, () => time(() => { sink += rosenbrockPlain(x); }, timing).medianMs)));
}

const { compile, add, mul, square, sub } = await import('../src/index.js');
const { generateScalarModule, MAX_GENERATED_ROWS } = await import('../src/codegen/scalar-module.js');
const { setMaxGeneratedRows, setRollRows, moduleImports } = await import('../src/codegen/generated-sweeps.js');
const { ROLL_ROWS } = await import('../src/codegen/scalar-module.js');
const { ByteWriter } = await import('../src/codegen/wasm-writer.js');
const { core, sharedMemory } = await import('../src/wasm/instance.js');
const { decode } = await import('../src/compile/format.js');
type V = import('../src/index.js').Vector;
type O = import('../src/index.js').Operand;

const rosenbrock = (x: V): O => {
  let total: O = 0;
  for (let i = 0; i + 1 < x.length; i++) total = add(total, add(mul(100, square(sub(x.at(i + 1), square(x.at(i))))), square(sub(1, x.at(i)))));
  return total;
};

const lines: string[] = [`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start`];
const fmt = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);
const stat = (ms: number[]) => `${median(ms).toFixed(1)} ms (best ${Math.min(...ms).toFixed(1)})`;

// Replays: the interpreter, the module 'auto' generates, and the loop written out row by row
// (with the row limit lifted: 'auto' keeps the interpreter for a tape written out that long).
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
  setMaxGeneratedRows(Infinity);
  setRollRows(Infinity);
  const written = compile(rosenbrock, n, { codegen: 'auto' });
  setRollRows(ROLL_ROWS);
  setMaxGeneratedRows(MAX_GENERATED_ROWS);
  started = performance.now();
  written.valueAndGrad(x, g);
  const writtenFirstMs = performance.now() - started;
  const interp: number[] = [];
  const gen: number[] = [];
  const out: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    interp.push(time(() => interpreted.valueAndGrad(x, g), timing).medianMs);
    gen.push(time(() => generated.valueAndGrad(x, g), { ...timing, warmupMs: 1000 }).medianMs);
    out.push(time(() => written.valueAndGrad(x, g), { ...timing, warmupMs: 1000 }).medianMs);
  }
  const plain = plainMs.get(n)!;
  const i = median(interp);
  const line = (name: string, ms: number[], stats: typeof generated.stats, note: string) => {
    const m = median(ms);
    return `  ${name.padEnd(22)}  ${fmt(m)}   ${(m / plain).toFixed(1)}× plain f, ${(i / m).toFixed(2)}× faster than the interpreter   (best ${fmt(Math.min(...ms))})   [${stats.engine}: ${note}]`;
  };
  const same = [generated, written].every((f) => f.valueAndGrad(x).value === interpreted.valueAndGrad(x).value);
  const s = generated.stats;
  const w = written.stats;
  lines.push(`Rosenbrock n=${n} (${s.rows} rows), value + gradient   [${same ? 'same value' : 'VALUES DIFFER'}]`);
  lines.push(`  plain JS f              ${fmt(plain)}`);
  lines.push(`  interpreter             ${fmt(i)}   ${(i / plain).toFixed(1)}× plain f   (best ${fmt(Math.min(...interp))})`);
  lines.push(line("'auto': loop rolled", gen, s, `${s.rolledLoops} loop rolled, module ${(s.moduleBytes / 1024).toFixed(1)} KiB; compile() ${compileMs.toFixed(0)} ms, first call ${firstMs.toFixed(1)} ms`));
  const over = w.rows > MAX_GENERATED_ROWS ? `, 'auto' would keep the interpreter: over ${MAX_GENERATED_ROWS} rows written out` : '';
  lines.push(line('written out', out, w, `module ${(w.moduleBytes / 1024).toFixed(0)} KiB = ${(w.moduleBytes / w.rows).toFixed(1)} B/row, first call ${writtenFirstMs.toFixed(0)} ms${over}`));
  interpreted.dispose();
  generated.dispose();
  written.dispose();
}

// Generation alone, into one reused writer as compile() does; each module at other addresses
// (V8 caches a module by its bytes), run once in a memory of its own (no rule import is called).
const writer = new ByteWriter();
const imports = moduleImports;
for (const [n, rollRows] of GENERATION_SIZES.flatMap((n) => [[n, ROLL_ROWS], [n, Infinity]])) {
  const f = compile(rosenbrock, n, { codegen: 'off' });
  const program = decode(f.toBytes());
  f.dispose();
  const rows = program.op.length;
  const pages = Math.ceil((16 * rows + 8 * GENERATIONS) / 65536) + 1;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: sharedMemory } as WebAssembly.MemoryDescriptor);
  const generateMs: number[] = [];
  const moduleMs: number[] = [];
  const firstCallMs: number[] = [];
  let bytes = 0;
  let functions = 0;
  for (let k = 0; k < GENERATIONS; k++) {
    const layout = { valueBase: 8 * k, adjointBase: 8 * (rows + GENERATIONS + k), sharedMemory };
    let started = performance.now();
    const module = generateScalarModule(program, layout, undefined, Infinity, writer, rollRows);
    generateMs.push(performance.now() - started);
    if ('reason' in module) throw new Error(module.reason);
    bytes = module.bytes.length;
    functions = module.functions;
    started = performance.now();
    const compiled = new WebAssembly.Module(module.bytes as BufferSource);
    moduleMs.push(performance.now() - started);
    started = performance.now();
    const sweeps = new WebAssembly.Instance(compiled, imports(memory)).exports as { forward(): void; reverse(): void };
    sweeps.forward();
    sweeps.reverse();
    firstCallMs.push(performance.now() - started);
  }
  const readyMs = generateMs.map((g, k) => g + moduleMs[k] + firstCallMs[k]);
  const how = rollRows === Infinity ? 'written out row by row' : 'its loop rolled';
  lines.push(`Generating ${rows} rows (n=${n}), ${how}, ${GENERATIONS} times: ${(bytes / rows).toFixed(2)} B/row (${(bytes / 1024).toFixed(1)} KiB), ${functions} functions`);
  lines.push(`  generate                                              ${stat(generateMs)} (first ${generateMs[0].toFixed(1)})`);
  lines.push(`  WebAssembly.Module (decode, validate)                 ${stat(moduleMs)}`);
  lines.push(`  instantiate + first forward and reverse (Liftoff)     ${stat(firstCallMs)}`);
  lines.push(`  ready to run: program → forward + reverse run once    ${stat(readyMs)}`);
}
lines.push(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
console.log(lines.join('\n'));
if (sink === 0.5) console.log(sink);
