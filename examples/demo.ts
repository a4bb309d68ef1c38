/**
 * @file `npm run demo`: trains an MNIST classifier with wengert's compiled wasm tape and Adam,
 * reports held-out accuracy, then times the same training step on the pure-JS tape.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/index.js';
import { loadMnist, type MnistSplit } from './mnist/data.js';
import { createParallelTrainer, createTrainer, type Trainer } from './mnist/model.js';
import { writeProgress, type ProgressInfo } from './mnist/progress.js';
import { Training } from './mnist/training.js';

interface NumberOption {
  value: number;
  min: number;
  max: number;
  integer: boolean;
  help: string;
}

const TRAIN = 8000;
const TEST = 2000;
/** Set in the child processes that time a tape (see `timeStepsElsewhere`). */
const TIMING_ENV = 'WENGERT_DEMO_TIME_STEPS';

const numberOptions = {
  epochs: { value: 6, min: 1, max: 1000, integer: true, help: `passes over the ${TRAIN} training digits` },
  hidden: { value: 128, min: 1, max: 1024, integer: true, help: 'units in the tanh hidden layer' },
  batch: { value: 16, min: 1, max: 1024, integer: true, help: 'digits per gradient step' },
  lr: { value: 5e-3, min: 1e-6, max: 1, integer: false, help: 'Adam learning rate (decays linearly to a tenth by the last step)' },
  shift: { value: 1, min: 0, max: 4, integer: true, help: 'training digits move by up to this many pixels each way' },
  workers: { value: 0, min: 0, max: 64, integer: true, help: 'worker threads sharing each batch (dataParallel; 0: this thread alone)' },
  'compare-steps': { value: 20, min: 0, max: 1000, integer: true, help: 'steps timed on each tape, wasm and pure JS, to compare (0: skip)' },
} satisfies Record<string, NumberOption>;
type NumberOptionName = keyof typeof numberOptions;

const USAGE = `Usage: npm run demo -- [options]

Trains a 784 → hidden → 10 MLP (tanh, softmax cross-entropy) on ${TRAIN} MNIST digits with
Adam, reporting accuracy on ${TEST} held-out digits, then times the same step on the pure-JS tape.

Options (--name value or --name=value):
${Object.entries(numberOptions)
  .map(([name, o]) => `  --${name.padEnd(14)}${o.help} (default ${o.value}, ${o.min}–${o.max})`)
  .join('\n')}
  --backend       tape to train on: wasm or js (default wasm)
  --help          show this text
`;

class UsageError extends Error {}

