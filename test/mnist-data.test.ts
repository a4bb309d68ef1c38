/** @file Checks the MNIST loader's split (sizes, ranges, classes, determinism, validation) and the progress-line renderer. */

import { describe, expect, it } from 'vitest';
import { CLASS_COUNT, PIXELS_PER_IMAGE, loadMnist, type MnistSplit } from '../examples/mnist/data.js';
import { renderProgress, writeProgress, type ProgressStream } from '../examples/mnist/progress.js';
import { seededPermutation } from '../examples/mnist/seeded-permutation.js';

const SHIPPED = 10_000;

function classCounts(split: MnistSplit): number[] {
  const counts = new Array<number>(CLASS_COUNT).fill(0);
  for (const label of split.labels) counts[label]++;
  return counts;
}

/** FNV-1a over 32-bit words of the pixels and labels: a cheap fingerprint to compare whole splits. */
function fingerprint(split: MnistSplit): number {
  let hash = 0x811c9dc5;
  const words = new Uint32Array(split.images.buffer, split.images.byteOffset, split.images.length * 2);
  for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ words[i], 0x01000193);
  for (let i = 0; i < split.labels.length; i++) hash = Math.imul(hash ^ split.labels[i], 0x01000193);
  return hash >>> 0;
}

/** Element-wise equality; vitest's deep equality is far slower on arrays of this size. */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function imageKey(split: MnistSplit, row: number): string {
  return split.images.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE).join(',');
}

describe('loadMnist', () => {
  const data = loadMnist();

  it('returns 8000 training and 2000 test images of 784 pixels by default', () => {
    expect(data.train.count).toBe(8000);
    expect(data.test.count).toBe(2000);
    expect(data.train.images).toBeInstanceOf(Float64Array);
    expect(data.train.labels).toBeInstanceOf(Uint8Array);
    expect(data.train.images.length).toBe(8000 * PIXELS_PER_IMAGE);
    expect(data.test.images.length).toBe(2000 * PIXELS_PER_IMAGE);
    expect(data.train.labels.length).toBe(8000);
    expect(data.test.labels.length).toBe(2000);
  });

  it('scales pixels to [0, 1] and actually uses the whole range', () => {
    for (const split of [data.train, data.test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const pixel of split.images) {
        if (pixel < min) min = pixel;
        if (pixel > max) max = pixel;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
    }
    // Every image has ink: an all-zero row would mean a misaligned copy.
    for (let row = 0; row < data.test.count; row++) {
      expect(data.test.images.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE).some((p) => p > 0.5)).toBe(true);
    }
  });

  it('labels are 0–9 and every class appears in both splits in a sensible share', () => {
    for (const split of [data.train, data.test]) {
      expect(Math.max(...split.labels)).toBeLessThanOrEqual(9);
      const counts = classCounts(split);
      for (const count of counts) expect(count).toBeGreaterThan(split.count * 0.05);
    }
  });

  it('keeps the shipped images of each class: train + test of the full set is all 10,000 with per-class totals', () => {
    const everything = loadMnist({ train: 6000, test: 4000 });
    const totals = classCounts(everything.train).map((count, digit) => count + classCounts(everything.test)[digit]);
    expect(totals).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });

  it('never puts the same image in both splits', () => {
    const trainImages = new Set<string>();
    for (let row = 0; row < data.train.count; row++) trainImages.add(imageKey(data.train, row));
    let shared = 0;
    for (let row = 0; row < data.test.count; row++) if (trainImages.has(imageKey(data.test, row))) shared++;
    expect(trainImages.size).toBe(data.train.count);
    expect(shared).toBe(0);
  });

  it('is deterministic across calls', () => {
    const again = loadMnist();
    expect(fingerprint(again.train)).toBe(fingerprint(data.train));
    expect(fingerprint(again.test)).toBe(fingerprint(data.test));
  });

  it('mixes classes rather than returning them in class blocks', () => {
    const firstHundred = new Set(data.train.labels.subarray(0, 100));
    expect(firstHundred.size).toBe(CLASS_COUNT);
  });

  it('keeps the test set fixed when the training size changes, and the training set is a prefix', () => {
    const small = loadMnist({ train: 500, test: 2000 });
    expect(fingerprint(small.test)).toBe(fingerprint(data.test));
    expect(sameValues(small.train.labels, data.train.labels.subarray(0, 500))).toBe(true);
    expect(sameValues(small.train.images, data.train.images.subarray(0, 500 * PIXELS_PER_IMAGE))).toBe(true);
    expect(sameValues(small.train.labels, data.train.labels.subarray(1, 501))).toBe(false);
  });

  it('allows an empty split', () => {
    const trainOnly = loadMnist({ train: 10, test: 0 });
    expect(trainOnly.test.count).toBe(0);
    expect(trainOnly.test.images.length).toBe(0);
    expect(trainOnly.train.count).toBe(10);
  });

  it('rejects bad options with messages that say what to do', () => {
    expect(() => loadMnist({ train: 9000, test: 2000 })).toThrow(RangeError);
    expect(() => loadMnist({ train: 9000, test: 2000 })).toThrow(/ships 10000 digits.*= 11000.*at most 10000/);
    expect(() => loadMnist({ train: -1 })).toThrow(/train must be a whole number >= 0, got -1/);
    expect(() => loadMnist({ test: 2.5 })).toThrow(/test must be a whole number >= 0, got 2.5/);
    expect(() => loadMnist({ train: Number.NaN })).toThrow(RangeError);
    expect(() => loadMnist({ trian: 10 } as never)).toThrow(TypeError);
    expect(() => loadMnist({ trian: 10 } as never)).toThrow(/unknown option 'trian'/);
    expect(() => loadMnist(null as never)).toThrow(/options must be an object/);
  });
});

