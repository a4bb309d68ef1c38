/** @file ADBench's BA residuals in plain JS (SPEC §2): the floor the benchmarks compare the
 *  Jacobian with. */
import type { BaInput } from './io.js';

/** [reproj_x, reproj_y, w_err] of one observation into out[at…at+2]. */
export function baResidual(camera: ArrayLike<number>, point: ArrayLike<number>, w: number, feature: ArrayLike<number>, out: Float64Array, at = 0): void {
  const y0 = point[0] - camera[3], y1 = point[1] - camera[4], y2 = point[2] - camera[5];
  const r0 = camera[0], r1 = camera[1], r2 = camera[2];
  const theta2 = r0 * r0 + r1 * r1 + r2 * r2;
  let z0: number, z1: number, z2: number;
  if (theta2 !== 0) {
    const theta = Math.sqrt(theta2);
    const cos = Math.cos(theta), sin = Math.sin(theta);
    const v0 = r0 / theta, v1 = r1 / theta, v2 = r2 / theta;
    const vy = (v0 * y0 + v1 * y1 + v2 * y2) * (1 - cos);
    z0 = y0 * cos + (v1 * y2 - v2 * y1) * sin + v0 * vy;
    z1 = y1 * cos + (v2 * y0 - v0 * y2) * sin + v1 * vy;
    z2 = y2 * cos + (v0 * y1 - v1 * y0) * sin + v2 * vy;
  } else {
    z0 = y0 + (r1 * y2 - r2 * y1);
    z1 = y1 + (r2 * y0 - r0 * y2);
    z2 = y2 + (r0 * y1 - r1 * y0);
  }
  const p0 = z0 / z2, p1 = z1 / z2;
  const s = p0 * p0 + p1 * p1;
  const distortion = 1 + camera[9] * s + camera[10] * s * s;
  out[at] = w * (camera[6] * (p0 * distortion) + camera[7] - feature[0]);
  out[at + 1] = w * (camera[6] * (p1 * distortion) + camera[8] - feature[1]);
  out[at + 2] = 1 - w * w;
}

/** Every observation's residuals, 3 a row (the instance replicates one sample, but each is
 *  computed, as ADBench does). */
export function baResiduals(input: BaInput, out = new Float64Array(3 * input.p)): Float64Array {
  for (let i = 0; i < input.p; i++) baResidual(input.camera, input.point, input.weight, input.feature, out, 3 * i);
  return out;
}
