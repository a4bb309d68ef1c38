/** @file Sparse Jacobians and Hessians ({ sparsity: 'auto' }): the detected patterns, the colourings,
 *  and the values against the dense jacobian/hessian and finite differences, on both backends,
 *  compiled and one-shot. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compile, jacobian, hessian, add, mul, sub, sin, cos, exp, tanh, square, gt, where, sum, dot, prod, max, logsumexp, softmax,
  matmul, matvec, reshape, concat, slice, ArgumentError, type Operand, type Vector, type Matrix, type SparseMatrix,
} from '../src/index.js';
import { decode } from '../src/compile/format.js';
import { jacobianPattern, hessianPattern, type Pattern } from '../src/higher/sparsity.js';
import { colourColumns, transpose } from '../src/higher/colouring.js';
import { jacobianPlan, hessianPlan, type SweepParts } from '../src/higher/sparse.js';
import { BACKENDS, denseFromSparse, expectClose, seededRandom, thrown } from './helpers.js';


/** The pattern as "row:col" strings, for comparing sets. */
function entries(p: Pattern | SparseMatrix): string[] {
  const out: string[] = [];
  for (let r = 0; r + 1 < p.rows.length; r++) for (let k = p.rows[r]; k < p.rows[r + 1]; k++) out.push(`${r}:${p.cols[k]}`);
  return out;
}

/** CSR well-formed: m + 1 offsets from 0 to nnz, columns ascending and in range in each row. */
function expectWellFormed(s: SparseMatrix, m: number, n: number): void {
  expect(s.shape).toEqual([m, n]);
  expect(s.rows.length).toBe(m + 1);
  expect(s.rows[0]).toBe(0);
  expect(s.rows[m]).toBe(s.cols.length);
  expect(s.values.length).toBe(s.cols.length);
  for (let r = 0; r < m; r++) {
    for (let k = s.rows[r]; k < s.rows[r + 1]; k++) {
      expect(s.cols[k]).toBeGreaterThanOrEqual(k > s.rows[r] ? s.cols[k - 1] + 1 : 0);
      expect(s.cols[k]).toBeLessThan(n);
    }
  }
}

/** J by central differences of the compiled function's values (one vector argument). */
function differenceJacobian(value: (x: Float64Array) => Float64Array | number, x: Float64Array): Float64Array {
  const n = x.length;
  const y0 = value(x);
  const m = typeof y0 === 'number' ? 1 : y0.length;
  const jac = new Float64Array(m * n);
  for (let i = 0; i < n; i++) {
    const h = 1e-6 * Math.max(1, Math.abs(x[i]));
    const plus = Float64Array.from(x), minus = Float64Array.from(x);
    plus[i] += h;
    minus[i] -= h;
    const yp = value(plus), ym = value(minus);
    for (let j = 0; j < m; j++) jac[j * n + i] = ((typeof yp === 'number' ? yp : yp[j]) - (typeof ym === 'number' ? ym : ym[j])) / (2 * h);
  }
  return jac;
}

const maxAbs = (x: ArrayLike<number>) => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** A compiled function's program, read back from its bytes (the same rows the plan reads). */
function programOf(f: { toBytes(): Uint8Array }): SweepParts['program'] {
  const p = decode(f.toBytes());
  return () => p;
}

// ── vector-valued functions of one vector of length N ──

const N = 12;

