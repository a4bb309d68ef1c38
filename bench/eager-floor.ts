/** @file `npx tsx bench/eager-floor.ts [--rounds=N]`: what eager scalar recording costs, and what
 *  its floor is. Eager scalar Rosenbrock, n = 10⁵ (≈ 9·10⁵ nodes), record + backward, each case in
 *  a fresh process per round:
 *  - wasm, js: wengert's two backends.
 *  - ids: a minimal pure-JS tape with integer node ids, no handle objects and no checks, that
 *    evaluates as it records and sweeps back (the kind of tape a user could write in 100 lines).
 *  - handles: the floor of any design in which every op returns a new handle object: the same
 *    ops, each allocating a two-field handle and writing its row into typed arrays, and nothing
 *    else (no values, no sweep, no checks). Wengert cannot record for less than this while
 *    `mul(a, b)` returns an object. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { time } from './engine.js';

const N = 100_000;
const CASES = ['handles', 'ids', 'wasm', 'js'] as const;
type Case = (typeof CASES)[number];

function points(): Float64Array {
  const x = new Float64Array(N);
  for (let i = 0; i < N; i++) x[i] = Math.cos(i);
  return x;
}

/** Rosenbrock over any op set: the same call shape for every case. */
function rosenbrock<H>(x: (i: number) => H, hundred: H, one: H, ops: { add(a: H, b: H): H; sub(a: H, b: H): H; mul(a: H, b: H): H; square(a: H): H }): H {
  const { add, sub, mul, square } = ops;
  const term = (xi: H, next: H) => add(mul(hundred, square(sub(next, square(xi)))), square(sub(one, xi)));
  let xi = x(0);
  let next = x(1);
  let sum = term(xi, next);
  for (let i = 1; i < N - 1; i++) {
    xi = next;
    next = x(i + 1);
    sum = add(sum, term(xi, next));
  }
  return sum;
}

/** Handles and rows, nothing else. */
function handlesFloor(): () => void {
  const capacity = 1 << 20;
  const op = new Uint8Array(capacity);
  const a = new Int32Array(capacity);
  const b = new Int32Array(capacity);
  class Recording {
    rows = 0;
    record(code: number, x: number, y: number): number {
      const r = this.rows++;
      op[r] = code;
      a[r] = x;
      b[r] = y;
      return r;
    }
  }
  class Handle {
    constructor(
      readonly recording: Recording,
      readonly id: number,
    ) {}
  }
  const binary = (code: number) => (x: Handle, y: Handle) => new Handle(x.recording, x.recording.record(code, x.id, y.id));
  const ops = { add: binary(4), mul: binary(5), sub: binary(6), square: (x: Handle) => new Handle(x.recording, x.recording.record(8, x.id, 0)) };
  return () => {
    const rec = new Recording();
    rec.rows = N + 2;
    rosenbrock((i) => new Handle(rec, i), new Handle(rec, N), new Handle(rec, N + 1), ops);
  };
}

/** A minimal integer-id tape: values as it records, then one reverse sweep. */
function idsTape(x: Float64Array): () => number {
  const capacity = 1 << 20;
  const op = new Uint8Array(capacity);
  const a = new Int32Array(capacity);
  const b = new Int32Array(capacity);
  const val = new Float64Array(capacity);
  const adj = new Float64Array(capacity);
  let n = 0;
  const push = (code: number, p: number, q: number, v: number) => {
    op[n] = code;
    a[n] = p;
    b[n] = q;
    val[n] = v;
    return n++;
  };
  const ops = {
    add: (p: number, q: number) => push(4, p, q, val[p] + val[q]),
    mul: (p: number, q: number) => push(5, p, q, val[p] * val[q]),
    sub: (p: number, q: number) => push(6, p, q, val[p] - val[q]),
    square: (p: number) => push(8, p, 0, val[p] * val[p]),
  };
  return () => {
    n = 0;
    for (let i = 0; i < N; i++) push(2, 0, 0, x[i]);
    const hundred = push(1, 0, 0, 100);
    const one = push(1, 0, 0, 1);
    const y = rosenbrock((i) => i, hundred, one, ops);
    adj.fill(0, 0, n);
    adj[y] = 1;
    for (let r = y; r >= 0; r--) {
      const g = adj[r];
      const p = a[r];
      const q = b[r];
      switch (op[r]) {
        case 4: adj[p] += g; adj[q] += g; break;
        case 5: adj[p] += g * val[q]; adj[q] += g * val[p]; break;
        case 6: adj[p] += g; adj[q] -= g; break;
        case 8: adj[p] += 2 * g * val[p]; break;
      }
    }
    return adj[5];
  };
}

