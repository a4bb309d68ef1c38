/** @file Captured data as a matrix: reshape of a Float64Array or number[] (a ConstantMatrix) and
 *  number[][] in matmul, matvec, the elementwise ops and their row and column broadcasts. Each
 *  enters a handle's tape as one VecConst row, a data operand (no adjoint computed for it). */
import { describe, expect, it } from 'vitest';
import {
  compile, fromBytes, matmul, matvec, reshape, add, mul, sub, tanh, sum, mean, max, min, logsumexp, softmax, logSoftmax,
  transpose, where, gt, ConstantMatrix, ShapeError, Tape, type Matrix, type Scalar, type Vector,
} from '../src/index.js';
import { Op } from '../assembly/shared/ops.js';
import { DATA_A, DATA_B } from '../assembly/shared/vector.js';
import { expectAd } from './support/expect-ad.js';
import { expectEnginesAgree } from './support/engines.js';
import { BACKENDS, seededRandom } from './helpers.js';

const X = Float64Array.of(0.5, -1, 2, 1.5, 0.25, -0.75); // 3 × 2 (or 2 × 3)
const ROWS = [[1, -2], [0.5, 3], [-1, 0.25]];

/** C = A·B for row-major A (m × k) and B (k × n), in plain JS. */
function product(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): number[] {
  const c: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    c.push(s);
  }
  return c;
}

/** The op codes of a compiled function's rows and, per row, its Param fields, from its bytes. */
function rowsOf(bytes: Uint8Array): { op: Uint8Array; a: Int32Array; b: Int32Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const rows = view.getUint32(8, true);
  const opAt = 28 + 4 * (view.getUint32(16, true) + view.getUint32(20, true) + view.getUint32(24, true));
  const aAt = opAt + ((rows + 3) & ~3), bAt = aAt + 4 * rows;
  return {
    op: bytes.slice(opAt, opAt + rows),
    a: Int32Array.from({ length: rows }, (_, r) => view.getInt32(aAt + 4 * r, true)),
    b: Int32Array.from({ length: rows }, (_, r) => view.getInt32(bAt + 4 * r, true)),
  };
}

const count = (ops: Uint8Array, code: Op) => ops.filter((o) => o === code).length;

/** Rows of length 2 with well-separated values. */
function weights(n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => random() * 2 - 1);
}