/** yᵢ = xᵢ₋₁ sin xᵢ + xᵢ₊₁² (ends: the missing neighbour is 0): tridiagonal. */
const banded = (x: Vector) => {
  const n = x.length;
  const left = concat(0, slice(x, 0, n - 1));
  const right = concat(slice(x, 1, n), 0);
  return add(mul(left, sin(x)), square(right));
};
/** Blocks of 3: (x₀x₁, e^{x₂} x₀, tanh(x₁ − x₂)) per block: block-diagonal. */
const blocks = (x: Vector) => {
  const parts: Operand[] = [];
  for (let b = 0; b + 2 < x.length; b += 3) {
    const [p, q, r] = [x.at(b), x.at(b + 1), x.at(b + 2)];
    parts.push(mul(p, q), mul(exp(r), p), tanh(sub(q, r)));
  }
  return parts;
};
/** Arrowhead: y₀ = Σ sin xᵢ, yᵢ = x₀ xᵢ². */
const arrowhead = (x: Vector) => concat(sum(sin(x)), mul(x.at(0), square(slice(x, 1, x.length))));
/** Dense: softmax. */
const denseSoftmax = (x: Vector) => softmax(x);
/** A 3 × 4 matrix times its own rows' x: matmul with structure (row i of C needs row i of A). */
const matrixProduct = (x: Vector) => {
  const a = reshape(slice(x, 0, 6), 3, 2);
  const b = reshape(slice(x, 6, 12), 2, 3);
  return matmul(a, b);
};
/** where over vectors, comparisons and a max: piecewise rows. */
const branches = (x: Vector) => {
  const n = x.length;
  const a = slice(x, 0, n / 2), b = slice(x, n / 2, n);
  return concat(where(gt(a, b), mul(a, b), cos(a)), max(x));
};

const JACOBIAN_CASES: [string, (x: Vector) => unknown, number | undefined][] = [
  ['banded (tridiagonal)', banded, 3 * N - 2],
  ['block-diagonal', blocks, 6 * (N / 3)],
  ['arrowhead', arrowhead, N + 2 * (N - 1)],
  ['dense (softmax)', denseSoftmax, N * N],
  ['matmul', matrixProduct, 9 * 4],
  ['where and max', branches, undefined],
];

