/** @file Loops rolled by the generator (loop-finder.ts, rolled-loop.ts): the loop a `for` records
 *  is found, written once as a wasm loop, and its sweeps agree with the interpreter to the bit,
 *  whatever the body reads (the same repetition, an earlier one, a fixed slot, constants shared
 *  or not) and whoever reads its values (later repetitions, rows after the loop, the caller). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compile, add, mul, sub, square, sqrt, tanh, where, gt, lt, type Operand, type Scalar, type Vector,
} from '../src/index.js';
import { findLoops } from '../src/codegen/loop-finder.js';
import { generateScalarModule, MAX_GENERATED_ROWS } from '../src/codegen/scalar-module.js';
import { setChunkRows, setRollRows } from '../src/codegen/generated-sweeps.js';
import { CHUNK_ROWS, ROLL_ROWS } from '../src/codegen/scalar-module.js';
import { decode } from '../src/compile/format.js';
import { OP_INFO, opFunction, type OpInfo, type PublicOpName } from './support/catalog.js';
import { seededRandom } from './helpers.js';
import { expectSameBits, flat } from './support/engines.js';


const rosenbrock = (x: Vector): Operand => {
  let total: Operand = 0;
  for (let i = 0; i + 1 < x.length; i++) total = add(total, add(mul(100, square(sub(x.at(i + 1), square(x.at(i))))), square(sub(1, x.at(i)))));
  return total;
};

let rollRows = 0;
beforeAll(() => {
  rollRows = setRollRows(8);
});
afterAll(() => {
  setRollRows(rollRows);
});

type Argument = number | Float64Array;

/** f on both engines at each point: value and gradient; the module rolls at least `loops` loops. */
function bothEngines(f: (...args: never[]) => Operand | Operand[], shapes: (number | 'scalar')[], points: Argument[][], loops = 1): void {
  type Loose = (...args: Argument[]) => { value: unknown; grad: unknown };
  const generated = compile(f as (...args: Vector[]) => Operand, ...(shapes as number[]), { codegen: 'auto' });
  const interpreted = compile(f as (...args: Vector[]) => Operand, ...(shapes as number[]), { codegen: 'off' });
  try {
    for (const args of points) {
      const g = (generated.valueAndGrad as unknown as Loose)(...args);
      const i = (interpreted.valueAndGrad as unknown as Loose)(...args);
      expectSameBits(flat(g.value), flat(i.value), 'value');
      expectSameBits(flat(g.grad), flat(i.grad), 'gradient');
    }
    expect(generated.stats.engine).toBe('generated');
    expect(generated.stats.rolledLoops).toBeGreaterThanOrEqual(loops);
  } finally {
    generated.dispose();
    interpreted.dispose();
  }
}

const random = seededRandom(17);
const uniform = (n: number, lo = -2, hi = 2) => Float64Array.from({ length: n }, () => lo + (hi - lo) * random());
const SPECIAL = [0, -0, 1, -1, 1e-300, 1e300, Infinity, -Infinity, NaN];
const specials = (n: number) => Float64Array.from({ length: n }, (_, i) => SPECIAL[i % SPECIAL.length]);

