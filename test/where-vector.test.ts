/** @file where(cond, a, b) over tensors: one VecSelect row, to the bit what the three rows formats
 *  1–3 saved (two copies and a select) computed, every mode, both backends and engines. */
import { describe, expect, it } from 'vitest';
import {
  compile, fromBytes, grad, where, gt, lt, mul, add, sin, exp, square, sum, dot, neg, concat, reshape, Tape, TapeFormatError,
  type Scalar, type Vector, type Tensor,
} from '../src/index.js';
import { Op } from '../assembly/shared/ops.js';
import { expectAd } from './support/expect-ad.js';
import { expectEnginesAgree } from './support/engines.js';
import { whereAsSaved } from './support/where-as-saved.js';
import { BACKENDS, denseFromSparse, seededRandom } from './helpers.js';

type Branch = Parameters<typeof where>[1];
type WhereOf = (c: Branch, a: Branch, b: Branch, shape: Tensor) => Tensor;

const W = Float64Array.of(0.7, -1.3, 0.4, 2.1, -0.6);
const CAPTURED = Float64Array.of(2.5, -1, 0.25, 4, -3);

const oneRow: WhereOf = (c, a, b) => where(c, a, b) as Tensor;
const threeRows: WhereOf = (c, a, b, shape) => whereAsSaved(c as never, a as never, b as never, shape);

/** Functions of (x, y: length 5, s), each written with `whereOf`. */
function cases(whereOf: WhereOf): Record<string, (x: Vector, y: Vector, s: Scalar) => Scalar> {
  return {
    'vector branches': (x, y, s) => dot(W, whereOf(gt(x, y), sin(x), mul(y, s), x) as Vector),
    'a scalar handle and a number as branches': (x, y, s) =>
      add(dot(W, whereOf(lt(x, 0), s, square(x), x) as Vector), dot(y, whereOf(gt(y, x), exp(y), 2, y) as Vector)),
    'a scalar condition': (x, y, s) => dot(W, whereOf(gt(s, 0), mul(x, y), exp(y), x) as Vector),
    'one scalar in both branches (their adjoints meet in one slot)': (x, y, s) => dot(mul(x, y), whereOf(gt(x, 0.1), s, s, x) as Vector),
    'one vector in both branches, and a captured array': (x, y, s) =>
      add(dot(W, whereOf(gt(y, 0), x, x, x) as Vector), dot(x, whereOf(lt(x, y), CAPTURED, mul(y, s), x) as Vector)),
    'a 2 × 3 matrix': (x, y, s) => {
      const m = reshape(concat(x, s), 2, 3), n = reshape(concat(y, s), 2, 3);
      return sum(mul(whereOf(gt(m, n), square(m), neg(n), m), m));
    },
  };
}

const ONE_ROW = cases(oneRow);
const THREE_ROWS = cases(threeRows);

/** Points whose comparisons sit well away from their thresholds (finite differences cross none). */
function points(count: number): [Float64Array, Float64Array, number][] {
  const random = seededRandom(41);
  const away = () => (random() < 0.5 ? -1 : 1) * (0.3 + random());
  return Array.from({ length: count }, () => {
    const x = Float64Array.from({ length: 5 }, away);
    const y = x.map((v) => v + (random() < 0.5 ? -1 : 1) * (0.3 + random()));
    return [x, y, away()] as [Float64Array, Float64Array, number];
  });
}

