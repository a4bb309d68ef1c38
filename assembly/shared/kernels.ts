/** @file The vector rows' kernels as the row walk calls them. Here, for the pure-JS tape, the
 *  portable kernels of vector.ts and vector-higher.ts; the wasm build replaces this file with
 *  assembly/kernels.wasm.ts, which takes its SIMD fast paths first. */
import { vectorForward, vectorReverse } from './vector.js';
import { vectorTangent, vectorSecondOrder } from './vector-higher.js';
import { opColumn, aColumn, bColumn, bindRows } from './rows.js';
import { valueColumn, adjointColumn, tangentColumn, adjointTangentColumn, storedColumn, bindSlots, bindTangents, bindStored } from './slots.js';

// What a host row (Op.Custom) asks of its rules in JavaScript; a bit set.
/** Its values from its arguments'. */
export const HOST_FORWARD: i32 = 1;
/** Its tangents from its arguments' (with HOST_FORWARD: values too). */
export const HOST_TANGENT: i32 = 2;
/** Its arguments' adjoints from its own. */
export const HOST_REVERSE: i32 = 4;
/** Its arguments' adjoints and their tangents (forward-over-reverse). */
export const HOST_SECOND_ORDER: i32 = 8;

/** The JavaScript side of host rows (src/custom/host.ts installs it): row r of the bound rows,
 *  its outputs from slot `out`, over the bound slots. */
export type HostRows = (kind: i32, r: i32, out: i32) => void;
let host: HostRows = () => {
  throw new Error('wengert: a Custom row ran before src/custom/host.ts installed its host');
};

export function setHostRows(h: HostRows): void {
  host = h;
}

/** Runs row r's rules in JavaScript. Those may record and sweep tapes of their own (a checkpoint
 *  re-runs its function), which rebinds the walk's columns: they are bound back afterwards. */
export function hostRow(kind: i32, r: i32, out: i32): void {
  const O = opColumn(), AC = aColumn(), BC = bColumn();
  const V = valueColumn(), A = adjointColumn(), T = tangentColumn(), TA = adjointTangentColumn(), P = storedColumn();
  try {
    host(kind, r, out);
  } finally {
    bindRows(O, AC, BC);
    bindSlots(V, A);
    bindTangents(T, TA);
    bindStored(P);
  }
}

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
