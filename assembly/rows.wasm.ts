/** @file Row access for the row walk over one segment's columns in linear memory (layout.ts).
 *  scripts/build-wasm.mjs puts this file in place of assembly/shared/rows.ts. */
import { opsOf, aOf, bOf, capOf, adjointDeltaOf } from '../layout';
import { bindSegmentAdjoints } from './slots';

export type OpColumn = usize;
export type OperandColumn = usize;

let opsBase: usize = 0;
let aBase: usize = 0;
let bBase: usize = 0;

/** Points the walk at segment `seg`'s columns (and the slot accessors at its adjoint column). */
export function bindRows(seg: usize): void {
  opsBase = opsOf(seg);
  aBase = aOf(seg);
  bBase = bOf(seg);
  bindSegmentAdjoints(<usize>adjointDeltaOf(<i32>capOf(seg)));
}

/** Points the walk back at columns it was bound to (after a host row's own sweeps). */
export function rebindRows(o: usize, a: usize, b: usize): void {
  opsBase = o;
  aBase = a;
  bBase = b;
}

// @ts-ignore: decorator
@inline export function opColumn(): OpColumn { return opsBase; }
// @ts-ignore: decorator
@inline export function aColumn(): OperandColumn { return aBase; }
// @ts-ignore: decorator
@inline export function bColumn(): OperandColumn { return bBase; }

// @ts-ignore: decorator
@inline export function rowOp(o: OpColumn, r: i32): i32 { return <i32>load<u8>(o + <usize>r); }
// @ts-ignore: decorator
@inline export function rowOperand(c: OperandColumn, r: i32): i32 { return load<i32>(c + (<usize>r << 2)); }
