/** @file Random expression DAGs over every op: wasm gradient = pure-JS gradient ≈ finite differences. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { valueAndGrad, add, where, gt, type Operand } from '../src/index.js';
import { OP_INFO, SLOPED_NAMES, opFunction, squash, type OpInfo, type PublicOpName } from './support/catalog.js';
import { expectClose, stableCentralDifference } from './helpers.js';

/** Random programs are checked against finite differences: built from the ops whose derivative is their slope. */
const NAMES = SLOPED_NAMES;

/** One instruction of a random program; operand fields index earlier nodes (mod their count). */
type Step =
  | { kind: 'op'; name: PublicOpName; box: number; a: number; b: number }
  | { kind: 'where'; c: number; d: number; a: number; b: number };

interface Program {
  inputs: number[];
  steps: Step[];
}

/** On numbers, the smallest |c − d| of the program's where(c > d, …): how close it runs to a
 *  branch switch (near one, finite differences straddle two branches). */
let closestSwitch = Infinity;

/** Runs the program on handles (recording) or on plain numbers (evaluating): same code, same
 *  DAG. Each op's operands are squashed into one of its catalog domain boxes, so every op is
 *  used where it is smooth; the output sums the last three nodes. */
function run(program: Program, xs: Operand[]): Operand {
  const nodes: Operand[] = [...xs];
  const pick = (i: number) => nodes[i % nodes.length];
  closestSwitch = Infinity;
  for (const s of program.steps) {
    if (s.kind === 'where') {
      const [c, d] = [pick(s.c), pick(s.d)];
      // A node compared with itself never switches.
      const same = s.c % nodes.length === s.d % nodes.length;
      if (typeof c === 'number' && typeof d === 'number' && !same) closestSwitch = Math.min(closestSwitch, Math.abs(c - d));
      nodes.push(where(gt(c, d), pick(s.a), pick(s.b)));
      continue;
    }
    const info: OpInfo = OP_INFO[s.name];
    const box = info.domain[s.box % info.domain.length];
    const operands = box.map(([lo, hi], k) => squash(pick(k === 0 ? s.a : s.b), lo, hi));
    nodes.push(opFunction(s.name)(...operands));
  }
  return nodes.slice(-3).reduce((sum, v) => add(sum, v), 0);
}

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('op' as const), name: fc.constantFrom(...NAMES), box: fc.nat(), a: fc.nat(), b: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('where' as const), c: fc.nat(), d: fc.nat(), a: fc.nat(), b: fc.nat() }) },
);

const program: fc.Arbitrary<Program> = fc.record({
  inputs: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 4 }),
  steps: fc.array(step, { minLength: 1, maxLength: 16 }),
});

/** The program under test; the gradient functions below close over it so their tapes are reused. */
let current: Program = { inputs: [0], steps: [] };
const differentiated = (backend: 'wasm' | 'js') => {
  const f = valueAndGrad((...xs: Operand[]) => run(current, xs), { backend });
  return (inputs: number[]) => {
    const { value, grad } = f(...inputs);
    return { value, grad: typeof grad === 'number' ? [grad] : Array.from(grad as number[]) };
  };
};
const onWasm = differentiated('wasm');
const onJs = differentiated('js');
const evaluate = (p: Program, inputs: number[]) => run(p, inputs) as number;

/** ∂f/∂xᵢ by central differences, or undefined where that is no reference: near a where()
 *  switch, where the differences straddle two branches (c = d at two distinct nodes, e.g. both
 *  0 at x = 0, can even be an isolated point: the gradient follows the taken branch, the
 *  differences the other one), or where the differences at two steps disagree (e.g. a
 *  saturating sigmoid). */
function stableDifference(p: Program, i: number): number | undefined {
  const x = p.inputs;
  evaluate(p, x);
  if (closestSwitch < 1e-3) return undefined;
  return stableCentralDifference((t) => evaluate(p, x.map((v, j) => (j === i ? t : v))), x[i]);
}

describe('random expression DAGs', () => {
  it('wasm gradient = pure-JS gradient ≈ central finite differences', () => {
    let compared = 0;
    fc.assert(
      fc.property(program, (p) => {
        current = p;
        const plain = evaluate(p, p.inputs);
        fc.pre(Number.isFinite(plain));
        const wasm = onWasm(p.inputs);
        const js = onJs(p.inputs);
        // The JS tape evaluates with the same Math as the number path: bit for bit.
        expect(js.value).toBe(plain);
        // wasm's Math may differ in the last bits; a difference compounds through the DAG.
        expectClose(wasm.value, js.value, 1e-12, 1e-12, 'wasm vs js value');
        const scale = Math.max(1, ...js.grad.map(Math.abs));
        expectClose(wasm.grad, js.grad, 1e-10, 1e-12 * scale, 'wasm vs js gradient');
        for (let i = 0; i < p.inputs.length; i++) {
          const fd = stableDifference(p, i);
          if (fd === undefined) continue;
          compared++;
          expectClose(js.grad[i], fd, 1e-5, 1e-6, `∂f/∂x${i} (js) vs finite differences`);
          expectClose(wasm.grad[i], fd, 1e-5, 1e-6, `∂f/∂x${i} (wasm) vs finite differences`);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 200) },
    );
    // The finite-difference check must not be skipped wholesale.
    expect(compared).toBeGreaterThan(100);
  });

  it('every op appears in the generated programs', () => {
    const seen = new Set<string>();
    for (const p of fc.sample(program, 300)) for (const s of p.steps) if (s.kind === 'op') seen.add(s.name);
    expect([...seen].sort()).toEqual([...NAMES].sort());
  });
});
