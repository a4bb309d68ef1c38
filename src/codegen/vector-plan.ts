/** @file Plans a vector tape's generated sweeps: which rows the core interprets, which elementwise
 *  rows one loop runs (groups), what each group adds into outside itself, which values are stored
 *  and which adjoints are zeroed in memory; a plain data object the emitters read.
 *
 *  Groups: runs of elementwise rows (VecMap) of one length that feed each other, optionally ended
 *  by a VecSum or VecDot, become one forward loop and one reverse loop over the elements. The
 *  reverse loop recomputes the group's arithmetic values from its inputs (cheaper than a store and
 *  a load per element; the values of ops that call the core, exp, tanh, …, are stored and loaded:
 *  a call costs more) and keeps the adjoints of values read only inside the group in locals;
 *  values and adjoints read outside the group go through memory.
 *
 *  Bit-identity with the interpreter: the one reordering is across elements: the interpreter
 *  finishes a row before the one below it, a group visits rows top…bottom per element. An input's
 *  adjoint slot then receives its contributions in another order where two rows read it at
 *  different offsets (x.slice(0, -1) and x.slice(1)); the group is kept only where that order is
 *  the same, or differs by its first two additions into a slot that starts at 0 (a + b = b + a);
 *  otherwise its rows become groups of one row each. A lone add, sub or mul of two overlapping
 *  runs goes by lane pairs as the interpreter's f64x2 loop does (assembly/vecmap.ts). */
import { Op, arity, isInput, isVectorOp } from '../../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, DATA_A, DATA_B, DATA_BOTH } from '../../assembly/shared/vector.js';
import { rowCondition, rowOperands, rowParams, rowSlots, type Program } from '../compile/program.js';
import { scalarRule, valueCallsCore } from './scalar-rules.js';
import type { SlotLayout } from './scalar-module.js';

/** Scalar rows above this many keep the interpreter (the straight-line code is one function). */
export const MAX_VECTOR_TAPE_SCALAR_ROWS = 5_000;

/** A sweep's function above this many bytes keeps the interpreter: V8 compiles one function that
 *  large slowly and runs it slower than the interpreter (ADBench D-LSTM, 609 loops and 4,092
 *  interpreted rows: a 2.5 MB reverse function, 3–5 s to compile, 77–123 ms per call against
 *  the interpreter's 18–32 ms at load ≈ 8; GMM's 55 KB module runs 0.8× the interpreter). */
export const MAX_VECTOR_FUNCTION_BYTES = 256 * 1024;

export const tooLarge = (sweep: string) => ({ reason: `the generated ${sweep} sweep would exceed ${MAX_VECTOR_FUNCTION_BYTES} bytes (one function: V8 compiles and runs it slower than the interpreter)` });

/** An operand a group adds adjoints into, outside the group's own values. */
export interface External {
  row: number;
  start: number;
  broadcast: boolean;
}

/** A run of rows one loop computes: VecMap rows of length n, then perhaps a reduction. */
export interface Group {
  rows: number[];
  n: number;
}

/** What the emitters generate, per row and per group (groups in tape order; `…Of[gi]` is group gi's). */
export interface VectorPlan {
  program: Program;
  /** Each row's first slot, and the slot count. */
  slotOf: Int32Array;
  slots: number;
  /** Rows the module hands to the core's interpreter (forwardRun, reverseRun): vector rows other
   *  than the elementwise ones with a rule, sum and dot (matmul, softmax, logsumexp, …). */
  interpreted: Uint8Array;
  /** Slots holding a Const row's value (their adjoints are never read). */
  isConst: Uint8Array;
  groups: Group[];
  /** Each row's group, or -1 (scalar and interpreted rows). */
  groupOf: Int32Array;
  externalsOf: External[][];
  /** Whether the group's broadcast adjoints live in memory (a slot some other operand adds into). */
  sumsInMemory: boolean[];
  /** Whether the one-row group goes by lane pairs in the interpreter's order (emitPairwiseReverse). */
  pairwise: boolean[];
  /** Rows whose value or adjoint some element of is read outside the group. */
  outside: Uint8Array;
  /** The group's input runs whose adjoints start from 0 in a local instead of a load. */
  freshOf: Set<number>[];
  /** Rows whose value the forward loop stores and the reverse loop reads back. */
  stored: Uint8Array;
  /** Adjoint slots the forward sweep zeroes in memory. */
  zeroed: Uint8Array;
}

