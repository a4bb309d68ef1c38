/** @file AdamW: Adam with weight decay decoupled from the gradient (Loshchilov & Hutter 2019). */

import type { Tree } from '../trees.js';
import { AdaptiveMoments, type AdamOptions } from './adaptive-moments.js';

/**
 * Each step first shrinks params by (1 − learningRate·weightDecay), then takes the plain Adam
 * step. Default weightDecay is 1e-2, as in PyTorch, since decay is the point of choosing AdamW.
 */
export class AdamW extends AdaptiveMoments {
  constructor(params: Float64Array | Tree, options: AdamOptions = {}) {
    super('AdamW', 'decoupled', params, options, 1e-2);
  }
}