describe.each(BACKENDS)('sparse Jacobians (%s)', (backend) => {
  const random = seededRandom(backend === 'wasm' ? 11 : 12);
  const point = () => Float64Array.from({ length: N }, () => 2 * random() - 1);

  it.each(JACOBIAN_CASES)('%s: = the dense Jacobian in every mode, ≈ differences, CSR well formed', (_, f, nnz) => {
    const c = compile(f as (x: Vector) => Vector, N, { backend });
    for (let trial = 0; trial < 3; trial++) {
      const x = point();
      const full = c.jacobian(x);
      const m = full.length / N;
      for (const mode of ['auto', 'forward', 'reverse'] as const) {
        const s = c.jacobian(x, { sparsity: 'auto', mode });
        expectWellFormed(s, m, N);
        if (nnz !== undefined) expect(s.cols.length, 'nonzeros').toBe(nnz);
        expectClose(denseFromSparse(s), full, 1e-14, 1e-14, `${mode} vs dense`);
      }
      expectClose(denseFromSparse(c.jacobian(x, { sparsity: 'auto' })), differenceJacobian((v) => c.value(v), x), 1e-6, 1e-7 * Math.max(1, maxAbs(full)), 'vs differences');
    }
    c.dispose();
  });

  it('the patterns of the structured cases are exact, and few colours suffice', () => {
    const tridiagonal = jacobianPattern(programOf(compile(banded, N, { backend }))());
    const expected: string[] = [];
    for (let i = 0; i < N; i++) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < N) expected.push(`${i}:${j}`);
    expect(entries(tridiagonal)).toEqual(expected);
    expect(colourColumns(tridiagonal, transpose(tridiagonal, N)).count).toBe(3);
    // yᵢ = x₀ xᵢ² (i ≥ 1): column 0 meets every row, column i only row i: two colours.
    const spokes = jacobianPattern(programOf(compile((x: Vector) => mul(x.at(0), square(slice(x, 1, x.length))), N, { backend }))());
    expect(colourColumns(spokes, transpose(spokes, N)).count).toBe(2);
    // With the dense row Σ sin xᵢ on top every pair of columns meets: a column colouring needs N.
    const arrow = jacobianPattern(programOf(compile(arrowhead, N, { backend }))());
    expect(colourColumns(arrow, transpose(arrow, N)).count).toBe(N);
    const block = jacobianPattern(programOf(compile(blocks, N, { backend }))());
    expect(colourColumns(block, transpose(block, N)).count).toBe(3);
  });

  it('past the colouring budget every column gets its own colour (the dense sweeps), still exact', () => {
    const tridiagonal = jacobianPattern(programOf(compile(banded, N, { backend }))());
    const t = transpose(tridiagonal, N);
    expect(colourColumns(tridiagonal, t, (3 * N - 2) * 3).count).toBe(3);
    const own = colourColumns(tridiagonal, t, 10);
    expect(own.count).toBe(N);
    expect(Array.from(own.colour)).toEqual(Array.from({ length: N }, (_, j) => j));
  });

  it('auto picks the fewer colours: columns for a tall banded J, rows for a wide one', () => {
    const tall = compile(banded, N, { backend });
    const tallPlan = jacobianPlan({ program: programOf(tall) } as SweepParts, N, 'auto');
    expect(tallPlan.forward).toBe(true);
    expect(tallPlan.colours.count).toBe(3);
    // y = (Σ xᵢ², x₀ x₁): the dense first row makes every column collide, two rows never need more than 2.
    const wide = compile((x: Vector) => [dot(x, x), mul(x.at(0), x.at(1))], N, { backend });
    const widePlan = jacobianPlan({ program: programOf(wide) } as SweepParts, N, 'auto');
    expect(widePlan.forward).toBe(false);
    expect(widePlan.colours.count).toBe(2);
    const x = point();
    expectClose(denseFromSparse(wide.jacobian(x, { sparsity: 'auto' })), wide.jacobian(x), 1e-15, 1e-15, 'wide');
    tall.dispose();
    wide.dispose();
  });

  it('several arguments and scalar ops: columns run over all input elements in argument order', () => {
    const f = (s: Operand, v: Vector, t: Operand) => [mul(s, v.at(0)), sin(mul(v.at(1), t)), exp(v.at(2)), add(s, t)];
    const c = compile(f, 'scalar', 3, 'scalar', { backend });
    const args = [0.3, Float64Array.of(0.1, -0.7, 0.4), -1.1] as const;
    const s = c.jacobian(...args, { sparsity: 'auto' });
    expect(entries(s)).toEqual(['0:0', '0:1', '1:2', '1:4', '2:3', '3:0', '3:4']);
    expectClose(denseFromSparse(s), c.jacobian(...args), 1e-15, 1e-15, 'vs dense');
    c.dispose();
  });

  it('the plan is kept: later calls at new points reuse it and return fresh matrices', () => {
    const c = compile(banded, N, { backend });
    const first = c.jacobian(point(), { sparsity: 'auto' });
    const firstValues = Float64Array.from(first.values);
    const x = point();
    const second = c.jacobian(x, { sparsity: 'auto' });
    expect(second).not.toBe(first);
    expect(second.cols).toEqual(first.cols);
    expect(first.values).toEqual(firstValues);
    expectClose(denseFromSparse(second), c.jacobian(x), 1e-15, 1e-15, 'second call');
    c.dispose();
  });

  it('one-shot jacobian(f, { sparsity }) = the compiled one', () => {
    const x = point();
    const c = compile(arrowhead, N, { backend });
    const once = jacobian(arrowhead, { backend, sparsity: 'auto' })(x);
    expect(once).toEqual(c.jacobian(x, { sparsity: 'auto' }));
    expect(jacobian(arrowhead, { backend, sparsity: 'none' })(x)).toEqual(c.jacobian(x));
    c.dispose();
  });
});

// ── Hessians ──

