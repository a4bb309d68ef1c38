/** @file The row walk, written once: the forward, reverse, tangent and second-order sweeps over a
 *  run of rows, for both backends.
 *
 *  A run is rows [from, to) whose slots are contiguous from slot id s (a wasm segment, or the
 *  whole pure-JS tape). Rows and slots are read through accessors each backend binds
 *  (./rows.js, ./slots.js, ./kernels.js: the wasm build swaps in its linear-memory versions),
 *  so a layout change touches those files only. Each sweep asks for its columns once and keeps
 *  them in locals (V values, A adjoints, T/TA their tangents, P stored partials; O, AC, BC the
 *  row columns). Dispatch is by the op table's if-chains (no
 *  `switch`: Binaryen emits br_table, which V8 mispredicts; DESIGN).
 *
 *  Forward:   y = f(a, b), adjoints zeroed.        Reverse:  ā += ȳ ∂y/∂a, b̄ += ȳ ∂y/∂b.
 *  Tangent:   ẏ = ∂y/∂a ȧ + ∂y/∂b ḃ.
 *  Second order (forward-over-reverse, Griewank & Walther §5.2): the reverse update and its
 *  tangent ā̇ += ȳ̇ ∂y/∂a + ȳ (∂²y/∂a² ȧ + ∂²y/∂a∂b ḃ), likewise for b. */
import {
  Op, isLeafOrParam, isVectorOp, evaluate, partials, partialA, partialB, secondPartials, partialAA, partialAB, partialBB, times,
} from './ops.js';
import { paramRows, vectorOutputs, dataFlags, DATA_BOTH, tileRow, tileFlags, tileA, tileB, tiledRows } from './vector.js';
import { opColumn, aColumn, bColumn, rowOp, rowOperand, OperandColumn } from './rows.js';
import {
  valueColumn, adjointColumn, tangentColumn, adjointTangentColumn, storedColumn, Column,
  getVal, setVal, getAdj, setAdj, addAdj, getTan, setTan, getTanAdj, setTanAdj, addTanAdj, getOperandTan, addOperandTanAdj,
  storePartials, storedA, storedB, segmentAdjointColumn, getSegAdj, setSegAdj, addSegAdj, addOperandSegAdj,
} from './slots.js';
import { kernelForward, kernelReverse, kernelTangent, kernelSecondOrder, hostRow, HOST_FORWARD, HOST_REVERSE, HOST_TANGENT, HOST_SECOND_ORDER } from './kernels.js';

/** The integers of the row last passed to `readParams`, from its Param rows (0 where none). */
export let p1a: i32 = 0;
export let p1b: i32 = 0;
export let p2a: i32 = 0;
export let p2b: i32 = 0;

/** Loads row r's Param fields into p1a…p2b (a vector row's length, payload, …). */
/* @inline */ export function readParams(op: i32, r: i32): void {
  const k = paramRows(op);
  const AC = aColumn(), BC = bColumn();
  p1a = k >= 1 ? rowOperand(AC, r - 1) : 0;
  p1b = k >= 1 ? rowOperand(BC, r - 1) : 0;
  p2a = k >= 2 ? rowOperand(AC, r - 2) : 0;
  p2b = k >= 2 ? rowOperand(BC, r - 2) : 0;
}

/** Slots row r writes: 0 for a Param row, 1 for a scalar row, a vector row's output count. */
export function rowSlots(r: i32): i32 {
  const op = rowOp(opColumn(), r);
  if (!isVectorOp(op)) return op == Op.Param ? 0 : 1;
  readParams(op, r);
  return vectorOutputs(op, p1a, p2a);
}

/** Where's condition: the value its Param row names (0 for every other row). */
/* @inline */ function conditionOf(V: Column, AC: OperandColumn, op: i32, r: i32): f64 {
  return op == Op.Where ? getVal(V, rowOperand(AC, r - 1)) : 0;
}

/** The slot after the row `locateRow` found. */
export let locatedEnd: i32 = 0;

