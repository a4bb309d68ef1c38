/** @file Axis reductions, logsumexp's extra term, transpose, gather, cross and column
 *  broadcasting through expectAd (both backends, eager and compiled, JVP and HVP against
 *  differences of the level below), against the same functions in scalar ops; tie, NaN and
 *  error rules; the new rows through toBytes, fromBytes and toString. */
import { describe, expect, it } from 'vitest';
import {
  ArgumentError, Matrix, ShapeError, Tape, TapeFormatError, add, compile, cross, div, dot, exp, fromBytes, gather, log, logsumexp,
  matmul, max, mean, min, mul, sin, square, sub, sum, transpose, valueAndGrad, where, type Operand, type Scalar, type Vector,
} from '../src/index.js';
import { expectAd, type AdOptions } from './support/expect-ad.js';
import { BACKENDS, seededRandom, thrown } from './helpers.js';

type Interval = readonly [number, number];
const random = seededRandom(20_261_202);
const uniform = (n: number, [lo, hi]: Interval) => Float64Array.from({ length: n }, () => lo + (hi - lo) * random());
const FD = { rtol: 1e-6, atol: 1e-8, scaled: true };
const SAME = { rtol: 1e-12, atol: 1e-12, scaled: true };
/** expectAd with every check, f = g written in scalar ops, and the full Hessian (small inputs). */
const check = (f: (...vs: Vector[]) => Operand, g: (...vs: Vector[]) => Operand, inputs: Float64Array[], name: string, options: AdOptions = {}) =>
  expectAd(f, [inputs], { name, sameAs: g, hessian: inputs.reduce((n, x) => n + x.length, 0) <= 12, ...options, tolerance: { sameAs: SAME, gradient: FD, ...options.tolerance } });

/** Σ wᵢ yᵢ in scalar ops: folds a vector result into a scalar with weights that tell entries apart. */
const weighted = (w: Float64Array, ys: readonly Operand[]): Operand => ys.reduce<Operand>((s, y, i) => add(s, mul(w[i], y)), 0);
const line = (m: Matrix, axis: 0 | 1, i: number): Scalar[] =>
  axis === 1 ? Array.from({ length: m.cols }, (_, j) => m.at(i, j)) : Array.from({ length: m.rows }, (_, j) => m.at(j, i));

const SHAPES: [number, number][] = [[3, 4], [1, 5], [4, 1], [2, 2]];

interface AxisReduction {
  name: string;
  vector: (m: Matrix, axis: 0 | 1) => Vector;
  scalar: (xs: Scalar[]) => Operand;
}
const REDUCTIONS: AxisReduction[] = [
  { name: 'sum', vector: (m, axis) => sum(m, { axis }), scalar: (xs) => xs.reduce<Operand>((s, x) => add(s, x), 0) },
  { name: 'mean', vector: (m, axis) => mean(m, { axis }), scalar: (xs) => mul(xs.reduce<Operand>((s, x) => add(s, x), 0), 1 / xs.length) },
  // Random elements never tie (ties are checked below).
  { name: 'max', vector: (m, axis) => max(m, { axis }), scalar: (xs) => xs.reduce<Operand>((s, x) => max(s, x), -Infinity) },
  { name: 'min', vector: (m, axis) => min(m, { axis }), scalar: (xs) => xs.reduce<Operand>((s, x) => min(s, x), Infinity) },
  { name: 'logsumexp', vector: (m, axis) => logsumexp(m, { axis }), scalar: (xs) => log(xs.reduce<Operand>((s, x) => add(s, exp(x)), 0)) },
];

