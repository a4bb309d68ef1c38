/** @file The vector rows' kernels as the row walk calls them in the wasm core: the SIMD fast
 *  paths (one VecMap loop per common op, packed f64x2 MatMul) first, the portable kernels of
 *  vector.ts and vector-higher.ts for the rest. scripts/build-wasm.mjs puts this file in place
 *  of assembly/shared/kernels.ts. */
import { Op } from './ops';
import { vectorForward, vectorReverse } from './vector';
import { vectorTangent, vectorSecondOrder } from './vector-higher';
import { vecMapForward, vecMapReverse, vecMapTangent } from '../vecmap';
import { matmulForward, matmulReverse, hasScratch } from '../matmul';
import { matmulTangent, matmulSecondOrder } from '../matmul-higher';
import { opColumn, aColumn, bColumn, rebindRows } from './rows';
import { tangentColumn, adjointTangentColumn, segmentAdjointColumn, bindSegmentAdjoints, tangentSink, rebindTangents, storedColumn, storedFirstSlot, bindStored } from './slots';

// What a host row asks of its JavaScript rules: as in assembly/shared/kernels.ts.
export const HOST_FORWARD: i32 = 1;
export const HOST_TANGENT: i32 = 2;
export const HOST_REVERSE: i32 = 4;
export const HOST_SECOND_ORDER: i32 = 8;

/** src/custom/host.ts: runs Custom row r of the segment whose a and b columns are at ac and bc,
 *  outputs from slot `out`; tan and tanAdj are the tangent column bases (slots.wasm.ts). */
// @ts-ignore: decorator
@external('env', 'hostRow')
declare function callHost(kind: i32, ac: usize, bc: usize, r: i32, out: i32, tan: usize, tanAdj: usize): void;

/** Runs row r's rules in JavaScript, which may run sweeps of its own (a checkpoint re-runs its
 *  function): the walk's bindings are put back afterwards. */
export function hostRow(kind: i32, r: i32, out: i32): void {
  const o = opColumn(), a = aColumn(), b = bColumn();
  const t = tangentColumn(), ta = adjointTangentColumn(), sink = tangentSink(), sa = segmentAdjointColumn();
  const p = storedColumn(), first = storedFirstSlot();
  callHost(kind, a, b, r, out, t, ta);
  rebindRows(o, a, b);
  bindSegmentAdjoints(sa);
  rebindTangents(t, ta, sink);
  bindStored(p, first);
}

/** Values of the row's outputs; true when the kernel also zeroed their adjoints. */
export function kernelForward(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): bool {
  if (op == Op.VecMap) return vecMapForward(p1a, p1b, a, b, out);
  if (op == Op.MatMul && hasScratch(p1a, p1b, p2a)) {
    matmulForward(p1a, p1b, p2a, p2b, a, b, out);
    return true;
  }
  vectorForward(op, p1a, p1b, p2a, p2b, a, b, out);
  return false;
}

export function kernelReverse(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  if (op == Op.VecMap) vecMapReverse(p1a, p1b, a, b, out);
  else if (op == Op.MatMul && hasScratch(p1a, p1b, p2a)) matmulReverse(p1a, p1b, p2a, p2b, a, b, out);
  else vectorReverse(op, p1a, p1b, p2a, p2b, a, b, out);
}

/** Values (when `values`) and tangents of the row's outputs. */
export function kernelTangent(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32, values: bool): void {
  if (op == Op.VecMap) {
    vecMapTangent(p1a, p1b, a, b, out, values);
    return;
  }
  if (op == Op.MatMul && hasScratch(p1a, p1b, p2a)) {
    if (values) matmulForward(p1a, p1b, p2a, p2b, a, b, out);
    matmulTangent(p1a, p1b, p2a, p2b, a, b, out);
    return;
  }
  if (values) vectorForward(op, p1a, p1b, p2a, p2b, a, b, out);
  vectorTangent(op, p1a, p1b, p2a, p2b, a, b, out);
}

/** The reverse rule and its tangent (forward-over-reverse). */
export function kernelSecondOrder(op: i32, p1a: i32, p1b: i32, p2a: i32, p2b: i32, a: i32, b: i32, out: i32): void {
  if (op == Op.MatMul && hasScratch(p1a, p1b, p2a)) {
    matmulReverse(p1a, p1b, p2a, p2b, a, b, out);
    matmulSecondOrder(p1a, p1b, p2a, p2b, a, b, out);
    return;
  }
  vectorReverse(op, p1a, p1b, p2a, p2b, a, b, out);
  vectorSecondOrder(op, p1a, p1b, p2a, p2b, a, b, out);
}
