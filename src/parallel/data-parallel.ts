/**
 * @file dataParallel(f, ...shapes, { workers, batch }): the gradient of a sum over examples,
 * its batch split by rows across worker threads, each shard replayed in its own wasm instance.
 *
 * f is traced once per distinct shard size on this thread; the bytes (toBytes) go to the
 * workers, which read them with fromBytes. A step writes the arguments once (into shared
 * memory, or one message per worker), each worker computes its shard's value and gradient, and
 * the gradients are summed here in worker order, so results are deterministic.
 */
import { compile, shapeLength, type CompileOptions, type Shape } from '../compile/compile.js';
import type { Differentiable } from '../grad.js';
import { ArgumentError, ShapeError, StaleHandleError } from '../errors.js';
import { isNumberArray, typeName } from '../tape.js';
import { reviveError, WorkerError, type FromWorker, type SharedLayout } from './protocol.js';
import { sharedMemoryAvailable, startWorker, type WorkerLink } from './platform.js';

export interface DataParallelOptions extends CompileOptions {
  /** Worker threads, one shard of the batch each (at most the number of rows). */
  workers: number;
  /** Indices of the arguments split by rows (the examples); the others (parameters) go whole to every worker. */
  batch: readonly number[];
  /** Rows (examples) in the batch; a batch argument of length L then has rows of L / rows
   *  numbers (e.g. 784 pixels). Default: the batch arguments' common length, one number a row. */
  rows?: number;
  /** 'shared' memory (default where available: Node, a cross-origin isolated page) or
   *  'transfer' (one message per worker and step, its buffers transferred). */
  transport?: 'shared' | 'transfer';
}

/** The gradient of a dataParallel function: a number or Float64Array per argument (unwrapped for one). */
export type ParallelGradient = number | Float64Array | (number | Float64Array)[];

/** What `dataParallel` returns: a function of the whole batch run on worker threads. */
export interface DataParallel {
  /** Number of worker threads. */
  readonly workers: number;
  /** Examples (rows) in the batch. */
  readonly rows: number;
  /** Rows of each worker's shard, in batch order. */
  readonly shardRows: readonly number[];
  /** How arguments and gradients travel: one SharedArrayBuffer, or transferred buffers. */
  readonly transport: 'shared' | 'transfer';
  /** { value: f(args), grad: ∇f(args) } shaped as a compiled function's; `grad` is `out` when
   *  given as one extra argument. Calls run one after another. */
  valueAndGrad(...argsAndOut: unknown[]): Promise<{
    /** f over the whole batch: the shards' values added. */
    value: number;
    /** ∇f, shaped like the arguments. */
    grad: ParallelGradient;
  }>;
  /** Ends the workers; later calls reject with StaleHandleError. */
  dispose(): Promise<void>;
}

/**
 * Splits the `batch` arguments of f by rows across `workers` worker threads. f must be a sum
 * over the examples (rows): f(X) = Σₙ ℓ(params, xₙ) (a mean is a sum scaled by 1/rows of the
 * whole batch), since the shards' values and gradients are added. f is traced per shard size,
 * so it must take its row count from its arguments' lengths, not from a closure.
 */
export async function dataParallel(f: Differentiable, ...shapesAndOptions: (Shape | DataParallelOptions)[]): Promise<DataParallel> {
  const options = shapesAndOptions[shapesAndOptions.length - 1];
  if (typeof options !== 'object' || options === null || Array.isArray(options) || ArrayBuffer.isView(options)) {
    throw new ArgumentError('dataParallel needs options last: dataParallel(f, ...shapes, { workers: 2, batch: [1] }) (batch: the indices of the arguments split by rows)');
  }
  const plan = planShards(shapesAndOptions.slice(0, -1) as Shape[], options as DataParallelOptions);
  const { workers, batch, rows, transport, ...compileOptions } = options as DataParallelOptions;
  const bytes = traceShards(f, plan);
  const links = await Promise.all(Array.from({ length: workers }, () => startWorker()));
  const parallel = new Parallel(plan, links, transport ?? (sharedMemoryAvailable ? 'shared' : 'transfer'));
  try {
    await parallel.load(bytes, compileOptions);
  } catch (error) {
    await parallel.dispose();
    throw error;
  }
  return parallel;
}

/** How the batch splits: per argument its length (−1: scalar) and row length (0: not split). */
interface ShardPlan {
  shapes: Shape[];
  lengths: number[];
  rowLength: number[];
  rows: number;
  shardRows: number[];
  /** First row of each shard. */
  shardStart: number[];
}

