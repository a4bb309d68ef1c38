/** @file Adam (Kingma & Ba 2015) with weight decay applied as an L2 term added to the gradient. */

import type { Tree } from '../trees.js';
import { AdaptiveMoments, type AdamOptions } from './adaptive-moments.js';

export type { AdamOptions } from './adaptive-moments.js';

/**
 * Because the L2 term passes through the adaptive scaling, parameters with large gradient variance
 * are regularized less; use AdamW when decay should be uniform (Loshchilov & Hutter 2019).
 * Default weightDecay is 0, as in PyTorch.
 */
export class Adam extends AdaptiveMoments {
  constructor(params: Float64Array | Tree, options: AdamOptions = {}) {
    super('Adam', 'l2', params, options, 0);
  }
}