async function wengert(backend: 'wasm' | 'js', x: Float64Array): Promise<() => number> {
  const { Tape, add, sub, mul, square } = await import('../src/index.js');
  const tape = new Tape({ backend, reserve: 1 << 20 });
  type S = import('../src/index.js').Scalar;
  const ops = { add: add as (a: S, b: S) => S, sub: sub as (a: S, b: S) => S, mul: mul as (a: S, b: S) => S, square: square as (a: S) => S };
  return () => {
    tape.reset();
    const v = tape.input(x);
    const y = rosenbrock((i) => v.at(i), tape.constant(100), tape.constant(1), ops);
    tape.backward(y);
    return tape.adjoints(v.slice(5, 6))[0];
  };
}

async function child(which: Case): Promise<void> {
  const x = points();
  let run: () => unknown;
  if (which === 'handles') run = handlesFloor();
  else if (which === 'ids') run = idsTape(x);
  else run = await wengert(which, x);
  const gradient = run();
  const t = time(() => void run(), { timeMs: 2000, warmupMs: 500, minIterations: 10 });
  console.log(JSON.stringify({ medianMs: t.medianMs, minMs: t.minMs, gradient }));
}

function main(): void {
  const rounds = Number(/^--rounds=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--rounds=')) ?? '')?.[1] ?? 3);
  const nodes = 9 * N - 7;
  const results = new Map<Case, { median: number[]; best: number[]; gradient: number }>(CASES.map((c) => [c, { median: [], best: [], gradient: NaN }]));
  for (let r = 0; r < rounds; r++) {
    for (const c of CASES) {
      const out = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', c], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(out.stderr);
      const m = JSON.parse(out.stdout.trim().split('\n').pop()!);
      const entry = results.get(c)!;
      entry.median.push(m.medianMs);
      entry.best.push(m.minMs);
      entry.gradient = m.gradient;
      process.stderr.write(`round ${r + 1} ${c}: ${m.medianMs.toFixed(2)} ms (best ${m.minMs.toFixed(2)})\n`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const { ids, wasm, js } = Object.fromEntries(CASES.map((c) => [c, results.get(c)!.gradient]));
  if (!(Math.abs(wasm - ids) <= 1e-9 * Math.abs(ids) && Math.abs(js - ids) <= 1e-9 * Math.abs(ids))) {
    throw new Error(`the gradients differ: ids ${ids}, wasm ${wasm}, js ${js}`);
  }
  console.log(`eager scalar Rosenbrock, n = ${N} (${nodes} nodes), record + backward; median of ${rounds} fresh processes per case`);
  console.log('case       median ms   best ms   ns/node (median)');
  for (const c of CASES) {
    const e = results.get(c)!;
    console.log(`${c.padEnd(10)} ${median(e.median).toFixed(2).padStart(9)} ${median(e.best).toFixed(2).padStart(9)} ${((median(e.median) * 1e6) / nodes).toFixed(1).padStart(9)}`);
  }
  const m = (c: Case) => median(results.get(c)!.median);
  const b = (c: Case) => median(results.get(c)!.best);
  console.log(`js ÷ wasm: ${(m('js') / m('wasm')).toFixed(2)}× by medians, ${(b('js') / b('wasm')).toFixed(2)}× by best times (goal ≥ 2×)`);
  console.log(`ids ÷ wasm: ${(m('ids') / m('wasm')).toFixed(2)}× by medians, ${(b('ids') / b('wasm')).toFixed(2)}× by best times (goal > 1×)`);
  console.log(`handles alone (no values, no sweep): ${((m('handles') * 1e6) / nodes).toFixed(1)} ns/node by median, ${((b('handles') * 1e6) / nodes).toFixed(1)} best (goal for everything: ≤ 8)`);
}

if (process.argv.includes('--child')) await child(process.argv[process.argv.indexOf('--child') + 1] as Case);
else main();