describe('where over tensors', () => {
  it.each(Object.keys(ONE_ROW))('%s: value, gradient, JVP, HVP and Hessian on both backends, bit for bit the three-row form', (name) => {
    expectAd(ONE_ROW[name], points(4), {
      name,
      sameAs: THREE_ROWS[name],
      hessian: true,
      tolerance: { sameAs: { ulps: 0 } },
    });
  });

  it.each(BACKENDS)('is one row on the %s backend (three in the form it replaces), and survives toBytes/fromBytes', (backend) => {
    for (const name of Object.keys(ONE_ROW)) {
      const f = compile(ONE_ROW[name], 5, 5, 'scalar', { backend });
      const old = compile(THREE_ROWS[name], 5, 5, 'scalar', { backend });
      try {
        const text = f.toString();
        expect(text, name).not.toMatch(/vecWhere/);
        expect(old.toString(), name).toMatch(/vecWhere/);
        const selects = text.split('\n').filter((line) => / = where\(/.test(line)).length;
        expect(selects, name).toBe(name.startsWith('a scalar handle') || name.startsWith('one vector') ? 2 : 1);
        // Each where: a VecSelect and its two Param rows, where the old form had three rows and three Param rows.
        expect(old.stats.rows - f.stats.rows, name).toBe(3 * selects);
        const saved = fromBytes(f.toBytes(), { backend });
        try {
          expect(saved.toString()).toBe(text);
          for (const [x, y, s] of points(3)) expect(saved.valueAndGrad(x, y, s)).toEqual(old.valueAndGrad(x, y, s));
        } finally {
          saved.dispose();
        }
      } finally {
        f.dispose();
        old.dispose();
      }
    }
  });

  it('prints its condition first, and draws it as a dashed edge', () => {
    const f = compile((x: Vector) => sum(where(gt(x, 0), x, 0)), 3);
    try {
      expect(f.toString()).toMatch(/v₈…v₁₀ = where\(v₄…v₆, v₀…v₂, v₇\)/);
      expect(f.toDot()).toContain('v4 -> v8 [style=dashed, label="cond"];');
    } finally {
      f.dispose();
    }
  });

  it('a NaN condition is false, ±∞ and any nonzero true, ±0 false: as the scalar where, on both backends', () => {
    const cond = Float64Array.of(NaN, Infinity, -Infinity, 0, -0, 1e-300, -2);
    const a = Float64Array.of(1, 2, 3, 4, 5, 6, 7);
    const b = Float64Array.of(-1, -2, -3, -4, -5, -6, -7);
    const taken = [false, true, true, false, false, true, true];
    // The condition as a traced argument, and as a captured array.
    const traced = (c: Vector, x: Vector, y: Vector) => dot(a, where(c, mul(x, 2), mul(y, 3)) as Vector);
    const captured = (x: Vector, y: Vector) => dot(a, where(cond, mul(x, 2), mul(y, 3)) as Vector);
    for (const backend of BACKENDS) {
      for (const codegen of ['auto', 'off'] as const) {
        const f = compile(traced, 7, 7, 7, { backend, codegen });
        const g = compile(captured, 7, 7, { backend, codegen });
        try {
          const { value, grad: [dc, dx, dy] } = f.valueAndGrad(cond, a, b);
          const scalarWay = Array.from(cond, (c, i) => where(c, 2 * a[i], 3 * b[i]) as number);
          expect(scalarWay).toEqual(taken.map((t, i) => (t ? 2 * a[i] : 3 * b[i])));
          expect(value).toBe(scalarWay.reduce((s, v, i) => s + a[i] * v, 0));
          expect(Array.from(dc)).toEqual(Array(7).fill(0));
          expect(Array.from(dx)).toEqual(taken.map((t, i) => (t ? 2 * a[i] : 0)));
          expect(Array.from(dy)).toEqual(taken.map((t, i) => (t ? 0 : 3 * a[i])));
          expect(g.valueAndGrad(a, b)).toEqual({ value, grad: [dx, dy] });
        } finally {
          f.dispose();
          g.dispose();
        }
      }
    }
    // Constants alone fold without a tape, by the same rule.
    expect(Array.from(where(cond, a, b) as unknown as Float64Array)).toEqual(taken.map((t, i) => (t ? a[i] : b[i])));
  });

  it('an untaken branch that is infinite or NaN leaves the gradient finite', () => {
    for (const backend of BACKENDS) {
      const g = grad((x: Vector) => sum(where(gt(x, 0), square(x), exp(mul(x, 1000)))), { backend })(Float64Array.of(2, -1, 3));
      expect(Array.from(g as Float64Array)).toEqual([4, 1000 * Math.exp(-1000), 6]);
      const h = grad((x: Vector) => sum(where(gt(x, 0), mul(x, 3), exp(mul(x, 1000)))), { backend })(Float64Array.of(2, 1));
      expect(Array.from(h as Float64Array)).toEqual([3, 3]);
    }
  });

  it('generated code and the interpreter agree to the bit (where runs on the core kernel among fused loops)', () => {
    const f = (x: Vector, y: Vector, s: Scalar) => sum(mul(where(gt(x, y), add(mul(x, y), s), square(sin(y))), add(x, 1)));
    const random = seededRandom(3);
    const pts = Array.from({ length: 3 }, () => [
      Float64Array.from({ length: 9 }, () => random() * 4 - 2),
      Float64Array.from({ length: 9 }, () => random() * 4 - 2),
      random(),
    ]);
    for (const backend of ['wasm'] as const) expectEnginesAgree(f, [9, 9, 'scalar'], { backend }, pts);
  });

  it.each(BACKENDS)('data branches (wrt) on the %s backend: no adjoint for them, the same gradient, and a tape that loads again', (backend) => {
    // The condition depends on x (differentiated), the branches on data alone: the result is data,
    // and a later row may call it so without the reader refusing the tape.
    const f = (x: Vector, d: Vector, e: Vector) => dot(x, where(gt(x, 0), mul(d, 2), exp(e)) as Vector);
    const x = Float64Array.of(1, -2, 3), d = Float64Array.of(4, 5, 6), e = Float64Array.of(0.1, 0.2, 0.3);
    const all = compile(f, 3, 3, 3, { backend });
    const some = compile(f, 3, 3, 3, { backend, wrt: [0] });
    try {
      const full = all.valueAndGrad(x, d, e);
      const part = some.valueAndGrad(x, d, e);
      expect(part.value).toBe(full.value);
      expect(part.grad).toEqual(full.grad[0]); // one differentiated argument: its gradient alone
      expect(Array.from(full.grad[0])).toEqual([8, Math.exp(0.2), 12]);
      const again = fromBytes(some.toBytes(), { backend });
      try {
        expect(again.valueAndGrad(x, d, e)).toEqual(part);
      } finally {
        again.dispose();
      }
    } finally {
      all.dispose();
      some.dispose();
    }
  });

  it('the sparsity of its Jacobian and Hessian: either branch, the condition none, linear in both', () => {
    const f = compile((x: Vector) => where(gt(x.slice(0, 3), 0), square(x.slice(0, 3)), mul(x.slice(3, 6), 2)), 6);
    const h = compile((x: Vector) => sum(where(gt(x.slice(3, 6), 0), square(x.slice(0, 3)), x.slice(3, 6))), 6);
    try {
      const x = Float64Array.of(1, -2, 3, 4, 5, -6);
      const jac = f.jacobian(x, { sparsity: 'auto' });
      expect(Array.from(jac.cols)).toEqual([0, 3, 1, 4, 2, 5]);
      expect(denseFromSparse(jac)).toEqual(f.jacobian(x));
      const hess = h.hessian(x, { sparsity: 'auto' });
      expect(Array.from(hess.cols)).toEqual([0, 1, 2]); // the squares' diagonal; the condition adds nothing
      expect(denseFromSparse(hess)).toEqual(h.hessian(x));
    } finally {
      f.dispose();
      h.dispose();
    }
  });

  it.each(BACKENDS)('an eager tape on the %s backend records one row too, and its values and adjoints', (backend) => {
    const tape = new Tape({ backend });
    try {
      const x = tape.input(Float64Array.of(-1, 2)) as Vector;
      const c = gt(x, 0) as Vector;
      const before = tape.stats.rows;
      const y = where(c, x, neg(x) as Vector) as Vector;
      // neg (a row and its Param row), then VecSelect and its two Param rows.
      expect(tape.stats.rows - before).toBe(2 + 3);
      expect(Array.from(tape.valuesView(y))).toEqual([1, 2]);
      tape.backward(dot(y, [3, 5]));
      expect(Array.from(tape.adjoints(x))).toEqual([-3, 5]);
    } finally {
      tape.dispose();
    }
  });

  it('shapes must match: a ShapeError names both', () => {
    expect(() => compile((x: Vector) => sum(where(gt(x, 0), x, [1, 2]) as Vector), 3)).toThrow(/where: shapes \[3\] and \[2\] do not match/);
  });
});

describe('a hostile VecSelect row', () => {
  const bytes = compile((x: Vector) => sum(where(gt(x, 0), x, 0)), 3).toBytes();
  const view = () => {
    const copy = bytes.slice();
    const data = new DataView(copy.buffer);
    const rows = data.getUint32(8, true);
    const opAt = 28 + 4 * (1 + 1 + 1);
    const op = copy.subarray(opAt, opAt + rows);
    const aAt = opAt + ((rows + 3) & ~3), bAt = aAt + 4 * rows;
    const r = op.indexOf(Op.VecSelect);
    return { copy, data, r, aAt, bAt };
  };

  it('is refused when its condition is not earlier slots, its flags unknown or its spare field set', () => {
    {
      const { copy, data, r, aAt } = view();
      data.setInt32(aAt + 4 * (r - 2), 9, true); // the condition's first slot: the row's own output
      expect(() => fromBytes(copy)).toThrow(TapeFormatError);
      expect(() => fromBytes(copy)).toThrow(/reads slots 9…11 as condition, past the \d+ earlier slots/);
    }
    {
      const { copy, data, r, bAt } = view();
      data.setInt32(bAt + 4 * (r - 1), data.getInt32(bAt + 4 * (r - 1), true) | (1 << 13), true);
      expect(() => fromBytes(copy)).toThrow(/\(VecSelect\) has unknown flags/);
    }
    {
      const { copy, data, r, bAt } = view();
      data.setInt32(bAt + 4 * (r - 2), 1, true);
      expect(() => fromBytes(copy)).toThrow(/\(VecSelect\) has 1 in its second Param row's b, where 0 belongs/);
    }
  });
});
