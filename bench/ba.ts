/** @file `npx tsx bench/ba.ts [--rounds=N]`: ADBench BA ba1 (n=49, m=7776, p=31843): the full sparse
 *  Jacobian of all 3p residuals ÷ the plain-JS residuals, by three methods (examples/ba/):
 *  jacobian(…, { sparsity: 'auto' }) on the residuals in vector ops; by observation, one compiled
 *  residual's 2 × 15 Jacobian per observation from one jacobians call over all of them, written
 *  into the CSR values; and the same with one jacobian call per observation. Each side runs in a
 *  process of its own per round (plain JS never shares a process with wengert: DESIGN, memory
 *  growth); a ratio is the median over rounds of the per-round ratio of tinybench medians, and
 *  best ÷ best. */
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
  if (side === 'observation' || side === 'calls') {
    const { BaJacobianByObservation } = await import('../examples/ba/observation.js');
    let started = performance.now();
    const byObservation = new BaJacobianByObservation(input);
    const compileMs = performance.now() - started;
    const fill = side === 'observation' ? () => byObservation.fill() : () => byObservation.fillByCalls();
    started = performance.now();
    const first = fill();
    const firstMs = performance.now() - started;
    const t = time(fill, { timeMs: 1500, warmupMs: 300, minIterations: 5 });
    console.log(JSON.stringify({ medianMs: t.medianMs, minMs: t.minMs, compileMs, firstMs, nonzeros: first.cols.length } satisfies Side));
    byObservation.dispose();
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
  const methods = [
    { side: 'wengert', label: "sparsity: 'auto' (vector ops)", first: 'pattern + colouring + sweeps' },
    { side: 'observation', label: 'by observation, jacobians', first: 'first call' },
    { side: 'calls', label: 'by observation, a call each', first: 'first call' },
  ];
  const plains: Side[] = [];
  const results = new Map<string, Side[]>(methods.map((m) => [m.side, []]));
  for (let r = 0; r < rounds; r++) {
    plains.push(spawnSide('plain'));
    for (const m of methods) results.get(m.side)!.push(spawnSide(m.side));
  }
  const plainBest = Math.min(...plains.map((p) => p.minMs));
  console.log(`ADBench BA ba1 (n=49, m=7776, p=31843): Jacobian 95529 × 55710, ${results.get('wengert')![0].nonzeros} nonzeros; ${rounds} round${rounds === 1 ? '' : 's'}, each side in its own process`);
  console.log(`plain-JS residuals                median ${median(plains.map((p) => p.medianMs)).toFixed(2)} ms   best ${plainBest.toFixed(2)} ms`);
  for (const m of methods) {
    const sides = results.get(m.side)!;
    const ratio = median(plains.map((p, r) => sides[r].medianMs / p.medianMs));
    const best = Math.min(...sides.map((x) => x.minMs)) / plainBest;
    console.log(`${m.label.padEnd(33)} median ${median(sides.map((x) => x.medianMs)).toFixed(1)} ms   best ${Math.min(...sides.map((x) => x.minMs)).toFixed(1)} ms   ÷ objective: median ${ratio.toFixed(1)}×, best ÷ best ${best.toFixed(1)}×`);
    console.log(`${''.padEnd(33)} once: compile ${median(sides.map((x) => x.compileMs!)).toFixed(0)} ms, ${m.first} ${median(sides.map((x) => x.firstMs!)).toFixed(0)} ms`);
  }
  console.log('(ADBench: Manual 11–12.5×, Tapenade 8.7×, ADOL-C sparse 37×)');
}

await main();
