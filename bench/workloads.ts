/** @file The benchmark workloads: a registry of named cases, each set up once per backend. */
import { readFileSync } from 'node:fs';
import { Tape, add, compile, dot, mul, square, sub, type Backend, type CompiledFunction, type Operand, type Scalar, type Vector } from '../src/index.js';
import { MLP, MLP_PARAMETERS, mlpLossScalar } from './mlp-scalar.js';
import { compileMlp, mlpLayout, mlpManual, mlpScratch, withOnesColumn } from '../examples/mlp.js';
import { readGmmInput, packGmmParameters } from '../examples/gmm/io.js';
import { gmmObjective } from '../examples/gmm/objective-plain.js';
import { compileGmm } from '../examples/gmm/objective-wengert.js';
import { readLstmInput } from '../examples/lstm/io.js';
import { lstmObjective } from '../examples/lstm/objective-plain.js';
import { compileLstm } from '../examples/lstm/objective-wengert.js';
import type { Case } from './engine.js';

/** A tape backend, or 'plain': the function in plain JS, value only (the floor to compare with). */
export type BenchBackend = Backend | 'plain';

export interface Workload {
  name: string;
  /** One line for the report's legend. */
  about: string;
  /** The backends this workload runs on; each is timed in a process of its own. */
  backends: readonly BenchBackend[];
  /** Allocates, records once (so growth is done) and returns the case to time. */
  setup(backend: BenchBackend): Case;
  /** The exact value and gradient, computed by hand, that every backend must reproduce
   *  (without it, the check compares the backends with each other only). */
  reference?(): { value: number; gradient: Float64Array };
}

// ── inputs ──

/** Deterministic inputs in [lo, hi) (mulberry32), so every process records the same tape. */
export function uniform(n: number, lo: number, hi: number, seed: number): Float64Array {
  const x = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    x[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return x;
}

// ── Rosenbrock: f(x) = Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², i < n − 1 ──

const ROSENBROCK_N = 100_000;
const rosenbrockX = uniform(ROSENBROCK_N, -1.5, 1.5, 1);

/** 8 nodes per term (constants 100 and 1 are recorded once, not per term). */
function rosenbrockOnTape(tape: Tape, x: Vector): Scalar {
  const hundred = tape.constant(100);
  const one = tape.constant(1);
  const term = (xi: Scalar, next: Scalar) => add(mul(hundred, square(sub(next, square(xi)))), square(sub(one, xi)));
  let xi = x.at(0);
  let next = x.at(1);
  let sum = term(xi, next);
  for (let i = 1; i < x.length - 1; i++) {
    xi = next;
    next = x.at(i + 1);
    sum = add(sum, term(xi, next));
  }
  return sum as Scalar;
}

function rosenbrockPlain(x: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const u = x[i + 1] - x[i] * x[i];
    const v = 1 - x[i];
    sum += 100 * u * u + v * v;
  }
  return sum;
}

/** ∂f/∂xᵢ = −400 xᵢ (xᵢ₊₁ − xᵢ²) − 2(1 − xᵢ) + 200 (xᵢ − xᵢ₋₁²), each part where it exists. */
function rosenbrockGradient(x: Float64Array): Float64Array {
  const n = x.length;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i < n - 1) g[i] += -400 * x[i] * (x[i + 1] - x[i] * x[i]) - 2 * (1 - x[i]);
    if (i > 0) g[i] += 200 * (x[i] - x[i - 1] * x[i - 1]);
  }
  return g;
}

// ── Speelpenning: f(x) = Πᵢ xᵢ ──

const SPEELPENNING_N = 10_000;
// Factors near 1 keep the product of 10⁴ of them far from overflow and underflow.
const speelpenningX = uniform(SPEELPENNING_N, 0.99, 1.01, 2);

function speelpenningOnTape(_tape: Tape, x: Vector): Scalar {
  let product: Operand = x.at(0);
  for (let i = 1; i < x.length; i++) product = mul(product, x.at(i));
  return product as Scalar;
}