/** The row among 0…top that wrote slot `target` (end: the slot after row top's), or −1 when
 *  none did; sets `locatedEnd`. Reverse sweeps start there: later rows cannot influence it. */
export function locateRow(top: i32, end: i32, target: i32): i32 {
  let s = end;
  let r = top;
  while (r >= 0) {
    const start = s - rowSlots(r);
    if (start <= target && start < s) break;
    s = start;
    r--;
  }
  locatedEnd = s;
  return r;
}

/** Values of rows [from, to) into the slots from s, every adjoint zeroed; returns the slot
 *  after. With `storing` (a constant at each call site, folded by asc) each scalar row's
 *  partials are also stored for the dispatch-free reverse sweep (Stan's precomputed gradients). */
/* @inline */ export function forwardRows(from: i32, to: i32, s: i32, storing: bool): i32 {
  const O = opColumn(), AC = aColumn(), BC = bColumn();
  const V = valueColumn(), SA = segmentAdjointColumn(), P = storedColumn();
  for (let r = from; r < to; r++) {
    const op = rowOp(O, r);
    if (isLeafOrParam(op)) {
      if (op != Op.Param) setSegAdj(SA, s++, 0);
      continue;
    }
    if (isVectorOp(op)) {
      s = vectorRowForward(op, r, s);
      continue;
    }
    const x = getVal(V, rowOperand(AC, r));
    const w = getVal(V, rowOperand(BC, r));
    const c = conditionOf(V, AC, op, r);
    const y = evaluate(op, x, w, c);
    if (storing) {
      partials(op, x, w, y, c);
      storePartials(P, s, partialA, partialB);
    }
    setVal(V, s, y);
    setSegAdj(SA, s++, 0);
  }
  return s;
}

/** Adjoints from rows top…bottom into their operands; `end` is the slot after row top's slots.
 *  Returns the first slot of the run. */
/* @inline */ export function reverseRows(top: i32, end: i32, storing: bool, bottom: i32 = 0): i32 {
  const O = opColumn(), AC = aColumn(), BC = bColumn();
  const V = valueColumn(), A = adjointColumn(), SA = segmentAdjointColumn(), P = storedColumn();
  let s = end;
  for (let r = top; r >= bottom; r--) {
    const op = rowOp(O, r);
    if (isLeafOrParam(op)) {
      if (op != Op.Param) s--;
      continue;
    }
    if (isVectorOp(op)) {
      s = vectorRowReverse(op, r, s);
      continue;
    }
    s--;
    const g = getSegAdj(SA, s);
    // A row nothing depends on contributes 0, even where its partial is ±∞ (an untaken
    // where() branch: sqrt at 0, log at a negative…), instead of 0·∞ = NaN.
    if (g == 0) continue;
    const a = rowOperand(AC, r);
    const b = rowOperand(BC, r);
    if (storing) {
      addAdj(A, a, g * storedA(P, s));
      addAdj(A, b, g * storedB(P, s));
    } else {
      partials(op, getVal(V, a), getVal(V, b), getVal(V, s), conditionOf(V, AC, op, r));
      addAdj(A, a, g * partialA);
      addAdj(A, b, g * partialB);
    }
  }
  return s;
}

/** Values (when `values`; else the stored ones are kept) and tangents of rows [from, to) from the
 *  inputs' tangents, which the caller wrote; Const rows get tangent 0. With `thenReverse`, zeroes
 *  every adjoint and adjoint tangent, ready for `secondOrderRows` (a JVP alone skips those stores).
 *  Returns the slot after the run. */