describe('reductions along an axis', () => {
  for (const r of REDUCTIONS) {
    for (const axis of [0, 1] as const) {
      for (const [rows, cols] of SHAPES) {
        it(`${r.name}(m, { axis: ${axis} }) of a ${rows} × ${cols} matrix = the loop in scalar ops, with every expectAd check`, () => {
          const n = axis === 0 ? cols : rows;
          const w = uniform(n, [0.5, 2]);
          // sin makes the weighted sum curved, so the HVP has something to check.
          const f = (v: Vector) => dot(w, sin(r.vector(v.reshape(rows, cols), axis)));
          const g = (v: Vector) => weighted(w, Array.from({ length: n }, (_, i) => sin(r.scalar(line(v.reshape(rows, cols), axis, i)))));
          check(f, g, [uniform(rows * cols, [-2, 2])], `${r.name} axis ${axis}`);
        });
      }
    }
  }

  it('an r × c matrix gives a length-c vector along axis 0 and a length-r vector along axis 1', () => {
    const tape = new Tape();
    const m = (tape.input([1, 2, 3, 4, 5, 6]) as Vector).reshape(2, 3);
    expect(Array.from(sum(m, { axis: 0 }).value)).toEqual([5, 7, 9]);
    expect(Array.from(sum(m, { axis: 1 }).value)).toEqual([6, 15]);
    expect(Array.from(mean(m, { axis: 0 }).value)).toEqual([2.5, 3.5, 4.5]);
    expect(Array.from(max(m, { axis: 1 }).value)).toEqual([3, 6]);
    expect(Array.from(min(m, { axis: 0 }).value)).toEqual([1, 2, 3]);
    expect(sum(m, { axis: 0 }).shape).toEqual([3]);
    tape.dispose();
  });

  it('empty lines: sum 0, max −∞, min +∞, logsumexp −∞, mean NaN; no lines: an empty vector', () => {
    const tape = new Tape();
    const empty = (tape.input([]) as Vector).reshape(3, 0);
    expect(Array.from(sum(empty, { axis: 1 }).value)).toEqual([0, 0, 0]);
    expect(Array.from(max(empty, { axis: 1 }).value)).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(Array.from(min(empty, { axis: 1 }).value)).toEqual([Infinity, Infinity, Infinity]);
    expect(Array.from(logsumexp(empty, { axis: 1 }).value)).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(Array.from(mean(empty, { axis: 1 }).value)).toEqual([NaN, NaN, NaN]);
    expect(sum(empty, { axis: 0 }).length).toBe(0);
    expect(Array.from(logsumexp(empty, { axis: 1, extra: 2 }).value)).toEqual([2, 2, 2]);
    tape.dispose();
  });

  it('bad axes and operands are refused with the fix', () => {
    const tape = new Tape();
    const v = tape.input([1, 2, 3, 4]) as Vector;
    const m = v.reshape(2, 2);
    for (const axis of [2, -1, '0', null]) {
      const e = thrown(() => sum(m, { axis } as unknown as { axis: 0 }));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(/axis must be 0 \(reduce each column\) or 1/);
    }
    expect(thrown(() => sum(v as unknown as Matrix, { axis: 0 })).message).toMatch(/takes a matrix handle.*without an axis/);
    expect(thrown(() => max([1, 2] as unknown as Matrix, { axis: 1 })).message).toMatch(/max along an axis takes a matrix handle/);
    expect(thrown(() => sum(m, 0 as unknown as { axis: 0 })).message).toMatch(/options must be an object/);
    // No axis: every element, as without options.
    expect(sum(m, {} as { axis: 0 }).value).toBe(10);
    expect(max(m, {} as { axis: 0 }).value).toBe(4);
    tape.dispose();
  });
});

describe.each(BACKENDS)('max and min along an axis: ties and NaN on %s', (backend) => {
  const gradientOf = (f: (m: Matrix) => Vector, x: number[], rows: number) => {
    const { value, grad } = valueAndGrad((v: Vector) => dot([1, 10], f(v.reshape(rows, x.length / rows))), { backend })(Float64Array.from(x));
    return { value, grad: Array.from(grad) };
  };

  it('ties in a line share its adjoint evenly, as max(x) does', () => {
    // Rows (3, 3, 1) and (2, 5, 5): the maxima tie; weights 1 and 10 keep the rows apart.
    expect(gradientOf((m) => max(m, { axis: 1 }), [3, 3, 1, 2, 5, 5], 2)).toEqual({ value: 53, grad: [0.5, 0.5, 0, 0, 5, 5] });
    expect(gradientOf((m) => min(m, { axis: 1 }), [3, 3, 1, 2, 2, 5], 2)).toEqual({ value: 21, grad: [0, 0, 1, 5, 5, 0] });
    // Columns (4, 4) and (1, 7): axis 0.
    expect(gradientOf((m) => max(m, { axis: 0 }), [4, 1, 4, 7], 2)).toEqual({ value: 74, grad: [0.5, 0, 0.5, 10] });
  });

  it('a line with a NaN is NaN and sends its adjoint to the NaNs; other lines are untouched', () => {
    const { value, grad } = gradientOf((m) => max(m, { axis: 1 }), [1, NaN, 3, 4, 6, 5], 2);
    expect(value).toBeNaN();
    expect(grad).toEqual([0, 1, 0, 0, 10, 0]);
    const tape = new Tape({ backend });
    const m = (tape.input([NaN, 2, 3, 4]) as Vector).reshape(2, 2);
    expect(Array.from(min(m, { axis: 0 }).value)).toEqual([NaN, 2]);
    tape.dispose();
  });
});

