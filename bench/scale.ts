/** @file `npx tsx bench/scale.ts [--huge] [--rounds=N]`: the eager chain y = mul(y, 1.0000001) of
 *  10⁶ and 10⁷ multiplications (and 10⁸ with --huge: several GB), recorded and swept on a fresh
 *  tape per round, with and without `reserve`, on both backends, each case in a process of its
 *  own. Prints ns per node (record, sweep, both) and the bytes per node the tape holds, and checks
 *  the gradient against its closed form (1.0000001)ⁿ; then what touching fresh memory costs on
 *  this machine, the floor under every cold (first) round. */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Tape, mul, type Backend } from '../src/index.js';

const FACTOR = 1.0000001;

/** What one case's process reports. */
interface CaseResult {
  muls: number;
  backend: Backend;
  reserve: boolean;
  /** `tape.stats` after the chain: nodes and bytes held (spare capacity included). */
  nodes: number;
  bytes: number;
  /** ms per round: recording the chain, then backward (evaluation and reverse sweep). */
  record: number[];
  sweep: number[];
  /** Largest relative error of ∂y/∂x against (1.0000001)ⁿ over the rounds. */
  gradientError: number;
  error?: string;
}

/** Rows a chain of `muls` multiplications records: measured on a short chain, so `reserve` asks
 *  for exactly what the recording will use whatever a mul by a constant costs. */
function rowsFor(muls: number, backend: Backend): number {
  const probe = new Tape({ backend });
  let y = probe.input(1);
  for (let i = 0; i < 1000; i++) y = mul(y, FACTOR);
  const perMul = (probe.stats.rows - 1) / 1000;
  probe.dispose();
  return Math.ceil(1 + perMul * muls);
}

