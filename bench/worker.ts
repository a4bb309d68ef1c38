/** @file One benchmark process: times workloads on one backend, or checks them; prints one JSON line. */
// Usage (run.ts spawns these; by hand they print their JSON to stdout):
//   node --expose-gc --import tsx bench/worker.ts time <wasm|js|plain> <workload>… [--time=ms] [--warmup=ms]
//   node --import tsx bench/worker.ts check <workload>…
// A process never times two backends: a wasm memory.grow detaches an ArrayBuffer, after which
// V8 runs JS typed-array loops 20–40% slower for the rest of the process (DESIGN, "Facts
// measured"), and two tape classes through one op call site make it polymorphic.
import { core } from '../src/wasm/instance.js';
import { measure, type Measurement, type TimingOptions } from './engine.js';
import { workload, type BenchBackend, type Workload } from './workloads.js';

export interface TimeResult extends Measurement {
  workload: string;
  backend: BenchBackend;
}

export interface TimeOutput {
  kind: 'time';
  backend: BenchBackend;
  /** True if wasm memory grew in a js/plain process: its timings may carry the detach penalty. */
  wasmMemoryGrew: boolean;
  results: TimeResult[];
}

export interface CheckResult {
  workload: string;
  nodes: Partial<Record<BenchBackend, number>>;
  /** Largest |wasm − js| over the gradient, relative to max |gradient|; 0 when bit-identical. */
  backendDifference: number;
  /** Largest error of any backend against the hand-written gradient, relative as above
   *  (undefined when the workload has none). */
  referenceError?: number;
}

export interface CheckOutput {
  kind: 'check';
  results: CheckResult[];
}

/** Tolerances relative to max |gradient| (or |value|): same op table and IEEE arithmetic on both
 *  backends, so they should agree to rounding; the hand-written rules sum in another order. */
const BACKEND_TOLERANCE = 1e-13;
const REFERENCE_TOLERANCE = 1e-10;

function timeWorkloads(backend: BenchBackend, workloads: Workload[], options: Partial<TimingOptions>): TimeOutput {
  const memoryBefore = core.memory.buffer.byteLength;
  const results = workloads.map((w) => {
    if (!w.backends.includes(backend)) throw new Error(`${w.name} does not run on ${backend}`);
    process.stderr.write(`  timing ${w.name} on ${backend}…\n`);
    // Start each workload from a collected heap, not the previous one's garbage (--expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    return { workload: w.name, backend, ...measure(w.setup(backend), options) };
  });
  const wasmMemoryGrew = backend !== 'wasm' && core.memory.buffer.byteLength !== memoryBefore;
  return { kind: 'time', backend, wasmMemoryGrew, results };
}

/** Largest |a − b| relative to max |b|. */
function relativeDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return scale > 0 ? worst / scale : worst;
}

/** Runs every backend of a workload once and throws unless all agree with each other and with
 *  the hand-written gradient. (Mixing backends here is fine: nothing in this process is timed.) */
function checkWorkload(w: Workload): CheckResult {
  const fail = (what: string): never => {
    throw new Error(`check failed for ${w.name}: ${what}`);
  };
  const reference = w.reference?.();
  const nodes: CheckResult['nodes'] = {};
  const gradients: Partial<Record<BenchBackend, Float64Array>> = {};
  let expectedValue = reference?.value;
  let referenceError = 0;
  for (const backend of w.backends) {
    const c = w.setup(backend);
    const { value, gradient } = c.result();
    expectedValue ??= value;
    if (!(Math.abs(value - expectedValue) <= REFERENCE_TOLERANCE * Math.abs(expectedValue))) {
      fail(`${backend} value ${value} differs from ${expectedValue}`);
    }
    if (backend === 'plain') continue;
    if (gradient === undefined) return fail(`${backend} gave no gradient`);
    if (reference !== undefined) {
      const error = relativeDifference(gradient, reference.gradient);
      if (!(error <= REFERENCE_TOLERANCE)) fail(`${backend} gradient is off the hand-written one by ${error} (relative)`);
      referenceError = Math.max(referenceError, error);
    }
    nodes[backend] = c.nodes;
    gradients[backend] = gradient.slice();
  }
  let backendDifference = 0;
  if (gradients.wasm && gradients.js) {
    backendDifference = relativeDifference(gradients.wasm, gradients.js);
    if (!(backendDifference <= BACKEND_TOLERANCE)) fail(`wasm and js gradients differ by ${backendDifference} (relative)`);
    if (nodes.wasm !== nodes.js) fail(`wasm records ${nodes.wasm} nodes, js ${nodes.js}`);
  }
  return { workload: w.name, nodes, backendDifference, referenceError: reference === undefined ? undefined : referenceError };
}

function option(args: string[], name: string): number | undefined {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return undefined;
  const value = Number(arg.slice(name.length + 3));
  if (!(value > 0)) throw new Error(`--${name} takes a positive number of ms, got ${arg}`);
  return value;
}

function main(argv: string[]): TimeOutput | CheckOutput {
  const args = argv.filter((a) => !a.startsWith('--'));
  const [command, ...rest] = args;
  if (command === 'check') return { kind: 'check', results: rest.map((name) => checkWorkload(workload(name))) };
  if (command === 'time') {
    const [backend, ...names] = rest;
    if (backend !== 'wasm' && backend !== 'js' && backend !== 'plain') {
      throw new Error(`backend must be wasm, js or plain, got ${JSON.stringify(backend)}`);
    }
    const options: Partial<TimingOptions> = {};
    const timeMs = option(argv, 'time');
    const warmupMs = option(argv, 'warmup');
    if (timeMs !== undefined) options.timeMs = timeMs;
    if (warmupMs !== undefined) options.warmupMs = warmupMs;
    return timeWorkloads(backend, names.map(workload), options);
  }
  throw new Error('usage: worker.ts time <wasm|js|plain> <workload>… [--time=ms] [--warmup=ms] | worker.ts check <workload>…');
}

process.stdout.write(`${JSON.stringify(main(process.argv.slice(2)))}\n`);
