/** @file The MNIST example's model: its compiled gradient against finite differences and across backends, its plain-JS prediction against the tape, and the digit shifts. */

import { describe, expect, it } from 'vitest';
import { shiftImages } from '../examples/mnist/batches.js';
import { CLASS_COUNT, IMAGE_SIDE, PIXELS_PER_IMAGE } from '../examples/mnist/digits.js';
import { createTrainer } from '../examples/mnist/model.js';
import { mulberry32 } from '../examples/mnist/seeded-permutation.js';

const BATCH = 2;

/** Two sparse random "images" (most pixels blank, as in MNIST) labelled 3 and 7. */
function sampleBatch(): { images: Float64Array; oneHot: Float64Array } {
  const random = mulberry32(5);
  const images = Float64Array.from({ length: BATCH * PIXELS_PER_IMAGE }, () => (random() < 0.2 ? random() : 0));
  const oneHot = new Float64Array(BATCH * CLASS_COUNT);
  oneHot[3] = 1;
  oneHot[CLASS_COUNT + 7] = 1;
  return { images, oneHot };
}

describe('createTrainer', () => {
  it('gives the gradient central differences give, on both backends alike', () => {
    const { images, oneHot } = sampleBatch();
    const wasm = createTrainer({ hidden: 3, batch: BATCH });
    const js = createTrainer({ hidden: 3, batch: BATCH, backend: 'js' });
    const gradient = new Float64Array(wasm.params.length);
    const jsGradient = new Float64Array(js.params.length);
    const loss = wasm.lossAndGrad(images, oneHot, gradient);
    expect(js.lossAndGrad(images, oneHot, jsGradient)).toBeCloseTo(loss, 12);
    for (let i = 0; i < gradient.length; i++) expect(Math.abs(jsGradient[i] - gradient[i])).toBeLessThan(1e-12);
    // Every bias and output weight, and input weights of pixels that are lit.
    const lit = (i: number) => i >= PIXELS_PER_IMAGE * 3 || images[Math.floor(i / 3)] > 0 || images[PIXELS_PER_IMAGE + Math.floor(i / 3)] > 0;
    const scratch = new Float64Array(gradient.length);
    let checked = 0;
    for (let i = 0; i < gradient.length; i++) {
      if (!lit(i)) {
        expect(gradient[i]).toBe(0);
        continue;
      }
      const h = 1e-6;
      const saved = wasm.params[i];
      wasm.params[i] = saved + h;
      const up = wasm.lossAndGrad(images, oneHot, scratch);
      wasm.params[i] = saved - h;
      const down = wasm.lossAndGrad(images, oneHot, scratch);
      wasm.params[i] = saved;
      expect(Math.abs((up - down) / (2 * h) - gradient[i])).toBeLessThan(1e-7);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(loss).toBeGreaterThan(1); // untrained: near ln 10
    wasm.dispose();
    js.dispose();
  });

  it('predicts the class whose one-hot label gives the smallest loss on the tape', () => {
    const trainer = createTrainer({ hidden: 4, batch: 1, seed: 9 });
    const { images } = sampleBatch();
    const gradient = new Float64Array(trainer.params.length);
    for (let n = 0; n < BATCH; n++) {
      const image = images.subarray(n * PIXELS_PER_IMAGE, (n + 1) * PIXELS_PER_IMAGE);
      // CE(z, k) = logsumexp(z) − z_k is smallest for the largest logit.
      const losses = Array.from({ length: CLASS_COUNT }, (_, k) => {
        const oneHot = new Float64Array(CLASS_COUNT);
        oneHot[k] = 1;
        return trainer.lossAndGrad(image, oneHot, gradient);
      });
      expect(trainer.predict(image, 1)[0]).toBe(losses.indexOf(Math.min(...losses)));
    }
    trainer.dispose();
  });

  it('rejects sizes that are not whole numbers ≥ 1', () => {
    expect(() => createTrainer({ hidden: 0, batch: 1 })).toThrow(/hidden must be a whole number ≥ 1/);
    expect(() => createTrainer({ hidden: 2, batch: 1.5 })).toThrow(/batch must be a whole number ≥ 1/);
  });
});

describe('shiftImages', () => {
  it('moves each image by at most one pixel each way, keeping the ink that stays inside', () => {
    const image = new Float64Array(PIXELS_PER_IMAGE);
    image[10 * IMAGE_SIDE + 12] = 1; // one lit pixel at row 10, column 12
    const seen = new Set<string>();
    const random = mulberry32(3);
    for (let trial = 0; trial < 100; trial++) {
      const copy = image.slice();
      shiftImages(copy, 1, random);
      const at = copy.indexOf(1);
      expect(copy.reduce((a, b) => a + b, 0)).toBe(1);
      const [dy, dx] = [Math.floor(at / IMAGE_SIDE) - 10, (at % IMAGE_SIDE) - 12];
      expect(Math.abs(dx)).toBeLessThanOrEqual(1);
      expect(Math.abs(dy)).toBeLessThanOrEqual(1);
      seen.add(`${dx},${dy}`);
    }
    expect(seen.size).toBe(9);
    const edge = new Float64Array(PIXELS_PER_IMAGE).fill(1);
    shiftImages(edge, 0, random);
    expect(edge.every((v) => v === 1)).toBe(true);
  });
});
