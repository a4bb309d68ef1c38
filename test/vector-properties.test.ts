/** @file Random programs mixing scalar and vector ops: wasm = pure-JS tape ≈ finite differences,
 *  and a compiled replay at new inputs = a fresh recording there. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Vector, add, compile, concat, dot, logSoftmax, logsumexp, matvec, max, mean, min, mul, prod, softmax, sum,
  valueAndGrad, type Backend, type Operand, type Shape,
} from '../src/index.js';
import { OP_INFO, SLOPED_NAMES, opFunction, squash, type PublicOpName } from './support/catalog.js';
import { flatGradient, valueOf } from './support/expect-ad.js';
import { expectClose, stableCentralDifference } from './helpers.js';

/** Random programs are checked against finite differences: built from the ops whose derivative is their slope. */
const NAMES = SLOPED_NAMES;
const UNARY = NAMES.filter((n) => OP_INFO[n].arity === 1);
const BINARY = NAMES.filter((n) => OP_INFO[n].arity === 2);

type Value = Operand | Vector;
/** How a binary op meets its second operand: as picked, or as a constant number. */
type Second = 'node' | 'number';

/** One instruction; operand fields index earlier values (mod their count, or among vectors). */
type Step =
  | { kind: 'unary'; name: PublicOpName; box: number; a: number }
  | { kind: 'binary'; name: PublicOpName; box: number; a: number; b: number; second: Second; swap: boolean }
  | { kind: 'reduce'; which: number; a: number; b: number }
  | { kind: 'softmax'; log: boolean; a: number }
  | { kind: 'slice'; a: number; from: number; to: number }
  | { kind: 'concat'; parts: number[] }
  | { kind: 'matvec'; a: number; x: number; transpose: boolean };

interface Program {
  /** Inputs: a length (1–8) for a vector, 0 for a scalar. */
  shapes: number[];
  steps: Step[];
  /** The input values the property is checked at, and a second point for replays. */
  at: number[];
  replayAt: number[];
}

const MAX_LENGTH = 8;

const isVector = (x: Value): x is Vector => x instanceof Vector;

/** Both operands cut to one length when both are vectors (elementwise ops need equal shapes). */
function fit(a: Value, b: Value): [Value, Value] {
  if (!isVector(a) || !isVector(b) || a.length === b.length) return [a, b];
  const n = Math.min(a.length, b.length);
  return [a.slice(0, n), b.slice(0, n)];
}

/** Runs the program on handles; the output folds the last three values into one scalar. */
function run(p: Program, inputs: Value[]): Operand {
  const values: Value[] = [...inputs];
  const pick = (i: number) => values[i % values.length];
  const pickVector = (i: number): Vector => {
    const vectors = values.filter(isVector);
    return vectors[i % vectors.length];
  };
  for (const s of p.steps) {
    if (s.kind === 'unary') {
      const [[lo, hi]] = OP_INFO[s.name].domain[s.box % OP_INFO[s.name].domain.length];
      values.push(opFunction(s.name)(squash(pick(s.a), lo, hi)) as Value);
    } else if (s.kind === 'binary') {
      const [[loA, hiA], [loB, hiB]] = OP_INFO[s.name].domain[s.box % OP_INFO[s.name].domain.length] as readonly (readonly [number, number])[];
      const op = opFunction(s.name);
      if (s.second === 'number') {
        // A constant operand (a number inside its interval) on either side.
        const t = (s.b % 97) / 97;
        values.push((s.swap ? op(loA + (hiA - loA) * t, squash(pick(s.a), loB, hiB)) : op(squash(pick(s.a), loA, hiA), loB + (hiB - loB) * t)) as Value);
      } else {
        const [a, b] = fit(pick(s.a), pick(s.b));
        values.push(op(squash(a, loA, hiA), squash(b, loB, hiB)) as Value);
      }
    } else if (s.kind === 'reduce') {
      const v = pickVector(s.a);
      const reductions = [
        () => sum(v),
        () => mean(v),
        () => prod(squash(v, 0.5, 1.5)),
        () => max(v),
        () => min(v),
        () => logsumexp(v),
        () => {
          const [x, y] = fit(v, pickVector(s.b)) as [Vector, Vector];
          return dot(x, y);
        },
      ];
      values.push(reductions[s.which % reductions.length]());
    } else if (s.kind === 'softmax') {
      values.push(s.log ? logSoftmax(pickVector(s.a)) : softmax(pickVector(s.a)));
    } else if (s.kind === 'slice') {
      const v = pickVector(s.a);
      const from = Math.floor(s.from * v.length);
      const to = from + 1 + Math.floor(s.to * (v.length - from - 1));
      values.push(v.slice(from, to));
    } else if (s.kind === 'concat') {
      const joined = concat(...s.parts.map(pick));
      values.push(joined.length > MAX_LENGTH ? joined.slice(0, MAX_LENGTH) : joined);
    } else {
      const v = pickVector(s.a);
      const x = pickVector(s.x);
      const rows = Math.floor(v.length / x.length);
      if (rows === 0) values.push(mul(x, 0.5));
      else {
        const a = v.slice(0, rows * x.length);
        values.push(s.transpose ? matvec(a.reshape(x.length, rows), x, { transpose: true }) : matvec(a.reshape(rows, x.length), x));
      }
    }
  }
  return values.slice(-3).reduce<Operand>((total, v) => add(total, isVector(v) ? dot(weightsFor(v.length), v) : v), 0);
}

