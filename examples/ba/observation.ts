/** @file One observation's BA residual as a small compiled function, and the full sparse Jacobian
 *  built from it: for each observation, the 2 × 15 Jacobian of its residual (generated code, one
 *  forward and two reverse sweeps) written straight into the CSR arrays, whose pattern is known
 *  from the observation's camera and point; the weight residuals 1 − w² add −2w each.
 *
 *  Same arithmetic as ADBench's (and objective-plain.ts): Rodrigues rotation (first order at
 *  θ = 0), perspective divide, radial distortion, weighted difference to the feature. */
import {
  compile, add, sub, mul, div, sqrt, sin, cos, square, gt, where,
  type Backend, type CompiledFunction, type Scalar, type SparseMatrix, type Vector,
} from '../../src/index.js';
import { CAMERA_PARAMETERS, type BaInput } from './io.js';

/** Columns of one reprojection row: the camera's 11, the point's 3, the weight. */
export const OBSERVATION_COLUMNS = CAMERA_PARAMETERS + 3 + 1;

type Observation = CompiledFunction<[Float64Array, Float64Array, number, Float64Array], Float64Array, [Float64Array, Float64Array, number]>;

const dot3 = (a: Scalar[], b: Scalar[]): Scalar => add(add(mul(a[0], b[0]), mul(a[1], b[1])), mul(a[2], b[2]));
const cross3 = (a: Scalar[], b: Scalar[]): Scalar[] => [
  sub(mul(a[1], b[2]), mul(a[2], b[1])),
  sub(mul(a[2], b[0]), mul(a[0], b[2])),
  sub(mul(a[0], b[1]), mul(a[1], b[0])),
];

/** The residual [x, y] of one observation: camera (11), point (3), weight, feature (2, data). */
export function observationResidual(cam: Vector, point: Vector, w: Scalar, feature: Vector): Scalar[] {
  const c = Array.from({ length: CAMERA_PARAMETERS }, (_, k) => cam.at(k));
  const r = c.slice(0, 3);
  const Y = [0, 1, 2].map((k) => sub(point.at(k), c[3 + k]));
  const theta2 = dot3(r, r);
  const theta = sqrt(theta2);
  const cs = cos(theta), sn = sin(theta);
  const v = r.map((rk) => div(rk, theta));
  const vxY = cross3(v, Y);
  const vy = mul(dot3(v, Y), sub(1, cs));
  const rxY = cross3(r, Y);
  const Z = [0, 1, 2].map((k) => where(gt(theta2, 0), add(add(mul(Y[k], cs), mul(vxY[k], sn)), mul(v[k], vy)), add(Y[k], rxY[k])));
  const px = div(Z[0], Z[2]), py = div(Z[1], Z[2]);
  const s2 = add(square(px), square(py));
  const distortion = add(add(1, mul(c[9], s2)), mul(c[10], square(s2)));
  const scale = mul(c[6], distortion);
  return [mul(w, sub(add(mul(scale, px), c[7]), feature.at(0))), mul(w, sub(add(mul(scale, py), c[8]), feature.at(1)))];
}

/** The compiled residual of one observation, differentiated in camera, point and weight (the
 *  feature is data). */
export function compileObservation(options: { backend?: Backend; codegen?: 'auto' | 'off' } = {}): Observation {
  return compile(observationResidual, CAMERA_PARAMETERS, 3, 'scalar', 2, { ...options, wrt: [0, 1, 2] }) as Observation;
}

/** The full Jacobian of an instance's residuals by observation: the compiled residual, the CSR
 *  pattern (fixed by the camera and point indices) and the buffers the calls read and write,
 *  made once. */
export class BaJacobianByObservation {
  /** The 3p × (11n + 3m + p) Jacobian; `fill` overwrites its values in place. */
  readonly matrix: SparseMatrix;
  private readonly f: Observation;
  /** The reprojection rows' values: observation i's 2 × 15 block, row-major, from 30i (its
   *  rows' columns ascend: camera, point, weight), the layout jacobians writes. */
  private readonly blocks: Float64Array;
  /** Every observation's camera and point, stacked for jacobians. */
  private readonly cams: Float64Array;
  private readonly points: Float64Array;
  /** One observation's arguments and block, for fillByCalls. */
  private readonly cam = new Float64Array(CAMERA_PARAMETERS);
  private readonly point = new Float64Array(3);
  private readonly feature = new Float64Array(2);
  private readonly block = new Float64Array(2 * OBSERVATION_COLUMNS);
  private readonly options = { out: this.block };

