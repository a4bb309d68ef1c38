/**
 * @file dataParallel: shards' gradients summed across worker threads equal the one-instance
 * gradient up to the order of summation, over shared memory and transfers, from the sources and
 * from dist/; bad set-ups and calls throw ArgumentError; a worker's error arrives as its class.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  OutOfMemoryError,
  ShapeError,
  StaleHandleError,
  TapeFormatError,
  add,
  compile,
  dataParallel,
  matvec,
  mul,
  square,
  sub,
  sum,
  tanh,
  WorkerError,
  type DataParallel,
  type Scalar,
  type Vector,
} from '../src/index.js';
import { reviveError, serializeError } from '../src/parallel/protocol.js';
import { batchLoss, parameterLayout } from '../examples/mnist/model.js';
import { expectClose } from './helpers.js';

/** Σₙ tanh(xₙ·w + b − yₙ)²: rows of 3 features, the row count read from X. */
function regression(w: Vector, b: Scalar, x: Vector, y: Vector) {
  const rows = x.length / 3;
  return sum(square(tanh(sub(add(matvec(x.reshape(rows, 3), w), b), y))));
}

const ROWS = 7;
const w = Float64Array.of(0.4, -0.3, 0.2);
const b = 0.1;
const x = Float64Array.from({ length: ROWS * 3 }, (_, i) => Math.sin(1.3 * i));
const y = Float64Array.from({ length: ROWS }, (_, i) => Math.cos(i));

const open: DataParallel[] = [];
async function start(...args: Parameters<typeof dataParallel>): Promise<DataParallel> {
  const parallel = await dataParallel(...args);
  open.push(parallel);
  return parallel;
}
afterAll(() => Promise.all(open.map((p) => p.dispose())));

/** The sums' rounding may differ from one instance's: a few ULP relative to the largest term. */
const RTOL = 1e-13;