describe('a captured matrix in matmul and matvec', () => {
  const cases = {
    'reshape(Float64Array) · W': (w: Vector) => sum(tanh(matmul(reshape(X, 3, 2), w.reshape(2, 2)))),
    'W · reshape(number[])ᵀ': (w: Vector) => sum(tanh(matmul(w.reshape(2, 2), reshape(Array.from(X), 3, 2), { transposeB: true }))),
    'number[][] · W': (w: Vector) => sum(tanh(matmul(ROWS, w.reshape(2, 2)))),
    'matvec(number[][], w)': (w: Vector) => sum(tanh(matvec(ROWS, w.slice(0, 2)))),
    'matvec(reshape(X)ᵀ, w)': (w: Vector) => sum(tanh(matvec(reshape(X, 3, 2), w.slice(0, 3), { transpose: true }))),
  };

  it.each(Object.keys(cases))('%s: value, gradient, JVP, HVP on both backends', (name) => {
    expectAd(cases[name as keyof typeof cases], [[weights(4, 1)], [weights(4, 2)]], { name });
  });

  it.each(BACKENDS)('enters the tape as one VecConst row flagged as data, on the %s backend; values as plain JS computes them', (backend) => {
    const f = compile((w: Vector) => sum(matmul(reshape(X, 3, 2), w.reshape(2, 2))), 4, { backend });
    const g = compile((w: Vector) => sum(matmul(w.reshape(2, 3), ROWS)), 6, { backend });
    try {
      const w = weights(4, 3);
      expect(f.value(w)).toBe(product(X, w, 3, 2, 2).reduce((s, v) => s + v, 0));
      // ∂/∂W Σ (XW) = Xᵀ·1: column sums of X, repeated over W's columns.
      const colSums = [X[0] + X[2] + X[4], X[1] + X[3] + X[5]];
      expect(Array.from(f.grad(w) as Float64Array)).toEqual([colSums[0], colSums[0], colSums[1], colSums[1]]);
      for (const [c, dataFlag] of [[f, DATA_A], [g, DATA_B]] as const) {
        const rows = rowsOf(c.toBytes());
        expect(count(rows.op, Op.VecConst)).toBe(1);
        expect(count(rows.op, Op.Const)).toBe(0);
        const r = rows.op.indexOf(Op.MatMul);
        expect(rows.b[r - 2] & (DATA_A | DATA_B)).toBe(dataFlag); // p2b: transpose and data flags
      }
      const w6 = weights(6, 4);
      expect(g.value(w6)).toBe(product(w6, ROWS.flat(), 2, 3, 2).reduce((s, v) => s + v, 0));
      const saved = fromBytes(f.toBytes(), { backend });
      try {
        expect(saved.valueAndGrad(w)).toEqual(f.valueAndGrad(w));
      } finally {
        saved.dispose();
      }
    } finally {
      f.dispose();
      g.dispose();
    }
  });

  it('on constants alone folds to a ConstantMatrix (matmul) or a Float64Array (matvec), as plain JS computes them', () => {
    const c = matmul(reshape(X, 2, 3), ROWS);
    expect(c).toBeInstanceOf(ConstantMatrix);
    expect(c.shape).toEqual([2, 2]);
    expect(Array.from(c)).toEqual(product(X, ROWS.flat(), 2, 3, 2));
    const v = matvec(ROWS, [2, -1]);
    expect(v).not.toBeInstanceOf(ConstantMatrix);
    expect(Array.from(v)).toEqual(product(ROWS.flat(), [2, -1], 3, 2, 1));
    // A folded product is captured data again.
    const f = compile((w: Vector) => sum(matmul(c, w.reshape(2, 1))), 2);
    try {
      expect(f.value(Float64Array.of(1, 1))).toBe(c[0] + c[1] + c[2] + c[3]);
    } finally {
      f.dispose();
    }
  });

  it('refuses mismatched sizes, ragged rows and non-matrices with a ShapeError naming them', () => {
    const f = (body: (w: Vector) => unknown) => () => compile((w: Vector) => sum(body(w) as Vector), 4);
    expect(f((w) => matmul(reshape(X, 2, 3), w.reshape(2, 2)))).toThrow(/matmul: A is 2 × 3 but B is 2 × 2 \(inner sizes differ; shapes \[2, 3\] and \[2, 2\]\)/);
    expect(f((w) => matmul([[1, 2], [3]], w.reshape(2, 2)))).toThrow(/matmul: row 1 of the number\[\]\[\] has 1 numbers but row 0 has 2/);
    expect(f((w) => matmul(X as never, w.reshape(2, 2)))).toThrow(ShapeError);
    expect(f((w) => matmul(X as never, w.reshape(2, 2)))).toThrow(/matmul takes A as a matrix: a matrix handle, reshape\(array, rows, cols\) of captured data, or a number\[\]\[\]/);
    expect(f((w) => matvec(ROWS, w))).toThrow(/matvec: A is 3 × 2 but the vector has length 4/);
    expect(() => reshape(X, 4, 2)).toThrow(/reshape: an array of length 6 cannot be viewed as 4 × 2/);
    expect(() => reshape([1, 2, 3], 1.5, 2)).toThrow(ShapeError);
  });
});

