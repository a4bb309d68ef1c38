/** @file `npm run bench:checkpoint [-- --steps=N --n=N]`: checkpointing on a time-stepping loop
 *  (examples/ode.ts, default 10⁴ Euler steps of a 100-element state, √N segments of √N steps).
 *  Per backend, eager (record + backward on a Tape) and compiled (valueAndGrad): the bytes the
 *  tape holds and the gradient's time, plain vs checkpointed, and their ratios. The checkpointed
 *  reverse sweep also holds one segment's interior on a scratch tape while it runs: printed too. */
import { time } from './engine.js';
import { Tape, compile, type Backend, type Vector } from '../src/index.js';
import { plainLoss, checkpointedLoss, odeData, odeStep } from '../examples/ode.js';

const flag = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const steps = flag('steps', 10_000);
const n = flag('n', 100);
const every = Math.round(Math.sqrt(steps));
const { y0, c } = odeData(n);

type Loss = ReturnType<typeof plainLoss>;

/** Records the loss on a Tape, sweeps back, reads both gradients; returns the bytes held. */
function eagerGradient(backend: Backend, loss: Loss, tape: Tape): { bytes: number; gy: Float64Array } {
  tape.reset();
  const y = tape.input(y0) as Vector;
  const k = tape.input(c) as Vector;
  const out = loss(y, k);
  tape.backward(out);
  tape.adjoints(k);
  return { bytes: tape.stats.bytes, gy: tape.adjoints(y) };
}

/** Bytes of one segment's interior recorded on a tape: what the scratch tape holds while it runs. */
function segmentBytes(backend: Backend): number {
  const tape = new Tape({ backend });
  const y = tape.input(y0) as Vector;
  const k = tape.input(c) as Vector;
  let s = y;
  for (let i = 0; i < every; i++) s = odeStep(s, k);
  tape.value(s.at(0));
  const bytes = tape.stats.bytes;
  tape.dispose();
  return bytes;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
console.log(`ODE: ${steps} steps, state of ${n}, checkpoints every ${every} steps (${steps / every} segments); Node ${process.version}`);
for (const backend of ['wasm', 'js'] as const) {
  const plain = plainLoss(steps);
  const ckpt = checkpointedLoss(steps, every);
  // A tape of its own per variant: a reset tape keeps its capacity, which stats.bytes counts.
  const plainTape = new Tape({ backend });
  const ckptTape = new Tape({ backend });
  const a = eagerGradient(backend, plain, plainTape);
  const b = eagerGradient(backend, ckpt, ckptTape);
  const same = a.gy.every((x, i) => Object.is(x, b.gy[i]));
  const tp = time(() => eagerGradient(backend, plain, plainTape), { timeMs: 3000, warmupMs: 500, minIterations: 5 });
  const tc = time(() => eagerGradient(backend, ckpt, ckptTape), { timeMs: 3000, warmupMs: 500, minIterations: 5 });
  plainTape.dispose();
  ckptTape.dispose();
  console.log(`\n${backend} eager (record + backward): y0 gradient identical to the bit: ${same}`);
  console.log(`  bytes held     plain ${mb(a.bytes)}   checkpointed ${mb(b.bytes)}   ratio ${(b.bytes / a.bytes * 100).toFixed(2)}%   (+ scratch while sweeping: ${mb(segmentBytes(backend))})`);
  console.log(`  gradient time  plain ${fmt(tp.medianMs)} (best ${fmt(tp.minMs)})   checkpointed ${fmt(tc.medianMs)} (best ${fmt(tc.minMs)})   ratio ${(tc.medianMs / tp.medianMs).toFixed(2)}× median, ${(tc.minMs / tp.minMs).toFixed(2)}× best`);

  const p = compile(plain, n, n, { backend });
  const q = compile(ckpt, n, n, { backend });
  const cp = time(() => p.valueAndGrad(y0, c), { timeMs: 3000, warmupMs: 500, minIterations: 5 });
  const cq = time(() => q.valueAndGrad(y0, c), { timeMs: 3000, warmupMs: 500, minIterations: 5 });
  console.log(`${backend} compiled (valueAndGrad):`);
  console.log(`  bytes held     plain ${mb(p.stats.bytes)}   checkpointed ${mb(q.stats.bytes)}   ratio ${(q.stats.bytes / p.stats.bytes * 100).toFixed(2)}%`);
  console.log(`  gradient time  plain ${fmt(cp.medianMs)} (best ${fmt(cp.minMs)})   checkpointed ${fmt(cq.medianMs)} (best ${fmt(cq.minMs)})   ratio ${(cq.medianMs / cp.medianMs).toFixed(2)}× median, ${(cq.minMs / cp.minMs).toFixed(2)}× best`);
  p.dispose();
  q.dispose();
}