describe('dataParallel equals the one-instance gradient', () => {
  const single = compile(regression, 3, 'scalar', ROWS * 3, ROWS).valueAndGrad(w, b, x, y);
  const [gw, gb, gx, gy] = single.grad as [Float64Array, number, Float64Array, Float64Array];

  it.each(['shared', 'transfer'] as const)('over %s memory, shards of 4 and 3 rows: sums the parameters, concatenates the batch', async (transport) => {
    const parallel = await start(regression, 3, 'scalar', ROWS * 3, ROWS, { workers: 2, batch: [2, 3], rows: ROWS, transport });
    expect(parallel.transport).toBe(transport);
    expect(parallel.shardRows).toEqual([4, 3]);
    for (let repeat = 0; repeat < 2; repeat++) {
      const { value, grad } = await parallel.valueAndGrad(w, b, x, Array.from(y)); // number[] arguments too
      const [pw, pb, px, py] = grad as [Float64Array, number, Float64Array, Float64Array];
      expectClose(value, single.value, RTOL, 0, 'value');
      expectClose(pw, gw, RTOL, 1e-15, 'w');
      expectClose(pb, gb, RTOL, 1e-15, 'b');
      expectClose(px, gx, 0, 0, 'x'); // one shard computes each row: no sum, so bit for bit
      expectClose(py, gy, 0, 0, 'y');
    }
  });

  it('fills out (and returns it), and follows new inputs each call', async () => {
    const parallel = await start(regression, 3, 'scalar', ROWS * 3, ROWS, { workers: 2, batch: [2, 3], rows: ROWS });
    const out: (number | Float64Array)[] = [new Float64Array(3), 0, new Float64Array(ROWS * 3), new Float64Array(ROWS)];
    const w2 = Float64Array.of(-1, 0.5, 2);
    const result = await parallel.valueAndGrad(w2, 0.7, x, y, out);
    expect(result.grad).toBe(out);
    const expected = compile(regression, 3, 'scalar', ROWS * 3, ROWS).valueAndGrad(w2, 0.7, x, y).grad as (number | Float64Array)[];
    expectClose(out[0] as Float64Array, expected[0] as Float64Array, RTOL, 1e-15, 'w');
    expectClose(out[1] as number, expected[1] as number, RTOL, 1e-15, 'b');
    expectClose(out[2] as Float64Array, expected[2] as Float64Array, 0, 0, 'x');
  });

  it('one batch argument alone: the gradient is one array; rows default to its length; calls queue', async () => {
    const f = (v: Vector) => sum(mul(v, tanh(v)));
    const v = Float64Array.from({ length: 10 }, (_, i) => i / 5 - 1);
    const parallel = await start(f, 10, { workers: 2, batch: [0] });
    expect(parallel.rows).toBe(10);
    const expected = compile(f, 10).valueAndGrad(v);
    const [first, second] = await Promise.all([parallel.valueAndGrad(v), parallel.valueAndGrad(v.map((t) => 2 * t))]);
    expect(first.grad).toBeInstanceOf(Float64Array);
    expectClose(first.grad as Float64Array, expected.grad as Float64Array, 0, 0, 'grad');
    expectClose(second.value, compile(f, 10).value(v.map((t) => 2 * t)) as number, RTOL, 0, 'second value');
  });

  it('the MNIST model, 784-16-10 at batch 12 on 2 workers', async () => {
    const hidden = 16;
    const batch = 12;
    const size = parameterLayout(hidden).size;
    const params = Float64Array.from({ length: size }, (_, i) => 0.1 * Math.sin(i));
    const images = Float64Array.from({ length: batch * 784 }, (_, i) => ((i * 7919) % 256) / 255);
    const oneHot = new Float64Array(batch * 10).map((_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
    const f = batchLoss(hidden, batch);
    const expected = compile(f, size, batch * 784, batch * 10).valueAndGrad(params, images, oneHot);
    const parallel = await start(f, size, batch * 784, batch * 10, { workers: 2, batch: [1, 2], rows: batch });
    const { value, grad } = await parallel.valueAndGrad(params, images, oneHot);
    expectClose(value, expected.value, RTOL, 0, 'loss');
    expectClose((grad as Float64Array[])[0], (expected.grad as Float64Array[])[0], 1e-12, 1e-16, 'params');
  });
});

describe('dataParallel errors', () => {
  const shapes = [3, 'scalar', ROWS * 3, ROWS] as const;
  const bad: [string, object, RegExp][] = [
    ['rows that leave a batch argument with a partial row', { workers: 2, batch: [2, 3], rows: 2 }, /length 21, which is not 2 rows/],
    ['batch arguments of different lengths without rows', { workers: 2, batch: [2, 3] }, /give rows/],
    ['an unknown argument index', { workers: 2, batch: [4], rows: ROWS }, /argument 4 but f has 4 arguments \(indices 0–3\)/],
    ['a scalar argument in batch', { workers: 2, batch: [1], rows: 1 }, /a scalar/],
    ['an index named twice', { workers: 2, batch: [3, 3] }, /twice/],
    ['more workers than rows', { workers: 8, batch: [2, 3], rows: ROWS }, /7 rows cannot be split into 8 shards: use at most 7 workers/],
    ['a fractional worker count', { workers: 1.5, batch: [2] }, /workers must be a whole number/],
    ['an empty batch list', { workers: 2, batch: [] }, /batch must list/],
    ['an unknown transport', { workers: 2, batch: [3], transport: 'pigeon' }, /unknown transport/],
  ];
  it.each(bad)('%s: ArgumentError naming the fix', async (_, options, message) => {
    await expect(dataParallel(regression, ...shapes, options as never)).rejects.toThrow(message);
    await expect(dataParallel(regression, ...shapes, options as never)).rejects.toBeInstanceOf(ArgumentError);
  });

  it('options missing: ArgumentError', async () => {
    await expect(dataParallel(regression, ...shapes)).rejects.toThrow(/needs options last/);
  });

  it('f that takes its row count from a closure: the trace error says f is traced per shard', async () => {
    const closure = (v: Vector) => sum(v.reshape(4, 2));
    await expect(dataParallel(closure, 8, { workers: 2, batch: [0] })).rejects.toThrow(ShapeError);
    await expect(dataParallel(closure, 8, { workers: 2, batch: [0] })).rejects.toThrow(/traced once per shard size/);
  });

  it('bad calls: argument count, lengths, out; after dispose, StaleHandleError', async () => {
    const parallel = await start(regression, ...shapes, { workers: 2, batch: [2, 3], rows: ROWS });
    await expect(parallel.valueAndGrad(w, b, x)).rejects.toThrow(/takes the function's 4 arguments/);
    await expect(parallel.valueAndGrad(w, b, x.subarray(3), y)).rejects.toThrow(/argument 2 has length 18 but dataParallel was set up for length 21/);
    await expect(parallel.valueAndGrad(w, 'b', x, y)).rejects.toBeInstanceOf(ArgumentError);
    await expect(parallel.valueAndGrad(w, b, x, y, [new Float64Array(2), 0, new Float64Array(21), new Float64Array(7)])).rejects.toThrow(/out for argument 0/);
    expect((await parallel.valueAndGrad(w, b, x, y)).value).toBeGreaterThan(0); // the workers survive bad calls
    await parallel.dispose();
    await expect(parallel.valueAndGrad(w, b, x, y)).rejects.toThrow(StaleHandleError);
  });

  it("dispose ends the workers: the process's threads (Linux /proc) go back down", async () => {
    const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
    const parallel = await dataParallel(regression, ...shapes, { workers: 2, batch: [2, 3], rows: ROWS });
    await parallel.valueAndGrad(w, b, x, y);
    const running = threads();
    await parallel.dispose();
    expect(threads()).toBeLessThanOrEqual(running - 2); // at least one thread per worker
  });

  it("a worker's error comes back as its own class: maxBytes too small for the shard's tape", async () => {
    const failing = dataParallel(regression, ...shapes, { workers: 2, batch: [2, 3], rows: ROWS, maxBytes: 64 });
    await expect(failing).rejects.toBeInstanceOf(OutOfMemoryError);
    await expect(dataParallel(regression, ...shapes, { workers: 2, batch: [2, 3], rows: ROWS, maxBytes: 64 })).rejects.toThrow(/maxBytes/);
  });

  it('errors cross as their class (wengert, built-in) or, unknown, as WorkerError', () => {
    for (const error of [new TapeFormatError('bad bytes'), new RangeError('too far')]) {
      const revived = reviveError(structuredClone(serializeError(error)));
      expect(revived).toBeInstanceOf(error.constructor);
      expect(revived.message).toBe(error.message);
      expect(revived.stack).toContain('dataParallel worker');
    }
    class Strange extends Error {
      override name = 'Strange';
    }
    const revived = reviveError(serializeError(new Strange('odd')));
    expect(revived).toBeInstanceOf(WorkerError);
    expect(revived.message).toBe('Strange: odd');
  });
});

describe('dataParallel from the built package', () => {
  const entry = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));
  it('runs its workers from dist/ (worker.js, no TypeScript loader)', async () => {
    expect(existsSync(entry), `${entry} is missing: run npm run build`).toBe(true);
    const built = (await import(entry)) as typeof import('../src/index.js');
    const f = (v: Vector) => built.sum(built.square(v));
    const parallel = await built.dataParallel(f, 6, { workers: 2, batch: [0] });
    try {
      const { value, grad } = await parallel.valueAndGrad(Float64Array.of(1, 2, 3, 4, 5, 6));
      expect(value).toBe(91);
      expect(Array.from(grad as Float64Array)).toEqual([2, 4, 6, 8, 10, 12]);
    } finally {
      await parallel.dispose();
    }
  });
});
