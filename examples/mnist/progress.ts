/** @file A one-line training progress bar for terminals, degrading to plain log lines when output is piped. */

export interface ProgressInfo {
  /** 1-based epoch number. */
  epoch: number;
  epochs: number;
  /** Steps finished in this epoch, 0 … steps. */
  step: number;
  steps: number;
  loss?: number;
  /** Fraction correct in [0, 1]; shown as a percentage. */
  accuracy?: number;
  /** Fraction of held-out images classified correctly, in [0, 1]; shown as `test 95.1%`. */
  testAccuracy?: number;
  stepsPerSecond?: number;
  /** Columns the line may use; the result is never longer. Default 80. */
  width?: number;
}

/** The part of a Node stream the writer needs, so tests and browsers can pass their own. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const MIN_BAR = 6;
const MAX_BAR = 40;

/** e.g. `epoch  2/10 [=========>          ]  120/500 loss 0.2346 acc 91.2% test 90.8% 350 steps/s (wall)` */
export function renderProgress(info: ProgressInfo): string {
  const { epoch, epochs, step, steps } = info;
  requireWhole('epochs', epochs, 1);
  requireWhole('steps', steps, 1);
  requireWhole('epoch', epoch, 1);
  requireWhole('step', step, 0);
  if (epoch > epochs) throw new RangeError(`renderProgress: epoch ${epoch} is past epochs ${epochs}. Epochs count from 1 to epochs.`);
  if (step > steps) throw new RangeError(`renderProgress: step ${step} is past steps ${steps}. Pass the number of steps finished so far.`);
  const width = info.width ?? 80;
  requireWhole('width', width, 1);

  // Pad counters to their final width so the line keeps its length and the bar does not jitter.
  const epochText = `epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}`;
  const stepText = `${String(step).padStart(String(steps).length)}/${steps}`;
  const metrics: string[] = [];
  if (info.loss !== undefined) metrics.push(`loss ${formatLoss(requireNumber('loss', info.loss))}`);
  if (info.accuracy !== undefined) metrics.push(`acc ${formatAccuracy(info.accuracy)}`);
  if (info.testAccuracy !== undefined) metrics.push(`test ${formatAccuracy(info.testAccuracy)}`);
  if (info.stepsPerSecond !== undefined) metrics.push(`${formatRate(info.stepsPerSecond)} steps/s (wall)`);
  const tail = [stepText, ...metrics].join(' ');

  const barRoom = width - (epochText.length + 1 + tail.length) - 3; // two brackets and the space after them
  if (barRoom >= MIN_BAR) return `${epochText} [${drawBar(step / steps, Math.min(MAX_BAR, barRoom))}] ${tail}`;
  // Too narrow for a bar: shed whole metrics from the right (speed first) rather than cut words in half.
  const parts = [epochText, stepText, ...metrics];
  while (parts.length > 2 && parts.join(' ').length > width) parts.pop();
  return parts.join(' ').slice(0, width);
}

/**
 * On a terminal, redraws one line in place (`\r`, clearing leftovers) and ends it when the epoch's
 * last step is written, so each finished epoch stays on screen. When piped, writes plain lines:
 * call it less often there, since every call becomes a log line.
 */
export function writeProgress(info: ProgressInfo, stream: ProgressStream = process.stdout): void {
  if (stream.isTTY) {
    // One column short of the terminal: writing the last column makes some terminals wrap, and a wrapped line cannot be redrawn with \r.
    // A terminal that reports 0 columns (some CI consoles, a detached pty) gets 80, not a 1-column line.
    const width = info.width ?? Math.max(1, (stream.columns || 80) - 1);
    const finished = info.step === info.steps;
    stream.write(`\r${renderProgress({ ...info, width })}\x1b[K${finished ? '\n' : ''}`);
  } else {
    stream.write(`${renderProgress(info)}\n`);
  }
}

function drawBar(fraction: number, size: number): string {
  const filled = Math.floor(fraction * size);
  if (filled >= size) return '='.repeat(size);
  return '='.repeat(filled) + '>' + ' '.repeat(size - filled - 1);
}

function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss); // show NaN/Infinity plainly: it means divergence
  return loss === 0 || Math.abs(loss) >= 1e-3 ? loss.toFixed(4) : loss.toExponential(2);
}

function formatAccuracy(accuracy: number): string {
  if (typeof accuracy !== 'number' || !(accuracy >= 0 && accuracy <= 1)) {
    throw new RangeError(`renderProgress: accuracy must be a fraction in [0, 1], got ${String(accuracy)}. Pass e.g. 0.912 for 91.2%.`);
  }
  return `${(accuracy * 100).toFixed(1)}%`;
}

function formatRate(stepsPerSecond: number): string {
  if (typeof stepsPerSecond !== 'number' || !(stepsPerSecond >= 0) || !Number.isFinite(stepsPerSecond)) {
    throw new RangeError(`renderProgress: stepsPerSecond must be a finite number >= 0, got ${String(stepsPerSecond)}.`);
  }
  if (stepsPerSecond >= 100) return stepsPerSecond.toFixed(0);
  return stepsPerSecond >= 10 ? stepsPerSecond.toFixed(1) : stepsPerSecond.toFixed(2);
}

function requireWhole(name: string, value: unknown, minimum: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new RangeError(`renderProgress: ${name} must be a whole number >= ${minimum}, got ${String(value)}.`);
  }
}

function requireNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`renderProgress: ${name} must be a number, got ${typeof value}.`);
  return value;
}
