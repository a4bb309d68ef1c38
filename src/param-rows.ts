/** @file Which Param rows name slots: the few whose operands a snapshot or a compiled program
 *  renumbers, where every other Param row carries plain integers. */
import { Op } from '../assembly/shared/ops.js';

/** Whether Param row r names a slot in its a operand: Where's condition, VecSelect's (its second
 *  Param row, p2a), or an argument of a Custom row (every Param row before its two integer rows). The row a Param row belongs to is
 *  the first non-Param row after it; `opOf` reads the op column, `end` is its length. */
export function paramNamesSlot(opOf: (r: number) => number, r: number, end: number): boolean {
  let k = r + 1;
  while (k < end && opOf(k) === Op.Param) k++;
  if (k >= end) return false;
  const owner = opOf(k);
  if (owner === Op.Where) return k - r === 1;
  if (owner === Op.VecSelect) return k - r === 2;
  return owner === Op.Custom && k - r > 2;
}
