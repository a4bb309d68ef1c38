/**
 * @file The MNIST digits' layout and their fixed train/test split, free of Node APIs so that the
 * Node loader (data.ts) and the browser page split the `mnist` package's digits identically.
 */

import { seededPermutation } from './seeded-permutation.js';

export const IMAGE_SIDE = 28;
export const PIXELS_PER_IMAGE = IMAGE_SIDE * IMAGE_SIDE;
export const CLASS_COUNT = 10;

/** Fixed so that every run, machine and caller sees the same split. */
const SPLIT_SEED = 0x5eed_2019;

export interface MnistSplit {
  /** count × 784 pixels, row-major per image, each in [0, 1]. */
  images: Float64Array;
  /** Digit 0–9 of each image. */
  labels: Uint8Array;
  count: number;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
}

/**
 * One class file's pixels: the package stores `src/digits/<d>.json` as `{ data: number[] }`, that
 * class's 28×28 images concatenated row-major and already scaled to [0, 1]. `where` names the file
 * in the error, `fix` says what to do about a damaged one.
 */
export function classPixels(parsed: unknown, where: string, fix: string): number[] {
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS_PER_IMAGE !== 0) {
    throw new Error(`${where} should hold { data: number[] } with a multiple of ${PIXELS_PER_IMAGE} pixels; ${fix}`);
  }
  return data as number[];
}

/**
 * All digits (perClass[d] holds class d's pixels) are put in one seeded order; the training set is
 * the first `trainCount` of them and the test set the last `testCount`. Taking the test set from
 * the end keeps it the same whatever `trainCount` is, so models trained on different amounts of
 * data are scored on identical images. The caller checks that the counts fit.
 */
export function splitDigits(perClass: readonly (readonly number[])[], trainCount: number, testCount: number): MnistData {
  const shipped = joinClasses(perClass);
  const order = seededPermutation(shipped.count, SPLIT_SEED);
  return {
    train: gather(shipped, order.subarray(0, trainCount)),
    test: gather(shipped, order.subarray(shipped.count - testCount)),
  };
}

/** How many digits the class files hold together. */
export function digitCount(perClass: readonly (readonly number[])[]): number {
  let count = 0;
  for (const data of perClass) count += data.length / PIXELS_PER_IMAGE;
  return count;
}

function joinClasses(perClass: readonly (readonly number[])[]): MnistSplit {
  const count = digitCount(perClass);
  const images = new Float64Array(count * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(count);
  let offset = 0;
  perClass.forEach((data, digit) => {
    images.set(data, offset * PIXELS_PER_IMAGE);
    labels.fill(digit, offset, offset + data.length / PIXELS_PER_IMAGE);
    offset += data.length / PIXELS_PER_IMAGE;
  });
  return { images, labels, count };
}

function gather(shipped: MnistSplit, indices: Uint32Array): MnistSplit {
  const count = indices.length;
  const images = new Float64Array(count * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    const source = indices[row];
    images.set(shipped.images.subarray(source * PIXELS_PER_IMAGE, (source + 1) * PIXELS_PER_IMAGE), row * PIXELS_PER_IMAGE);
    labels[row] = shipped.labels[source];
  }
  return { images, labels, count };
}