describe('logsumexp with an extra term', () => {
  const lse = (xs: Operand[], extra: Operand) => log(xs.reduce<Operand>((s, x) => add(s, exp(x)), exp(extra)));

  it('logsumexp(v, { extra: c }) = log(eᶜ + Σ eˣ), with every expectAd check', () => {
    for (const c of [0, -1.5, 2]) {
      check((v) => logsumexp(v, { extra: c }), (v) => lse([...v], c), [uniform(5, [-2, 2])], `logsumexp extra ${c}`);
    }
  });

  it('the extra term may be a scalar handle, differentiated too', () => {
    check((v, e) => logsumexp(v, { extra: e.at(0) }), (v, e) => lse([...v], e.at(0)), [uniform(4, [-2, 2]), uniform(1, [-1, 1])], 'logsumexp extra handle');
  });

  for (const axis of [0, 1] as const) {
    it(`logsumexp(m, { axis: ${axis}, extra: 0 }) = the loop in scalar ops, with every expectAd check`, () => {
      const [rows, cols] = [3, 4];
      const n = axis === 0 ? cols : rows;
      const w = uniform(n, [0.5, 2]);
      check(
        (v) => dot(w, logsumexp(v.reshape(rows, cols), { axis, extra: 0 })),
        (v) => weighted(w, Array.from({ length: n }, (_, i) => lse(line(v.reshape(rows, cols), axis, i), 0))),
        [uniform(rows * cols, [-2, 2])],
        `logsumexp axis ${axis} extra`,
      );
    });
  }

  it('is stable for large inputs and folds on constant arrays', () => {
    const tape = new Tape();
    const v = tape.input([1000, 999]) as Vector;
    expect(logsumexp(v, { extra: 0 }).value).toBeCloseTo(1000 + Math.log(1 + Math.exp(-1)), 10);
    expect(logsumexp(v, { extra: 2000 }).value).toBe(2000);
    tape.dispose();
    expect(logsumexp([0, 0], { extra: 0 })).toBeCloseTo(Math.log(3), 15);
    expect(thrown(() => logsumexp([1], { extra: 'x' as unknown as number })).message).toMatch(/extra must be a number or a scalar handle/);
  });
});

