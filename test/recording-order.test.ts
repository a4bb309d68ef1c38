/** @file Random interleavings of every kind of eager recording call with reads, backward sweeps
 *  and resets, on tapes small enough to grow many times: the wasm tape (whose recording keeps
 *  its counters in JS and writes them to wasm memory only before the core reads them) must give
 *  the pure-JS tape's reads to the bit. Only exact IEEE ops, so both backends must agree. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tape, add, sub, mul, div, sqrt, abs, neg, square, where, gt, dot, type Scalar, type Operand, type Backend } from '../src/index.js';

type Step =
  | { kind: 'binary'; op: number; a: number; b: number }
  | { kind: 'unary'; op: number; a: number }
  | { kind: 'number'; op: number; a: number; value: number; first: boolean }
  | { kind: 'where'; c: number; d: number; a: number; b: number }
  | { kind: 'burst'; a: number; length: number }
  | { kind: 'input'; values: number[] }
  | { kind: 'data'; values: number[]; a: number }
  | { kind: 'constant'; value: number }
  | { kind: 'read'; a: number }
  | { kind: 'backward'; a: number }
  | { kind: 'reset' };

const BINARY = [add, sub, mul, div];
const UNARY = [(x: Operand) => sqrt(abs(x)), neg, square, abs];

function replay(backend: Backend, steps: Step[]): unknown[] {
  const tape = new Tape({ backend, reserve: 64 });
  const reads: unknown[] = [];
  let inputs = tape.input(Float64Array.of(0.5, 1.5, -2));
  let nodes: Scalar[] = [...inputs];
  const pick = (i: number) => nodes[i % nodes.length];
  for (const s of steps) {
    switch (s.kind) {
      case 'binary':
        nodes.push(BINARY[s.op % 4](pick(s.a), pick(s.b)) as Scalar);
        break;
      case 'unary':
        nodes.push(UNARY[s.op % 4](pick(s.a)) as Scalar);
        break;
      case 'number':
        nodes.push((s.first ? BINARY[s.op % 4](s.value, pick(s.a)) : BINARY[s.op % 4](pick(s.a), s.value)) as Scalar);
        break;
      case 'where':
        nodes.push(where(gt(pick(s.c), pick(s.d)), pick(s.a), pick(s.b)) as Scalar);
        break;
      case 'burst': {
        // A run of ops long enough to fill segments.
        let y = pick(s.a);
        for (let k = 0; k < s.length; k++) y = add(mul(y, 0.5), k % 3) as Scalar;
        nodes.push(y);
        break;
      }
      case 'input': {
        // One value: an Input row or (as an array) the core's leaf call; more: one VecInput row.
        const v = s.values.length === 1 && s.values[0] > 0 ? tape.input(s.values[0]) : tape.input(Float64Array.from(s.values));
        nodes.push(...(typeof v === 'object' && 'length' in v ? [...v] : [v as Scalar]));
        break;
      }
      case 'data': {
        const d = tape.data(Float64Array.from(s.values));
        nodes.push(...d);
        if (s.values.length <= inputs.length) nodes.push(dot(d, inputs.slice(0, s.values.length)) as Scalar);
        break;
      }
      case 'constant':
        nodes.push(tape.constant(s.value));
        break;
      case 'read':
        // stats before value: value() flushes, which would bring the header up to date first.
        reads.push(tape.stats.nodes, tape.stats.rows, tape.value(pick(s.a)));
        break;
      case 'backward':
        tape.backward(pick(s.a));
        reads.push(Array.from(tape.adjoints(inputs)));
        break;
      case 'reset':
        tape.reset();
        inputs = tape.input(Float64Array.of(1.25, -0.75, 3));
        nodes = [...inputs];
        break;
    }
  }
  const last = nodes[nodes.length - 1];
  tape.backward(last);
  reads.push(tape.value(last), Array.from(tape.adjoints(inputs)), tape.stats.nodes, tape.stats.rows);
  tape.dispose();
  return reads;
}

const small = fc.double({ min: -3, max: 3, noNaN: true });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('binary' as const), op: fc.nat(), a: fc.nat(), b: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('unary' as const), op: fc.nat(), a: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('number' as const), op: fc.nat(), a: fc.nat(), value: small, first: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('where' as const), c: fc.nat(), d: fc.nat(), a: fc.nat(), b: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('burst' as const), a: fc.nat(), length: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('input' as const), values: fc.array(small, { minLength: 1, maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('data' as const), values: fc.array(small, { minLength: 1, maxLength: 5 }), a: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('constant' as const), value: small }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), a: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('backward' as const), a: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

describe('eager recording in any order', () => {
  it('random interleavings of recording calls, reads, backward sweeps and resets across segments: wasm equals the pure-JS tape to the bit', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        expect(replay('wasm', steps)).toEqual(replay('js', steps));
      }),
      { numRuns: 80 },
    );
  });
});