function speelpenningPlain(x: Float64Array): number {
  let product = 1;
  for (let i = 0; i < x.length; i++) product *= x[i];
  return product;
}

/** ∂f/∂xᵢ = Π_{j≠i} xⱼ, as prefix × suffix products (no division). */
function speelpenningGradient(x: Float64Array): Float64Array {
  const n = x.length;
  const g = new Float64Array(n);
  let prefix = 1;
  for (let i = 0; i < n; i++) {
    g[i] = prefix;
    prefix *= x[i];
  }
  let suffix = 1;
  for (let i = n - 1; i >= 0; i--) {
    g[i] *= suffix;
    suffix *= x[i];
  }
  return g;
}

// ── cases ──

/** Records f on `tape` from the input vector and returns f's handle. */
type Recorder = (tape: Tape, x: Vector) => Scalar;

/** Record + backward + read the gradient: one iteration of every tape case. */
function gradientOn(tape: Tape, x: Float64Array, record: Recorder, gradient: Float64Array): number {
  const input = tape.input(x);
  const y = record(tape, input);
  tape.backward(y);
  tape.adjoints(input, gradient);
  return tape.value(y);
}

/** One tape, reset before each iteration: reset keeps its capacity, so no growth after setup. */
function reusedTape(backend: Backend, x: Float64Array, record: Recorder): Case {
  const tape = new Tape({ backend });
  const gradient = new Float64Array(x.length);
  let value = NaN;
  const run = () => {
    tape.reset();
    value = gradientOn(tape, x, record, gradient);
  };
  run();
  const { nodes, bytes } = tape.stats;
  return { run, nodes, bytes, result: () => ({ value, gradient }) };
}

/** A new tape (default reserve) per iteration, disposed after: every iteration pays growth. */
function freshTape(backend: Backend, x: Float64Array, record: Recorder): Case {
  const gradient = new Float64Array(x.length);
  let value = NaN;
  let stats = { nodes: 0, bytes: 0 };
  const iteration = (keepStats: boolean) => {
    const tape = new Tape({ backend });
    value = gradientOn(tape, x, record, gradient);
    if (keepStats) stats = tape.stats;
    tape.dispose();
  };
  iteration(true);
  return { run: () => iteration(false), nodes: stats.nodes, bytes: stats.bytes, result: () => ({ value, gradient }) };
}

function plain(f: (x: Float64Array) => number, x: Float64Array): Case {
  let value = NaN;
  const run = () => {
    value = f(x);
  };
  run();
  return { run, nodes: 0, bytes: 0, result: () => ({ value }) };
}

function tapeBackend(backend: BenchBackend, workload: string): Backend {
  if (backend === 'plain') throw new Error(`${workload} has no plain-JS version`);
  return backend;
}

interface Problem {
  name: string;
  formula: string;
  x: Float64Array;
  record: Recorder;
  plain: (x: Float64Array) => number;
  gradient: (x: Float64Array) => Float64Array;
}

/** Each problem gives two workloads: `name` (reused tape, plus plain JS) and `name-fresh`. */
function workloadsOf(p: Problem): Workload[] {
  const reference = () => ({ value: p.plain(p.x), gradient: p.gradient(p.x) });
  const n = p.x.length.toLocaleString('en-US');
  return [
    {
      name: p.name,
      about: `${p.formula}, n = ${n}: record + backward + read gradient, tape reset and reused`,
      backends: ['wasm', 'js', 'plain'],
      setup: (backend) => (backend === 'plain' ? plain(p.plain, p.x) : reusedTape(backend, p.x, p.record)),
      reference,
    },
    {
      name: `${p.name}-fresh`,
      about: `${p.name} with a new Tape (default reserve) per iteration, disposed after: growth included`,
      backends: ['wasm', 'js'],
      setup: (backend) => freshTape(tapeBackend(backend, `${p.name}-fresh`), p.x, p.record),
      reference,
    },
  ];
}

// ── compiled replay (issue 3): record once, then forward + reverse in the backend ──