describe('transpose', () => {
  for (const [rows, cols] of [...SHAPES, [1, 1]] as [number, number][]) {
    it(`transpose of a ${rows} × ${cols} matrix = the elements read (j, i), with every expectAd check`, () => {
      const w = uniform(rows * cols, [0.5, 2]);
      check(
        (v) => dot(w, sin(transpose(v.reshape(rows, cols))).flatten()),
        (v) => {
          const m = v.reshape(rows, cols);
          return weighted(w, Array.from({ length: rows * cols }, (_, k) => sin(m.at(k % rows, Math.floor(k / rows)))));
        },
        [uniform(rows * cols, [-2, 2])],
        `transpose ${rows}×${cols}`,
      );
    });
  }

  it('transpose(A)·B = matmul with transposeA; shape [c, r]; transpose twice is the identity', () => {
    check(
      (a, b) => sum(square(matmul(transpose(a.reshape(3, 2)), b.reshape(3, 2)))),
      (a, b) => sum(square(matmul(a.reshape(3, 2), b.reshape(3, 2), { transposeA: true }))),
      [uniform(6, [-1, 1]), uniform(6, [-1, 1])],
      'transpose in matmul',
    );
    const tape = new Tape();
    const m = (tape.input([1, 2, 3, 4, 5, 6]) as Vector).reshape(2, 3);
    expect(transpose(m).shape).toEqual([3, 2]);
    expect(Array.from(transpose(m).value)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(transpose(transpose(m)).value)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(transpose(m.sliceRows(0, 0)).shape).toEqual([3, 0]);
    expect(thrown(() => transpose(m.flatten() as unknown as Matrix))).toBeInstanceOf(ShapeError);
    tape.dispose();
  });
});

describe('gather', () => {
  it('gather(v, indices) = v.at(k) for each index, repeats allowed, with every expectAd check', () => {
    const indices = [4, 0, 0, 2, 4, 4, 1];
    const w = uniform(indices.length, [0.5, 2]);
    check((v) => dot(w, square(gather(v, indices))), (v) => weighted(w, indices.map((k) => square(v.at(k)))), [uniform(5, [-2, 2])], 'gather');
  });

  it('its adjoint is a scatter-add: a repeated index sums its adjoints; unpicked elements get 0', () => {
    for (const backend of BACKENDS) {
      const { value, grad } = valueAndGrad((v: Vector) => dot([1, 10, 100, 1000], gather(v, Int32Array.of(2, 0, 2, 2))), { backend })(Float64Array.of(1, 2, 3));
      expect(value).toBe(3 + 10 + 300 + 3000);
      expect(Array.from(grad)).toEqual([10, 0, 1101]);
    }
  });

  it('reads a matrix row-major, folds on constant arrays, and records nothing for no indices', () => {
    const tape = new Tape();
    const m = (tape.input([1, 2, 3, 4, 5, 6]) as Vector).reshape(2, 3);
    expect(Array.from(gather(m, [5, 3]).value)).toEqual([6, 4]);
    expect(gather(m, []).length).toBe(0);
    tape.dispose();
    expect(gather([7, 8, 9], [2, 2, 0])).toEqual(Float64Array.of(9, 9, 7));
  });

  it('an index out of range, negative, non-integer or not a number is an ArgumentError naming it', () => {
    const tape = new Tape();
    const v = tape.input([1, 2, 3]) as Vector;
    for (const [bad, at] of [[3, 1], [-1, 1], [1.5, 1], [NaN, 1], ['1', 1]] as const) {
      const e = thrown(() => gather(v, [0, bad as number]));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toContain(`index ${String(bad)} at position ${at} is not an integer in [0, 3)`);
    }
    expect(thrown(() => gather(v, 2 as unknown as number[])).message).toMatch(/gather takes an array of indices/);
    expect(thrown(() => gather([1, 2], [2])).message).toMatch(/not an integer in \[0, 2\)/);
    tape.dispose();
  });
});

describe('cross', () => {
  const formula = (a: Vector, b: Vector): Operand[] => [
    sub(mul(a.at(1), b.at(2)), mul(a.at(2), b.at(1))),
    sub(mul(a.at(2), b.at(0)), mul(a.at(0), b.at(2))),
    sub(mul(a.at(0), b.at(1)), mul(a.at(1), b.at(0))),
  ];

  it('cross(a, b) = the component formula, with every expectAd check (a curved function of it)', () => {
    const w = uniform(3, [0.5, 2]);
    check((a, b) => dot(w, sin(cross(a, b))), (a, b) => weighted(w, formula(a, b).map((x) => sin(x))), [uniform(3, [-1, 1]), uniform(3, [-1, 1])], 'cross');
  });

  it('e₀ × e₁ = e₂; a × a = 0; a · (a × b) = 0; constant operands work and fold', () => {
    expect(cross([1, 0, 0], [0, 1, 0])).toEqual(Float64Array.of(0, 0, 1));
    const tape = new Tape();
    const a = tape.input([1, 2, 3]) as Vector;
    expect(Array.from(cross(a, a).value)).toEqual([0, 0, 0]);
    expect(dot(a, cross(a, [4, -5, 6])).value).toBe(0);
    expect(Array.from(cross([4, 5, 6], a).value)).toEqual([3, -6, 3]);
    expect(thrown(() => cross(a.slice(0, 2), a.slice(0, 2)))).toBeInstanceOf(ShapeError);
    expect(thrown(() => cross(a.reshape(3, 1) as unknown as Vector, a)).message).toMatch(/two 3-vectors/);
    tape.dispose();
  });
});

describe('an untaken where() branch adds nothing through one-output vector rows', () => {
  it('dot and cross of a 0/0 in the untaken branch leave the gradient and the HVP finite', () => {
    // x/0 is NaN at 0 and ±∞ elsewhere; the reverse sweep must skip the rows that read it, as the
    // scalar rows do, instead of adding 0·NaN.
    const f = (x: Vector) => sum(where(1, square(x), mul(dot(div(x, 0), x), cross(div(x, 0), x))) as Vector);
    expectAd(f, [[Float64Array.of(0, 1.5, -2)]], { name: 'where over dot/cross of x/0', tolerance: { gradient: FD } });
    for (const backend of BACKENDS) expect(Array.from(valueAndGrad(f, { backend })(Float64Array.of(0, 1.5, -2)).grad)).toEqual([0, 3, -4]);
  });
});

describe('column broadcasting: an r × 1 matrix meets every column', () => {
  const OPS = [['add', add], ['sub', sub], ['mul', mul], ['div', div]] as const;
  for (const [name, op] of OPS) {
    for (const columnFirst of [false, true]) {
      it(`${name}(${columnFirst ? 'column, m' : 'm, column'}) = ${name} of each element with its row's entry, with every expectAd check`, () => {
        const [rows, cols] = [3, 4];
        const w = uniform(rows * cols, [0.5, 2]);
        const f = (v: Vector, c: Vector) => {
          const [m, col] = [v.reshape(rows, cols), c.reshape(rows, 1)];
          return dot(w, sin((columnFirst ? op(col, m) : op(m, col)) as Matrix).flatten());
        };
        const g = (v: Vector, c: Vector) => {
          const m = v.reshape(rows, cols);
          return weighted(w, Array.from({ length: rows * cols }, (_, k) => {
            const [x, y] = [m.at(Math.floor(k / cols), k % cols), c.at(Math.floor(k / cols))];
            return sin((columnFirst ? op(y, x) : op(x, y)) as Scalar);
          }));
        };
        check(f, g, [uniform(rows * cols, [0.5, 2]), uniform(rows, [0.5, 2])], `${name} column`, { hessian: false });
      });
    }
  }

  it('gives an r × c matrix; a 1 × c matrix broadcasts over rows; other shapes are a ShapeError naming the fix', () => {
    const tape = new Tape();
    const m = (tape.input([1, 2, 3, 4, 5, 6]) as Vector).reshape(2, 3);
    const col = (tape.input([10, 20]) as Vector).reshape(2, 1);
    const row = (tape.input([100, 200, 300]) as Vector).reshape(1, 3);
    expect((add(m, col) as Matrix).shape).toEqual([2, 3]);
    expect(Array.from((add(m, col) as Matrix).value)).toEqual([11, 12, 13, 24, 25, 26]);
    expect(Array.from((sub(col, m) as Matrix).value)).toEqual([9, 8, 7, 16, 15, 14]);
    expect(Array.from((add(row, m) as Matrix).value)).toEqual([101, 202, 303, 104, 205, 306]);
    const e = thrown(() => add(m, (tape.input([1, 2, 3]) as Vector).reshape(3, 1)));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/shapes \[2, 3\] and \[3, 1\] do not match.*reshape\(v, v.length, 1\)/);
    tape.dispose();
  });
});