const weightsFor = (n: number) => Float64Array.from({ length: n }, (_, i) => 1 + 0.25 * i);

/** The program's arguments at a flat point: numbers for scalar inputs, arrays for vectors. */
function argumentsAt(p: Program, flat: number[]): (number | Float64Array)[] {
  let at = 0;
  return p.shapes.map((len) => (len === 0 ? flat[at++] : Float64Array.from(flat.slice(at, (at += len)))));
}

const flatLength = (shapes: number[]) => shapes.reduce((n, len) => n + Math.max(1, len), 0);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('unary' as const), name: fc.constantFrom(...UNARY), box: fc.nat(), a: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('binary' as const), name: fc.constantFrom(...BINARY), box: fc.nat(), a: fc.nat(), b: fc.nat(),
      second: fc.constantFrom<Second>('node', 'node', 'number'), swap: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('reduce' as const), which: fc.nat(), a: fc.nat(), b: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('softmax' as const), log: fc.boolean(), a: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('slice' as const), a: fc.nat(), from: fc.double({ min: 0, max: 0.99, noNaN: true }), to: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('concat' as const), parts: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('matvec' as const), a: fc.nat(), x: fc.nat(), transpose: fc.boolean() }) },
);

const GOLDEN = (1 + Math.sqrt(5)) / 2;
const fraction = (x: number) => x - Math.floor(x);

/** At least one vector and one scalar input, so every kind of step has operands. */
const program: fc.Arbitrary<Program> = fc
  .record({
    vectors: fc.array(fc.integer({ min: 1, max: MAX_LENGTH }), { minLength: 1, maxLength: 3 }),
    scalars: fc.integer({ min: 1, max: 2 }),
    steps: fc.array(step, { minLength: 1, maxLength: 14 }),
  })
  .chain(({ vectors, scalars, steps }) => {
    const shapes = [...vectors, ...Array.from({ length: scalars }, () => 0)];
    // Generic points: coordinates spread by an irrational stride, so no two inputs tie (a tie
    // under max/min is a kink, where finite differences are no reference).
    const n = flatLength(shapes);
    const point = fc.integer({ min: 1, max: 2 ** 30 }).map((k) => Array.from({ length: n }, (_, i) => -2 + 4 * fraction(k * GOLDEN + (i + 1) * Math.SQRT2)));
    return fc.record({ shapes: fc.constant(shapes), steps: fc.constant(steps), at: point, replayAt: point });
  });

/** f(flat point), by a fresh recording on a pure-JS tape. */
const valueAt = (p: Program, flat: number[]): number => valueOf((...xs: Value[]) => run(p, xs), argumentsAt(p, flat));

