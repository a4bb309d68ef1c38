/** @file Starting a worker thread: node:worker_threads in Node, a module Web Worker in browsers. */
import { WorkerError, type FromWorker, type ToWorker } from './protocol.js';

const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process;
export const isNode = typeof nodeProcess?.versions?.node === 'string';
/** In a variable, so that neither tsc (no Node types in the build) nor a browser bundler resolves it. */
export const NODE_WORKER_THREADS = 'node:worker_threads';

/** Shared memory where the platform allows it: always in Node, in a cross-origin isolated page. */
export const sharedMemoryAvailable =
  typeof SharedArrayBuffer === 'function' && (isNode || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true);

/** One worker as dataParallel sees it, whatever the platform. */
export interface WorkerLink {
  post(message: ToWorker, transfer: ArrayBuffer[]): void;
  /** Every message, and a WorkerError if the worker fails or exits on its own. */
  listen(onMessage: (message: FromWorker) => void, onFailure: (error: Error) => void): void;
  /** Node: whether the worker keeps the process alive (only while a step waits on it). */
  hold(busy: boolean): void;
  terminate(): Promise<void>;
}

/**
 * The worker module beside this one: worker.js in the build; run from TypeScript sources
 * (tests, tsx), worker.ts, loaded through tsx's ESM hooks, which Node 20 does not pass on to
 * worker threads.
 */
const fromSources = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSources ? './worker.ts' : './worker.js', import.meta.url);

/** Registers tsx in the new thread, then imports the worker module (CommonJS `eval` code). */
const TSX_BOOT = `
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const { dirname, join } = require('node:path');
const { workerData } = require('node:worker_threads');
const manifest = createRequire(workerData.module).resolve('tsx/package.json');
const api = join(dirname(manifest), require(manifest).exports['./esm/api'].import.default);
import(pathToFileURL(api).href).then((tsx) => { tsx.register(); return import(workerData.module); });`;

interface NodeWorker {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  on(event: 'message', handler: (message: FromWorker) => void): void;
  on(event: 'error', handler: (error: Error) => void): void;
  on(event: 'exit', handler: (code: number) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

export async function startWorker(): Promise<WorkerLink> {
  return isNode ? startNodeWorker() : startWebWorker();
}

async function startNodeWorker(): Promise<WorkerLink> {
  const { Worker } = (await import(NODE_WORKER_THREADS)) as { Worker: new (script: string | URL, options: object) => NodeWorker };
  const worker = fromSources ? new Worker(TSX_BOOT, { eval: true, workerData: { module: workerUrl.href } }) : new Worker(workerUrl, {});
  let ending = false;
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onFailure) {
      worker.on('message', onMessage);
      worker.on('error', (error) => onFailure(new WorkerError(`a dataParallel worker failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (!ending) onFailure(new WorkerError(`a dataParallel worker exited (code ${code}): call dataParallel again for new workers`));
      });
    },
    hold: (busy) => (busy ? worker.ref() : worker.unref()),
    async terminate() {
      ending = true;
      await worker.terminate();
    },
  };
}

async function startWebWorker(): Promise<WorkerLink> {
  if (typeof Worker !== 'function') throw new WorkerError('dataParallel needs worker threads: this environment has neither node:worker_threads nor Web Workers');
  const worker = new Worker(workerUrl, { type: 'module' });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onFailure) {
      worker.addEventListener('message', (event: MessageEvent<FromWorker>) => onMessage(event.data));
      worker.addEventListener('error', (event: ErrorEvent) => {
        event.preventDefault();
        onFailure(new WorkerError(`a dataParallel worker failed: ${event.message || `could not load ${workerUrl.href}`}`));
      });
      worker.addEventListener('messageerror', () => onFailure(new WorkerError('a dataParallel worker sent a message that could not be read')));
    },
    hold: () => {},
    async terminate() {
      worker.terminate();
    },
  };
}
