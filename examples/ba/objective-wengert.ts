/** @file ADBench's BA residuals written with wengert's vector ops, and their sparse Jacobian.
 *
 *  Every step runs over all p observations at once (one vector row per step): the cameras' and
 *  points' parameters are first gathered into one vector per parameter, in observation order
 *  (a parameter's column by a matrix-vector product with a unit vector, then runs of it copied
 *  by concat). The residuals' Jacobian is sparse (15 nonzeros in a reprojection row, 1 in a
 *  weight row); `jacobian(…, { sparsity: 'auto' })` finds the pattern on the tape and colours it. */
import {
  compile, add, sub, mul, div, sqrt, sin, cos, square, gt, where, concat, slice, matvec, reshape,
  type Backend, type CompiledFunction, type Scalar, type SparseMatrix, type Vector,
} from '../../src/index.js';
import { CAMERA_PARAMETERS, type BaInput } from './io.js';

type V = Vector;

/** Column k of a rows × cols row-major block, as a vector of length rows. */
function column(block: V, rows: number, cols: number, k: number): V {
  const unit = new Float64Array(cols);
  unit[k] = 1;
  return matvec(reshape(block, rows, cols), unit);
}

/** column[index[i]] for every observation i, copied run by run (index i + 1 = index i + 1 continues a run). */
function gather(values: V, index: Int32Array): V {
  const parts: V[] = [];
  for (let i = 0; i < index.length; ) {
    let end = i + 1;
    while (end < index.length && index[end] === index[end - 1] + 1) end++;
    parts.push(slice(values, index[i], index[i] + (end - i)));
    i = end;
  }
  return concat(...parts);
}

const dot3 = (a: V[], b: V[]): V => add(add(mul(a[0], b[0]), mul(a[1], b[1])), mul(a[2], b[2]));
const cross3 = (a: V[], b: V[]): V[] => [
  sub(mul(a[1], b[2]), mul(a[2], b[1])),
  sub(mul(a[2], b[0]), mul(a[0], b[2])),
  sub(mul(a[0], b[1]), mul(a[1], b[0])),
];

/** The residual function of an instance: (cams (11n), points (3m), weights (p)) → the 3p
 *  residuals in ADBench's order ([x, y] of each observation, then each 1 − w²). */
export function baResiduals(input: BaInput): (cams: V, points: V, weights: V) => Scalar[] {
  const { n, m, p, camIndex, pointIndex } = input;
  const featureX = Float64Array.from({ length: p }, (_, i) => input.features[2 * i]);
  const featureY = Float64Array.from({ length: p }, (_, i) => input.features[2 * i + 1]);
  return (cams, points, w) => {
    const cam = Array.from({ length: CAMERA_PARAMETERS }, (_, k) => gather(column(cams, n, CAMERA_PARAMETERS, k), camIndex));
    const X = [0, 1, 2].map((k) => gather(column(points, m, 3, k), pointIndex));
    const r = cam.slice(0, 3);
    const Y = [0, 1, 2].map((k) => sub(X[k], cam[3 + k]));
    // Rodrigues: Z = Y cos θ + (v × Y) sin θ + v (v·Y)(1 − cos θ), v = r/θ; Y + r × Y at θ = 0.
    const theta2 = dot3(r, r);
    const theta = sqrt(theta2);
    const c = cos(theta), s = sin(theta);
    const v = r.map((rk) => div(rk, theta));
    const vxY = cross3(v, Y);
    const vy = mul(dot3(v, Y), sub(1, c));
    const rxY = cross3(r, Y);
    const Z = [0, 1, 2].map((k) => where(gt(theta2, 0), add(add(mul(Y[k], c), mul(vxY[k], s)), mul(v[k], vy)), add(Y[k], rxY[k])));
    // Perspective divide, radial distortion, projection, weighted residual.
    const px = div(Z[0], Z[2]), py = div(Z[1], Z[2]);
    const s2 = add(square(px), square(py));
    const distortion = add(add(1, mul(cam[9], s2)), mul(cam[10], square(s2)));
    const scale = mul(cam[6], distortion);
    const ex = mul(w, sub(add(mul(scale, px), cam[7]), featureX));
    const ey = mul(w, sub(add(mul(scale, py), cam[8]), featureY));
    const weightResiduals = sub(1, square(w));
    // The outputs may be any slots: interleaving x and y costs no row.
    const out: Scalar[] = new Array(3 * p);
    for (let i = 0; i < p; i++) {
      out[2 * i] = ex.at(i);
      out[2 * i + 1] = ey.at(i);
      out[2 * p + i] = weightResiduals.at(i);
    }
    return out;
  };
}

/** The compiled residual function of an instance: arguments cams, points, weights. */
export function compileBa(input: BaInput, options: { backend?: Backend } = {}): CompiledFunction<[Float64Array, Float64Array, Float64Array], Float64Array> {
  return compile(baResiduals(input), CAMERA_PARAMETERS * input.n, 3 * input.m, input.p, { backend: options.backend }) as CompiledFunction<[Float64Array, Float64Array, Float64Array], Float64Array>;
}

/** The 3p × (11n + 3m + p) Jacobian of the residuals, in CSR. */
export function baJacobian(f: CompiledFunction<[Float64Array, Float64Array, Float64Array], Float64Array>, input: BaInput): SparseMatrix {
  return f.jacobian(input.cams, input.points, input.weights, { sparsity: 'auto' });
}
