/** @file where() over tensors recorded as formats 1–3 saved it (two VecCopy rows building the
 *  block [a; b], then a VecWhere row): the reference the one-row VecSelect must match to the bit,
 *  and the source of the saved golden tapes. */
import { Op } from '../../assembly/shared/ops.js';
import { BROADCAST_A } from '../../assembly/shared/vector.js';
import { Scalar, type Tensor } from '../../src/handles.js';
import { dataBits, isData, like, scalarSlot, tensorStart, isTensor, type ArrayOperand } from '../../src/operands.js';

type Operand = number | Scalar | Tensor | ArrayOperand;

/** where(cond, a, b) in the three rows wengert recorded until format 4; `shape` is a tensor
 *  operand (whose tape records the rows). */
export function whereAsSaved(cond: Operand, a: Operand, b: Operand, shape: Tensor): Tensor {
  const core = shape.core;
  const n = shape.length;
  const source = (x: Operand): [number, number] =>
    isTensor(x) || typeof x === 'object' && !(x instanceof Scalar) ? [tensorStart(core, x as Tensor | ArrayOperand), 0] : [scalarSlot(core, x as number | Scalar), BROADCAST_A];
  const [c, cFlag] = source(cond);
  const [sa, aFlag] = source(a);
  const [sb, bFlag] = source(b);
  core.reserve(4, 2 * n);
  const aData = isData(a), bData = isData(b);
  const pair = core.vector(Op.VecCopy, n, aFlag | dataBits(aData, aData), 0, 0, sa, core.sink);
  core.vector(Op.VecCopy, n, bFlag | dataBits(bData, bData), 0, 0, sb, core.sink);
  return like(core, shape, core.vector(Op.VecWhere, n, cFlag | dataBits(false, aData && bData), 0, 0, c, pair), aData && bData);
}