/** Σ xᵢ² e^{xᵢ}: separable (diagonal). */
const separable = (x: Vector) => sum(mul(square(x), exp(x)));
/** Rosenbrock in vector ops: tridiagonal. */
const rosenbrock = (x: Vector) => {
  const n = x.length;
  const head = slice(x, 0, n - 1), tail = slice(x, 1, n);
  return sum(add(mul(100, square(sub(tail, square(head)))), square(sub(1, head))));
};
/** x₀ Σ sin xᵢ: arrowhead (row 0 full, the diagonal, nothing else). */
const arrowHessian = (x: Vector) => mul(x.at(0), sum(sin(x)));
/** log Σ eˣ: dense. */
const denseHessian = (x: Vector) => logsumexp(x);
/** Blocks of 3 with a product: block-diagonal. */
const blockHessian = (x: Vector) => {
  let total: Operand = 0;
  for (let b = 0; b + 2 < x.length; b += 3) total = add(total, prod(slice(x, b, b + 3)));
  return total;
};
/** xᵀAx with A = x's own 3 × 4 block times a vector: matvec structure, and dot. */
const quadratic = (x: Vector) => dot(matvec(reshape(slice(x, 0, 8), 2, 4) as Matrix, slice(x, 8, 12)), slice(x, 0, 2));

const HESSIAN_CASES: [string, (x: Vector) => Operand, number | undefined][] = [
  ['separable (diagonal)', separable, N],
  ['banded (Rosenbrock)', rosenbrock, 3 * N - 2],
  ['arrowhead', arrowHessian, 3 * N - 2],
  ['dense (logsumexp)', denseHessian, N * N],
  ['block-diagonal (products)', blockHessian, (N / 3) * 9],
  ['matvec and dot', quadratic, undefined],
];

describe.each(BACKENDS)('sparse Hessians (%s)', (backend) => {
  const random = seededRandom(backend === 'wasm' ? 21 : 22);
  const point = () => Float64Array.from({ length: N }, () => 2 * random() - 1);

  it.each(HESSIAN_CASES)('%s: = the dense Hessian, symmetric, ≈ differences of gradients', (_, f, nnz) => {
    const c = compile(f, N, { backend });
    for (let trial = 0; trial < 3; trial++) {
      const x = point();
      const full = c.hessian(x);
      const s = c.hessian(x, { sparsity: 'auto' });
      expectWellFormed(s, N, N);
      if (nnz !== undefined) expect(s.cols.length, 'nonzeros').toBe(nnz);
      const d = denseFromSparse(s);
      expectClose(d, full, 1e-13, 1e-13 * Math.max(1, maxAbs(full)), 'vs dense');
      for (let i = 0; i < N; i++) for (let j = 0; j < i; j++) expect(d[i * N + j], `(${i}, ${j}) = (${j}, ${i})`).toBe(d[j * N + i]);
      const byDifferences = differenceJacobian((v) => Float64Array.from(c.grad(v)), x);
      expectClose(d, byDifferences, 1e-6, 1e-6 * Math.max(1, maxAbs(full)), 'vs differences of gradients');
    }
    c.dispose();
  });

  it('separable and banded patterns are exact; the direct colouring needs 1 and 3 colours', () => {
    const diagonal = hessianPattern(programOf(compile(separable, N, { backend }))());
    expect(entries(diagonal)).toEqual(Array.from({ length: N }, (_, i) => `${i}:${i}`));
    const band = hessianPattern(programOf(compile(rosenbrock, N, { backend }))());
    const expected: string[] = [];
    for (let i = 0; i < N; i++) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < N) expected.push(`${i}:${j}`);
    expect(entries(band)).toEqual(expected);
    const plan = (f: (x: Vector) => Operand) => hessianPlan({ program: programOf(compile(f, N, { backend })) } as SweepParts, N);
    expect(plan(separable).colours.count).toBe(1);
    expect(plan(rosenbrock).colours.count).toBe(3);
    expect(plan(denseHessian).colours.count).toBe(N);
  });

  it('linear and piecewise-linear parts add no interactions; a product of two inputs adds only its pair', () => {
    const f = (x: Vector) => add(add(sum(x), max(x)), mul(x.at(2), x.at(5)));
    const p = hessianPattern(programOf(compile(f, N, { backend }))());
    expect(entries(p)).toEqual(['2:5', '5:2']);
    const c = compile(f, N, { backend });
    const x = point();
    expectClose(denseFromSparse(c.hessian(x, { sparsity: 'auto' })), c.hessian(x), 0, 0, 'vs dense');
    c.dispose();
  });

  it('one-shot hessian(f, { sparsity }) = the compiled one; several arguments', () => {
    const f = (s: Operand, v: Vector) => add(mul(s, square(v.at(0))), exp(v.at(2)));
    const c = compile(f, 'scalar', 3, { backend });
    const v = Float64Array.of(0.5, -0.2, 0.3);
    const s = hessian(f, { backend, sparsity: 'auto' })(1.5, v);
    expect(s).toEqual(c.hessian(1.5, v, { sparsity: 'auto' }));
    expect(entries(s)).toEqual(['0:1', '1:0', '1:1', '3:3']);
    expectClose(denseFromSparse(s), c.hessian(1.5, v), 1e-15, 1e-15, 'vs dense');
    c.dispose();
  });
});

