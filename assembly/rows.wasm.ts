/** @file Row access for the row walk over one segment's columns in linear memory (layout.ts).
 *  scripts/build-wasm.mjs puts this file in place of assembly/shared/rows.ts. */
import { opsOf, aOf, bOf } from '../layout';

let opsBase: usize = 0;
let aBase: usize = 0;
let bBase: usize = 0;

/** Points the walk at segment `seg`'s columns. */
export function bindRows(seg: usize): void {
  opsBase = opsOf(seg);
  aBase = aOf(seg);
  bBase = bOf(seg);
}

// @ts-ignore: decorator
@inline export function rowOp(r: i32): i32 { return <i32>load<u8>(opsBase + <usize>r); }
// @ts-ignore: decorator
@inline export function rowA(r: i32): i32 { return load<i32>(aBase + (<usize>r << 2)); }
// @ts-ignore: decorator
@inline export function rowB(r: i32): i32 { return load<i32>(bBase + (<usize>r << 2)); }
