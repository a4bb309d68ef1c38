/** @file Reading a row's integers and finding a slot's row: shared by every sweep. */
import { Op } from './shared/ops';
import { vectorOutputs } from './shared/vector';
import { SEG_ROWS, SEG_SLOTS, slotsOf } from './tape';

/** The integers of the row last passed to `readParams` (its Param rows; 0 where none). */
export let p1a: i32 = 0;
export let p1b: i32 = 0;
export let p2a: i32 = 0;
export let p2b: i32 = 0;

/** Loads row r's Param fields into p1a…p2b (a vector row's length, payload, …). */
// @ts-ignore: decorator
@inline export function readParams(op: i32, as: usize, bs: usize, r: usize): void {
  p1a = load<i32>(as + ((r - 1) << 2));
  p1b = load<i32>(bs + ((r - 1) << 2));
  if (op == Op.MatMul) {
    p2a = load<i32>(as + ((r - 2) << 2));
    p2b = load<i32>(bs + ((r - 2) << 2));
  } else {
    p2a = 0;
    p2b = 0;
  }
}

/** Slots row r writes (1 for scalar rows). */
// @ts-ignore: decorator
@inline export function rowSlots(op: i32, as: usize, r: usize): usize {
  if (op < Op.VecMap) return 1;
  return <usize>vectorOutputs(op, load<i32>(as + ((r - 1) << 2)), op == Op.MatMul ? load<i32>(as + ((r - 2) << 2)) : 0);
}

/** The address after the slots of the row `locateRow` found. */
export let locatedEnd: usize = 0;

/** The row of segment `seg` that wrote the slot at address `target` (−1 if none); sets
 *  `locatedEnd`. Sweeps start there: rows recorded after it cannot influence it. */
export function locateRow(seg: usize, ops: usize, as: usize, target: usize): isize {
  let s = slotsOf(seg) + (<usize>load<i32>(seg, SEG_SLOTS) << 4);
  let r = <isize>load<i32>(seg, SEG_ROWS) - 1;
  while (r >= 0) {
    const op = <i32>load<u8>(ops + <usize>r);
    if (op != Op.Param) {
      const start = s - (rowSlots(op, as, <usize>r) << 4);
      if (start <= target) break;
      s = start;
    }
    r--;
  }
  locatedEnd = s;
  return r;
}
