/** @file ADBench's BA residuals written with wengert's vector ops for a batch of observations at
 *  once, and the sparse Jacobian of the whole problem from one compiled tape. */
import {
  add, compile, concat, cos, div, eq, gather, mul, sin, sqrt, square, sub, sum, where,
  type Backend, type CompiledFunction, type Matrix, type Vector,
} from '../../src/index.js';
import type { BaInput } from './io.js';

// A batch of b observations is one argument of 15b values, parameter-major: row k of the
// 15 × b matrix holds parameter k of every observation, in ADBench's block column order
// (r (3), C (3), f, u0, v0, κ1, κ2, X (3), w). Each observation has its own copy of its
// camera and point, so the residuals of observation i depend on column i only: one reverse
// sweep seeded with 1 on every x residual gives row 0 of every 2 × 15 block at once, one on
// the y residuals row 1, and −2w comes from the weight rows. Three sweeps per batch, whatever
// its size; the 3-vectors are 3 × b matrices, so every row of the tape spans the batch.

/** Parameters per observation, and the rows of the batch matrix they start at. */
export const BA_BLOCK = 15;
const R = 0, C = 3, F = 6, U0 = 7, V0 = 8, K1 = 9, K2 = 10, X = 11, W = 14;

/** a × b column by column for 3 × b matrices: a_yzx ⊙ b_zxy − a_zxy ⊙ b_yzx, the rows
 *  permuted by gather. */
function crossColumns(a: Matrix, b: Matrix, yzx: number[], zxy: number[]): Matrix {
  const [rows, cols] = [3, a.cols];
  const pick = (m: Matrix, order: number[]) => gather(m, order).reshape(rows, cols);
  return sub(mul(pick(a, yzx), pick(b, zxy)), mul(pick(a, zxy), pick(b, yzx))) as Matrix;
}

/** [x residuals (b), y residuals (b), w residuals (b)] of a batch of b observations that all
 *  see `feature`. */
export function baResidualsOnTape(feature: Float64Array, b: number) {
  const rowOrder = (first: number) => Array.from({ length: 3 * b }, (_, k) => ((Math.floor(k / b) + first) % 3) * b + (k % b));
  const yzx = rowOrder(1);
  const zxy = rowOrder(2);
  return (params: Vector): Vector => {
    const m = params.reshape(BA_BLOCK, b);
    const rows = (k: number, count: number) => m.sliceRows(k, k + count);
    const r = rows(R, 3);
    const y = sub(rows(X, 3), rows(C, 3)) as Matrix;
    // Rodrigues: y cos θ + (v × y) sin θ + v (v·y)(1 − cos θ), v = r/θ; ADBench's first-order
    // y + r × y where θ² is exactly 0 (where() keeps that column's 0/0 out of the derivatives).
    const theta2 = sum(square(r), { axis: 0 });
    const theta = sqrt(theta2);
    const c = cos(theta);
    const v = div(r, theta) as Matrix;
    const vy = sum(mul(v, y), { axis: 0 });
    const full = add(add(mul(y, c), mul(crossColumns(v, y, yzx, zxy), sin(theta))), mul(v, mul(vy, sub(1, c))));
    const first = add(y, crossColumns(r, y, yzx, zxy));
    const atZero = eq(concat(theta2, theta2, theta2).reshape(3, b), 0);
    const z = where(atZero, first, full) as Matrix;
    const px = div(z.row(0), z.row(2));
    const py = div(z.row(1), z.row(2));
    const s = add(square(px), square(py));
    const distortion = add(1, add(mul(m.row(K1), s), mul(m.row(K2), square(s))));
    const w = m.row(W);
    const residual = (p: Vector, principal: number, observed: number) =>
      mul(w, sub(add(mul(m.row(F), mul(p, distortion)), m.row(principal)), observed));
    return concat(residual(px, U0, feature[0]), residual(py, V0, feature[1]), sub(1, square(w)));
  };
}

/** Observations per compiled batch: large enough that each row's dispatch is amortised, small
 *  enough that the tape stays a few MB. */
export const BA_BATCH = 1024;

const compiledFor = new WeakMap<BaInput, Map<string, CompiledFunction>>();

/** Compiles a batch of b observations' residuals for this instance once (per backend and b). */
export function compileBa(input: BaInput, backend: Backend = 'wasm', b = Math.min(BA_BATCH, input.p)): CompiledFunction {
  let byKey = compiledFor.get(input);
  if (byKey === undefined) compiledFor.set(input, (byKey = new Map()));
  const key = `${backend} ${b}`;
  let fn = byKey.get(key);
  if (fn === undefined) {
    fn = compile(baResidualsOnTape(input.feature, b), BA_BLOCK * b, { backend });
    byKey.set(key, fn);
  }
  return fn;
}

/** A batch's argument: observation `first + i` in column i (camera (first + i) mod n and point
 *  (first + i) mod m; every ADBench file stores one camera and one point, SPEC §2.3). */
export function baBatchParameters(input: BaInput, b: number, out = new Float64Array(BA_BLOCK * b)): Float64Array {
  for (let i = 0; i < b; i++) {
    for (let k = 0; k < 11; k++) out[k * b + i] = input.camera[k];
    for (let k = 0; k < 3; k++) out[(X + k) * b + i] = input.point[k];
    out[W * b + i] = input.weight;
  }
  return out;
}

/** The sparse Jacobian's values in ADBench's CSR order: per observation i, the 2 × 15 block of
 *  [camera c_i (11), point t_i (3), weight i] (rows 2i, 2i + 1), then the p entries −2wᵢ. */
export function baJacobian(input: BaInput, backend: Backend = 'wasm', out = new Float64Array(31 * input.p)): Float64Array {
  const { p } = input;
  const full = Math.min(BA_BATCH, p);
  for (let first = 0; first < p; first += full) {
    const b = Math.min(full, p - first);
    const fn = compileBa(input, backend, b);
    const params = baBatchParameters(input, b);
    for (let row = 0; row < 3; row++) {
      const u = new Float64Array(3 * b);
      u.fill(1, row * b, (row + 1) * b);
      const g = fn.vjp(params, u) as Float64Array; // g[k·b + i] = ∂ residual (row) of i / ∂ parameter k of i
      for (let i = 0; i < b; i++) {
        if (row === 2) out[30 * p + first + i] = g[W * b + i];
        else for (let k = 0; k < BA_BLOCK; k++) out[30 * (first + i) + 15 * row + k] = g[k * b + i];
      }
    }
  }
  return out;
}
