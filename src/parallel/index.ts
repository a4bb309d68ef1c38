/** @file Data-parallel gradients across worker threads. */
export { dataParallel, type DataParallel, type DataParallelOptions, type ParallelGradient } from './data-parallel.js';
export { WorkerError } from './protocol.js';
