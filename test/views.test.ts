/** @file Zero-copy views of values and adjoints (Tape.valuesView / adjointsView, compiled
 *  gradView): the same numbers as the copying forms, over the tape's own memory, and on the wasm
 *  backend still right after memory grew (the memory is shared in Node: nothing detaches). */
import { describe, expect, it } from 'vitest';
import { Tape, compile, mul, sum, dot, sin, ArgumentError, StaleHandleError, type Vector } from '../src/index.js';
import { BACKENDS } from './helpers.js';

describe.each(BACKENDS)('views on the %s backend', (backend) => {
  it('Tape.valuesView and adjointsView hold what value and adjoints copy out', () => {
    const tape = new Tape({ backend });
    const x = tape.input(Float64Array.of(0.5, -1, 2));
    const y = sin(mul(x, x));
    tape.backward(sum(y) as never);
    expect(Array.from(tape.valuesView(x))).toEqual([0.5, -1, 2]);
    expect(Array.from(tape.valuesView(y))).toEqual(Array.from(y.value));
    expect(Array.from(tape.adjointsView(x))).toEqual(Array.from(tape.adjoints(x)));
    expect(tape.adjointsView(x)).toBeInstanceOf(Float64Array);
    tape.dispose();
  });

  it('a view is the memory itself: a later backward on the same tape shows through it', () => {
    const tape = new Tape({ backend });
    const x = tape.input(Float64Array.of(1, 2, 3));
    const view = tape.adjointsView(x);
    tape.backward(dot(x, x) as never);
    expect(Array.from(view)).toEqual([2, 4, 6]);
    tape.backward(sum(x) as never);
    expect(Array.from(view)).toEqual([1, 1, 1]);
    tape.dispose();
  });

  it('gradView: the gradient of each vector argument as a view, numbers for scalars', () => {
    const f = compile((x: Vector, s) => mul(s, dot(x, x)), 3, 'scalar', { backend });
    const [gx, gs] = f.gradView(Float64Array.of(1, 2, 3), 2);
    expect(Array.from(gx as Float64Array)).toEqual([4, 8, 12]);
    expect(gs).toBe(14);
    const again = f.gradView(Float64Array.of(0, 1, 0), 1)[0] as Float64Array;
    expect(again.buffer).toBe((gx as Float64Array).buffer);
    expect(Array.from(gx as Float64Array)).toEqual([0, 2, 0]); // the same memory: replaced by the new call
    f.dispose();
  });

  it('refuses what is not a vector handle of its tape, and a disposed tape', () => {
    const tape = new Tape({ backend });
    const other = new Tape({ backend });
    const x = tape.input(Float64Array.of(1, 2));
    expect(() => tape.adjointsView(tape.input(1) as never)).toThrow(ArgumentError);
    expect(() => other.valuesView(x)).toThrow(/another tape/);
    tape.dispose();
    expect(() => tape.valuesView(x)).toThrow(StaleHandleError);
    other.dispose();
  });
});

describe('views on the wasm backend across memory growth', () => {
  it('a view taken before a large recording still reads the right numbers after memory grew', () => {
    const tape = new Tape();
    const x = tape.input(Float64Array.of(3, 4));
    tape.backward(dot(x, x) as never);
    const view = tape.adjointsView(x);
    const big = compile((v: Vector) => sum(mul(v, v)), 3_000_000); // 24 MB of values: memory grows
    big.dispose();
    expect(view.length).toBe(2);
    expect(Array.from(view)).toEqual([6, 8]);
    tape.dispose();
  });
});