describe('random sparse structures (fast-check)', () => {
  it('each output a random product, sine or sum of a random subset: pattern = the subsets, values = dense', () => {
    const structure = fc.record({
      n: fc.integer({ min: 2, max: 9 }),
      outputs: fc.array(fc.record({ kind: fc.constantFrom('prod', 'sin', 'sum', 'exp'), members: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 8 }),
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(structure, ({ n, outputs, seed }) => {
        const subsets = outputs.map((o) => [...new Set(o.members.map((i) => i % n))].sort((a, b) => a - b));
        const f = (x: Vector) =>
          outputs.map((o, j) => {
            const xs = subsets[j].map((i) => x.at(i));
            if (o.kind === 'sum') return xs.reduce<Operand>((s, t) => add(s, t), 0);
            const p = xs.reduce<Operand>((s, t) => mul(s, t), 1);
            return o.kind === 'sin' ? sin(p) : o.kind === 'exp' ? exp(p) : p;
          });
        const random = seededRandom(seed);
        const x = Float64Array.from({ length: n }, () => 0.2 + random());
        for (const backend of BACKENDS) {
          const c = compile(f, n, { backend });
          const s = c.jacobian(x, { sparsity: 'auto' });
          expect(entries(s)).toEqual(subsets.flatMap((set, j) => set.map((i) => `${j}:${i}`)));
          expectClose(denseFromSparse(s), c.jacobian(x), 1e-15, 1e-15, 'vs dense');
          const scalar = compile((v: Vector) => sum(concat(...(f(v) as Operand[]))), n, { backend });
          expectClose(denseFromSparse(scalar.hessian(x, { sparsity: 'auto' })), scalar.hessian(x), 1e-13, 1e-13, 'Hessian vs dense');
          c.dispose();
          scalar.dispose();
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

describe('bad input', () => {
  it('unknown sparsity values, a sparse Hessian of a vector function', () => {
    const c = compile(banded, N);
    const x = new Float64Array(N);
    expect(thrown(() => c.jacobian(x, { sparsity: 'yes' as never })).message).toMatch(/sparsity "yes": use 'auto'/);
    expect(thrown(() => c.hessian(x, { sparsity: 'auto' }))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => c.hessian(x, { sparsity: 'auto' })).message).toMatch(/scalar function/);
    const s = compile(separable, N);
    expect(thrown(() => s.hessian(x, { sparsity: 1 as never })).message).toMatch(/hessian sparsity 1/);
    expect(thrown(() => jacobian(banded, { sparsity: 'dense' as never })(x))).toBeInstanceOf(ArgumentError);
    c.dispose();
    s.dispose();
  });
});