describe('finding loops', () => {
  it("finds Rosenbrock's body: 10 rows repeated once per term", () => {
    const n = 50;
    const f = compile(rosenbrock, n, { codegen: 'off' });
    const program = decode(f.toBytes());
    f.dispose();
    const loops = findLoops(program, 8);
    expect(loops.length).toBe(1);
    expect(loops[0].period).toBe(10);
    // The first term records the running total's 0 too; the loop is the other n − 2.
    expect(loops[0].count).toBe(n - 2);
    expect(loops[0].start + loops[0].period * loops[0].count).toBe(program.op.length);
  });

  it("finds a layer's loop over its neurons around each neuron's short loop of multiply-adds", () => {
    const inputs = 8;
    const neurons = 20;
    const layer = (w: Vector, x: Vector) => {
      let total: Operand = 0;
      for (let j = 0; j < neurons; j++) {
        let s: Operand = w.at(inputs * neurons + j);
        for (let i = 0; i < inputs; i++) s = add(s, mul(x.at(i), w.at(i * neurons + j)));
        total = add(total, tanh(s));
      }
      return total;
    };
    const shapes = [inputs * neurons + neurons, inputs] as const;
    const f = compile(layer, ...shapes, { codegen: 'off' });
    const loops = findLoops(decode(f.toBytes()), 64);
    f.dispose();
    // A neuron: 8 products and 8 sums, its tanh and the running total's sum.
    expect(loops.map((l) => l.period)).toEqual([2 * inputs + 2]);
    expect(loops[0].count).toBeGreaterThanOrEqual(neurons - 2);
    bothEngines(layer as never, [...shapes], [[uniform(shapes[0]), uniform(inputs)], [specials(shapes[0]), uniform(inputs)]]);
  });

  it('stops looking once more rows than the generator takes would be left to write out', () => {
    // About 300 rows picked at random (no repetition), then Rosenbrock's loop.
    const pick = seededRandom(23);
    const choices = Array.from({ length: 300 }, () => [Math.floor(pick() * 3), Math.floor(pick() * 40)]);
    const f = compile((x: Vector) => {
      let t: Operand = x.at(0);
      for (const [kind, i] of choices) t = kind === 0 ? mul(t, x.at(i)) : kind === 1 ? add(t, x.at(i)) : sqrt(t);
      return add(t, rosenbrock(x));
    }, 40, { codegen: 'off' });
    const program = decode(f.toBytes());
    f.dispose();
    expect(findLoops(program, 64).map((l) => l.period)).toEqual([10]);
    expect(findLoops(program, 64, 100)).toEqual([]);
  });

  it('finds nothing in rows without repetition, nor in runs shorter than asked', () => {
    const f = compile((x: Vector) => {
      let t: Operand = x.at(0);
      for (let i = 1; i < 6; i++) t = i % 2 ? mul(t, x.at(i)) : sqrt(add(t, i));
      return t;
    }, 6, { codegen: 'off' });
    const program = decode(f.toBytes());
    f.dispose();
    expect(findLoops(program, 8)).toEqual([]);
    const g = compile(rosenbrock, 20, { codegen: 'off' });
    expect(findLoops(decode(g.toBytes()), 1000)).toEqual([]);
    g.dispose();
  });
});

