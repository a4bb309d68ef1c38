/** @file Hybrid generated tapes (src/codegen/vector-module.ts): the vector rows the generator does
 *  not fuse (matmul, softmax, logsumexp, transpose, gather, where over vectors, …) run on the
 *  core's interpreter, called from the generated sweeps, between fused loops and straight-line
 *  scalar rows. Both engines agree to the bit on random chains mixing the two kinds, with data
 *  arguments, and on the examples' models; what stays on the interpreter says why. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compile, shapeOf, add, sub, mul, tanh, exp, square, gt, where, sum, dot, logsumexp, softmax, logSoftmax, matmul, transpose, gather,
  defineOp, type Vector, type Scalar,
} from '../src/index.js';
import { generateVectorModule } from '../src/codegen/vector-module.js';
import { decode } from '../src/compile/format.js';
import { DESIGN_MLP, mlpLayout, mlpLoss, withOnesColumn } from '../examples/mlp.js';
import { parameterLayout, parameterTree, treeLoss } from '../examples/mnist/model.js';
import { seededRandom } from './helpers.js';
import { expectEnginesAgree, expectSameBits } from './support/engines.js';

const vectorAt = (n: number, seed: number, lo = -1.5, hi = 1.5) => {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * random());
};

/** One step of a random chain over a k × k matrix held as a vector of n = k² elements. */
type Step =
  | { kind: 'tanh' | 'square' | 'softmax' | 'logSoftmax' | 'transpose' | 'relu-like' }
  | { kind: 'mul' | 'add'; operand: 'x' | 'y' | 's' }
  | { kind: 'matmul'; operand: 'x' | 'y' }
  | { kind: 'gather'; seed: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom<Step>({ kind: 'tanh' }, { kind: 'square' }, { kind: 'softmax' }, { kind: 'logSoftmax' }, { kind: 'transpose' }, { kind: 'relu-like' }),
  fc.record({ kind: fc.constantFrom<'mul' | 'add'>('mul', 'add'), operand: fc.constantFrom<'x' | 'y' | 's'>('x', 'y', 's') }),
  fc.record({ kind: fc.constant<'matmul'>('matmul'), operand: fc.constantFrom<'x' | 'y'>('x', 'y') }),
  fc.record({ kind: fc.constant<'gather'>('gather'), seed: fc.nat() }),
);

const chainArbitrary = fc.record({
  k: fc.integer({ min: 1, max: 4 }),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 10 }),
  end: fc.constantFrom<'sum' | 'logsumexp' | 'dot'>('sum', 'logsumexp', 'dot'),
});

type Chain = { k: number; steps: Step[]; end: 'sum' | 'logsumexp' | 'dot' };

function runChain(c: Chain, x: Vector, y: Vector, s: Scalar): Scalar {
  const { k } = c;
  const n = k * k;
  let v: Vector = x;
  for (const step of c.steps) {
    switch (step.kind) {
      case 'tanh': v = tanh(v); break;
      case 'square': v = square(v); break;
      case 'softmax': v = softmax(v); break;
      case 'logSoftmax': v = logSoftmax(v); break;
      case 'transpose': v = transpose(v.reshape(k, k)).flatten(); break;
      case 'relu-like': v = where(gt(v, 0), v, mul(v, 0.25)); break;
      case 'mul': v = mul(v, step.operand === 'x' ? x : step.operand === 'y' ? y : s); break;
      case 'add': v = add(v, step.operand === 'x' ? x : step.operand === 'y' ? y : s); break;
      case 'matmul': v = matmul(v.reshape(k, k), (step.operand === 'x' ? x : y).reshape(k, k)).flatten(); break;
      case 'gather': {
        const random = seededRandom(step.seed);
        v = gather(v, Array.from({ length: n }, () => Math.floor(random() * n)));
        break;
      }
    }
  }
  if (c.end === 'sum') return sum(v);
  if (c.end === 'logsumexp') return logsumexp(v);
  return dot(v, sub(y, exp(tanh(v))));
}