/** Rosenbrock for compile(): the constants are numbers here (f sees only its arguments). */
function rosenbrockTraced(x: Vector): Operand {
  let sum: Operand = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const xi = x.at(i);
    sum = add(sum, add(mul(100, square(sub(x.at(i + 1), square(xi)))), square(sub(1, xi))));
  }
  return sum;
}

/** A compiled function replayed with fixed arguments; `partials` picks the sweep design. */
function replayCase(f: CompiledFunction, args: Float64Array[]): Case {
  // Gradients come back for the differentiated arguments only (compile's wrt).
  const wrt = f.differentiated;
  const out = args.map((a) => new Float64Array(a.length));
  const into = wrt.length === 1 ? out[wrt[0]] : wrt.map((i) => out[i]);
  let value = NaN;
  const run = () => {
    value = (f.valueAndGrad as (...a: unknown[]) => { value: number })(...args, into).value;
  };
  run();
  const { nodes, bytes } = f.stats;
  return { run, nodes, bytes, result: () => ({ value, gradient: out[wrt[0]] }) };
}

const mlpParams = uniform(MLP_PARAMETERS, -0.1, 0.1, 3);
const mlpInputs = uniform(MLP.batch * MLP.inputs, -1, 1, 4);
const mlpLabels = Uint8Array.from({ length: MLP.batch }, (_, b) => (b * 7) % MLP.classes);

/** The scalar-op MLP recorded eagerly: parameters are inputs, the batch is constants. */
function mlpEager(backend: Backend): Case {
  const tape = new Tape({ backend });
  const gradient = new Float64Array(MLP_PARAMETERS);
  let value = NaN;
  const run = () => {
    tape.reset();
    const p = tape.input(mlpParams);
    const y = mlpLossScalar((i) => p.at(i), (b, i) => mlpInputs[b * MLP.inputs + i], mlpLabels) as Scalar;
    tape.backward(y);
    tape.adjoints(p, gradient);
    value = tape.value(y);
  };
  run();
  const { nodes, bytes } = tape.stats;
  return { run, nodes, bytes, result: () => ({ value, gradient }) };
}

function mlpCompiled(backend: Backend, partials: 'recompute' | 'store'): Case {
  const f = compile(
    (p: Vector, x: Vector) => mlpLossScalar((i) => p.at(i), (b, i) => x.at(b * MLP.inputs + i), mlpLabels),
    MLP_PARAMETERS, MLP.batch * MLP.inputs, { backend, partials },
  );
  return replayCase(f, [mlpParams, mlpInputs]);
}

const replayAbout = (what: string, design: string) => `${what}: compiled once, then replay forward + reverse (${design})`;

// ── vector ops: one instruction per array op, compiled once and replayed ──

const ROSENBROCK_VECTOR_N = 1_000_000;
let rosenbrockVectorInput: Float64Array | undefined;
const rosenbrockVectorX = () => (rosenbrockVectorInput ??= uniform(ROSENBROCK_VECTOR_N, -1.5, 1.5, 5));

/** Rosenbrock in vector ops: three elementwise instructions and two dots, whatever n is. */
function rosenbrockVector(x: Vector): Operand {
  const head = x.slice(0, -1);
  const u = sub(x.slice(1), square(head));
  const v = sub(1, head);
  return add(mul(100, dot(u, u)), dot(v, v));
}

/** The scalar-op MLP's problem (same parameters, inputs and labels) for the vector-op MLP and
 *  its hand-written gradient: inputs with a ones column, labels one-hot. */
const mlpVectorData = () => {
  const oneHot = new Float64Array(MLP.batch * MLP.classes);
  mlpLabels.forEach((label, b) => (oneHot[b * MLP.classes + label] = 1));
  return { xWithOnes: withOnesColumn(mlpInputs, MLP.batch, MLP.inputs), oneHot };
};