function runCase(muls: number, backend: Backend, reserve: boolean, rounds: number): CaseResult {
  const result: CaseResult = { muls, backend, reserve, nodes: 0, bytes: 0, record: [], sweep: [], gradientError: 0 };
  const exact = FACTOR ** muls;
  const options = reserve ? { backend, reserve: rowsFor(muls, backend) } : { backend };
  for (let round = 0; round < rounds; round++) {
    const tape = new Tape(options);
    const t0 = performance.now();
    const x = tape.input(1);
    let y = x;
    for (let i = 0; i < muls; i++) y = mul(y, FACTOR);
    const t1 = performance.now();
    tape.backward(y);
    const t2 = performance.now();
    result.record.push(t1 - t0);
    result.sweep.push(t2 - t1);
    result.gradientError = Math.max(result.gradientError, Math.abs(tape.adjoint(x) - exact) / exact, Math.abs(y.value - exact) / exact);
    const stats = tape.stats;
    result.nodes = stats.nodes;
    result.bytes = stats.bytes;
    tape.dispose();
  }
  return result;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function spawnCase(muls: number, backend: Backend, reserve: boolean, rounds: number): CaseResult {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, `--case=${muls},${backend},${reserve ? 1 : 0}`, `--rounds=${rounds}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  const lines = child.stdout.trim().split('\n');
  if (child.status !== 0 || lines[lines.length - 1] === '') {
    const why = (child.stderr.match(/(RangeError|OutOfMemoryError|Error)[^\n]*/) ?? [`exit ${child.status ?? child.signal}`])[0];
    return { muls, backend, reserve, nodes: 0, bytes: 0, record: [], sweep: [], gradientError: NaN, error: why };
  }
  return JSON.parse(lines[lines.length - 1]) as CaseResult;
}

function report(r: CaseResult): string {
  const label = `${r.muls.toExponential(0).replace('e+', 'e')} ${r.backend.padEnd(4)} ${r.reserve ? 'reserve' : 'grow   '}`;
  if (r.error !== undefined) return `${label}  failed: ${r.error}`;
  const total = r.record.map((t, i) => t + r.sweep[i]);
  const perNode = (ms: number) => ((ms * 1e6) / r.nodes).toFixed(1).padStart(6);
  // Round 1 touches fresh memory; later rounds reuse what the disposed tapes gave back.
  const warm = (xs: number[]) => (xs.length > 1 ? xs.slice(1) : xs);
  return (
    `${label}  ${(r.nodes / r.muls).toFixed(2)}  ` +
    `${perNode(median(warm(total)))} ${perNode(Math.min(...warm(total)))} ${perNode(total[0])}   ` +
    `${perNode(median(warm(r.record)))} ${perNode(median(warm(r.sweep)))}   ${(r.bytes / r.nodes).toFixed(1).padStart(5)}   ${r.gradientError.toExponential(1)}`
  );
}

/** What fresh memory costs here before any work: one write per 4 KiB page of a new 256 MiB
 *  buffer (the first touch of each page faults), then a second pass over the same pages. */
function freshMemoryFloor(): { freshNsPerByte: number; warmNsPerByte: number } {
  const bytes = 256 << 20;
  const pages = new Uint8Array(new ArrayBuffer(bytes));
  const pass = () => {
    const t0 = performance.now();
    for (let i = 0; i < bytes; i += 4096) pages[i] = 1;
    return ((performance.now() - t0) * 1e6) / bytes;
  };
  return { freshNsPerByte: pass(), warmNsPerByte: pass() };
}

function spawnFloor(): { freshNsPerByte: number; warmNsPerByte: number } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--case=floor'], { encoding: 'utf8' });
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as { freshNsPerByte: number; warmNsPerByte: number };
}

function main(argv: string[]): void {
  const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const rounds = Number(flag('rounds') ?? 4);
  const single = flag('case');
  if (single === 'floor') {
    console.log(JSON.stringify(freshMemoryFloor()));
    return;
  }
  if (single !== undefined) {
    const [muls, backend, reserve] = single.split(',');
    console.log(JSON.stringify(runCase(Number(muls), backend as Backend, reserve === '1', rounds)));
    return;
  }
  // 10⁸ needs about 3 GB for the wasm tape and 5 GB for the JS one (growth copies): opt-in.
  const sizes = argv.includes('--huge') ? [1e6, 1e7, 1e8] : [1e6, 1e7];
  console.log(`y = mul(y, ${FACTOR}) n times from a fresh tape per round; load average ${loadavg()[0].toFixed(1)} (2 cores, shared)`);
  console.log('ns/node: record + backward per tape node (tape.stats.nodes), median and best of the warm rounds (memory a');
  console.log('disposed tape gave back), and the first round (fresh memory); record, sweep: warm medians; nodes/mul: nodes a');
  console.log("multiplication records (plus x and the constant); B/node: tape.stats.bytes ÷ nodes; error: of ∂y/∂x vs 1.0000001ⁿ");
  console.log('n     tape setup     nodes/mul  median   best   cold   record  sweep   B/node   error');
  for (const muls of sizes) {
    for (const backend of ['wasm', 'js'] as const) {
      for (const reserve of [false, true]) {
        // Each case in a process of its own: wasm memory never shrinks, and the JS heap keeps its size.
        console.log(report(spawnCase(muls, backend, reserve, muls >= 1e8 ? Math.min(rounds, 2) : rounds)));
      }
    }
  }
  // A cold round's floor: every byte a tape holds is fresh memory the first time, and on a VM that
  // hands freed pages back to its host (free page reporting) each first touch is a host fault.
  const floor = spawnFloor();
  console.log(
    `fresh memory (a new 256 MiB buffer, one write per 4 KiB page, own process): ${floor.freshNsPerByte.toFixed(2)} ns/byte ` +
      `(${(floor.freshNsPerByte * 4096 / 1000).toFixed(1)} µs/page), the same pages again ${floor.warmNsPerByte.toFixed(3)} ns/byte: ` +
      `a cold round at 25 B/node pays ≥ ${(floor.freshNsPerByte * 25).toFixed(0)} ns/node before recording anything`,
  );
}

main(process.argv.slice(2));
