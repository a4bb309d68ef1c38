/** @file The vector rows' kernels as the row walk calls them. Here, for the pure-JS tape, the
 *  portable kernels of vector.ts and vector-higher.ts; the wasm build replaces this file with
 *  assembly/kernels.wasm.ts, which takes its SIMD fast paths first. */
import { vectorForward, vectorReverse } from './vector.js';
import { vectorTangent, vectorSecondOrder } from './vector-higher.js';

/** Values of the row's outputs; true when the kernel also zeroed their adjoints. */
export function kernelForward(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): bool {
  vectorForward(op, p1a, p1b, p2a, p2b, a, b, out);
  return false;
}

export function kernelReverse(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  vectorReverse(op, p1a, p1b, p2a, p2b, a, b, out);
}

/** Values (when `values`) and tangents of the row's outputs. */
export function kernelTangent(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32, values: bool): void {
  if (values) vectorForward(op, p1a, p1b, p2a, p2b, a, b, out);
  vectorTangent(op, p1a, p1b, p2a, p2b, a, b, out);
}

/** The reverse rule and its tangent (forward-over-reverse). */
export function kernelSecondOrder(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  vectorReverse(op, p1a, p1b, p2a, p2b, a, b, out);
  vectorSecondOrder(op, p1a, p1b, p2a, p2b, a, b, out);
}
