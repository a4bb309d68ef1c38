/** @file Lifetimes the garbage collector decides: a tape nobody disposes is freed once neither it
 *  nor any of its handles is reachable, and never while a handle still is. */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Tape, compile, mul, sum, type Vector } from '../src/index.js';
import { WasmCore } from '../src/wasm/wasm-core.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Runs the collector and lets finalizers run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('tapes and the garbage collector', () => {
  it('a handle keeps its tape alive after the Tape object is gone', async () => {
    const inputsOnADroppedTape = () => new Tape().input(Float64Array.of(1, 2, 3));
    const x = inputsOnADroppedTape();
    await collect();
    const y = sum(mul(x, x));
    expect(typeof y === 'number' ? y : y.value).toBe(14);
  });

  it('tapes dropped without dispose() give their memory back for the next ones', async () => {
    const record = () => {
      const tape = new Tape({ reserve: 100_000 }); // a 4 MiB segment each
      const v = tape.input(new Float64Array(1000).fill(1));
      tape.backward(sum(mul(v, v)) as never);
    };
    record();
    await collect();
    const before = WasmCore.memoryInUse();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) record();
      await collect();
    }
    // 50 tapes of 4 MiB: without reuse the heap would grow by 200 MiB; with it, by a few blocks.
    expect(WasmCore.memoryInUse() - before).toBeLessThan(48 * 2 ** 20);
  });

  it('compiled functions dropped without dispose() give their memory back too', async () => {
    const make = () => compile((x: Vector) => sum(mul(x, x)), 100_000).value(new Float64Array(100_000));
    make();
    await collect();
    const before = WasmCore.memoryInUse();
    for (let i = 0; i < 20; i++) {
      make();
      if (i % 5 === 4) await collect();
    }
    await collect();
    expect(WasmCore.memoryInUse() - before).toBeLessThan(48 * 2 ** 20);
  });
});
