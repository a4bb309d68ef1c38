/** @file Mini-batches and scoring shared by the terminal demo and the browser page (no Node APIs). */

import { CLASSES, PIXELS } from './model.js';

/** Copies images order[start … start+count) into `images` (count×784) and their one-hot labels into `oneHot` (count×10). */
export function gatherBatch(
  source: { images: Float64Array; labels: Uint8Array },
  order: ArrayLike<number>,
  start: number,
  images: Float64Array,
  oneHot: Float64Array,
): void {
  const count = oneHot.length / CLASSES;
  oneHot.fill(0);
  for (let n = 0; n < count; n++) {
    const row = order[(start + n) % order.length];
    images.set(source.images.subarray(row * PIXELS, (row + 1) * PIXELS), n * PIXELS);
    oneHot[n * CLASSES + source.labels[row]] = 1;
  }
}

/** Fraction of predictions equal to their labels. */
export function accuracy(predicted: Uint8Array, labels: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) correct++;
  return predicted.length === 0 ? 0 : correct / predicted.length;
}
