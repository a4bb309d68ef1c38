/** @file ADBench's BA residuals in plain JS (the timing baseline): per observation, rotate the
 *  point into the camera (Rodrigues), project, distort, and weigh. */
import { CAMERA_PARAMETERS, type BaInput } from './io.js';

/** The 3p residuals [reproj₀ (x, y), …, reproj_{p−1}, w_err₀, …, w_err_{p−1}] of ADBench's BA. */
export function baObjective(input: BaInput, cams: Float64Array = input.cams, points: Float64Array = input.points, weights: Float64Array = input.weights, out = new Float64Array(3 * input.p)): Float64Array {
  const { p, features, camIndex, pointIndex } = input;
  for (let i = 0; i < p; i++) {
    const c = CAMERA_PARAMETERS * camIndex[i], t = 3 * pointIndex[i];
    const r0 = cams[c], r1 = cams[c + 1], r2 = cams[c + 2];
    const y0 = points[t] - cams[c + 3], y1 = points[t + 1] - cams[c + 4], y2 = points[t + 2] - cams[c + 5];
    const theta2 = r0 * r0 + r1 * r1 + r2 * r2;
    let z0: number, z1: number, z2: number;
    if (theta2 !== 0) {
      // Z = Y cos θ + (v × Y) sin θ + v (v·Y)(1 − cos θ), v = r/θ
      const theta = Math.sqrt(theta2), cos = Math.cos(theta), sin = Math.sin(theta);
      const v0 = r0 / theta, v1 = r1 / theta, v2 = r2 / theta;
      const vy = (v0 * y0 + v1 * y1 + v2 * y2) * (1 - cos);
      z0 = y0 * cos + (v1 * y2 - v2 * y1) * sin + v0 * vy;
      z1 = y1 * cos + (v2 * y0 - v0 * y2) * sin + v1 * vy;
      z2 = y2 * cos + (v0 * y1 - v1 * y0) * sin + v2 * vy;
    } else {
      // First order at θ = 0: Z = Y + r × Y
      z0 = y0 + (r1 * y2 - r2 * y1);
      z1 = y1 + (r2 * y0 - r0 * y2);
      z2 = y2 + (r0 * y1 - r1 * y0);
    }
    const px = z0 / z2, py = z1 / z2;
    const s = px * px + py * py;
    const distortion = 1 + cams[c + 9] * s + cams[c + 10] * s * s;
    const f = cams[c + 6], w = weights[i];
    out[2 * i] = w * (f * px * distortion + cams[c + 7] - features[2 * i]);
    out[2 * i + 1] = w * (f * py * distortion + cams[c + 8] - features[2 * i + 1]);
    out[2 * p + i] = 1 - w * w;
  }
  return out;
}
