/** @file A recorded function as plain arrays: what compile loads, toBytes writes and fromBytes reads. */
import { Op, arity } from '../../assembly/shared/ops.js';
import type { Snapshot, TapeCore } from '../core.js';

/** Slots are numbered 0… in recording order; operands name earlier slots, −1 names none.
 *  All Input rows come first, one per argument element, in argument order. */
export interface Program {
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  /** The values of the Const rows, in row order. */
  consts: Float64Array;
  /** Per argument: −1 for a scalar, else the vector's length. */
  args: Int32Array;
  /** Slot numbers of the results. */
  outputs: Int32Array;
  /** Whether f returned a vector (or array) rather than one scalar. */
  vectorOutput: boolean;
}

export function inputCount(args: Int32Array): number {
  let n = 0;
  for (const len of args) n += len < 0 ? 1 : len;
  return n;
}

/** Takes a traced recording and keeps only the rows the outputs depend on (and the inputs). */
export function programFrom(snapshot: Snapshot, args: Int32Array, outputIds: number[], vectorOutput: boolean): Program {
  const { op, a, b, values } = snapshot;
  const rows = op.length;
  const outputs = Int32Array.from(outputIds, (id) => snapshot.relative(id));
  // Slot number of each row (−1 for Param rows), then liveness from the outputs backwards.
  const slotOfRow = new Int32Array(rows);
  for (let r = 0, k = 0; r < rows; r++) slotOfRow[r] = op[r] === Op.Param ? -1 : k++;
  const liveSlot = new Uint8Array(values.length);
  for (const o of outputs) liveSlot[o] = 1;
  const liveRow = new Uint8Array(rows);
  for (let r = rows - 1; r >= 0; r--) {
    const o = op[r];
    const alive = o === Op.Input || (o === Op.Param ? liveRow[r + 1] === 1 : liveSlot[slotOfRow[r]] === 1);
    if (!alive) continue;
    liveRow[r] = 1;
    if (a[r] >= 0) liveSlot[a[r]] = 1;
    if (b[r] >= 0) liveSlot[b[r]] = 1;
  }
  // Renumber the surviving slots.
  const renumber = new Int32Array(values.length).fill(-1);
  let kept = 0;
  let keptSlots = 0;
  let constCount = 0;
  for (let r = 0; r < rows; r++) {
    if (!liveRow[r]) continue;
    kept++;
    if (op[r] === Op.Const) constCount++;
    if (slotOfRow[r] >= 0) renumber[slotOfRow[r]] = keptSlots++;
  }
  const p: Program = {
    op: new Uint8Array(kept),
    a: new Int32Array(kept),
    b: new Int32Array(kept),
    consts: new Float64Array(constCount),
    args,
    outputs: outputs.map((o) => renumber[o]),
    vectorOutput,
  };
  for (let r = 0, k = 0, c = 0; r < rows; r++) {
    if (!liveRow[r]) continue;
    p.op[k] = op[r];
    p.a[k] = a[r] >= 0 ? renumber[a[r]] : -1;
    p.b[k] = b[r] >= 0 ? renumber[b[r]] : -1;
    if (op[r] === Op.Const) p.consts[c++] = values[slotOfRow[r]];
    k++;
  }
  return p;
}

/** Records a (validated) program on a fresh core; returns the slot ids of its inputs' start
 *  and of its outputs. */
export function loadProgram(core: TapeCore, p: Program): { inputStart: number; outputs: Int32Array } {
  const total = inputCount(p.args);
  const ids = new Int32Array(p.op.length + 1);
  const inputStart = core.inputs(new Float64Array(total));
  let k = 0;
  for (; k < total; k++) ids[k] = inputStart + k;
  let c = 0;
  for (let r = total; r < p.op.length; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    if (o === Op.Const) ids[k++] = core.constant(p.consts[c++]);
    else if (o === Op.Where) ids[k++] = core.where(ids[p.a[r - 1]], ids[p.a[r]], ids[p.b[r]]).id;
    else ids[k++] = core.op2(o, ids[p.a[r]], arity(o) === 2 ? ids[p.b[r]] : core.sink).id;
  }
  return { inputStart, outputs: p.outputs.map((o) => ids[o]) };
}
