/** @file `npm run bench [-- names…] [--rounds=N] [--time=ms] [--warmup=ms]`: checks, then times
 *  each backend in a process of its own (per round), prints one table, writes bench/results/latest.json.
 *  Pseudo-names: `startup` (import + first gradient), `parallel` (one instance vs dataParallel). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Measurement } from './engine.js';
import { WORKLOADS, type BenchBackend, type Workload } from './workloads.js';
import type { CheckOutput, CheckResult, TimeOutput } from './worker.js';
import { parallelTable, type ParallelOutput } from './parallel.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER = join(ROOT, 'bench', 'worker.ts');
const STARTUP = join(ROOT, 'bench', 'startup.mjs');
const RESULTS = join(ROOT, 'bench', 'results', 'latest.json');
/** The pseudo-workload name selecting the import + first gradient measurement. */
const STARTUP_NAME = 'startup';
const STARTUP_RUNS = 5;
/** The pseudo-workload name selecting one instance vs dataParallel (bench/parallel.ts). */
const PARALLEL_NAME = 'parallel';
const PARALLEL = join(ROOT, 'bench', 'parallel.ts');

interface Options {
  workloads: Workload[];
  startup: boolean;
  parallel: boolean;
  rounds: number;
  timeMs: number;
  warmupMs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { workloads: [], startup: false, parallel: false, rounds: 5, timeMs: 600, warmupMs: 300 };
  const names: string[] = [];
  for (const arg of argv) {
    const flag = /^--(rounds|time|warmup)=(\d+)$/.exec(arg);
    if (flag) {
      const value = Number(flag[2]);
      if (!(value > 0)) throw new Error(`${arg}: expected a positive integer`);
      if (flag[1] === 'rounds') options.rounds = value;
      else if (flag[1] === 'time') options.timeMs = value;
      else options.warmupMs = value;
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}; options: --rounds=N --time=ms --warmup=ms`);
    } else names.push(arg);
  }
  // A name selects a workload and its variants: `rosenbrock` also selects `rosenbrock-fresh`.
  const selected = (w: Workload) => names.some((n) => w.name === n || w.name.startsWith(`${n}-`));
  for (const n of names) {
    if (n !== STARTUP_NAME && n !== PARALLEL_NAME && !WORKLOADS.some((w) => w.name === n || w.name.startsWith(`${n}-`))) {
      throw new Error(`unknown workload "${n}"; known: ${[...WORKLOADS.map((w) => w.name), STARTUP_NAME, PARALLEL_NAME].join(', ')}`);
    }
  }
  options.workloads = names.length === 0 ? [...WORKLOADS] : WORKLOADS.filter(selected);
  options.startup = names.length === 0 || names.includes(STARTUP_NAME);
  options.parallel = names.length === 0 || names.includes(PARALLEL_NAME);
  return options;
}

/** Runs `node [flags] [--import tsx] script args…` in a fresh process; returns its last stdout
 *  line as JSON. */
function spawnJson<T>(script: string, args: string[], nodeFlags: string[] = [], withTsx = true): { output: T; wallMs: number } {
  const started = performance.now();
  const child = spawnSync(process.execPath, [...nodeFlags, ...(withTsx ? ['--import', 'tsx'] : []), script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  const wallMs = performance.now() - started;
  if (child.status !== 0) {
    throw new Error(`${script} ${args.join(' ')} exited with ${child.status ?? child.signal}${child.error ? `: ${child.error.message}` : ''}`);
  }
  const lines = child.stdout.trim().split('\n');
  return { output: JSON.parse(lines[lines.length - 1]) as T, wallMs };
}

// ── timing ──

interface Row {
  workload: string;
  backend: BenchBackend;
  about: string;
  nodes: number;
  bytes: number;
  /** Median over rounds of each process's median. */
  medianMs: number;
  /** (slowest − fastest round median) / median: how much the machine moved under us. */
  spread: number;
  nsPerNode?: number;
  bytesPerNode?: number;
  /** Pure-JS tape ms ÷ this row's ms: median over rounds of the per-round ratio. */
  jsOverThis?: number;
  /** The fastest iteration seen in any round: on a shared machine, the estimate least
   *  disturbed by other work (noise only ever adds time). */
  bestMs: number;
  /** Pure-JS tape best ÷ this row's best. */
  jsOverThisBest?: number;
  /** This row's ms ÷ plain-JS ms (value only). */
  thisOverPlain?: number;
  rounds: Measurement[];
}

function timeAll(options: Options): Row[] {
  const flags = [`--time=${options.timeMs}`, `--warmup=${options.warmupMs}`];
  const runs = new Map<string, Measurement[]>();
  const key = (w: string, b: BenchBackend) => `${w} ${b}`;
  // One process per backend per round, running that backend's workloads in registry order.
  // Rounds outermost: the backends run back to back, so a per-round ratio compares
  // measurements taken under about the same background load.
  const backends: BenchBackend[] = ['wasm', 'js', 'plain'];
  for (let round = 1; round <= options.rounds; round++) {
    process.stderr.write(`round ${round}/${options.rounds}\n`);
    for (const backend of backends) {
      const names = options.workloads.filter((w) => w.backends.includes(backend)).map((w) => w.name);
      if (names.length === 0) continue;
      const { output } = spawnJson<TimeOutput>(WORKER, ['time', backend, ...names, ...flags], ['--expose-gc']);
      if (output.wasmMemoryGrew) {
        process.stderr.write(`warning: wasm memory grew in the ${backend} process; its timings may be slowed\n`);
      }
      for (const m of output.results) {
        const k = key(m.workload, m.backend);
        runs.set(k, [...(runs.get(k) ?? []), m]);
      }
    }
  }
  const rows: Row[] = [];
  for (const w of options.workloads) {
    const js = runs.get(key(w.name, 'js'));
    const plain = runs.get(key(w.name, 'plain'));
    for (const backend of w.backends) {
      const rounds = runs.get(key(w.name, backend))!;
      const medians = rounds.map((m) => m.medianMs);
      const medianMs = median(medians);
      const { nodes, bytes } = rounds[0];
      const perRound = (other: Measurement[] | undefined, f: (mine: number, theirs: number) => number) =>
        other === undefined ? undefined : median(rounds.map((m, i) => f(m.medianMs, other[i].medianMs)));
      rows.push({
        workload: w.name,
        backend,
        about: w.about,
        nodes,
        bytes,
        medianMs,
        spread: (Math.max(...medians) - Math.min(...medians)) / medianMs,
        nsPerNode: nodes > 0 ? (medianMs * 1e6) / nodes : undefined,
        bytesPerNode: nodes > 0 ? bytes / nodes : undefined,
        jsOverThis: perRound(js, (mine, theirs) => theirs / mine),
        bestMs: Math.min(...rounds.map((m) => m.minMs)),
        jsOverThisBest: js === undefined ? undefined : Math.min(...js.map((m) => m.minMs)) / Math.min(...rounds.map((m) => m.minMs)),
        thisOverPlain: backend === 'plain' ? undefined : perRound(plain, (mine, theirs) => mine / theirs),
        rounds,
      });
    }
  }
  return rows;
}

// ── import + first gradient ──

interface StartupSample {
  scriptStartMs: number;
  importMs: number;
  firstGradientMs: number;
  totalMs: number;
  /** Spawn to exit, seen from this process: node boot and teardown included. */
  processWallMs: number;
}

interface StartupRow {
  variant: string;
  entry: string;
  medianTotalMs: number;
  medianImportMs: number;
  medianFirstGradientMs: number;
  medianProcessWallMs: number;
  samples: StartupSample[];
}

function startupOf(variant: string, entry: string, withTsx: boolean): StartupRow {
  const samples: StartupSample[] = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const { output, wallMs } = spawnJson<Omit<StartupSample, 'processWallMs'>>(STARTUP, [entry], [], withTsx);
    samples.push({ ...output, processWallMs: wallMs });
  }
  const med = (f: (s: StartupSample) => number) => median(samples.map(f));
  return {
    variant,
    entry,
    medianTotalMs: med((s) => s.totalMs),
    medianImportMs: med((s) => s.importMs),
    medianFirstGradientMs: med((s) => s.firstGradientMs),
    medianProcessWallMs: med((s) => s.processWallMs),
    samples,
  };
}

/** The source through tsx (transpiles on import, cached on disk after the first run), and the
 *  same source pre-bundled by esbuild into one ESM file run by bare node: closer to a package. */
async function measureStartup(): Promise<{ rows: StartupRow[]; notes: string[] }> {
  process.stderr.write('import + first gradient\n');
  const rows = [startupOf('src/index.ts via tsx (transpile included)', 'src/index.ts', true)];
  const notes: string[] = [];
  let esbuild: typeof import('esbuild') | undefined;
  try {
    esbuild = await import('esbuild'); // tsx's own dependency; not one of ours
  } catch {
    notes.push('esbuild is not resolvable: the pre-bundled variant was skipped');
  }
  if (esbuild !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'wengert-bench-'));
    try {
      const outfile = join(dir, 'wengert.mjs');
      esbuild.buildSync({ entryPoints: [join(ROOT, 'src', 'index.ts')], bundle: true, format: 'esm', platform: 'node', target: 'es2022', outfile, logLevel: 'error' });
      rows.push(startupOf('src bundled by esbuild, bare node (no tsx)', outfile, false));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rows, notes };
}

// ── report ──

const fixed = (x: number | undefined, digits: number, suffix = '') => (x === undefined ? '—' : `${x.toFixed(digits)}${suffix}`);

function table(header: string[], body: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...body.map(line)].join('\n');
}

function timingTable(rows: Row[]): string {
  const header = ['workload', 'backend', 'nodes', 'median ms', 'spread', 'ns/node', 'B/node', 'js ÷ this', 'best ms', 'js ÷ this (best)', 'this ÷ plain'];
  const body = rows.map((r) => [
    r.workload,
    r.backend,
    r.nodes > 0 ? r.nodes.toLocaleString('en-US') : '—',
    fixed(r.medianMs, r.medianMs < 1 ? 4 : 2),
    fixed(r.spread * 100, 0, '%'),
    fixed(r.nsPerNode, 2),
    fixed(r.bytesPerNode, 1),
    fixed(r.jsOverThis, 2, '×'),
    fixed(r.bestMs, r.bestMs < 1 ? 4 : 2),
    fixed(r.jsOverThisBest, 2, '×'),
    fixed(r.thisOverPlain, 1, '×'),
  ]);
  return table(header, body, 2);
}

function findings(rows: Row[]): string[] {
  const row = (w: string, b: BenchBackend) => rows.find((r) => r.workload === w && r.backend === b);
  const lines: string[] = [];
  const rosenbrock = row('rosenbrock', 'wasm');
  if (rosenbrock?.jsOverThis !== undefined) {
    const ok = rosenbrock.jsOverThis >= 2;
    lines.push(`goal, Rosenbrock record + reverse ≥ 2× faster than the pure-JS tape: ${rosenbrock.jsOverThis.toFixed(2)}× by medians ${ok ? 'MET' : 'NOT MET'}; ${fixed(rosenbrock.jsOverThisBest, 2, '×')} by best times`);
  }
  // Compiled replay (issue 3): against the pure-JS tape's record + backward, its own replay, ns/node.
  for (const base of ['rosenbrock', 'mlp-scalar']) {
    const replay = row(`${base}-replay`, 'wasm');
    const jsEager = row(base, 'js');
    const jsReplay = row(`${base}-replay`, 'js');
    const stored = row(`${base}-replay-store`, 'wasm');
    if (replay && jsEager) {
      const ratio = jsEager.medianMs / replay.medianMs;
      const best = jsEager.bestMs / replay.bestMs;
      lines.push(`goal, ${base} replay ≥ 5× faster than the pure-JS tape's record + backward: ${ratio.toFixed(2)}× by medians ${ratio >= 5 ? 'MET' : 'NOT MET'}; ${best.toFixed(2)}× by best times`);
    }
    if (replay?.nsPerNode !== undefined) {
      const best = (replay.bestMs * 1e6) / replay.nodes;
      lines.push(`goal, ${base} replay ≤ 2 ns/node forward + reverse: ${replay.nsPerNode.toFixed(2)} by median, ${best.toFixed(2)} best ${best <= 2 ? 'MET' : 'NOT MET'}`);
    }
    if (replay && jsReplay) lines.push(`${base}: wasm replay vs the pure-JS tape's own replay: ${(jsReplay.medianMs / replay.medianMs).toFixed(2)}×`);
    if (replay && stored) {
      lines.push(`${base}: sweep designs, recompute ${replay.medianMs.toFixed(2)} ms median, ${replay.bestMs.toFixed(2)} best (${fixed(replay.bytesPerNode, 1)} B/node) vs store ${stored.medianMs.toFixed(2)} median, ${stored.bestMs.toFixed(2)} best (${fixed(stored.bytesPerNode, 1)} B/node)`);
    }
  }
  for (const w of new Set(rows.map((r) => r.workload))) {
    for (const backend of ['wasm', 'js'] as const) {
      const fresh = row(`${w}-fresh`, backend);
      const reused = row(w, backend);
      if (fresh && reused) {
        lines.push(`growth, ${w} on ${backend}: fresh tape ÷ reused tape = ${(fresh.medianMs / reused.medianMs).toFixed(2)}× (held ${fixed(fresh.bytesPerNode, 1)} vs ${fixed(reused.bytesPerNode, 1)} B/node)`);
      }
    }
  }
  return lines;
}