export function tangentRows(from: i32, to: i32, s: i32, values: bool, thenReverse: bool): i32 {
  const O = opColumn(), AC = aColumn(), BC = bColumn();
  const V = valueColumn(), A = segmentAdjointColumn(), T = tangentColumn(), TA = adjointTangentColumn();
  for (let r = from; r < to; r++) {
    const op = rowOp(O, r);
    if (isLeafOrParam(op)) {
      if (op != Op.Param) {
        if (op == Op.Const) setTan(T, s, 0);
        if (thenReverse) {
          setSegAdj(A, s, 0);
          setTanAdj(TA, s, 0);
        }
        s++;
      }
      continue;
    }
    if (isVectorOp(op)) {
      s = vectorRowTangent(op, r, s, values, thenReverse);
      continue;
    }
    const a = rowOperand(AC, r);
    const b = rowOperand(BC, r);
    const x = getVal(V, a);
    const w = getVal(V, b);
    const c = conditionOf(V, AC, op, r);
    const y = values ? evaluate(op, x, w, c) : getVal(V, s);
    partials(op, x, w, y, c);
    setVal(V, s, y);
    const ta = getTan(T, a);
    const tb = getOperandTan(T, b);
    // Plain products first: a zero partial against an infinite or NaN tangent can only show as a
    // NaN here, and only then is the sum redone with the zero-partial rule (no compare per product).
    let t = partialA * ta + partialB * tb;
    if (t != t) t = times(partialA, ta) + times(partialB, tb);
    setTan(T, s, t);
    if (thenReverse) {
      setSegAdj(A, s, 0);
      setTanAdj(TA, s, 0);
    }
    s++;
  }
  return s;
}

/** The reverse sweep over rows top…0 carrying adjoints and their tangents from whatever the
 *  caller seeded after `tangentRows`. Returns the first slot of the run. */
export function secondOrderRows(top: i32, end: i32): i32 {
  const O = opColumn(), AC = aColumn(), BC = bColumn();
  const V = valueColumn(), A = segmentAdjointColumn(), T = tangentColumn(), TA = adjointTangentColumn();
  let s = end;
  for (let r = top; r >= 0; r--) {
    const op = rowOp(O, r);
    if (isLeafOrParam(op)) {
      if (op != Op.Param) s--;
      continue;
    }
    if (isVectorOp(op)) {
      s = vectorRowSecondOrder(op, r, s);
      continue;
    }
    s--;
    const g = getSegAdj(A, s);
    const tg = getTanAdj(TA, s);
    // As reverseRows skips ȳ = 0: a row nothing depends on (ȳ and its tangent 0) adds nothing.
    if (g == 0 && tg == 0) continue;
    const a = rowOperand(AC, r);
    const b = rowOperand(BC, r);
    const x = getVal(V, a);
    const w = getVal(V, b);
    const y = getVal(V, s);
    const ta = getTan(T, a);
    const tb = getOperandTan(T, b);
    partials(op, x, w, y, conditionOf(V, AC, op, r));
    const da = partialA;
    const db = partialB;
    secondPartials(op, x, w, y);
    addSegAdj(A, a, g * da);
    addOperandSegAdj(A, b, g * db);
    // As in tangentRows: plain products, redone with the zero-partial rule only on a NaN.
    let ua = da * tg + g * (partialAA * ta + partialAB * tb);
    if (ua != ua) ua = times(da, tg) + g * (times(partialAA, ta) + times(partialAB, tb));
    let ub = db * tg + g * (partialAB * ta + partialBB * tb);
    if (ub != ub) ub = times(db, tg) + g * (times(partialAB, ta) + times(partialBB, tb));
    addTanAdj(TA, a, ua);
    addOperandTanAdj(TA, b, ub);
  }
  return s;
}

const FORWARD: i32 = 0, REVERSE: i32 = 1, TANGENT: i32 = 2, SECOND_ORDER: i32 = 3;

/** A VecMapTiled row run as the VecMap rows it stands for, one per matrix row (the reverse sweeps
 *  last row first), so every kernel, its f64x2 paths included, and every bit are VecMap's. */