function planShards(shapes: Shape[], options: DataParallelOptions): ShardPlan {
  const { workers, batch, transport } = options;
  if (!Number.isSafeInteger(workers) || workers < 1) throw new ArgumentError(`workers must be a whole number ≥ 1, got ${String(workers)}`);
  if (transport !== undefined && transport !== 'shared' && transport !== 'transfer') {
    throw new ArgumentError(`unknown transport ${JSON.stringify(transport)}: use 'shared' or 'transfer'`);
  }
  if (transport === 'shared' && !sharedMemoryAvailable) {
    throw new ArgumentError("transport 'shared' needs SharedArrayBuffer, which a page has only when cross-origin isolated (COOP/COEP headers): omit transport to use transfers");
  }
  if (shapes.length === 0) throw new ArgumentError('dataParallel needs the shapes of the arguments before the options, as compile does');
  const lengths = shapes.map(shapeLength);
  if (!Array.isArray(batch) || batch.length === 0) {
    throw new ArgumentError(`batch must list the indices of the arguments split by rows, e.g. batch: [1], got ${typeName(batch)}`);
  }
  const rowLength = lengths.map(() => 0);
  for (const i of batch) {
    if (!Number.isInteger(i) || i < 0 || i >= shapes.length) {
      throw new ArgumentError(`batch names argument ${String(i)} but f has ${shapes.length} argument${shapes.length === 1 ? '' : 's'} (indices 0–${shapes.length - 1})`);
    }
    if (lengths[i] < 0) throw new ArgumentError(`batch names argument ${i}, a scalar: only vector arguments split into rows`);
    if (rowLength[i] !== 0) throw new ArgumentError(`batch names argument ${i} twice`);
    rowLength[i] = -1;
  }
  const rows = options.rows ?? lengths[batch[0]];
  if (!Number.isSafeInteger(rows) || rows < 1) throw new ArgumentError(`rows must be a whole number ≥ 1 (the examples in the batch), got ${String(rows)}`);
  for (const i of batch) {
    if (lengths[i] % rows !== 0 || lengths[i] === 0) {
      throw new ArgumentError(
        options.rows === undefined
          ? `batch arguments ${batch[0]} and ${i} have lengths ${lengths[batch[0]]} and ${lengths[i]}: give rows (the examples in the batch) so that each has whole rows`
          : `batch argument ${i} has length ${lengths[i]}, which is not ${rows} rows: each batch argument's length must be a multiple of rows`,
      );
    }
    rowLength[i] = lengths[i] / rows;
  }
  if (rows < workers) throw new ArgumentError(`${rows} rows cannot be split into ${workers} shards: use at most ${rows} workers`);
  // As even as possible: the first rows % workers shards take one row more.
  const shardRows = Array.from({ length: workers }, (_, w) => Math.floor(rows / workers) + (w < rows % workers ? 1 : 0));
  const shardStart = shardRows.map((_, w) => shardRows.slice(0, w).reduce((a, b) => a + b, 0));
  return { shapes, lengths, rowLength, rows, shardRows, shardStart };
}

/** The bytes of f traced for each distinct shard size (on the JS tape: this thread's wasm memory stays untouched). */
function traceShards(f: Differentiable, plan: ShardPlan): Map<number, Uint8Array> {
  const bytes = new Map<number, Uint8Array>();
  plan.shardRows.forEach((count, w) => {
    if (bytes.has(count)) return;
    const shapes = plan.shapes.map((s, i) => {
      const row = plan.rowLength[i];
      if (row === 0) return s;
      const start = plan.shardStart[w] * row;
      return isNumberArray(s) ? copyOf(s, start, start + count * row) : count * row;
    });
    let compiled;
    try {
      compiled = compile(f, ...shapes, { backend: 'js' });
    } catch (error) {
      // The likely cause: f reshapes by the whole batch's row count, fixed in a closure.
      if (!(error instanceof ShapeError)) throw error;
      throw new ShapeError(
        `${error.message} (while tracing f for a shard of ${count} of ${plan.rows} rows: f is traced once per shard size, ` +
          'so it must take its row count from its arguments, e.g. x.length / rowLength, not from a closure)',
      );
    }
    bytes.set(count, compiled.toBytes());
    compiled.dispose();
  });
  return bytes;
}