describe('seededPermutation', () => {
  it('is a permutation and is reproducible for a seed but differs between seeds', () => {
    const order = seededPermutation(SHIPPED, 7);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: SHIPPED }, (_, i) => i));
    expect(seededPermutation(SHIPPED, 7)).toEqual(order);
    expect(seededPermutation(SHIPPED, 8)).not.toEqual(order);
  });
});

describe('renderProgress', () => {
  const base = { epoch: 2, epochs: 10, step: 120, steps: 500, loss: 0.234567, accuracy: 0.912, stepsPerSecond: 350.4, width: 100 };

  it('shows epoch, steps, loss, accuracy and speed', () => {
    const line = renderProgress(base);
    expect(line).toMatch(/^epoch  2\/10 \[[=> ]+\] 120\/500 loss 0\.2346 acc 91\.2% 350 steps\/s \(wall\)$/);
  });

  it('shows held-out accuracy as `test` before the speed, and fits a full line in 80 columns with a bar', () => {
    const line = renderProgress({ ...base, epoch: 10, step: 500, testAccuracy: 0.951, width: 80 });
    expect(line).toMatch(/ acc 91\.2% test 95\.1% 350 steps\/s \(wall\)$/);
    expect(line).toContain('[');
    expect(() => renderProgress({ ...base, testAccuracy: 95.1 })).toThrow(RangeError);
  });

  it('fills the bar in proportion to step / steps', () => {
    const bar = (step: number) => /\[([^\]]*)\]/.exec(renderProgress({ ...base, step }))![1];
    expect(bar(0)).toMatch(/^> +$/);
    expect(bar(500)).toMatch(/^=+$/);
    const half = bar(250);
    expect(Math.abs(half.indexOf('>') - half.length / 2)).toBeLessThanOrEqual(0.5);
  });

  it('keeps the same length as the counters grow, so the line does not jitter', () => {
    const lengths = new Set([0, 7, 99, 120, 500].map((step) => renderProgress({ ...base, step, epoch: step === 500 ? 10 : 1 }).length));
    expect(lengths.size).toBe(1);
  });

  it('never exceeds width and drops the bar when there is no room', () => {
    for (const width of [20, 40, 60, 80, 200]) expect(renderProgress({ ...base, width }).length).toBeLessThanOrEqual(width);
    expect(renderProgress({ ...base, width: 40 })).not.toContain('[');
    // Metrics that do not fit are dropped whole, never cut mid-word.
    expect(renderProgress({ ...base, width: 50 })).toBe('epoch  2/10 120/500 loss 0.2346 acc 91.2%');
    expect(renderProgress({ ...base, width: 200 })).toContain('[');
  });

  it('omits metrics that are not given and shows a diverged loss plainly', () => {
    expect(renderProgress({ epoch: 1, epochs: 1, step: 1, steps: 4 })).toMatch(/^epoch 1\/1 \[.*\] 1\/4$/);
    expect(renderProgress({ epoch: 1, epochs: 1, step: 1, steps: 4, loss: Number.NaN })).toMatch(/loss NaN$/);
    expect(renderProgress({ epoch: 1, epochs: 1, step: 1, steps: 4, loss: 1.5e-5 })).toMatch(/loss 1\.50e-5$/);
  });

  it('rejects inconsistent counters and a percentage passed as accuracy', () => {
    expect(() => renderProgress({ ...base, step: 501 })).toThrow(/step 501 is past steps 500/);
    expect(() => renderProgress({ ...base, epoch: 11 })).toThrow(/epoch 11 is past epochs 10/);
    expect(() => renderProgress({ ...base, epoch: 0 })).toThrow(/epoch must be a whole number >= 1/);
    expect(() => renderProgress({ ...base, steps: 0 })).toThrow(RangeError);
    expect(() => renderProgress({ ...base, accuracy: 91.2 })).toThrow(/fraction in \[0, 1\].*0\.912 for 91\.2%/);
    expect(() => renderProgress({ ...base, stepsPerSecond: -1 })).toThrow(RangeError);
  });
});