function tiledRow(sweep: i32, a: i32, b: i32, out: i32, values: bool): void {
  const cols = p2a, rows = tiledRows(p1a, cols);
  const flags = p1b, byColumn = p2b;
  for (let k = 0; k < rows; k++) {
    const r = sweep == REVERSE || sweep == SECOND_ORDER ? rows - 1 - k : k;
    tileRow(flags, cols, byColumn, a, b, r);
    const o = out + r * cols;
    if (sweep == FORWARD) kernelForward(Op.VecMap, cols, tileFlags, 0, 0, tileA, tileB, o);
    else if (sweep == REVERSE) kernelReverse(Op.VecMap, cols, tileFlags, 0, 0, tileA, tileB, o);
    else if (sweep == TANGENT) kernelTangent(Op.VecMap, cols, tileFlags, 0, 0, tileA, tileB, o, values);
    else kernelSecondOrder(Op.VecMap, cols, tileFlags, 0, 0, tileA, tileB, o);
  }
}

/** Vector row r forward into the slots from s, adjoints zeroed; returns the slot after them. */
function vectorRowForward(op: i32, r: i32, s: i32): i32 {
  readParams(op, r);
  const count = vectorOutputs(op, p1a, p2a);
  // The fast kernels zero the adjoints as they write the values; the portable ones leave it here.
  if (op == Op.Custom) hostRow(HOST_FORWARD, r, s);
  else if (op == Op.VecMapTiled) tiledRow(FORWARD, rowOperand(aColumn(), r), rowOperand(bColumn(), r), s, true);
  else if (kernelForward(op, p1a, p1b, p2a, p2b, rowOperand(aColumn(), r), rowOperand(bColumn(), r), s)) return s + count;
  const SA = segmentAdjointColumn();
  for (let i = 0; i < count; i++) setSegAdj(SA, s + i, 0);
  return s + count;
}

/** Vector row r's reverse rule; `end` is the slot after its outputs; returns their first slot. */
function vectorRowReverse(op: i32, r: i32, end: i32): i32 {
  readParams(op, r);
  const start = end - vectorOutputs(op, p1a, p2a);
  // A row on data alone sends its adjoints nowhere anyone reads them.
  if (op == Op.Custom) hostRow(HOST_REVERSE, r, start);
  else if (op == Op.VecMapTiled) {
    if (dataFlags(op, p1b, p2b) != DATA_BOTH) tiledRow(REVERSE, rowOperand(aColumn(), r), rowOperand(bColumn(), r), start, false);
  } else if (dataFlags(op, p1b, p2b) != DATA_BOTH) kernelReverse(op, p1a, p1b, p2a, p2b, rowOperand(aColumn(), r), rowOperand(bColumn(), r), start);
  return start;
}

function vectorRowTangent(op: i32, r: i32, s: i32, values: bool, thenReverse: bool): i32 {
  readParams(op, r);
  const count = vectorOutputs(op, p1a, p2a);
  if (op == Op.Custom) hostRow(values ? HOST_FORWARD | HOST_TANGENT : HOST_TANGENT, r, s);
  else if (op == Op.VecMapTiled) tiledRow(TANGENT, rowOperand(aColumn(), r), rowOperand(bColumn(), r), s, values);
  else kernelTangent(op, p1a, p1b, p2a, p2b, rowOperand(aColumn(), r), rowOperand(bColumn(), r), s, values);
  if (!thenReverse) return s + count;
  const SA = segmentAdjointColumn(), TA = adjointTangentColumn();
  for (let i = 0; i < count; i++) {
    setSegAdj(SA, s + i, 0);
    setTanAdj(TA, s + i, 0);
  }
  return s + count;
}

function vectorRowSecondOrder(op: i32, r: i32, end: i32): i32 {
  readParams(op, r);
  const start = end - vectorOutputs(op, p1a, p2a);
  if (op == Op.Custom) hostRow(HOST_SECOND_ORDER, r, start);
  else if (op == Op.VecMapTiled) tiledRow(SECOND_ORDER, rowOperand(aColumn(), r), rowOperand(bColumn(), r), start, false);
  else kernelSecondOrder(op, p1a, p1b, p2a, p2b, rowOperand(aColumn(), r), rowOperand(bColumn(), r), start);
  return start;
}
