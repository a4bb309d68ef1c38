/** @file Public entry point of the optimizers: first-order updaters, schedules, L-BFGS and their shared types. */

export type { Objective } from './objective.js';
export { clipGradNorm, type FirstOrderOptimizer, type OptimizerOptions, type OptimizerState, type Schedule } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { exponentialDecay, stepDecay, cosineDecay, linearWarmup } from './schedules.js';
export { minimize, type MinimizeOptions, type MinimizeStepInfo } from './minimize.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult, type LbfgsIterationInfo } from './lbfgs.js';