function mlpVector(backend: Backend): Case {
  const { xWithOnes, oneHot } = mlpVectorData();
  const { step, compiled } = compileMlp(MLP, { backend });
  const gradient = new Float64Array(MLP_PARAMETERS);
  let value = NaN;
  const run = () => {
    value = step(mlpParams, xWithOnes, oneHot, gradient);
  };
  run();
  const { nodes, bytes } = compiled.stats;
  return { run, nodes, bytes, result: () => ({ value, gradient }) };
}

/** 'plain' for the MLP: the hand-written loss and gradient (plain JS, no tape). */
function mlpManualCase(): Case {
  const { oneHot } = mlpVectorData();
  const gradient = new Float64Array(mlpLayout(MLP).size);
  const scratch = mlpScratch(MLP);
  let value = NaN;
  const run = () => {
    value = mlpManual(MLP, mlpParams, mlpInputs, oneHot, gradient, scratch);
  };
  run();
  return { run, nodes: 0, bytes: 0, result: () => ({ value, gradient }) };
}

const GMM_FIXTURES = new URL('../test/fixtures/adbench/', import.meta.url);
const gmmInput = () => readGmmInput(new URL('data/gmm/1k/gmm_d10_K5.txt', GMM_FIXTURES));

function gmmCompiled(backend: Backend): Case {
  const input = gmmInput();
  const { fn, features } = compileGmm(input, { backend });
  return replayCase(fn, [packGmmParameters(input), features]);
}

function gmmPlain(): Case {
  const input = gmmInput();
  const params = packGmmParameters(input);
  let value = NaN;
  const run = () => {
    value = gmmObjective(input, params);
  };
  run();
  return { run, nodes: 0, bytes: 0, result: () => ({ value }) };
}

/** ADBench's d10 K5 objective and gradient as generated for the tests (complex-step, numpy). */
function gmmReference(): { value: number; gradient: Float64Array } {
  const ref = JSON.parse(readFileSync(new URL('reference/generated/gmm_1k_gmm_d10_K5.ref.json', GMM_FIXTURES), 'utf8')) as { objective: number; gradient: number[] };
  return { value: ref.objective, gradient: Float64Array.from(ref.gradient) };
}

const lstmInput = () => readLstmInput(new URL('data/lstm/lstm_l2_c1024.txt', GMM_FIXTURES));

function lstmCompiled(backend: Backend): Case {
  const input = lstmInput();
  return replayCase(compileLstm(input, { backend }), [input.main, input.extra]);
}

function lstmPlain(): Case {
  const input = lstmInput();
  let value = NaN;
  const run = () => {
    value = lstmObjective(input, input.main, input.extra);
  };
  run();
  return { run, nodes: 0, bytes: 0, result: () => ({ value }) };
}

/** ADBench's l2 c1024 objective and the main parameters' gradient (the case reads the first
 *  argument's), as generated for the tests (complex-step, numpy). */
function lstmReference(): { value: number; gradient: Float64Array } {
  const ref = JSON.parse(readFileSync(new URL('reference/generated/lstm_l2_c1024.ref.json', GMM_FIXTURES), 'utf8')) as { objective: number; gradient: number[] };
  return { value: ref.objective, gradient: Float64Array.from(ref.gradient.slice(0, lstmInput().main.length)) };
}