describe('a captured array broadcast over a matrix handle', () => {
  const bias = Float64Array.of(0.5, -2);       // meets every row of a 3 × 2 matrix
  const column = Float64Array.of(1, -1, 0.25); // as 3 × 1: meets every column
  const cases = {
    'a row (Float64Array of cols)': (w: Vector) => sum(tanh(add(w.reshape(3, 2), bias))),
    'a row first (number[])': (w: Vector) => sum(tanh(sub(Array.from(bias), w.reshape(3, 2)))),
    'a column (reshape(array, rows, 1))': (w: Vector) => sum(tanh(mul(w.reshape(3, 2), reshape(column, 3, 1)))),
    'a column first': (w: Vector) => sum(tanh(sub(reshape(column, 3, 1), w.reshape(3, 2)))),
    'a constant matrix of the same shape': (w: Vector) => sum(tanh(mul(reshape(X, 3, 2), w.reshape(3, 2)))),
    'a vector handle meeting a constant matrix': (w: Vector) => sum(tanh(add(reshape(X, 3, 2), w.slice(0, 2)))),
    'where with a constant matrix branch': (w: Vector) => sum(tanh(where(gt(w.reshape(3, 2), 0), reshape(X, 3, 2), w.reshape(3, 2)) as never)),
  };

  it.each(Object.keys(cases))('%s: value, gradient, JVP, HVP on both backends', (name) => {
    expectAd(cases[name as keyof typeof cases], [[weights(6, 5)], [weights(6, 6)]], { name });
  });

  it('is one VecConst row and one VecMapTiled row, the constant flagged as data; values as plain JS', () => {
    const w = weights(6, 7);
    for (const [name, f, want, flag] of [
      ['row', (v: Vector) => add(v.reshape(3, 2), bias), Array.from(w, (x, i) => x + bias[i % 2]), DATA_B],
      ['column', (v: Vector) => mul(reshape(column, 3, 1), v.reshape(3, 2)), Array.from(w, (x, i) => column[Math.floor(i / 2)] * x), DATA_A],
    ] as const) {
      const c = compile(f, 6);
      try {
        const rows = rowsOf(c.toBytes());
        expect(count(rows.op, Op.VecConst), name).toBe(1);
        expect(count(rows.op, Op.VecMapTiled), name).toBe(1);
        expect(rows.op.filter((o) => o !== Op.Param && o !== Op.Input && o !== Op.VecInput).length, name).toBe(2);
        const r = rows.op.indexOf(Op.VecMapTiled);
        expect(rows.b[r - 1] & (DATA_A | DATA_B), name).toBe(flag);
        expect(Array.from(c.value(w) as Float64Array), name).toEqual(want);
      } finally {
        c.dispose();
      }
    }
  });

  it('generated code and the interpreter agree to the bit', () => {
    const f = (w: Vector) => sum(mul(tanh(add(matmul(reshape(X, 3, 2), w.reshape(2, 3)), Float64Array.of(1, 2, 3))), reshape(column, 3, 1)));
    expectEnginesAgree(f, [6], { backend: 'wasm' }, [[weights(6, 8)], [weights(6, 9)]]);
  });

  it('on constants alone folds with the same rules, keeping the shape', () => {
    const m = add(reshape(X, 3, 2), bias);
    expect(m).toBeInstanceOf(ConstantMatrix);
    expect(m.shape).toEqual([3, 2]);
    expect(Array.from(m)).toEqual(Array.from(X, (x, i) => x + bias[i % 2]));
    const c = mul(reshape(column, 3, 1), reshape(X, 3, 2));
    expect(Array.from(c)).toEqual(Array.from(X, (x, i) => column[Math.floor(i / 2)] * x));
    expect(Array.from(tanh(reshape(X, 2, 3)))).toEqual(Array.from(X, Math.tanh));
    const w = where(gt(reshape(X, 3, 2), 0), reshape(X, 3, 2), 0) as unknown as ConstantMatrix;
    expect(w).toBeInstanceOf(ConstantMatrix);
    expect(w.shape).toEqual([3, 2]);
    expect(Array.from(w)).toEqual(Array.from(X, (x) => (x > 0 ? x : 0)));
  });

  it('mismatched sizes throw a ShapeError naming both shapes', () => {
    const f = (body: (w: Vector) => unknown) => () => compile((w: Vector) => sum(body(w) as Vector), 6);
    expect(f((w) => add(w.reshape(3, 2), [1, 2, 3]))).toThrow(/add: shapes \[3, 2\] and \[3\] do not match/);
    expect(f((w) => add(w.reshape(3, 2), reshape([1, 2], 2, 1)))).toThrow(/add: shapes \[3, 2\] and \[2, 1\] do not match/);
    expect(f((w) => mul(reshape(X, 2, 3), w.reshape(3, 2)))).toThrow(/mul: shapes \[2, 3\] and \[3, 2\] do not match/);
    expect(() => add(reshape(X, 2, 3), reshape(X, 3, 2))).toThrow(/add: shapes \[2, 3\] and \[3, 2\] do not match/);
  });

  it.each(BACKENDS)('a mismatch records nothing on the handle\'s tape (%s): the captured data is checked before it is recorded', (backend) => {
    const tape = new Tape({ backend });
    const m = tape.input(X).reshape(2, 3);
    const condition = gt(m, 0);
    const nodes = tape.stats.nodes;
    expect(() => add(m, reshape(X, 3, 2))).toThrow(ShapeError);
    expect(() => mul(reshape([1, 2, 3, 4], 2, 2), m)).toThrow(ShapeError);
    expect(() => where(condition, m, reshape(X, 3, 2))).toThrow(ShapeError);
    expect(tape.stats.nodes).toBe(nodes);
    // The tape goes on: a matching operand is recorded as before.
    expect(Array.from((add(m, reshape(X, 2, 3)) as Matrix).value)).toEqual(Array.from(X, (x) => 2 * x));
  });
});

