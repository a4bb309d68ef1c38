/** @file A recorded function as plain arrays: what compile loads, toBytes writes and fromBytes reads. */
import { Op, arity, isInput, isVectorOp } from '../../assembly/shared/ops.js';
import { paramRows, vectorOutputs, operandLengthA, operandLengthB, customArgumentRow, conditionLength } from '../../assembly/shared/vector.js';
import { paramNamesSlot } from '../param-rows.js';
import { bindRows } from '../../assembly/shared/rows.js';
import { readParams, rowSlots as walkRowSlots, p1a, p1b, p2a, p2b } from '../reference/walk.generated.js';
import type { Snapshot, TapeCore } from '../core.js';

/** Slots are numbered 0… in recording order; operands name earlier slots, −1 names none.
 *  The arguments' rows come first, in argument order, as `inputRows` lists them: a vector
 *  argument is one VecInput row over its slots (format versions 1–3 had an Input row per
 *  element; the reader rewrites those). */
export interface Program {
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  /** The values of the Const and VecConst rows, in row order. */
  consts: Float64Array;
  /** Per argument: −1 for a scalar, else the vector's length. */
  args: Int32Array;
  /** Slot numbers of the results. */
  outputs: Int32Array;
  /** Whether f returned a vector (or array) rather than one scalar. */
  vectorOutput: boolean;
  /** The differentiated arguments' indices, in the order gradients are returned (compile's
   *  `wrt`); the others are data. */
  wrt: Int32Array;
}

/** Every argument differentiated, in order: compile's default. */
export function allArguments(args: Int32Array): Int32Array {
  return Int32Array.from(args, (_, i) => i);
}

export function inputCount(args: Int32Array): number {
  let n = 0;
  for (const len of args) n += len < 0 ? 1 : len;
  return n;
}

/** A program's row columns. */
export type Rows = { op: Uint8Array; a: Int32Array; b: Int32Array };

/** The rows the arguments enter as, those `TapeCore.inputs` records: per argument, an Input row
 *  for a number or a one-element vector, a Param row (length, 0) and a VecInput row for a longer
 *  vector, nothing for an empty one. */
export function inputRows(args: Int32Array): Rows {
  let rows = 0;
  for (const len of args) rows += len < 0 || len === 1 ? 1 : len === 0 ? 0 : 2;
  const op = new Uint8Array(rows);
  const a = new Int32Array(rows).fill(-1);
  const b = new Int32Array(rows).fill(-1);
  let r = 0;
  for (const len of args) {
    if (len >= 2) {
      op[r] = Op.Param;
      a[r] = len;
      b[r++] = 0;
      op[r++] = Op.VecInput;
    } else if (len !== 0) op[r++] = Op.Input;
  }
  return { op, a, b };
}

/** Records the arguments' rows (`inputRows`) in one run of slots holding `values` (all the
 *  arguments' elements, in order; one `set()` per vector); returns the first slot id. */
export function recordArguments(core: TapeCore, args: Int32Array, values: Float64Array): number {
  core.reserve(inputRows(args).op.length, values.length);
  // An empty inputs() records nothing and names the next slot: where the arguments start.
  const start = core.inputs(values.subarray(0, 0));
  let at = 0;
  for (const len of args) {
    if (len < 0) core.input(values[at++]);
    else {
      core.inputs(values.subarray(at, at + len));
      at += len;
    }
  }
  return start;
}

/** A row's integers: its Param rows' fields (zeros where it has none), read by the row walk's own
 *  reader (assembly/shared/walk.ts). */
export function rowParams(p: Rows, r: number): [number, number, number, number] {
  bindRows(p.op, p.a, p.b);
  readParams(p.op[r], r);
  return [p1a, p1b, p2a, p2b];
}

/** Slots row r writes: 0 for Param rows, 1 for scalar rows, the length for vector rows. */
export function rowSlots(p: Rows, r: number): number {
  bindRows(p.op, p.a, p.b);
  return walkRowSlots(r);
}