describe('rolled loops agree with the interpreter to the bit', () => {
  it("Rosenbrock, at random points and special values; a long tape's module stays small", () => {
    bothEngines(rosenbrock, [300], [[uniform(300)], [uniform(300, -1e3, 1e3)], [specials(300)]]);
    const f = compile(rosenbrock, 1000, { codegen: 'auto' });
    expect(f.stats.rolledLoops).toBe(1);
    expect(f.stats.moduleBytes).toBeLessThan(4096);
    f.dispose();
  });

  it('tapes past the row limit written out are generated when their loops roll', () => {
    const n = Math.ceil(MAX_GENERATED_ROWS / 10) + 100;
    const f = compile(rosenbrock, n, { codegen: 'auto' });
    expect(f.stats.rows).toBeGreaterThan(MAX_GENERATED_ROWS);
    expect(f.stats.engine).toBe('generated');
    const interpreted = compile(rosenbrock, n, { codegen: 'off' });
    const x = uniform(n);
    expectSameBits(f.valueAndGrad(x).grad, interpreted.valueAndGrad(x).grad, 'gradient');
    f.dispose();
    interpreted.dispose();
  });

  it('a branch in the body (where), with infinite partials on the branch not taken', () => {
    const f = (x: Vector) => {
      let total: Operand = 0;
      for (let i = 0; i < x.length; i++) total = add(total, where(gt(x.at(i), 0), sqrt(x.at(i)), mul(-1, x.at(i))));
      return total;
    };
    bothEngines(f, [40], [[uniform(40)], [specials(40)], [new Float64Array(40)]]);
  });

  it('a constant that differs per repetition, and one shared by all', () => {
    const f = (x: Vector) => {
      let total: Operand = 0;
      for (let i = 0; i < x.length; i++) total = add(total, mul(add(x.at(i), 0.5 + i), mul(3, x.at(i))));
      return total;
    };
    bothEngines(f, [30], [[uniform(30)], [specials(30)]]);
  });

  it('a slot every repetition reads (a scalar argument): its adjoint sums over them', () => {
    const f = (s: Scalar, x: Vector) => {
      let total: Operand = 0;
      for (let i = 0; i < x.length; i++) total = add(total, mul(s, square(sub(x.at(i), s))));
      return total;
    };
    bothEngines(f as never, ['scalar', 25], [[0.7, uniform(25)], [-0, specials(25)]]);
  });

  it('values read after the loop, by a second loop, and outputs inside the loop (vjp, jacobian)', () => {
    const f = (x: Vector) => {
      const products: Operand[] = [];
      for (let i = 0; i + 1 < x.length; i++) products.push(mul(x.at(i), sub(x.at(i + 1), 1)));
      let total: Operand = 0;
      for (let i = products.length - 1; i >= 0; i--) total = add(mul(total, 0.5), square(products[i]));
      return [total, ...products.slice(0, 5), products[products.length - 1]];
    };
    const n = 30;
    const generated = compile(f, n, { codegen: 'auto' });
    const interpreted = compile(f, n, { codegen: 'off' });
    expect(generated.stats.rolledLoops).toBeGreaterThanOrEqual(2);
    for (const x of [uniform(n), specials(n)]) {
      const weights = uniform(7);
      expectSameBits(generated.value(x) as Float64Array, interpreted.value(x) as Float64Array, 'value');
      expectSameBits(generated.vjp(x, weights), interpreted.vjp(x, weights), 'vjp');
      expectSameBits(flat(generated.jacobian(x, { mode: 'reverse' })), flat(interpreted.jacobian(x, { mode: 'reverse' })), 'jacobian');
    }
    expect(generated.stats.engine).toBe('generated');
    generated.dispose();
    interpreted.dispose();
  });

  // A value carried from one repetition to the next (a running sum, product or state) stays in a
  // local; its adjoint is carried back in a local too, unless something outside the next
  // repetition reads it: each case below takes one of those ways.
  it('carried values and adjoints: running sum and product, read twice, read outside the loop, seeded', () => {
    const n = 24;
    const points = [[uniform(n)], [specials(n)], [uniform(n, -1e3, 1e3)]];
    // Two carried chains, each read by two rows of the next repetition.
    bothEngines((x: Vector) => {
      let s: Operand = 0;
      let p: Operand = 1;
      for (let i = 0; i < x.length; i++) {
        const e = x.at(i);
        s = add(mul(s, 0.5), mul(e, s));
        p = mul(p, add(e, mul(s, p)));
      }
      return add(s, p);
    }, [n], points);
    // The value before the loop is read again after it: its adjoint goes through memory.
    bothEngines((x: Vector) => {
      const start = mul(x.at(0), x.at(1));
      let s: Operand = start;
      for (let i = 2; i < x.length; i++) s = add(mul(s, x.at(i)), square(x.at(i)));
      return add(s, mul(start, 3));
    }, [n], points);
    // A middle repetition's total is read after the loop, and one is an output with the end.
    const middle = (x: Vector) => {
      const totals: Operand[] = [];
      let s: Operand = square(x.at(0));
      for (let i = 1; i < x.length; i++) totals.push((s = add(s, mul(x.at(i), s))));
      return [add(s, square(totals[7])), totals[3], s];
    };
    const generated = compile(middle, n, { codegen: 'auto' });
    const interpreted = compile(middle, n, { codegen: 'off' });
    expect(generated.stats.rolledLoops).toBeGreaterThanOrEqual(1);
    for (const [x] of points) {
      const weights = Float64Array.of(1, -0.5, 2);
      expectSameBits(flat(generated.value(x)), flat(interpreted.value(x)), 'value');
      expectSameBits(generated.vjp(x, weights), interpreted.vjp(x, weights), 'vjp');
      expectSameBits(flat(generated.jacobian(x, { mode: 'reverse' })), flat(interpreted.jacobian(x, { mode: 'reverse' })), 'jacobian');
    }
    generated.dispose();
    interpreted.dispose();
    // The running sum's start is an output too (seeded).
    const seededStart = (x: Vector) => {
      const start = square(x.at(0));
      let s: Operand = start;
      for (let i = 1; i < x.length; i++) s = add(s, mul(x.at(i), x.at(i - 1)));
      return [s, start];
    };
    const g2 = compile(seededStart, n, { codegen: 'auto' });
    const i2 = compile(seededStart, n, { codegen: 'off' });
    for (const [x] of points) expectSameBits(g2.vjp(x, Float64Array.of(0.75, -0)), i2.vjp(x, Float64Array.of(0.75, -0)), 'vjp');
    expect(g2.stats.rolledLoops).toBe(1);
    g2.dispose();
    i2.dispose();
  });

  it('loops split from straight-line code into functions of 3 rows', () => {
    setChunkRows(3);
    try {
      const f = (x: Vector) => {
        let head: Operand = mul(x.at(0), x.at(1));
        head = sqrt(add(square(head), 1));
        return add(head, rosenbrock(x));
      };
      bothEngines(f, [40], [[uniform(40)], [specials(40)]]);
    } finally {
      setChunkRows(CHUNK_ROWS);
    }
  });

  it('a zero adjoint reaching an infinite partial adds 0, as the interpreter skips the row', () => {
    const f = (x: Vector) => {
      let total: Operand = 0;
      for (let i = 0; i < x.length; i++) total = add(total, mul(0, sqrt(x.at(i))));
      return total;
    };
    bothEngines(f, [20], [[new Float64Array(20)], [specials(20)]]);
  });

  // Random loop bodies over every scalar op: each repetition reads x[i], x[i + 1], the running
  // carry, a scalar argument and a constant of its own.
  const opNames = (Object.keys(OP_INFO) as PublicOpName[]).filter((n) => (OP_INFO[n] as OpInfo).arity !== undefined);
  const node = fc.record({ op: fc.nat(opNames.length + 1), x: fc.nat(), y: fc.nat(), z: fc.nat(), k: fc.double({ min: -3, max: 3, noNaN: true }) });
  const body = fc.array(node, { minLength: 1, maxLength: 12 });
  const value = fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(0, -0, 1, Infinity, -Infinity, NaN));
  it('random loop bodies over every scalar op (fast-check): forward or backward over x, read after the loop, outputs inside it', () => {
    fc.assert(
      fc.property(body, fc.array(value, { minLength: 13, maxLength: 13 }), fc.boolean(), fc.boolean(), fc.nat(2), (nodes, point, sharedConstant, backward, outputs) => {
        const f = (s: Scalar, x: Vector) => {
          let carry: Operand = s;
          let total: Operand = 0;
          const kept: Operand[] = [];
          for (let t = 0; t + 1 < x.length; t++) {
            const i = backward ? x.length - 2 - t : t;
            const all: Operand[] = [x.at(i), x.at(i + 1), carry, s];
            for (const n of nodes) {
              const pick = (j: number) => all[j % all.length];
              if (n.op === opNames.length) all.push(where(lt(pick(n.z), n.k), pick(n.x), pick(n.y)));
              else if (n.op === opNames.length + 1) all.push(mul(pick(n.x), sharedConstant ? n.k : n.k + i));
              else {
                const name = opNames[n.op];
                const op = opFunction(name);
                all.push((OP_INFO[name] as OpInfo).arity === 1 ? op(pick(n.x)) : op(pick(n.x), pick(n.y)));
              }
            }
            kept.push((carry = all[all.length - 1]));
            total = add(total, carry);
          }
          // The total; or with a middle repetition's value read after the loop; or with values
          // of the loop as outputs (a vector-valued f: vjp).
          return outputs === 0 ? total : outputs === 1 ? add(total, mul(kept[5], kept[1])) : [total, kept[2], carry];
        };
        const args = [point[0], Float64Array.from(point.slice(1))] as const;
        if (outputs < 2) {
          bothEngines(f as never, ['scalar', 12], [[...args]]);
          return;
        }
        const generated = compile(f, 'scalar', 12, { codegen: 'auto' });
        const interpreted = compile(f, 'scalar', 12, { codegen: 'off' });
        const weights = Float64Array.of(0.5, -0, 2);
        expectSameBits(flat(generated.value(...args)), flat(interpreted.value(...args)), 'value');
        expectSameBits(flat(generated.vjp(...args, weights)), flat(interpreted.vjp(...args, weights)), 'vjp');
        expect(generated.stats.rolledLoops).toBeGreaterThanOrEqual(1);
        generated.dispose();
        interpreted.dispose();
      }),
      { numRuns: 120, seed: 20261202 },
    );
  });
});