function startupTable(rows: StartupRow[]): string {
  const header = ['import + first gradient (quickstart)', 'total ms', 'import ms', 'first grad ms', 'process wall ms'];
  const body = rows.map((r) => [r.variant, fixed(r.medianTotalMs, 1), fixed(r.medianImportMs, 1), fixed(r.medianFirstGradientMs, 2), fixed(r.medianProcessWallMs, 0)]);
  return table(header, body, 1);
}

/** The commit measured, marked `+modified` when src/ or assembly/ differ from it. Read-only:
 *  --no-optional-locks keeps `git status` from refreshing the index. */
function commit(): string | undefined {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return undefined;
  const status = spawnSync('git', ['--no-optional-locks', 'status', '--porcelain', '--', 'src', 'assembly'], { cwd: ROOT, encoding: 'utf8' });
  return `${head.stdout.trim()}${status.status === 0 && status.stdout.trim() !== '' ? '+modified' : ''}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const loadBefore = loadavg()[0];
  let checks: CheckResult[] = [];
  if (options.workloads.length > 0) {
    process.stderr.write('checking gradients: wasm vs js vs hand-written\n');
    checks = spawnJson<CheckOutput>(WORKER, ['check', ...options.workloads.map((w) => w.name)]).output.results;
  }
  const rows = timeAll(options);
  const startup = options.startup ? await measureStartup() : undefined;
  const parallel = options.parallel ? spawnJson<ParallelOutput>(PARALLEL, [`--rounds=${options.rounds}`]).output : undefined;
  const meta = {
    date: new Date().toISOString(),
    commit: commit(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    rounds: options.rounds,
    timeMs: options.timeMs,
    warmupMs: options.warmupMs,
    wallSeconds: (performance.now() - started) / 1000,
  };

  const out: string[] = [];
  out.push(`wengert bench · ${meta.date} · commit ${meta.commit ?? '?'} · node ${meta.node} · ${meta.cpu} × ${meta.cores}`);
  out.push(`load average ${loadBefore.toFixed(2)} → ${meta.loadAverage.after.toFixed(2)} · ${options.rounds} rounds × ${options.timeMs} ms per case · ${meta.wallSeconds.toFixed(0)} s`);
  if (rows.length > 0) {
    out.push('');
    out.push(timingTable(rows));
    out.push('');
    out.push('median ms: median over rounds of each process\'s tinybench median; spread: (slowest − fastest round) ÷ median;');
    out.push('js ÷ this and this ÷ plain: median over rounds of the ratio within a round. Each backend runs in a process of its');
    out.push('own per round. B/node = tape.stats.bytes ÷ nodes (capacity held, spare included; 25 B/node is the layout\'s floor).');
    for (const w of options.workloads) out.push(`  ${w.name}: ${w.about}`);
    for (const c of checks) {
      const vsReference = c.referenceError === undefined ? '' : `, vs hand-written gradient ${c.referenceError.toExponential(1)}`;
      out.push(`  check ${c.workload}: wasm vs js ${c.backendDifference === 0 ? 'bit-identical' : `rel. diff ${c.backendDifference.toExponential(1)}`}${vsReference}`);
    }
    out.push('');
    out.push(...findings(rows));
  }
  if (startup !== undefined) {
    out.push('');
    out.push(startupTable(startup.rows));
    out.push(`median of ${STARTUP_RUNS} fresh processes; clock from before the dynamic import to after valueAndGrad(x·y + z)(2, 3, 4).`);
    out.push('"via tsx" includes transpiling src/ on import (tsx caches it on disk); the bundle approximates a built package.');
    out.push(...startup.notes);
  }
  if (parallel !== undefined) out.push('', ...parallelTable(parallel));
  console.log(out.join('\n'));

  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify({ meta, checks, cases: rows, startup: startup?.rows ?? [], parallel }, null, 2)}\n`);
  console.log(`\nresults: ${RESULTS}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