describe.each(BACKENDS)('the new rows compiled, saved and printed on %s', (backend) => {
  const f = (v: Vector) =>
    add(add(sum(logsumexp(transpose(v.reshape(2, 3)), { axis: 1, extra: 0 })), dot([1, 2], max(v.reshape(2, 3), { axis: 1 }))), sum(gather(v, [5, 5, 1])));

  it('a compiled function using them round-trips through toBytes and replays at a new point', () => {
    const compiled = compile(f, 6, { backend });
    const reloaded = fromBytes(compiled.toBytes(), { backend });
    const x = uniform(6, [-1, 1]);
    expect(reloaded.valueAndGrad(x)).toEqual(compiled.valueAndGrad(x));
    expect(compiled.valueAndGrad(x)).toEqual(valueAndGrad(f, { backend })(x));
    const text = compiled.toString();
    expect(text).toMatch(/vecTranspose\(v₀…v₅; 2×3\)/);
    expect(text).toMatch(/vecGather\(v₀…v₅, /);
    compiled.dispose();
    reloaded.dispose();
  });

  it('fromBytes refuses a transpose whose elements are not whole rows, and a bad gather index gives NaN, not a trap', () => {
    const compiled = compile((v: Vector) => add(sum(transpose(v.reshape(2, 2))), sum(gather(v, [3]))), 4, { backend });
    const bytes = compiled.toBytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const rows = view.getUint32(8, true);
    const consts = view.getUint32(12, true);
    // Format 3: a 28-byte header, then args, outputs and the wrt list.
    const opAt = 28 + 4 * (view.getUint32(16, true) + view.getUint32(20, true) + view.getUint32(24, true));
    const aAt = opAt + ((rows + 3) & ~3);
    const bAt = aAt + 4 * rows;
    const transposeRow = Array.from(bytes.subarray(opAt, opAt + rows)).indexOf(140);
    expect(transposeRow).toBeGreaterThan(0);
    // The Param row before it holds (elements, columns): 3 columns do not divide 4 elements.
    const broken = bytes.slice();
    new DataView(broken.buffer).setInt32(bAt + 4 * (transposeRow - 1), 3, true);
    expect(thrown(() => fromBytes(broken, { backend }))).toBeInstanceOf(TapeFormatError);
    // The gather's index is the last constant: 7 names no element of a 4-vector.
    const hostile = bytes.slice();
    // (The constants end 4 bytes before the end: the empty custom-op name table follows them.)
    new DataView(hostile.buffer).setFloat64(bytes.length - 4 - 8, 7, true);
    const reloaded = fromBytes(hostile, { backend });
    const { value, grad } = reloaded.valueAndGrad(Float64Array.of(1, 2, 3, 4));
    expect(value).toBeNaN();
    expect(Array.from(grad as Float64Array)).toEqual([1, 1, 1, 1]);
    compiled.dispose();
    reloaded.dispose();
  });
});