  constructor(private readonly input: BaInput, options: { backend?: Backend; codegen?: 'auto' | 'off' } = {}) {
    this.f = compileObservation(options);
    this.matrix = baPattern(input);
    this.blocks = this.matrix.values.subarray(0, 2 * OBSERVATION_COLUMNS * input.p);
    this.cams = new Float64Array(CAMERA_PARAMETERS * input.p);
    this.points = new Float64Array(3 * input.p);
  }

  /** Fills `matrix.values` at (cams, points, weights) and returns the matrix: every observation's
   *  block from one jacobians call over the stacked arguments. */
  fill(cams: Float64Array = this.input.cams, points: Float64Array = this.input.points, weights: Float64Array = this.input.weights): SparseMatrix {
    const { p, features, camIndex, pointIndex } = this.input;
    const stackedCams = this.cams, stackedPoints = this.points;
    for (let i = 0; i < p; i++) {
      const c = CAMERA_PARAMETERS * camIndex[i], t = 3 * pointIndex[i];
      for (let k = 0; k < CAMERA_PARAMETERS; k++) stackedCams[CAMERA_PARAMETERS * i + k] = cams[c + k];
      stackedPoints[3 * i] = points[t];
      stackedPoints[3 * i + 1] = points[t + 1];
      stackedPoints[3 * i + 2] = points[t + 2];
    }
    this.f.jacobians(stackedCams, stackedPoints, weights, features, this.blocks);
    this.fillWeightRows(weights);
    return this.matrix;
  }

  /** The same values from one jacobian call per observation (the per-call cost, for the bench). */
  fillByCalls(cams: Float64Array = this.input.cams, points: Float64Array = this.input.points, weights: Float64Array = this.input.weights): SparseMatrix {
    const { p, features, camIndex, pointIndex } = this.input;
    const { f, cam, point, feature, block, options, blocks } = this;
    for (let i = 0; i < p; i++) {
      const c = CAMERA_PARAMETERS * camIndex[i], t = 3 * pointIndex[i];
      for (let k = 0; k < CAMERA_PARAMETERS; k++) cam[k] = cams[c + k];
      point[0] = points[t];
      point[1] = points[t + 1];
      point[2] = points[t + 2];
      feature[0] = features[2 * i];
      feature[1] = features[2 * i + 1];
      f.jacobian(cam, point, weights[i], feature, options);
      const at = 2 * OBSERVATION_COLUMNS * i;
      for (let k = 0; k < 2 * OBSERVATION_COLUMNS; k++) blocks[at + k] = block[k];
    }
    this.fillWeightRows(weights);
    return this.matrix;
  }

  /** The weight residual 1 − w²: row 2p + i holds −2wᵢ. */
  private fillWeightRows(weights: Float64Array): void {
    const values = this.matrix.values;
    for (let i = 0, at = this.blocks.length; i < this.input.p; i++) values[at + i] = -2 * weights[i];
  }

  dispose(): void {
    this.f.dispose();
  }
}

/** ADBench's pattern, values 0: reprojection rows 2i, 2i + 1 hold camera cᵢ's 11 columns, point
 *  tᵢ's 3 and weight i's; row 2p + i weight i's. */
export function baPattern(input: BaInput): SparseMatrix {
  const { n, m, p, camIndex, pointIndex } = input;
  const nonzeros = 2 * OBSERVATION_COLUMNS * p + p;
  const rows = new Int32Array(3 * p + 1);
  const cols = new Int32Array(nonzeros);
  let k = 0;
  for (let r = 0; r < 3 * p; r++) {
    if (r < 2 * p) {
      const i = r >> 1;
      for (let q = 0; q < CAMERA_PARAMETERS; q++) cols[k++] = CAMERA_PARAMETERS * camIndex[i] + q;
      for (let q = 0; q < 3; q++) cols[k++] = CAMERA_PARAMETERS * n + 3 * pointIndex[i] + q;
      cols[k++] = CAMERA_PARAMETERS * n + 3 * m + i;
    } else cols[k++] = CAMERA_PARAMETERS * n + 3 * m + (r - 2 * p);
    rows[r + 1] = k;
  }
  return { shape: [3 * p, CAMERA_PARAMETERS * n + 3 * m + p], rows, cols, values: new Float64Array(nonzeros) };
}
