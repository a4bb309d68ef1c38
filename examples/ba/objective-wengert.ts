/** @file ADBench's BA residuals of one observation written with wengert's vector ops (cross, dot,
 *  where), and the sparse Jacobian of the whole problem from one compiled tape. */
import {
  add, compile, concat, cos, cross, div, dot, eq, mul, sin, sqrt, square, sub, where,
  type Backend, type CompiledFunction, type Scalar, type Vector,
} from '../../src/index.js';
import type { BaInput } from './io.js';

/** y rotated by the Rodrigues vector r: y cos θ + (v × y) sin θ + v (v·y)(1 − cos θ), v = r/θ;
 *  ADBench's first-order form y + r × y when θ² is exactly 0 (where() keeps the other branch's
 *  0/0 out of the derivatives). */
function rotate(r: Vector, y: Vector): Vector {
  const theta2 = dot(r, r);
  const theta = sqrt(theta2);
  const c = cos(theta);
  const v = div(r, theta);
  const full = add(add(mul(y, c), mul(cross(v, y), sin(theta))), mul(v, mul(dot(v, y), sub(1, c))));
  return where(eq(theta2, 0), add(y, cross(r, y)), full) as Vector;
}

/** [w·(proj − feature) (2), 1 − w²] of one observation: camera (11), point (3), weight. */
export function baResidualOnTape(feature: Float64Array) {
  return (camera: Vector, point: Vector, w: Scalar): Vector => {
    const z = rotate(camera.slice(0, 3), sub(point, camera.slice(3, 6)));
    const p = div(z.slice(0, 2), z.at(2));
    const s = dot(p, p);
    const distortion = add(1, add(mul(camera.at(9), s), mul(camera.at(10), square(s))));
    const projected = add(mul(camera.at(6), mul(p, distortion)), camera.slice(7, 9));
    return concat(mul(w, sub(projected, feature)), sub(1, square(w)));
  };
}

const compiledFor = new WeakMap<BaInput, Map<Backend, CompiledFunction>>();

/** Compiles one observation's residuals for this instance once (per backend). */
export function compileBa(input: BaInput, backend: Backend = 'wasm'): CompiledFunction {
  let byBackend = compiledFor.get(input);
  if (byBackend === undefined) compiledFor.set(input, (byBackend = new Map()));
  let fn = byBackend.get(backend);
  if (fn === undefined) {
    fn = compile(baResidualOnTape(input.feature), 11, 3, 'scalar', { backend });
    byBackend.set(backend, fn);
  }
  return fn;
}

/** The sparse Jacobian's values in ADBench's CSR order: per observation i, the 2 × 15 block of
 *  [camera c_i (11), point t_i (3), weight i] (rows 2i, 2i + 1), then the p entries −2wᵢ of the
 *  weight rows. Each block is one reverse-mode Jacobian of the compiled tape (3 outputs). */
export function baJacobian(input: BaInput, backend: Backend = 'wasm', out = new Float64Array(31 * input.p)): Float64Array {
  const fn = compileBa(input, backend);
  const { p } = input;
  for (let i = 0; i < p; i++) {
    // Every observation of an ADBench file uses copies of one camera and point (SPEC §2.3).
    const block = fn.jacobian(input.camera, input.point, input.weight, { mode: 'reverse' }); // 3 × 15
    out.set(block.subarray(0, 30), 30 * i);
    out[30 * p + i] = block[44];
  }
  return out;
}
