/** @file `npx tsx bench/ba.ts [--rounds=N]`: ADBench BA ba1 (n=49, m=7776, p=31843): the full sparse
 *  Jacobian of all 3p residuals (jacobian(…, { sparsity: 'auto' }) on the compiled residuals,
 *  examples/ba/) ÷ the plain-JS residuals. Each side runs in a process of its own per round (plain
 *  JS never shares a process with wengert: DESIGN, memory growth); the ratio is the median over
 *  rounds of the per-round ratio of tinybench medians, and best ÷ best. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, time } from './engine.js';
import { readBaInput } from '../examples/ba/io.js';
import { baObjective } from '../examples/ba/objective-plain.js';

const INSTANCE = new URL('../test/fixtures/adbench/data/ba/ba1_n49_m7776_p31843.txt', import.meta.url);

interface Side {
  medianMs: number;
  minMs: number;
  /** wengert only: compile, and the first call (pattern, colouring, sweeps). */
  compileMs?: number;
  firstMs?: number;
  nonzeros?: number;
}

/** One side, in this process: prints one JSON line. */
async function runSide(side: string): Promise<void> {
  const input = readBaInput(INSTANCE);
  if (side === 'plain') {
    const out = new Float64Array(3 * input.p);
    const t = time(() => baObjective(input, input.cams, input.points, input.weights, out), { timeMs: 1000, warmupMs: 300, minIterations: 50 });
    console.log(JSON.stringify({ medianMs: t.medianMs, minMs: t.minMs } satisfies Side));
    return;
  }
  // Imported only here: the plain side never loads wengert.
  const { compileBa, baJacobian } = await import('../examples/ba/objective-wengert.js');
  let started = performance.now();
  const f = compileBa(input);
  const compileMs = performance.now() - started;
  started = performance.now();
  const first = baJacobian(f, input);
  const firstMs = performance.now() - started;
  const t = time(() => baJacobian(f, input), { timeMs: 1500, warmupMs: 300, minIterations: 5 });
  console.log(JSON.stringify({ medianMs: t.medianMs, minMs: t.minMs, compileMs, firstMs, nonzeros: first.cols.length } satisfies Side));
  f.dispose();
}

function spawnSide(side: string): Side {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, `--side=${side}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`bench/ba.ts --side=${side} exited with ${child.status ?? child.signal}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Side;
}

async function main(): Promise<void> {
  const sideArg = process.argv.find((a) => a.startsWith('--side='));
  if (sideArg) return runSide(sideArg.slice('--side='.length));
  const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
  const rounds = roundsArg ? Number(roundsArg.slice('--rounds='.length)) : 2;
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`--rounds must be a positive integer, got ${roundsArg}`);
  const plains: Side[] = [], jacobians: Side[] = [];
  for (let r = 0; r < rounds; r++) {
    plains.push(spawnSide('plain'));
    jacobians.push(spawnSide('wengert'));
  }
  const ratio = median(plains.map((p, r) => jacobians[r].medianMs / p.medianMs));
  const best = Math.min(...jacobians.map((j) => j.minMs)) / Math.min(...plains.map((p) => p.minMs));
  const j = jacobians[0];
  console.log(`ADBench BA ba1 (n=49, m=7776, p=31843): Jacobian 95529 × 55710, ${j.nonzeros} nonzeros; ${rounds} round${rounds === 1 ? '' : 's'}, each side in its own process`);
  console.log(`plain-JS residuals        median ${median(plains.map((p) => p.medianMs)).toFixed(2)} ms   best ${Math.min(...plains.map((p) => p.minMs)).toFixed(2)} ms`);
  console.log(`sparse Jacobian (wasm)    median ${median(jacobians.map((x) => x.medianMs)).toFixed(1)} ms   best ${Math.min(...jacobians.map((x) => x.minMs)).toFixed(1)} ms`);
  console.log(`  once per compiled function: compile ${median(jacobians.map((x) => x.compileMs!)).toFixed(0)} ms, first call (pattern + colouring + sweeps) ${median(jacobians.map((x) => x.firstMs!)).toFixed(0)} ms`);
  console.log(`Jacobian ÷ objective: median ${ratio.toFixed(1)}×, best ÷ best ${best.toFixed(1)}×  (ADBench: Manual 11–12.5×, Tapenade 8.7×, ADOL-C sparse 37×)`);
}

await main();
