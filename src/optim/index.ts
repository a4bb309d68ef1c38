/** @file Public entry point of the optimizers: first-order updaters, L-BFGS and their shared types. */

export type { Objective } from './objective.js';
export type { FirstOrderOptimizer } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export { minimize, type MinimizeOptions } from './minimize.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult, type LbfgsIterationInfo } from './lbfgs.js';
