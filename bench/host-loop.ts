/** @file `npx tsx bench/host-loop.ts [--plain-memory] [--rounds=N]`: does wengert slow the user's
 *  own typed-array code? Each round is a fresh process that times a plain-JS Rosenbrock loop
 *  over a 10⁵-element Float64Array before importing wengert, then runs a 10⁶-element compiled
 *  tape (which grows wasm memory), then times the same loop again. V8 slows every typed-array
 *  loop of a process once any ArrayBuffer was detached, and growing a plain wasm memory detaches
 *  one: `--plain-memory` takes SharedArrayBuffer away first, as a page that is not
 *  cross-origin isolated has it, to show that case. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { time } from './engine.js';

const N = 100_000;

function userLoop(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i];
    const d = x[i + 1] - a * a;
    s += 100 * d * d + (1 - a) * (1 - a);
  }
  return s;
}

async function child(plainMemory: boolean): Promise<void> {
  if (plainMemory) Reflect.deleteProperty(globalThis, 'SharedArrayBuffer');
  const x = Float64Array.from({ length: N }, (_, i) => Math.cos(i));
  let sink = 0;
  const loop = () => void (sink += userLoop(x));
  const before = time(loop);
  const w = await import('../src/index.js');
  const { sharedMemory } = await import('../src/wasm/instance.js');
  const n = 1_000_000;
  const f = w.compile((v: import('../src/index.js').Vector) => {
    const a = v.slice(0, -1), b = v.slice(1);
    return w.sum(w.add(w.mul(100, w.square(w.sub(b, w.square(a)))), w.square(w.sub(1, a))));
  }, n);
  const big = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  f.valueAndGrad(big, new Float64Array(n));
  const after = time(loop);
  if (!Number.isFinite(sink)) throw new Error('the loop must be used');
  console.log(JSON.stringify({ sharedMemory, beforeMs: before.medianMs, afterMs: after.medianMs, beforeBestMs: before.minMs, afterBestMs: after.minMs }));
}

function main(): void {
  const plainMemory = process.argv.includes('--plain-memory');
  const rounds = Number(/^--rounds=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--rounds=')) ?? '')?.[1] ?? 5);
  const ratios: number[] = [];
  const bestRatios: number[] = [];
  let shared = false;
  for (let r = 0; r < rounds; r++) {
    const out = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...(plainMemory ? ['--plain-memory'] : [])], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    const m = JSON.parse(out.stdout.trim().split('\n').pop()!);
    shared = m.sharedMemory;
    ratios.push(m.afterMs / m.beforeMs);
    bestRatios.push(m.afterBestMs / m.beforeBestMs);
    console.log(`round ${r + 1}: before ${m.beforeMs.toFixed(4)} ms (best ${m.beforeBestMs.toFixed(4)}), after ${m.afterMs.toFixed(4)} ms (best ${m.afterBestMs.toFixed(4)}): ${(m.afterMs / m.beforeMs).toFixed(3)}×`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${shared ? 'shared' : 'plain'} wasm memory: the user's loop after wengert's memory grew ÷ before: ${median(ratios).toFixed(3)}× by medians, ${median(bestRatios).toFixed(3)}× by best times (median of ${rounds} fresh processes; goal ≤ 1.05×)`);
}

if (process.argv.includes('--child')) await child(process.argv.includes('--plain-memory'));
else main();
