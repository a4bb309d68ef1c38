/** @file Canvas drawing for the browser demo: the loss/accuracy chart and the grid of labelled digits. */

import { IMAGE_SIDE, PIXELS_PER_IMAGE } from '../mnist/digits.js';

export const COLORS = {
  ink: '#1f2328',
  muted: '#656d76',
  grid: '#e6e9ed',
  loss: '#0969da',
  lossRaw: 'rgba(9, 105, 218, 0.18)',
  accuracy: '#bf5700',
  right: '#1a7f37',
  wrong: '#cf222e',
  wrongBackground: '#ffebe9',
};

const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", sans-serif';
const FONT = `12px ${FONT_FAMILY}`;
/** Room under each digit for its label. */
const LABEL_HEIGHT = 22;

/** Sizes the canvas's backing store to its CSS box × devicePixelRatio and returns a context in CSS pixels. */
function prepare(canvas: HTMLCanvasElement): { context: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext('2d')!;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = FONT;
  return { context, width, height };
}

export interface ChartData {
  /** Training loss of every step so far. */
  losses: readonly number[];
  /** Held-out accuracy (fraction) measured after `step` steps. */
  accuracies: readonly { step: number; value: number }[];
  /** Steps the whole run will take, so the x axis does not rescale as it goes. */
  totalSteps: number;
}

/** Per-step loss (faint), its moving average (solid, left axis) and held-out accuracy (right axis, %). */
export function drawChart(canvas: HTMLCanvasElement, { losses, accuracies, totalSteps }: ChartData): void {
  const { context, width, height } = prepare(canvas);
  const box = { left: 44, right: width - 44, top: 28, bottom: height - 30 };
  const smoothed = movingAverage(losses, 25);
  const highest = smoothed.reduce((a, b) => Math.max(a, b), 0);
  const lossStep = [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.8, 1, 1.5, 2, 2.5, 5, 10].find((s) => 4 * s >= highest) ?? Math.ceil(highest / 4);
  const lossTop = 4 * lossStep;
  const x = (step: number) => box.left + ((box.right - box.left) * step) / Math.max(1, totalSteps);
  const yLoss = (loss: number) => box.bottom - ((box.bottom - box.top) * Math.min(loss, lossTop * 1.05)) / lossTop;
  const yAccuracy = (fraction: number) => box.bottom - (box.bottom - box.top) * fraction;

  // Grid and axes: loss on the left, accuracy on the right, steps below.
  context.lineWidth = 1;
  context.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const y = box.bottom - ((box.bottom - box.top) * i) / 4;
    context.strokeStyle = COLORS.grid;
    line(context, [[box.left, y], [box.right, y]]);
    context.fillStyle = COLORS.loss;
    context.textAlign = 'right';
    context.fillText(String(+(lossStep * i).toFixed(2)), box.left - 6, y);
    context.fillStyle = COLORS.accuracy;
    context.textAlign = 'left';
    context.fillText(`${25 * i}%`, box.right + 6, y);
  }
  context.fillStyle = COLORS.muted;
  context.textAlign = 'center';
  context.textBaseline = 'top';
  for (const step of ticks(totalSteps)) context.fillText(String(step), x(step), box.bottom + 6);
  context.textAlign = 'right';
  context.fillText('step', box.right, box.bottom + 18);

  context.lineJoin = 'round';
  context.strokeStyle = COLORS.lossRaw;
  line(context, losses.map((loss, i) => [x(i + 1), yLoss(loss)]));
  context.strokeStyle = COLORS.loss;
  context.lineWidth = 2;
  line(context, smoothed.map((loss, i) => [x(i + 1), yLoss(loss)]));
  context.strokeStyle = COLORS.accuracy;
  line(context, accuracies.map(({ step, value }) => [x(step), yAccuracy(value)]));
  context.fillStyle = COLORS.accuracy;
  for (const { step, value } of accuracies) {
    context.beginPath();
    context.arc(x(step), yAccuracy(value), 2.5, 0, 2 * Math.PI);
    context.fill();
  }

  // Legend.
  context.textBaseline = 'middle';
  context.textAlign = 'left';
  let at = box.left;
  for (const [label, color] of [['training loss (25-step mean)', COLORS.loss], ['held-out accuracy', COLORS.accuracy]] as const) {
    context.fillStyle = color;
    context.fillRect(at, 10, 14, 3);
    context.fillStyle = COLORS.ink;
    context.fillText(label, at + 20, 12);
    at += context.measureText(label).width + 44;
  }
}

/** Digits in a grid, each with its predicted label below: green when right, red (with the true label) when wrong. */
export function drawDigits(
  canvas: HTMLCanvasElement,
  images: Float64Array,
  labels: Uint8Array,
  predicted: Uint8Array | undefined,
  columns: number,
): void {
  const { context, width } = prepare(canvas);
  const count = labels.length;
  const cell = width / columns;
  const size = digitSize(cell);
  const tile = document.createElement('canvas');
  tile.width = tile.height = IMAGE_SIDE;
  const tileContext = tile.getContext('2d')!;
  const pixels = tileContext.createImageData(IMAGE_SIDE, IMAGE_SIDE);
  context.imageSmoothingEnabled = true;
  context.textAlign = 'center';
  context.textBaseline = 'top';
  context.font = `600 11px ${FONT_FAMILY}`;
  for (let n = 0; n < count; n++) {
    const left = (n % columns) * cell;
    const top = Math.floor(n / columns) * (size + LABEL_HEIGHT);
    const guess = predicted?.[n];
    const wrong = guess !== undefined && guess !== labels[n];
    if (wrong) {
      context.fillStyle = COLORS.wrongBackground;
      context.fillRect(left + 1, top, cell - 2, size + LABEL_HEIGHT - 2);
    }
    for (let i = 0; i < PIXELS_PER_IMAGE; i++) {
      const shade = 255 - Math.round(255 * images[n * PIXELS_PER_IMAGE + i]);
      pixels.data.set([shade, shade, shade, 255], 4 * i);
    }
    tileContext.putImageData(pixels, 0, 0);
    context.drawImage(tile, left + (cell - size) / 2, top + 2, size, size);
    if (guess === undefined) continue;
    context.fillStyle = wrong ? COLORS.wrong : COLORS.right;
    context.fillText(wrong ? `${guess} (is ${labels[n]})` : String(guess), left + cell / 2, top + size + 4);
  }
}

/** Height the digit canvas needs for `count` digits in `columns` columns at the given width. */
export function digitsHeight(count: number, columns: number, width: number): number {
  return Math.ceil(count / columns) * (digitSize(width / columns) + LABEL_HEIGHT);
}

/** Side of a drawn digit in a cell `cell` pixels wide: a margin for the label, at most 3× the 28 px. */
function digitSize(cell: number): number {
  return Math.min(3 * IMAGE_SIDE, Math.floor(cell - 12));
}

function line(context: CanvasRenderingContext2D, points: readonly (readonly [number, number])[] | number[][]): void {
  if (points.length === 0) return;
  context.beginPath();
  context.moveTo(points[0][0], points[0][1]);
  for (let i = 1; i < points.length; i++) context.lineTo(points[i][0], points[i][1]);
  context.stroke();
}

/** Mean of the last `window` values at each position (fewer at the start). */
function movingAverage(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] - (i >= window ? values[i - window] : 0);
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/** About five round step numbers from 0 to `total`. */
function ticks(total: number): number[] {
  const raw = Math.max(1, total / 5);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = 0; t <= total; t += step) out.push(t);
  return out;
}