export const isReduction = (o: number) => o === Op.VecSum || o === Op.VecDot;
/** Row r's data and broadcast flags and its op (low byte), for a VecMap row. */
export const rowFlags = (program: Program, r: number) => rowParams(program, r)[1];
/** Whether row r (VecMap or reduction) reads only its a operand. */
export const isUnary = (program: Program, r: number) => (program.op[r] === Op.VecMap ? arity(rowFlags(program, r) & 255) < 2 : program.op[r] === Op.VecSum);

/** Rows one loop may hold: a longer chain (an ODE's thousands of steps on one state) becomes
 *  several loops, which keeps planning linear in the tape (it compares a group's rows pairwise). */
const MAX_GROUP_ROWS = 64;

/** The plan for `program`'s sweeps, or why there is no generated module. */
export function planVectorModule(program: Program, layout: SlotLayout): VectorPlan | { reason: string } {
  const { op, a, b } = program;
  const rows = op.length;
  const slotOf = new Int32Array(rows);
  let slots = 0;
  let scalarRows = 0;
  let vectorRows = 0;
  const interpreted = new Uint8Array(rows);
  const fusable = (r: number) => isReduction(op[r]) || (op[r] === Op.VecMap && scalarRule(rowParams(program, r)[1] & 255) !== undefined);
  for (let r = 0; r < rows; r++) {
    slotOf[r] = slots;
    slots += rowSlots(program, r);
    const o = op[r];
    if (o === Op.Param || o === Op.Const || isInput(o)) continue;
    if (isVectorOp(o)) {
      // A host row's rules call back into JavaScript, which may run sweeps of its own.
      if (o === Op.Custom) return { reason: `row ${r} is a custom op or checkpoint, whose rules run in JavaScript` };
      if (!fusable(r)) {
        if (layout.tape === undefined || layout.firstSlot === undefined) return { reason: `row ${r} has vector op ${o}, and no tape was given to run it on` };
        interpreted[r] = 1;
      }
      vectorRows++;
      continue;
    }
    if (scalarRule(o) === undefined) return { reason: `row ${r} has op ${o}, which the generator does not handle` };
    if (++scalarRows > MAX_VECTOR_TAPE_SCALAR_ROWS) return { reason: `more than ${MAX_VECTOR_TAPE_SCALAR_ROWS} scalar rows beside vector rows` };
  }
  // Every generated row costs at least 8 bytes of forward code (operands, rule, local.set): a tape
  // sure to exceed the limit is not planned (planning an LSTM tape's 39k elementwise rows took 1–2 s).
  if (8 * (scalarRows + vectorRows) > MAX_VECTOR_FUNCTION_BYTES) return tooLarge('forward');
  const isConst = new Uint8Array(slots);
  for (let r = 0; r < rows; r++) if (op[r] === Op.Const) isConst[slotOf[r]] = 1;
  const operands = (r: number) => rowOperands(program, r);
  const unary = (r: number) => isUnary(program, r);
  const flagsOf = (r: number) => rowFlags(program, r);

  // Groups, greedily in tape order (Param and Const rows do not interrupt one).
  const groupOf = new Int32Array(rows).fill(-1);
  let groups: Group[] = [];
  let current: Group | undefined;
  const inside = (g: Group, start: number, len: number): 'internal' | 'external' | 'overlap' => {
    for (const r of g.rows) {
      const lo = slotOf[r], hi = lo + (isReduction(op[r]) ? 1 : g.n);
      if (start === lo && len === g.n) return 'internal';
      if (start < hi && start + len > lo) return 'overlap';
    }
    return 'external';
  };
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    if (o === Op.Param || o === Op.Const) continue;
    if (interpreted[r] === 1 || (o !== Op.VecMap && !isReduction(o))) {
      current = undefined;
      continue;
    }
    const n = rowParams(program, r)[0];
    const [as, al, bs, bl] = operands(r);
    const flags = o === Op.VecMap ? rowParams(program, r)[1] : 0;
    // A broadcast operand is read through memory: it may not be one of the group's own values.
    const reads = (g: Group, start: number, len: number, broadcast: boolean) => {
      const kind = inside(g, start, len);
      return broadcast ? kind === 'external' : kind !== 'overlap';
    };
    const fits = (g: Group) => {
      if (g.n !== n || isReduction(op[g.rows[g.rows.length - 1]]) || g.rows.length >= MAX_GROUP_ROWS) return false;
      if (!reads(g, as, al, (flags & BROADCAST_A) !== 0)) return false;
      return unary(r) || bl === 0 || reads(g, bs, bl, (flags & BROADCAST_B) !== 0);
    };
    if (current === undefined || !fits(current)) {
      current = { rows: [], n };
      groups.push(current);
    }
    current.rows.push(r);
  }
  // Slots read outside their own group (or by nobody's group: scalar rows), and the last row
  // reading each slot.
  const readOutside = new Uint8Array(slots);
  const lastReader = new Int32Array(slots).fill(-1);
  groups.forEach((g, i) => g.rows.forEach((r) => (groupOf[r] = i)));
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    if (o === Op.Param || o === Op.Const || isInput(o)) continue;
    const ranges = [...operands(r), ...rowCondition(program, r)];
    for (let k = 0; k < ranges.length; k += 2) {
      const [start, len] = [ranges[k], ranges[k + 1]];
      if (start < 0) continue;
      // Typed-array fills: an interpreted gather or matmul reads whole parameter vectors.
      lastReader.fill(r, start, start + len);
      if (groupOf[r] < 0 || inside(groups[groupOf[r]], start, len) !== 'internal') readOutside.fill(1, start, start + len);
    }
  }
  for (const o of program.outputs) readOutside[o] = 1;
  const isOutput = new Uint8Array(slots);
  for (const o of program.outputs) isOutput[o] = 1;

  // Where an input slot would receive its additions in another order, split the group.
  /** The group's external operands; `shared`: a broadcast slot some other operand also adds
   *  into (its additions then interleave with theirs). */
  const externals = (g: Group): { list: External[]; shared: boolean } => {
    const list: External[] = [];
    for (const r of g.rows) {
      const flags = flagsOf(r);
      if ((flags & DATA_BOTH) === DATA_BOTH) continue;
      const [as, , bs, bl] = operands(r);
      const add = (start: number, broadcast: boolean) => {
        if (inside(g, start, broadcast ? 1 : g.n) === 'internal' && !broadcast) return;
        if (broadcast && isConst[start] === 1) return; // a constant's adjoint is never read
        list.push({ row: r, start, broadcast });
      };
      const bcA = op[r] === Op.VecMap && (flags & BROADCAST_A) !== 0;
      const bcB = op[r] === Op.VecMap && (flags & BROADCAST_B) !== 0;
      // The interpreter's sum ignores a lone DATA_A: only a row with both flags adds nothing.
      if ((flags & DATA_A) === 0 || op[r] === Op.VecSum) add(as, bcA);
      if (!unary(r) && bl > 0 && (flags & DATA_B) === 0) add(bs, bcB);
    }
    const covers = (e: External, s: number) => (e.broadcast ? s === e.start : s >= e.start && s < e.start + g.n);
    const shared = list.some((e) => e.broadcast && list.some((f) => f !== e && covers(f, e.start)));
    return { list, shared };
  };
  /** Whether the interpreter's reverse loop for row r goes by f64x2 lane pairs (assembly/vecmap.ts:
   *  add, sub, mul of two runs, no data flags). */
  const pairsInInterpreter = (r: number) => {
    const flags = flagsOf(r);
    const f = flags & 255;
    return op[r] === Op.VecMap && (f === Op.Add || f === Op.Sub || f === Op.Mul) && (flags & (DATA_BOTH | BROADCAST_A | BROADCAST_B)) === 0;
  };
  const keepsOrder = (g: Group, list: External[]): boolean => {
    const ranged = list.filter((e) => !e.broadcast).sort((e, f) => f.row - e.row);
    const flipped: [External, External][] = [];
    for (let i = 0; i < ranged.length; i++) {
      for (let j = i + 1; j < ranged.length; j++) {
        const [hi, lo] = [ranged[i], ranged[j]];
        const overlap = hi.start < lo.start + g.n && lo.start < hi.start + g.n;
        // One row's two operands (sub(x.slice(1), x.slice(0, -1))): the interpreter's f64x2 loop
        // adds lane pairs a before b, a group element by element.
        const sameRow = hi.row === lo.row && hi.start !== lo.start && pairsInInterpreter(hi.row);
        if (overlap && (sameRow || (hi.row !== lo.row && hi.start < lo.start))) flipped.push([hi, lo]);
      }
    }
    if (flipped.length === 0) return true;
    if (flipped.length > 1 || flipped[0][0] !== ranged[0] || flipped[0][1] !== ranged[1]) return false;
    if (ranged.length > 2 && (ranged[2].row === ranged[1].row || ranged[2].row === ranged[0].row)) return false;
    // The two first additions commute only into a slot that holds 0 when the group starts.
    const last = g.rows[g.rows.length - 1];
    for (const e of flipped[0]) {
      for (let s = e.start; s < e.start + g.n; s++) if (lastReader[s] > last || isOutput[s] === 1) return false;
    }
    return true;
  };
  // A one-row group whose broadcast operand lies in its other operand (mul(x, x.at(0))) adds
  // into memory element by element, as the interpreter's scalar loop does.
  const planned: Group[] = [];
  const externalsOf: External[][] = [];
  // A one-row group that would reorder its own operands' additions goes by lane pairs as the
  // interpreter does (`pairwise`).
  const sumsInMemory: boolean[] = [];
  const pairwise: boolean[] = [];
  for (const g of groups) {
    const { list, shared } = externals(g);
    if (g.rows.length === 1 || (!shared && keepsOrder(g, list))) {
      planned.push(g);
      externalsOf.push(list);
      sumsInMemory.push(shared);
      pairwise.push(g.rows.length === 1 && !keepsOrder(g, list));
      continue;
    }
    for (const r of g.rows) {
      const single = { rows: [r], n: g.n };
      const { list: l, shared: s } = externals(single);
      planned.push(single);
      externalsOf.push(l);
      sumsInMemory.push(s);
      pairwise.push(!keepsOrder(single, l));
    }
  }
  groups = planned;
  groupOf.fill(-1);
  groups.forEach((g, i) => g.rows.forEach((r) => (groupOf[r] = i)));
  // Splitting changes which reads are outside a group: every output of a one-row group is.
  for (const g of groups) if (g.rows.length === 1) readOutside.fill(1, slotOf[g.rows[0]], slotOf[g.rows[0]] + (isReduction(op[g.rows[0]]) ? 1 : g.n));

  // A VecMap row any of whose elements is read outside its group is stored whole, and its
  // adjoints start from memory.
  const outside = new Uint8Array(rows);
  for (const g of groups) {
    for (const r of g.rows) {
      const count = isReduction(op[r]) ? 1 : g.n;
      for (let s = slotOf[r]; s < slotOf[r] + count && outside[r] === 0; s++) outside[r] = readOutside[s];
    }
  }
  // A group's input run whose adjoints nothing adds into before the group's reverse loop (no
  // later row reads it, no output) starts from 0 in a local instead of a load, and memory.fill
  // skips it: the loop stores each of its slots. Not where the group's runs overlap other than
  // as a carried pair (x.slice(0, -1), x.slice(1)): those additions meet in memory.
  const freshOf = groups.map((g, gi) => {
    const fresh = new Set<number>();
    if (sumsInMemory[gi] || pairwise[gi]) return fresh;
    const last = g.rows[g.rows.length - 1];
    const starts = [...new Set(externalsOf[gi].filter((e) => !e.broadcast).map((e) => e.start))];
    for (const p of starts) for (const q of starts) if (q > p + 1 && q < p + g.n) return fresh;
    for (const start of starts) {
      let unread = true;
      for (let s = start; s < start + g.n && unread; s++) unread = lastReader[s] <= last && isOutput[s] === 0;
      if (unread) fresh.add(start);
    }
    return fresh;
  });
  // Rows whose value the forward loop stores and the reverse loop reads back: those read outside
  // the group, and those whose value is a call into the core (tanh over an MLP's hidden layer:
  // recomputing it made the reverse sweep slower than the interpreter's, which reads it).
  const stored = new Uint8Array(rows);
  for (const g of groups) for (const r of g.rows) if (op[r] === Op.VecMap) stored[r] = outside[r] === 1 || valueCallsCore(flagsOf(r) & 255) ? 1 : 0;

  // Zeroed adjoints: those the reverse sweep or the caller reads from memory (inputs, outputs,
  // slots read by scalar rows or outside their group, a group's operands). The others live in
  // locals: zeroing all of them would cost more than the loops (5n slots for Rosenbrock).
  const read = new Uint8Array(slots);
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    // The caller reads every input's adjoint.
    if (isInput(o)) read.fill(1, slotOf[r], slotOf[r] + rowSlots(program, r));
    if (o === Op.Param || o === Op.Const || isInput(o)) continue;
    if (interpreted[r] === 1) {
      // The core reads and adds into memory: its outputs' adjoints and its operands'.
      const [as, al, bs, bl] = operands(r);
      read.fill(1, slotOf[r], slotOf[r] + rowSlots(program, r));
      if (as >= 0) read.fill(1, as, as + al);
      if (bs >= 0) read.fill(1, bs, bs + bl);
      continue;
    }
    if (groupOf[r] < 0) {
      read[slotOf[r]] = 1;
      read[a[r]] = 1;
      if (b[r] >= 0) read[b[r]] = 1;
      continue;
    }
    const g = groups[groupOf[r]];
    const [as, al, bs, bl] = operands(r);
    if (isReduction(op[r])) read[slotOf[r]] = 1;
    else if (outside[r] === 1) read.fill(1, slotOf[r], slotOf[r] + g.n);
    if (inside(g, as, al) !== 'internal') read.fill(1, as, as + al);
    if (bs >= 0 && bl > 0 && inside(g, bs, bl) !== 'internal') read.fill(1, bs, bs + bl);
  }
  for (const o of program.outputs) read[o] = 1;
  groups.forEach((g, gi) => {
    freshOf[gi].forEach((start) => read.fill(0, start, start + g.n));
    // A run of the same group that loads its adjoints (x.slice(1) read again later) still needs
    // the slots it shares with a fresh one (x.slice(0, -1)) zeroed.
    for (const e of externalsOf[gi]) if (!e.broadcast && !freshOf[gi].has(e.start)) read.fill(1, e.start, e.start + g.n);
  });
  return { program, slotOf, slots, interpreted, isConst, groups, groupOf, externalsOf, sumsInMemory, pairwise, outside, freshOf, stored, zeroed: read };
}