class Parallel implements DataParallel {
  readonly workers: number;
  readonly rows: number;
  readonly shardRows: readonly number[];
  private disposed = false;
  /** The step running now: the next waits for it (shared memory holds one step at a time). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly waiting: ({ resolve(m: FromWorker): void; reject(e: Error): void } | undefined)[];
  private failure: Error | undefined;
  /** Shared memory: this thread's view of each whole argument, and each worker's gradient views. */
  private sharedInputs?: Float64Array[];
  private sharedOutputs?: Float64Array[][];

  constructor(
    private readonly plan: ShardPlan,
    private readonly links: WorkerLink[],
    readonly transport: 'shared' | 'transfer',
  ) {
    this.workers = links.length;
    this.rows = plan.rows;
    this.shardRows = plan.shardRows;
    this.waiting = links.map(() => undefined);
    links.forEach((link, w) =>
      link.listen(
        (message) => {
          const waiter = this.waiting[w];
          this.waiting[w] = undefined;
          if (message.type === 'error') waiter?.reject(reviveError(message.error));
          else waiter?.resolve(message);
        },
        (error) => {
          this.failure ??= error;
          this.waiting[w]?.reject(error);
          this.waiting[w] = undefined;
        },
      ),
    );
  }

  /** Waits for each worker's module, then loads its shard's tape. */
  async load(bytes: Map<number, Uint8Array>, options: CompileOptions): Promise<void> {
    const { plan } = this;
    const loaded = this.links.map((_, w) => this.reply(w));
    const shared = this.transport === 'shared' ? this.shareMemory() : undefined;
    await Promise.all(loaded);
    const scalar = plan.lengths.map((len) => len < 0);
    await Promise.all(
      this.links.map((link, w) => {
        const reply = this.reply(w);
        link.post({ type: 'init', bytes: bytes.get(plan.shardRows[w])!, options, scalar, shared: shared?.[w] }, []);
        return reply;
      }),
    );
    this.links.forEach((link) => link.hold(false));
  }

  valueAndGrad(...argsAndOut: unknown[]): Promise<{ value: number; grad: ParallelGradient }> {
    const run = this.queue.then(() => this.step(argsAndOut));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const ended = new StaleHandleError('this dataParallel was disposed while a step ran');
    this.waiting.forEach((waiter) => waiter?.reject(ended));
    await Promise.all(this.links.map((link) => link.terminate()));
  }