/** The slot ranges row r reads: [start, length] for a and b (length 0: none). */
export function rowOperands(p: Rows, r: number): [number, number, number, number] {
  const o = p.op[r];
  if (!isVectorOp(o)) return [p.a[r], p.a[r] >= 0 ? 1 : 0, p.b[r], p.b[r] >= 0 ? 1 : 0];
  const [p1a, p1b, p2a, p2b] = rowParams(p, r);
  const lenB = operandLengthB(o, p1a, p1b, p2a, p2b);
  return [p.a[r], operandLengthA(o, p1a, p1b, p2a, p2b), p.b[r], p.b[r] >= 0 ? lenB : 0];
}

/** The condition row r reads as [start, length]: Where's (its Param row's a), VecSelect's (p2a);
 *  [−1, 0] for every other row. */
export function rowCondition(p: Rows, r: number): [number, number] {
  const o = p.op[r];
  if (o === Op.Where) return [p.a[r - 1], 1];
  if (o !== Op.VecSelect) return [-1, 0];
  const [p1a, p1b, p2a] = rowParams(p, r);
  return [p2a, conditionLength(p1a, p1b)];
}

/** A Custom row's arguments: per argument, its Param row, first slot and length (−1: a number). */
export function customArguments(p: Rows, r: number): { row: number; start: number; length: number }[] {
  const argc = p.b[r - 1];
  return Array.from({ length: argc }, (_, i) => {
    const row = customArgumentRow(r, argc, i);
    return { row, start: p.a[row], length: p.b[row] };
  });
}

/** The values of a recording's Const and VecConst rows (those `keep` keeps), in row order: a
 *  program's `consts`. */
export function constantValues(p: Rows, values: ArrayLike<number>, keep: (r: number) => boolean = () => true): Float64Array {
  const found: number[] = [];
  for (let r = 0, s = 0; r < p.op.length; r++) {
    const count = rowSlots(p, r);
    if ((p.op[r] === Op.Const || p.op[r] === Op.VecConst) && keep(r)) for (let j = 0; j < count; j++) found.push(values[s + j]);
    s += count;
  }
  return Float64Array.from(found);
}

/** Takes a traced recording and keeps only the rows the outputs depend on (and the inputs). */
export function programFrom(snapshot: Snapshot, args: Int32Array, outputIds: number[], vectorOutput: boolean, wrt: Int32Array = allArguments(args)): Program {
  const { op, a, b, values } = snapshot;
  const rows = op.length;
  const outputs = Int32Array.from(outputIds, (id) => snapshot.relative(id));
  // First slot of each row, then liveness from the outputs backwards.
  const slotOfRow = new Int32Array(rows);
  for (let r = 0, k = 0; r < rows; r++) {
    slotOfRow[r] = k;
    k += rowSlots(snapshot, r);
  }
  const liveSlot = new Uint8Array(values.length);
  for (const o of outputs) liveSlot[o] = 1;
  const liveRow = new Uint8Array(rows);
  const markRange = (start: number, length: number) => liveSlot.fill(1, start, start + length);
  for (let r = rows - 1; r >= 0; r--) {
    const o = op[r];
    if (o === Op.Param) continue; // decided by the row it belongs to
    const first = slotOfRow[r];
    const count = rowSlots(snapshot, r);
    let alive = isInput(o);
    for (let k = 0; k < count && !alive; k++) alive = liveSlot[first + k] === 1;
    if (!alive) continue;
    liveRow[r] = 1;
    const params = paramRows(o);
    for (let j = 1; j <= params; j++) liveRow[r - j] = 1;
    const [sc, lc] = rowCondition(snapshot, r);
    markRange(sc, lc);
    if (o === Op.Custom) {
      for (const g of customArguments(snapshot, r)) {
        liveRow[g.row] = 1;
        markRange(g.start, g.length < 0 ? 1 : g.length);
      }
    }
    const [sa, la, sb, lb] = rowOperands(snapshot, r);
    markRange(sa, la);
    markRange(sb, lb);
  }
  // Renumber the surviving slots (monotonic, so vector ranges stay contiguous).
  const renumber = new Int32Array(values.length).fill(-1);
  let kept = 0;
  let keptSlots = 0;
  for (let r = 0; r < rows; r++) {
    if (!liveRow[r]) continue;
    kept++;
    const count = rowSlots(snapshot, r);
    for (let k = 0; k < count; k++) renumber[slotOfRow[r] + k] = keptSlots++;
  }
  const p: Program = {
    op: new Uint8Array(kept),
    a: new Int32Array(kept),
    b: new Int32Array(kept),
    consts: constantValues(snapshot, values, (r) => liveRow[r] === 1),
    args,
    outputs: outputs.map((o) => renumber[o]),
    vectorOutput,
    wrt,
  };
  const slotOperand = (v: number) => (v >= 0 ? renumber[v] : -1);
  for (let r = 0, k = 0; r < rows; r++) {
    if (!liveRow[r]) continue;
    const o = op[r];
    p.op[k] = o;
    if (o === Op.Param && !paramNamesSlot((j) => op[j], r, rows)) {
      p.a[k] = a[r]; // a vector row's integers
      p.b[k] = b[r];
    } else if (o === Op.Param && op[r + 1] !== Op.Where) {
      p.a[k] = slotOperand(a[r]); // a Custom row's argument: first slot, length
      p.b[k] = b[r];
    } else if (isVectorOp(o)) {
      // An empty range reads nothing and may name a slot just past a segment: write −1.
      const [, la, , lb] = rowOperands(snapshot, r);
      p.a[k] = la > 0 ? slotOperand(a[r]) : -1;
      p.b[k] = lb > 0 || (o === Op.VecMap && b[r] >= 0) ? slotOperand(b[r]) : -1;
    } else {
      p.a[k] = slotOperand(a[r]);
      p.b[k] = slotOperand(b[r]);
    }
    k++;
  }
  return p;
}