describe('one-operand matrix ops on captured data', () => {
  // Each op on a 2 × 3 ConstantMatrix folds to what the same op computes on the same data passed
  // as an argument of a compiled function (within a few ulps: folding runs on a scratch tape,
  // whose exp may be JavaScript's where the compiled function's is the wasm core's).
  const ops: [string, (m: Matrix | ConstantMatrix) => unknown][] = [
    ['transpose', (m) => transpose(m as Matrix)],
    ['softmax', (m) => softmax(m as Matrix)],
    ['logSoftmax', (m) => logSoftmax(m as Matrix)],
    ...([0, 1] as const).flatMap((axis): [string, (m: Matrix | ConstantMatrix) => unknown][] => [
      [`sum axis ${axis}`, (m) => sum(m as Matrix, { axis })],
      [`mean axis ${axis}`, (m) => mean(m as Matrix, { axis })],
      [`logsumexp axis ${axis}`, (m) => logsumexp(m as Matrix, { axis })],
      [`logsumexp axis ${axis}, extra 0.5`, (m) => logsumexp(m as Matrix, { axis, extra: 0.5 })],
      [`max axis ${axis}`, (m) => max(m as Matrix, { axis })],
      [`min axis ${axis}`, (m) => min(m as Matrix, { axis })],
    ]),
  ];
  for (const [name, op] of ops) {
    it(`${name}: folds with the bits of the same data as an argument, keeping a matrix's shape`, () => {
      const folded = op(reshape(X, 2, 3)) as Float64Array;
      const traced = compile((v: Vector) => {
        const r = op(v.reshape(2, 3)) as Vector | Matrix;
        return r.reshape(1, r.length).flatten();
      }, 6);
      const expected = traced.value(X) as Float64Array;
      traced.dispose();
      expect(folded).toBeInstanceOf(Float64Array);
      expect(folded.length).toBe(expected.length);
      folded.forEach((v, i) => expect(Math.abs(v - expected[i]), `${name} [${i}]`).toBeLessThanOrEqual(1e-15 * Math.abs(expected[i])));
      const result = op(reshape(X, 2, 3));
      if (name === 'transpose') expect([(result as ConstantMatrix).rows, (result as ConstantMatrix).cols]).toEqual([3, 2]);
      if (name.endsWith('softmax') || name === 'logSoftmax') expect((result as ConstantMatrix).shape).toEqual([2, 3]);
    });
  }

  it('softmax and logSoftmax of a plain array fold to a Float64Array', () => {
    const v = Float64Array.of(1, 2, 3);
    const s = softmax(v);
    expect(s).toBeInstanceOf(Float64Array);
    const close = (a: Float64Array, b: Float64Array) => a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(1e-15 * Math.abs(b[i])));
    close(s, compile((x: Vector) => softmax(x), 3).value(v) as Float64Array);
    close(logSoftmax([1, 2, 3]), compile((x: Vector) => logSoftmax(x), 3).value(v) as Float64Array);
  });

  it.each(BACKENDS)('logsumexp along an axis with an extra handle records the captured matrix on its tape (%s)', (backend) => {
    const captured = compile((e: Scalar) => sum(logsumexp(reshape(X, 2, 3), { axis: 1, extra: e })), 'scalar', { backend });
    const asData = compile((e: Scalar, m: Vector) => sum(logsumexp(m.reshape(2, 3), { axis: 1, extra: e })), 'scalar', 6, { backend, wrt: [0] });
    for (const e of [-1, 0.5, 3]) expect(captured.valueAndGrad(e)).toEqual(asData.valueAndGrad(e, X));
    captured.dispose();
    asData.dispose();
  });
});