describe('the module', () => {
  it('by default, a run of ROLL_ROWS rows or more is rolled and a shorter one written out', () => {
    const before = setRollRows(ROLL_ROWS);
    try {
      // Rosenbrock's loop is 10 rows per term after the first.
      const short = compile(rosenbrock, Math.floor(ROLL_ROWS / 10), { codegen: 'auto' });
      const long = compile(rosenbrock, Math.floor(ROLL_ROWS / 10) + 3, { codegen: 'auto' });
      expect([short.stats.rolledLoops, long.stats.rolledLoops]).toEqual([0, 1]);
      expect([short.stats.engine, long.stats.engine]).toEqual(['generated', 'generated']);
      short.dispose();
      long.dispose();
    } finally {
      setRollRows(before);
    }
  });

  it('validates, and a rolled loop is the same module whatever the repetitions', () => {
    const modules = [100, 1000].map((n) => {
      const f = compile(rosenbrock, n, { codegen: 'off' });
      const p = decode(f.toBytes());
      f.dispose();
      const m = generateScalarModule(p, { valueBase: 1 << 16, adjointBase: 1 << 22, sharedMemory: false }, CHUNK_ROWS, Infinity, undefined, 8);
      if ('reason' in m) throw new Error(m.reason);
      expect(WebAssembly.validate(m.bytes as BufferSource)).toBe(true);
      expect(m.rolled).toBe(1);
      return m.bytes.length;
    });
    // Only the repetition count and the addresses' widths differ.
    expect(Math.abs(modules[1] - modules[0])).toBeLessThan(64);
  });
});