  /** The next message from worker w (one request is outstanding per worker at a time). */
  private reply(w: number): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting[w] = { resolve, reject }));
  }

  /** One buffer for the whole arguments (each worker reads its rows), one for every worker's gradients. */
  private shareMemory(): SharedLayout[] {
    const { lengths, rowLength, shardRows, shardStart } = this.plan;
    const sizes = lengths.map((len) => (len < 0 ? 1 : len));
    const inputStarts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    const inputs = new SharedArrayBuffer(8 * total);
    this.sharedInputs = sizes.map((size, i) => new Float64Array(inputs, 8 * inputStarts[i], size));
    const ranges = shardRows.map((count, w) =>
      sizes.map((size, i): [number, number] => (rowLength[i] === 0 ? [inputStarts[i], size] : [inputStarts[i] + shardStart[w] * rowLength[i], count * rowLength[i]])),
    );
    const perWorker = ranges.map((r) => r.reduce((sum, [, length]) => sum + length, 0));
    const outputs = new SharedArrayBuffer(8 * perWorker.reduce((a, b) => a + b, 0));
    let at = 0;
    const layouts = ranges.map((inputRanges) => {
      const outputRanges = inputRanges.map(([, length]): [number, number] => [(at += length) - length, length]);
      return { inputs, outputs, inputRanges, outputRanges };
    });
    this.sharedOutputs = layouts.map(({ outputRanges }) => outputRanges.map(([start, length]) => new Float64Array(outputs, 8 * start, length)));
    return layouts;
  }

  private async step(argsAndOut: unknown[]): Promise<{ value: number; grad: ParallelGradient }> {
    if (this.disposed) throw new StaleHandleError('this dataParallel was disposed: call dataParallel again for new workers');
    if (this.failure) throw this.failure;
    const { lengths, rowLength, shardRows, shardStart } = this.plan;
    const n = lengths.length;
    if (argsAndOut.length !== n && argsAndOut.length !== n + 1) {
      throw new ArgumentError(`valueAndGrad takes the function's ${n} argument${n === 1 ? '' : 's'} (plus an optional out), got ${argsAndOut.length}`);
    }
    const args = argsAndOut.slice(0, n);
    args.forEach((x, i) => checkArgument(x, i, lengths[i]));
    const out = argsAndOut[n];
    const grads = gradientTargets(lengths, out);
    const shared = this.sharedInputs;
    shared?.forEach((view, i) => (typeof args[i] === 'number' ? (view[0] = args[i] as number) : view.set(args[i] as ArrayLike<number>)));
    const replies = this.links.map((link, w) => {
      const reply = this.reply(w);
      link.hold(true);
      if (shared) {
        link.post({ type: 'step' }, []);
      } else {
        const inputs = args.map((x, i) => {
          if (typeof x === 'number') return Float64Array.of(x);
          const row = rowLength[i];
          return row === 0 ? copyOf(x as ArrayLike<number>) : copyOf(x as ArrayLike<number>, shardStart[w] * row, (shardStart[w] + shardRows[w]) * row);
        });
        link.post({ type: 'step', inputs }, inputs.map((x) => x.buffer as ArrayBuffer));
      }
      return reply;
    });
    // Each answer is taken in as it arrives, while other workers still compute: its batch rows at
    // once, the parameters' gradients added in worker order (so sums are deterministic).
    let value = 0;
    let summed = 0;
    const answers: { value: number; outputs: Float64Array[] }[] = [];
    const takeIn = (w: number, result: FromWorker) => {
      if (result.type !== 'result') throw new WorkerError(`a dataParallel worker answered '${result.type}' to a step`);
      const outputs = result.outputs ?? this.sharedOutputs![w];
      grads.forEach((g, i) => rowLength[i] !== 0 && g.set(outputs[i], shardStart[w] * rowLength[i]));
      answers[w] = { value: result.value, outputs };
      for (; summed < answers.length && answers[summed] !== undefined; summed++) {
        const next = answers[summed];
        value += next.value;
        grads.forEach((g, i) => {
          if (rowLength[i] !== 0) return;
          if (summed === 0) g.set(next.outputs[i]);
          else for (let k = 0; k < g.length; k++) g[k] += next.outputs[i][k];
        });
      }
    };
    // Every worker answers before the next step asks again, even when one of them failed.
    const settled = await Promise.allSettled(replies.map((reply, w) => reply.then((result) => takeIn(w, result))));
    this.links.forEach((link) => link.hold(false));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const grad = grads.map((g, i) => (lengths[i] < 0 ? g[0] : g));
    if (n === 1) return { value, grad: grad[0] };
    if (out === undefined) return { value, grad };
    const result = out as (number | Float64Array)[];
    grad.forEach((g, i) => (result[i] = g));
    return { value, grad: result };
  }
}

/** x[from, to) as a new Float64Array (transferable: one per worker and step). */
function copyOf(x: ArrayLike<number>, from = 0, to = x.length): Float64Array {
  const copy = new Float64Array(to - from);
  if (ArrayBuffer.isView(x)) copy.set((x as unknown as Float64Array).subarray(from, to));
  else for (let k = from; k < to; k++) copy[k - from] = x[k];
  return copy;
}

function checkArgument(x: unknown, i: number, length: number): void {
  if (length < 0) {
    if (typeof x !== 'number') throw new ArgumentError(`argument ${i} must be a number (its shape is 'scalar'), got ${typeName(x)}`);
    return;
  }
  if (!isNumberArray(x)) throw new ArgumentError(`argument ${i} must be a Float64Array or number[] of length ${length}, got ${typeName(x)}`);
  if (x.length !== length) throw new ArgumentError(`argument ${i} has length ${x.length} but dataParallel was set up for length ${length}: call dataParallel again with that shape`);
}

/** Where each argument's gradient goes: `out`'s arrays when given (checked as a compiled function checks them). */
function gradientTargets(lengths: number[], out: unknown): Float64Array[] {
  const n = lengths.length;
  const fits = (g: unknown, i: number) => lengths[i] < 0 || (g instanceof Float64Array && g.length === lengths[i]);
  if (out === undefined) return lengths.map((len) => new Float64Array(len < 0 ? 1 : len));
  if (n === 1) {
    if (!fits(out, 0)) throw new ArgumentError(`out must be a Float64Array of length ${lengths[0]}, got ${typeName(out)}`);
    return [out as Float64Array];
  }
  if (!Array.isArray(out) || out.length !== n) throw new ArgumentError(`out must be an array of ${n} entries (a Float64Array per vector argument), got ${typeName(out)}`);
  return lengths.map((len, i) => {
    if (!fits(out[i], i)) throw new ArgumentError(`out for argument ${i} must be a Float64Array of length ${len}, got ${typeName(out[i])}`);
    return len < 0 ? new Float64Array(1) : (out[i] as Float64Array);
  });
}