function parseArguments(argv: string[]): { numbers: Record<NumberOptionName, number>; backend: Backend } | 'help' {
  const numbers = Object.fromEntries(Object.entries(numberOptions).map(([name, o]) => [name, o.value])) as Record<NumberOptionName, number>;
  let backend: Backend = 'wasm';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unexpected argument '${arg}': options look like --epochs 5 or --epochs=5.`);
    const name = match[1];
    if (name !== 'backend' && !(name in numberOptions)) {
      throw new UsageError(`unknown option --${name}. Valid options: ${[...Object.keys(numberOptions), 'backend', 'help'].map((n) => `--${n}`).join(', ')}.`);
    }
    const text = match[2] ?? argv[++i];
    if (text === undefined || text === '') throw new UsageError(`--${name} needs a value, e.g. --${name}=${name === 'backend' ? 'wasm' : numberOptions[name as NumberOptionName].value}.`);
    if (name === 'backend') {
      if (text !== 'wasm' && text !== 'js') throw new UsageError(`--backend must be wasm or js, got '${text}'.`);
      backend = text;
      continue;
    }
    const option: NumberOption = numberOptions[name as NumberOptionName];
    const value = Number(text);
    if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got '${text}'.`);
    if (option.integer && !Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number, got ${text}.`);
    if (value < option.min || value > option.max) throw new UsageError(`--${name} must be between ${option.min} and ${option.max}, got ${text}.`);
    numbers[name as NumberOptionName] = value;
  }
  if (numbers.workers > numbers.batch) throw new UsageError(`--workers ${numbers.workers} is more than the ${numbers.batch} digits of a batch: each worker needs at least one.`);
  return { numbers, backend };
}

/** Runs the training, drawing the progress bar (redrawn ~10×/s on a terminal, once per epoch when piped). */
async function train(training: Training, test: MnistSplit): Promise<void> {
  const interactive = process.stdout.isTTY === true;
  const { stepsPerEpoch, trainer } = training;
  let lossSum = 0;
  let correct = 0;
  let epochStart = performance.now();
  let lastDraw = 0;
  while (!training.done) {
    if (training.stepInEpoch === stepsPerEpoch || training.steps === 0) {
      lossSum = correct = 0;
      epochStart = performance.now();
    }
    const result = await training.next();
    lossSum += result.loss;
    correct += result.correct;
    const step = training.stepInEpoch;
    const now = performance.now();
    const last = step === stepsPerEpoch;
    if (!last && (!interactive || now - lastDraw < 100)) continue;
    lastDraw = now;
    const info: ProgressInfo = {
      epoch: training.epoch,
      epochs: training.options.epochs,
      step,
      steps: stepsPerEpoch,
      loss: lossSum / step,
      accuracy: correct / (step * trainer.batch),
      stepsPerSecond: (step * 1000) / (now - epochStart),
    };
    if (last) info.testAccuracy = training.score(test);
    writeProgress(info);
  }
}

/** Seconds per training step (loss, gradient, Adam update) over `steps` steps after one warm-up. */
async function timeSteps(trainer: Trainer<number | Promise<number>>, split: MnistSplit, steps: number): Promise<number> {
  const epochs = Math.ceil((steps + 1) / Math.floor(split.count / trainer.batch));
  const training = new Training(trainer, split, { epochs, learningRate: 1e-3, shift: 0 });
  await training.next();
  const warmUp = training.stepSeconds;
  for (let i = 0; i < steps; i++) await training.next();
  return (training.stepSeconds - warmUp) / steps;
}

/**
 * Times the step in a fresh process: once wasm memory has grown (which detaches an ArrayBuffer),
 * V8 runs JS typed-array loops 20–40% slower for the rest of the process (DESIGN.md, "Facts
 * measured"), which would handicap the pure-JS tape here.
 */
function timeStepsElsewhere(request: TimingRequest): number {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, [TIMING_ENV]: JSON.stringify(request) },
    encoding: 'utf8',
  });
  const seconds = Number(child.stdout.trim());
  if (child.status !== 0 || !(seconds > 0)) throw new Error(`timing the ${request.backend} tape in a child process failed:\n${child.stderr}`);
  return seconds;
}

interface TimingRequest {
  hidden: number;
  batch: number;
  backend: Backend;
  workers: number;
  steps: number;
}

/** The trainer for these options: on this thread, or split across worker threads. */
function trainerFor({ hidden, batch, backend, workers }: Omit<TimingRequest, 'steps'>): Trainer<number | Promise<number>> | Promise<Trainer<Promise<number>>> {
  return workers === 0 ? createTrainer({ hidden, batch, backend }) : createParallelTrainer({ hidden, batch, backend, workers });
}

async function runTimingChild(request: string): Promise<void> {
  const options = JSON.parse(request) as TimingRequest;
  const trainer = await trainerFor(options);
  process.stdout.write(`${await timeSteps(trainer, loadMnist({ train: TRAIN, test: 0 }).train, options.steps)}\n`);
  await trainer.dispose();
}

async function main(): Promise<void> {
  const parsed = parseArguments(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const { numbers, backend } = parsed;
  const { epochs, hidden, batch, lr, shift, workers } = numbers;
  const started = performance.now();
  const data = loadMnist({ train: TRAIN, test: TEST });
  const loaded = performance.now();
  const trainer = await trainerFor({ hidden, batch, backend, workers });
  const compiled = performance.now();
  const shard = batch % workers === 0 ? `${batch / workers}` : `${Math.floor(batch / workers)}–${Math.ceil(batch / workers)}`;
  const tape =
    trainer.tapeNodes === undefined
      ? `split each batch across ${workers} worker threads (a tape of ${shard} images each, ${backend})`
      : `compiled a ${(trainer.tapeNodes / 1e6).toFixed(2)} M-node tape (${backend})`;
  console.log(
    `MNIST ${TRAIN} train / ${TEST} test (loaded in ${((loaded - started) / 1000).toFixed(1)} s) · ` +
      `MLP 784-${hidden}-10, ${trainer.params.length} parameters · batch ${batch}, Adam lr ${lr}, shifts ±${shift} px\n` +
      `${tape} in ${((compiled - loaded) / 1000).toFixed(1)} s`,
  );
  const training = new Training(trainer, data.train, { epochs, learningRate: lr, shift });
  await train(training, data.test);
  const finished = performance.now();
  const heldOut = training.score(data.test);
  const { steps, stepSeconds } = training;
  console.log(
    `held-out accuracy ${(heldOut * 100).toFixed(2)}% (${Math.round(heldOut * data.test.count)}/${data.test.count}) · ` +
      `${((finished - started) / 1000).toFixed(1)} s in all · ${steps} steps, gradient + Adam update alone ${(steps / stepSeconds).toFixed(1)} steps/s (${((stepSeconds / steps) * 1000).toFixed(1)} ms each)`,
  );
  await trainer.dispose();
  const timedSteps = numbers['compare-steps'];
  if (timedSteps === 0) return;
  // Every tape timed the same way, one after the other (the cores are shared), each in its own process.
  const seconds = (tape: Backend, threads = 0) => timeStepsElsewhere({ hidden, batch, backend: tape, workers: threads, steps: timedSteps });
  const wasmStep = seconds('wasm');
  const jsStep = seconds('js');
  const rate = (s: number) => `${(1 / s).toFixed(1)} steps/s (${(s * 1000).toFixed(1)} ms)`;
  console.log(`the same gradient + Adam update alone, ${timedSteps} steps each in a process of its own: wasm tape ${rate(wasmStep)} · pure-JS tape ${rate(jsStep)} → wasm ${(jsStep / wasmStep).toFixed(1)}× faster`);
  if (workers > 0) {
    const parallelStep = seconds('wasm', workers);
    console.log(`the same gradient + Adam update on ${workers} worker threads: ${rate(parallelStep)} → ${(wasmStep / parallelStep).toFixed(2)}× the one-instance wasm step`);
  }
}

const timingRequest = process.env[TIMING_ENV];
try {
  await (timingRequest !== undefined ? runTimingChild(timingRequest) : main());
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`demo: ${error.message}\nRun npm run demo -- --help for the options.\n`);
  process.exitCode = 2;
}