/** Records a (validated) program on a fresh core; returns the slot ids of its inputs' start
 *  and of its outputs. */
export function loadProgram(core: TapeCore, p: Program): { inputStart: number; outputs: Int32Array } {
  const total = inputCount(p.args);
  let slots = 0;
  for (let r = 0; r < p.op.length; r++) slots += rowSlots(p, r);
  const ids = new Int32Array(slots + 1);
  const inputStart = recordArguments(core, p.args, new Float64Array(total));
  let k = 0;
  for (; k < total; k++) ids[k] = inputStart + k;
  let c = 0;
  const slot = (v: number) => (v >= 0 ? ids[v] : core.sink);
  for (let r = inputRows(p.args).op.length; r < p.op.length; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    if (o === Op.Const) ids[k++] = core.constant(p.consts[c++]);
    else if (o === Op.VecConst) {
      const n = p.a[r - 1];
      const start = core.constantRow(p.consts.subarray(c, c + n));
      c += n;
      for (let j = 0; j < n; j++) ids[k++] = start + j;
    }
    else if (o === Op.Where) ids[k++] = core.where(ids[p.a[r - 1]], ids[p.a[r]], ids[p.b[r]]);
    else if (o === Op.Custom) {
      const runs = customArguments(p, r).flatMap((g) => [ids[g.start], g.length]);
      const outLength = p.a[r - 1];
      const start = core.custom(p.a[r - 2], runs, outLength < 0 ? 0 : new Float64Array(outLength));
      for (let j = 0; j < (outLength < 0 ? 1 : outLength); j++) ids[k++] = start + j;
    } else if (isVectorOp(o)) {
      const [p1a, p1b, p2a, p2b] = rowParams(p, r);
      // VecSelect's p2a is its condition's slot; every other row's an integer.
      const start = core.vector(o, p1a, p1b, o === Op.VecSelect ? slot(p2a) : p2a, p2b, slot(p.a[r]), slot(p.b[r]));
      const count = vectorOutputs(o, p1a, p2a);
      for (let j = 0; j < count; j++) ids[k++] = start + j;
    } else ids[k++] = core.op2(o, ids[p.a[r]], arity(o) === 2 ? ids[p.b[r]] : core.sink);
  }
  return { inputStart, outputs: p.outputs.map((o) => ids[o]) };
}