describe('writeProgress', () => {
  function recorder(isTTY: boolean, columns?: number) {
    const writes: string[] = [];
    const stream: ProgressStream = { isTTY, columns, write: (text) => writes.push(text) };
    return { stream, writes };
  }

  it('redraws in place on a terminal and ends the line after the last step', () => {
    const { stream, writes } = recorder(true, 60);
    writeProgress({ epoch: 1, epochs: 2, step: 1, steps: 3 }, stream);
    writeProgress({ epoch: 1, epochs: 2, step: 3, steps: 3 }, stream);
    expect(writes[0].startsWith('\r')).toBe(true);
    expect(writes[0]).not.toContain('\n');
    expect(writes[1].endsWith('\n')).toBe(true);
    // Visible text stays within columns − 1 so the terminal never wraps the line.
    const visible = writes[0].replace('\r', '').replace('\x1b[K', '');
    expect(visible.length).toBeLessThanOrEqual(59);
  });

  it('draws a full line on a terminal that reports 0 columns (as if it had 80)', () => {
    const { stream, writes } = recorder(true, 0);
    writeProgress({ epoch: 1, epochs: 2, step: 1, steps: 3, loss: 0.5, accuracy: 0.5 }, stream);
    const visible = writes[0].replace('\r', '').replace('\x1b[K', '');
    expect(visible).toMatch(/^epoch 1\/2 \[=*> {10,}\] 1\/3 loss 0\.5000 acc 50\.0%$/);
    expect(visible.length).toBeLessThanOrEqual(79);
  });

  it('writes plain lines without carriage returns when piped', () => {
    const { stream, writes } = recorder(false);
    writeProgress({ epoch: 1, epochs: 1, step: 2, steps: 4, loss: 0.5 }, stream);
    expect(writes).toEqual([`${renderProgress({ epoch: 1, epochs: 1, step: 2, steps: 4, loss: 0.5 })}\n`]);
    expect(writes[0]).not.toContain('\r');
  });
});