/** ∂f/∂flat[i] by central differences, or undefined where that is no reference: at a kink
 *  (one-sided differences disagree: max/min/abs near a tie) or where differences at two steps
 *  disagree (a saturated exponential). */
function stableDifference(p: Program, i: number): number | undefined {
  const x = p.at;
  const f = (t: number) => valueAt(p, x.map((v, j) => (j === i ? t : v)));
  const h = 1e-5 * Math.max(1, Math.abs(x[i]));
  const fine = stableCentralDifference(f, x[i], h);
  if (fine === undefined) return undefined;
  const k = h / 10;
  const here = f(x[i]);
  const forward = (f(x[i] + k) - here) / k;
  const backward = (here - f(x[i] - k)) / k;
  if (Math.abs(forward - backward) > 1e-3 * Math.max(1, Math.abs(fine))) return undefined;
  return fine;
}

function differentiate(p: Program, backend: Backend, flat: number[]): { value: number; grad: number[] } {
  const { value, grad } = valueAndGrad((...xs: Value[]) => run(p, xs), { backend })(...argumentsAt(p, flat));
  return { value, grad: Array.from(flatGradient(grad)) };
}

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

describe('random programs of scalar and vector ops', () => {
  it('wasm = pure-JS tape (1e-12 relative) ≈ central finite differences', () => {
    let compared = 0;
    fc.assert(
      fc.property(program, (p) => {
        const js = differentiate(p, 'js', p.at);
        fc.pre(Number.isFinite(js.value) && js.grad.every(Number.isFinite));
        const wasm = differentiate(p, 'wasm', p.at);
        const scale = Math.max(1, Math.abs(js.value));
        expectClose(wasm.value, js.value, 1e-12, 1e-12 * scale, 'wasm vs js value');
        const gradScale = Math.max(1, ...js.grad.map(Math.abs));
        expectClose(wasm.grad, js.grad, 1e-12, 1e-12 * gradScale, 'wasm vs js gradient');
        for (let i = 0; i < p.at.length; i++) {
          const fd = stableDifference(p, i);
          if (fd === undefined) continue;
          compared++;
          expectClose(js.grad[i], fd, 1e-5, 1e-6 * gradScale, `∂f/∂x${i} (js) vs finite differences`);
          expectClose(wasm.grad[i], fd, 1e-5, 1e-6 * gradScale, `∂f/∂x${i} (wasm) vs finite differences`);
        }
      }),
      { numRuns: RUNS },
    );
    // The finite-difference check must not be skipped wholesale.
    expect(compared).toBeGreaterThan(RUNS * 3);
  });

  it('a compiled replay at new inputs = a fresh recording there (both backends)', () => {
    fc.assert(
      fc.property(program, (p) => {
        for (const backend of ['wasm', 'js'] as const) {
          const fresh = differentiate(p, backend, p.replayAt);
          fc.pre(Number.isFinite(fresh.value));
          const shapes: Shape[] = p.shapes.map((len) => (len === 0 ? 'scalar' : len));
          const compiled = compile((...xs: Value[]) => run(p, xs), ...shapes, { backend });
          compiled.valueAndGrad(...argumentsAt(p, p.at)); // a first replay elsewhere must not leak into the next
          const replay = compiled.valueAndGrad(...argumentsAt(p, p.replayAt));
          expectClose(replay.value, fresh.value, 1e-14, 1e-14, `${backend} replayed value`);
          expectClose(flatGradient(replay.grad), fresh.grad, 1e-14, 1e-14 * Math.max(1, ...fresh.grad.map(Math.abs)), `${backend} replayed gradient`);
          compiled.dispose();
        }
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it('the generator reaches every step kind and every op', () => {
    const kinds = new Set<string>();
    const ops = new Set<string>();
    for (const p of fc.sample(program, 400)) {
      for (const s of p.steps) {
        kinds.add(s.kind);
        if (s.kind === 'unary' || s.kind === 'binary') ops.add(s.name);
      }
    }
    expect([...kinds].sort()).toEqual(['binary', 'concat', 'matvec', 'reduce', 'slice', 'softmax', 'unary']);
    expect([...ops].sort()).toEqual([...NAMES].sort());
  });
});