describe('random chains of fused and interpreted vector rows', () => {
  for (const wrt of [undefined, [0], [1, 2]] as const) {
    it(`agree with the interpreter to the bit${wrt ? ` (wrt [${wrt}])` : ''}`, () => {
      fc.assert(
        fc.property(chainArbitrary, fc.nat(), (c, seed) => {
          const n = c.k * c.k;
          const random = seededRandom(seed);
          const points: [Float64Array, Float64Array, number][] = [0, 1].map((j) => [vectorAt(n, seed + j), vectorAt(n, seed + 5 * j + 1), random() * 2 - 1]);
          points.push([new Float64Array(n), new Float64Array(n), 0]);
          expectEnginesAgree((x: Vector, y: Vector, s: Scalar) => runChain(c, x, y, s), [n, n, 'scalar'], wrt ? { wrt: [...wrt] } : {}, points);
        }),
        { numRuns: 100 },
      );
    });
  }

  it('a vector output through softmax: value and vjp agree', () => {
    const f = (x: Vector) => tanh(softmax(mul(x, x)));
    const g = compile(f, 6), i = compile(f, 6, { codegen: 'off' });
    const x = vectorAt(6, 3), u = vectorAt(6, 4);
    expectSameBits(g.value(x), i.value(x), 'value');
    expectSameBits(g.vjp(x, u), i.vjp(x, u), 'vjp');
    expect(g.stats.engine).toBe('generated');
  });

  it('the module validates, and names the core interpreter among its imports', () => {
    const f = (x: Vector) => sum(tanh(softmax(x)));
    const program = decode(compile(f, 5).toBytes());
    const generated = generateVectorModule(program, { valueBase: 1 << 20, adjointBase: 1 << 24, sharedMemory: false, tape: 64, firstSlot: 1 << 17 });
    if ('reason' in generated) throw new Error(generated.reason);
    expect(WebAssembly.validate(generated.bytes as BufferSource)).toBe(true);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(generated.bytes as BufferSource)).map((i) => i.name);
    expect(imports).toContain('forwardRun');
    expect(imports).toContain('reverseRun');
    // Without a tape to call back, such a tape is not generated, and the reason says so.
    const without = generateVectorModule(program, { valueBase: 1 << 20, adjointBase: 1 << 24, sharedMemory: false });
    expect('reason' in without && without.reason).toMatch(/no tape/);
  });
});

describe('the examples\' models run generated code, matmul and softmax called in the core', () => {
  it('the MLP (64-128-10, batch 32, data as data): the same bits as the interpreter', () => {
    const { inputs, classes, batch } = DESIGN_MLP;
    const params = vectorAt(mlpLayout(DESIGN_MLP).size, 1, -0.3, 0.3);
    const x = withOnesColumn(vectorAt(batch * inputs, 2, -1, 1), batch, inputs);
    const y = new Float64Array(batch * classes).map((_, i) => (i % classes === Math.floor(i / classes) % classes ? 1 : 0));
    const g = compile(mlpLoss(DESIGN_MLP), params.length, x.length, y.length, { wrt: [0] });
    const i = compile(mlpLoss(DESIGN_MLP), params.length, x.length, y.length, { wrt: [0], codegen: 'off' });
    expect(g.stats.engineReason).toBeUndefined();
    const gv = g.valueAndGrad(params, x, y), iv = i.valueAndGrad(params, x, y);
    expect(g.stats.engine).toBe('generated');
    expectSameBits(gv.value, iv.value, 'loss');
    expectSameBits(gv.grad, iv.grad, 'gradient');
  });

  it('the MNIST model over its parameter tree (batch 4): the same bits as the interpreter', () => {
    const hidden = 16, batch = 4;
    const tree = parameterTree(vectorAt(parameterLayout(hidden).size, 3, -0.05, 0.05), hidden);
    const images = vectorAt(batch * 784, 4, 0, 1);
    const labels = new Float64Array(batch * 10).map((_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
    const g = compile(treeLoss(batch), shapeOf(tree), batch * 784, batch * 10, { wrt: [0] });
    const i = compile(treeLoss(batch), shapeOf(tree), batch * 784, batch * 10, { wrt: [0], codegen: 'off' });
    const gv = g.valueAndGrad(tree, images, labels), iv = i.valueAndGrad(tree, images, labels);
    expect(g.stats.engine, g.stats.engineReason).toBe('generated');
    expectSameBits(gv.value, iv.value, 'loss');
    expectSameBits(gv.grad, iv.grad, 'gradient');
  });
});

describe('what stays on the interpreter', () => {
  it('a tape with a custom op: its rules run in JavaScript', () => {
    const twice = defineOp('hybridTwice', { value: (a: number) => 2 * a, vjp: (_inputs, _y, g) => [2 * (g as number)] });
    const f = (x: Vector) => sum(mul(softmax(x), twice(x.at(0))));
    const g = compile(f, 3);
    expect(g.stats.engine).toBe('interpreter');
    expect(g.stats.engineReason).toMatch(/custom op/);
    expect(g.valueAndGrad(vectorAt(3, 5)).value).toBeCloseTo(compile(f, 3, { codegen: 'off' }).valueAndGrad(vectorAt(3, 5)).value, 15);
  });

  it('a tape whose sweep would be one function of more than 256 KiB', () => {
    // 40,000 elementwise rows: at least 8 bytes of forward code each.
    const f = (x: Vector) => {
      let v = x;
      for (let k = 0; k < 40_000; k++) v = tanh(v);
      return sum(softmax(v));
    };
    const g = compile(f, 2);
    expect(g.stats.engine).toBe('interpreter');
    expect(g.stats.engineReason).toMatch(/would exceed 262144 bytes/);
  });
});