const vectorWorkloads: Workload[] = [
  {
    name: 'rosenbrock-vector',
    about: replayAbout('rosenbrock in vector ops (slice, square, sub, dot), n = 1,000,000; plain: the JS value only', 'vector rows'),
    backends: ['wasm', 'js', 'plain'],
    setup: (backend) =>
      backend === 'plain' ? plain(rosenbrockPlain, rosenbrockVectorX()) : replayCase(compile(rosenbrockVector, ROSENBROCK_VECTOR_N, { backend }), [rosenbrockVectorX()]),
    reference: () => ({ value: rosenbrockPlain(rosenbrockVectorX()), gradient: rosenbrockGradient(rosenbrockVectorX()) }),
  },
  {
    name: 'mlp-vector',
    about: replayAbout('the scalar MLP\'s network and batch in vector ops (matmul, tanh, logSoftmax); plain: loss + gradient by hand', 'vector rows'),
    backends: ['wasm', 'js', 'plain'],
    setup: (backend) => (backend === 'plain' ? mlpManualCase() : mlpVector(backend)),
    reference: () => {
      const c = mlpManualCase();
      const { value, gradient } = c.result();
      return { value, gradient: gradient! };
    },
  },
  {
    name: 'gmm-d10-k5',
    about: replayAbout('ADBench GMM d=10, K=5, n=1000 in vector ops (examples/gmm/objective-wengert.ts); plain: the JS objective only', 'vector rows'),
    backends: ['wasm', 'js', 'plain'],
    setup: (backend) => (backend === 'plain' ? gmmPlain() : gmmCompiled(backend)),
    reference: gmmReference,
  },
  {
    name: 'lstm-l2-c1024',
    about: replayAbout('ADBench D-LSTM l=2, c=1024, b=14 in vector ops, loss via logsumexp { axis, extra } and column broadcasting (examples/lstm/); plain: the JS objective only', 'vector rows'),
    backends: ['wasm', 'js', 'plain'],
    setup: (backend) => (backend === 'plain' ? lstmPlain() : lstmCompiled(backend)),
    reference: lstmReference,
  },
];

/** Every workload, in report order. Add a workload here and it is timed, checked and reported. */
export const WORKLOADS: readonly Workload[] = [
  ...workloadsOf({
    name: 'rosenbrock',
    formula: 'Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²',
    x: rosenbrockX,
    record: rosenbrockOnTape,
    plain: rosenbrockPlain,
    gradient: rosenbrockGradient,
  }),
  ...workloadsOf({
    name: 'speelpenning',
    formula: 'Π xᵢ',
    x: speelpenningX,
    record: speelpenningOnTape,
    plain: speelpenningPlain,
    gradient: speelpenningGradient,
  }),
  {
    name: 'rosenbrock-replay',
    about: replayAbout('rosenbrock in scalar ops', 'partials recomputed in the reverse sweep'),
    backends: ['wasm', 'js'],
    setup: (backend) => replayCase(compile(rosenbrockTraced, ROSENBROCK_N, { backend: tapeBackend(backend, 'rosenbrock-replay') }), [rosenbrockX]),
    reference: () => ({ value: rosenbrockPlain(rosenbrockX), gradient: rosenbrockGradient(rosenbrockX) }),
  },
  {
    name: 'rosenbrock-replay-store',
    about: replayAbout('rosenbrock in scalar ops', 'partials stored by the forward sweep'),
    backends: ['wasm'],
    setup: () => replayCase(compile(rosenbrockTraced, ROSENBROCK_N, { partials: 'store' }), [rosenbrockX]),
    reference: () => ({ value: rosenbrockPlain(rosenbrockX), gradient: rosenbrockGradient(rosenbrockX) }),
  },
  {
    name: 'mlp-scalar',
    about: 'MLP 64-128-10 tanh, softmax-CE, batch 32, in scalar ops: record + backward, tape reset and reused',
    backends: ['wasm', 'js'],
    setup: (backend) => mlpEager(tapeBackend(backend, 'mlp-scalar')),
  },
  {
    name: 'mlp-scalar-replay',
    about: replayAbout('the same MLP in scalar ops', 'partials recomputed'),
    backends: ['wasm', 'js'],
    setup: (backend) => mlpCompiled(tapeBackend(backend, 'mlp-scalar-replay'), 'recompute'),
  },
  {
    name: 'mlp-scalar-replay-store',
    about: replayAbout('the same MLP in scalar ops', 'partials stored'),
    backends: ['wasm'],
    setup: () => mlpCompiled('wasm', 'store'),
  },
  ...vectorWorkloads,
];

export function workload(name: string): Workload {
  const found = WORKLOADS.find((w) => w.name === name);
  if (found === undefined) {
    throw new Error(`unknown workload "${name}"; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  }
  return found;
}
