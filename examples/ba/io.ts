/** @file Reads an ADBench BA file (one camera, point, weight and feature, replicated: SPEC in
 *  test/fixtures/adbench/README.md) into the whole problem: n cameras, m points, p observations. */
import { readFileSync } from 'node:fs';

/** Parameters per camera: rotation r (3), centre C (3), focal length f, principal point (2), distortion κ₁ κ₂. */
export const CAMERA_PARAMETERS = 11;

/** One BA problem; observation i sees point `points[i]` from camera `cameras[i]`. */
export interface BaInput {
  n: number;
  m: number;
  p: number;
  /** n × 11, camera-major. */
  cams: Float64Array;
  /** m × 3, point-major. */
  points: Float64Array;
  /** p weights. */
  weights: Float64Array;
  /** p × 2 observed features (constants). */
  features: Float64Array;
  /** Camera and point index of each observation. */
  camIndex: Int32Array;
  pointIndex: Int32Array;
}

/** Parses `n m p`, 11 camera values, 3 point values, a weight and 2 feature values; replicates
 *  them as ADBench does (observation i: camera i mod n, point i mod m). */
export function parseBaInput(text: string, source = 'BA input'): BaInput {
  const tokens = text.trim().split(/\s+/);
  const expected = 3 + CAMERA_PARAMETERS + 3 + 1 + 2;
  if (tokens.length !== expected) throw new Error(`${source}: expected ${expected} numbers (n m p, 11 camera values, 3 point values, a weight, 2 feature values), got ${tokens.length}`);
  const numbers = tokens.map((t, i) => {
    const v = Number(t);
    if (!Number.isFinite(v)) throw new Error(`${source}: token ${i + 1} "${t}" is not a number`);
    return v;
  });
  const [n, m, p] = numbers;
  for (const [name, v] of [['n', n], ['m', m], ['p', p]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${source}: ${name} = ${v} in the header must be a positive integer`);
  }
  const camera = numbers.slice(3, 14), point = numbers.slice(14, 17), weight = numbers[17], feature = numbers.slice(18, 20);
  const input: BaInput = {
    n, m, p,
    cams: new Float64Array(CAMERA_PARAMETERS * n),
    points: new Float64Array(3 * m),
    weights: new Float64Array(p).fill(weight),
    features: new Float64Array(2 * p),
    camIndex: Int32Array.from({ length: p }, (_, i) => i % n),
    pointIndex: Int32Array.from({ length: p }, (_, i) => i % m),
  };
  for (let j = 0; j < n; j++) input.cams.set(camera, CAMERA_PARAMETERS * j);
  for (let t = 0; t < m; t++) input.points.set(point, 3 * t);
  for (let i = 0; i < p; i++) input.features.set(feature, 2 * i);
  return input;
}

export function readBaInput(file: URL | string): BaInput {
  return parseBaInput(readFileSync(file, 'utf8'), String(file));
}
