/** @file Generates a WebAssembly module from a compiled tape with vector rows: runs of elementwise
 *  rows (VecMap) of one length that feed each other, optionally ended by a VecSum or VecDot, become
 *  one forward loop and one reverse loop over the elements ("groups"); scalar rows are
 *  straight-line code. The reverse loop recomputes the group's arithmetic values from its inputs
 *  (cheaper than a store and a load per element; the values of ops that call the core, exp, tanh,
 *  …, are stored and loaded: a call costs more) and keeps the adjoints of values read only inside
 *  the group in locals; values and adjoints read outside the group go through memory.
 *
 *  Bit-identity with the interpreter: each element sees the op table's operations
 *  (scalar-rules.ts), reductions add in the interpreter's order (sequentially, from 0), a zero
 *  ȳ adds nothing. The one reordering is across elements: the interpreter finishes a row before
 *  the one below it, a group visits rows top…bottom per element. An input's adjoint slot then
 *  receives its contributions in another order where two rows read it at different offsets
 *  (x.slice(0, -1) and x.slice(1)); the group is kept only where that order is the same, or
 *  differs by its first two additions into a slot that starts at 0 (a + b = b + a); otherwise
 *  its rows become groups of one row each. A lone add, sub or mul of two overlapping runs goes
 *  by lane pairs as the interpreter's f64x2 loop does (assembly/vecmap.ts). Within an element,
 *  an input run's additions are summed in a local (in the same order) and stored once.
 *
 *  Lane pairs: a loop runs two elements per iteration on f64x2 lanes (simd-rules.ts: each lane
 *  does its element's own operations; emitGroupReverse says how each adjoint slot keeps its
 *  order) and the scalar body once for an odd last element. A reduction adds lane 0's term, then
 *  lane 1's: the interpreter's sequential order, so the sum stays one dependent addition per
 *  element (partial sums in two lanes would be faster, and not bit-identical).
 *
 *  Contract with the caller (CompiledFunction), as for scalar-module.ts: the reverse sweep runs
 *  after this forward sweep with only the outputs seeded; it leaves the inputs' adjoints in
 *  memory. Values read only inside a group are not stored. */
import { Op, arity, isInput, isVectorOp } from '../../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, DATA_A, DATA_B, DATA_BOTH } from '../../assembly/shared/vector.js';
import { rowCondition, rowOperands, rowParams, rowSlots, type Program } from '../compile/program.js';
import { ByteWriter, F64, I32, Locals, MEMORY_FILL, Opcode, Simd, V128, type FunctionBody, type FuncType } from './wasm-writer.js';
import { ruleModule, scalarRule, valueCallsCore, HELPER_FORWARD_RUN, HELPER_REVERSE_RUN, type Operands, type PartialRule, type ScalarRule } from './scalar-rules.js';
import { simdRule, type SimdRule } from './simd-rules.js';
import type { SlotLayout } from './scalar-module.js';

/** Scalar rows above this many keep the interpreter (the straight-line code is one function). */
export const MAX_VECTOR_TAPE_SCALAR_ROWS = 5_000;

/** A sweep's function above this many bytes keeps the interpreter: V8 compiles one function that
 *  large slowly and runs it slower than the interpreter (ADBench D-LSTM, 609 loops and 4,092
 *  interpreted rows: a 2.5 MB reverse function, 3–5 s to compile, 77–123 ms per call against
 *  the interpreter's 18–32 ms at load ≈ 8; GMM's 55 KB module runs 0.8× the interpreter). */
export const MAX_VECTOR_FUNCTION_BYTES = 256 * 1024;

const tooLarge = (sweep: string) => ({ reason: `the generated ${sweep} sweep would exceed ${MAX_VECTOR_FUNCTION_BYTES} bytes (one function: V8 compiles and runs it slower than the interpreter)` });

const VOID: FuncType = { params: [], results: [] };
const I32_ADD = 0x6a;
const I32_LT_U = 0x49;

/** An operand a group adds adjoints into, outside the group's own values. */
interface External {
  row: number;
  start: number;
  broadcast: boolean;
}

/** A run of rows one loop computes: VecMap rows of length n, then perhaps a reduction. */
interface Group {
  rows: number[];
  n: number;
}

const isReduction = (o: number) => o === Op.VecSum || o === Op.VecDot;
/** Rows one loop may hold: a longer chain (an ODE's thousands of steps on one state) becomes
 *  several loops, which keeps planning linear in the tape (it compares a group's rows pairwise). */
const MAX_GROUP_ROWS = 64;

/** The module, the rows each of its loops runs (VecMap, sum and dot rows) in tape order, and
 *  whether each loop goes by f64x2 lane pairs. */
export type VectorGenerated = { bytes: Uint8Array; functions: number; loops: number[][]; pairs: boolean[] } | { reason: string };

/** The module for `program`'s sweeps (exports `forward` and `reverse`), or why there is none. */
export function generateVectorModule(program: Program, layout: SlotLayout): VectorGenerated {
  const { op, a, b } = program;
  const rows = op.length;
  const slotOf = new Int32Array(rows);
  let slots = 0;
  let scalarRows = 0;
  let vectorRows = 0;
  /** Rows the module hands to the core's interpreter (forwardRun, reverseRun): vector rows other
   *  than the elementwise ones with a rule, sum and dot (matmul, softmax, logsumexp, …). */
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
  const unary = (r: number) => op[r] === Op.VecMap ? arity(rowParams(program, r)[1] & 255) < 2 : op[r] === Op.VecSum;
  const flagsOf = (r: number) => rowParams(program, r)[1];

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
  const valueAt = (s: number) => layout.valueBase + 8 * s;
  const adjointAt = (s: number) => layout.adjointBase + 8 * s;
  const constLoad = (w: ByteWriter, address: number) => w.byte(Opcode.i32Const).i32(0).byte(Opcode.f64Load).u32(3).u32(address);
  /** Row r's operands for element i (in local `index`, a byte offset) of a loop over `rows`: a
   *  value this loop computed earlier comes from its local, a broadcast from its one slot, the
   *  rest from memory. */
  const rowElementOperands = (rows: number[], r: number, local: Map<number, number>, index: number): Operands => {
    const [as, , bs] = operands(r);
    const flags = flagsOf(r);
    const push = (c: ByteWriter, start: number, broadcast: boolean) => {
      const producer = !broadcast ? rows.find((q) => q !== r && slotOf[q] === start && op[q] === Op.VecMap) : undefined;
      if (producer !== undefined && rows.indexOf(producer) < rows.indexOf(r)) c.byte(Opcode.localGet).u32(local.get(producer)!);
      else if (broadcast) constLoad(c, valueAt(start));
      else c.byte(Opcode.localGet).u32(index).byte(Opcode.f64Load).u32(3).u32(valueAt(start));
    };
    return {
      x: (c) => push(c, as, op[r] === Op.VecMap && (flags & BROADCAST_A) !== 0),
      b: (c) => (unary(r) ? c.byte(Opcode.f64Const).f64(0) : push(c, bs, op[r] === Op.VecMap && (flags & BROADCAST_B) !== 0)),
      y: (c) => c.byte(Opcode.localGet).u32(local.get(r)!),
      c: (c) => c.byte(Opcode.f64Const).f64(0),
    };
  };

  const forward = new ByteWriter(1024);
  const reverse = new ByteWriter(1024);
  // Locals: 0 = the element's byte offset (i32), then f64 and v128 locals as the loops take them.
  const forwardLocals = new Locals();
  const reverseLocals = new Locals();
  forwardLocals.fixed(I32);
  reverseLocals.fixed(I32);

  // ── scalar rows ──
  const scalarOperands = (w: ByteWriter, r: number): Operands => ({
    x: (c) => constLoad(c, valueAt(a[r])),
    b: (c) => (b[r] >= 0 && arity(op[r]) >= 2 ? constLoad(c, valueAt(b[r])) : c.byte(Opcode.f64Const).f64(0)),
    y: (c) => constLoad(c, valueAt(slotOf[r])),
    c: (c) => (op[r] === Op.Where ? constLoad(c, valueAt(a[r - 1])) : c.byte(Opcode.f64Const).f64(0)),
  });
  /** target += (g ≠ 0 ? g·∂ : 0), g in local gl; `target` pushes the address operand and old value. */
  const addContribution = (w: ByteWriter, gl: number, partial: PartialRule, o: Operands, zero: number) => {
    w.byte(Opcode.localGet).u32(gl);
    if (partial === 'one') return void w.byte(Opcode.f64Add);
    if (partial === 'minusOne') return void w.byte(Opcode.f64Sub);
    if (partial === 'zero') w.byte(Opcode.f64Const).f64(0);
    else partial(w, o);
    w.byte(Opcode.f64Mul).byte(Opcode.localGet).u32(zero).byte(Opcode.localGet).u32(gl).byte(Opcode.localGet).u32(zero);
    w.byte(Opcode.f64Ne).byte(Opcode.select).byte(Opcode.f64Add);
  };
  const scalarForward = (r: number) => {
    const rule = scalarRule(op[r]) as ScalarRule;
    forward.byte(Opcode.i32Const).i32(0);
    rule.value(forward, scalarOperands(forward, r));
    forward.byte(Opcode.f64Store).u32(3).u32(valueAt(slotOf[r]));
  };
  // Reverse locals shared by scalar rows: zero and ȳ; a lane pair of zeros for the loops.
  const ZERO = reverseLocals.fixed(F64);
  const G = reverseLocals.fixed(F64);
  const VZERO = reverseLocals.fixed(V128);
  const scalarReverse = (r: number) => {
    const rule = scalarRule(op[r]) as ScalarRule;
    const o = scalarOperands(reverse, r);
    constLoad(reverse, adjointAt(slotOf[r])).byte(Opcode.localSet).u32(G);
    const into = (target: number, partial: PartialRule) => {
      reverse.byte(Opcode.i32Const).i32(0);
      constLoad(reverse, adjointAt(target));
      addContribution(reverse, G, partial, o, ZERO);
      reverse.byte(Opcode.f64Store).u32(3).u32(adjointAt(target));
    };
    // The interpreter adds into the sink for a unary op; nobody reads it.
    into(a[r], rule.partialA);
    if (arity(op[r]) >= 2 && b[r] >= 0) into(b[r], rule.partialB);
  };

  // ── groups ──
  const groupForward = (g: Group) => {
    const w = forward;
    const I = 0;
    // A group's locals are dead after its loop: every group reuses the same ones (V8 refuses a
    // function of more than 50,000 locals; an LSTM tape has thousands of groups).
    forwardLocals.release();
    const local = new Map<number, number>();
    for (const r of g.rows) local.set(r, forwardLocals.add(F64));
    const ACC = forwardLocals.add(F64);
    const elementOperands = (r: number): Operands => rowElementOperands(g.rows, r, local, I);
    return { I, local, ACC, elementOperands };
  };
  /** `body` for each element (or lane pair: `width` 2) of the first `n` elements, the element's
   *  byte offset in local 0 (left at 8n after the loop). */
  const loop = (w: ByteWriter, n: number, body: () => void, width = 1) => {
    w.byte(Opcode.i32Const).i32(0).byte(Opcode.localSet).u32(0);
    w.byte(Opcode.block).byte(0x40).byte(Opcode.loop).byte(0x40);
    w.byte(Opcode.localGet).u32(0).byte(Opcode.i32Const).i32(8 * n).byte(I32_LT_U).byte(Opcode.i32Eqz).byte(Opcode.brIf).u32(1);
    body();
    w.byte(Opcode.localGet).u32(0).byte(Opcode.i32Const).i32(8 * width).byte(I32_ADD).byte(Opcode.localSet).u32(0);
    w.byte(Opcode.br).u32(0).byte(Opcode.end).byte(Opcode.end);
  };
  /** Each VecMap row's value into its local (and memory where read outside); the reduction's sum. */
  const keeps = (r: number) => stored[r] === 1;
  const elementValues = (w: ByteWriter, g: Group, local: Map<number, number>, ACC: number, elementOperands: (r: number) => Operands, storing: boolean) => {
    for (const r of g.rows) {
      const o = elementOperands(r);
      if (op[r] === Op.VecMap) {
        if (!storing && stored[r] === 1) w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(slotOf[r]));
        else (scalarRule(flagsOf(r) & 255) as ScalarRule).value(w, o);
        w.byte(Opcode.localSet).u32(local.get(r)!);
        if (storing && stored[r] === 1) {
          w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(local.get(r)!).byte(Opcode.f64Store).u32(3).u32(valueAt(slotOf[r]));
        }
      } else if (storing) {
        w.byte(Opcode.localGet).u32(ACC);
        o.x(w);
        if (op[r] === Op.VecDot) {
          o.b(w);
          w.byte(Opcode.f64Mul);
        }
        w.byte(Opcode.f64Add).byte(Opcode.localSet).u32(ACC);
      }
    }
  };
  /** Row r's operands for the lane pair at local 0, as v128s: a value this loop computed earlier
   *  from its local, a broadcast from its splat (made before the loop), a run from memory through
   *  the local `loads` gives it (loaded once per pair: see pairLoads). */
  const rowPairOperands = (rows: number[], r: number, local: Map<number, number>, splats: Map<number, number>, loads: Map<number, number>): Operands => {
    const [as, , bs] = operands(r);
    const flags = flagsOf(r);
    const push = (c: ByteWriter, start: number, broadcast: boolean) => {
      const producer = !broadcast ? rows.find((q) => q !== r && slotOf[q] === start && op[q] === Op.VecMap) : undefined;
      if (producer !== undefined && rows.indexOf(producer) < rows.indexOf(r)) c.byte(Opcode.localGet).u32(local.get(producer)!);
      else if (broadcast) c.byte(Opcode.localGet).u32(splats.get(start)!);
      else c.byte(Opcode.localGet).u32(loads.get(start)!);
    };
    const zeros = (c: ByteWriter) => c.byte(Opcode.f64Const).f64(0).simd(Simd.f64x2Splat);
    return {
      x: (c) => push(c, as, op[r] === Op.VecMap && (flags & BROADCAST_A) !== 0),
      b: (c) => (unary(r) ? zeros(c) : push(c, bs, op[r] === Op.VecMap && (flags & BROADCAST_B) !== 0)),
      y: (c) => c.byte(Opcode.localGet).u32(local.get(r)!),
      c: zeros,
    };
  };
  /** A v128 local per broadcast operand of the group's rows, holding its value in both lanes. */
  const broadcastSplats = (w: ByteWriter, locals: Locals, g: Group): Map<number, number> => {
    const splats = new Map<number, number>();
    for (const r of g.rows) {
      if (op[r] !== Op.VecMap) continue;
      const [as, , bs] = operands(r);
      const flags = flagsOf(r);
      const starts = [(flags & BROADCAST_A) !== 0 ? as : -1, !unary(r) && (flags & BROADCAST_B) !== 0 ? bs : -1];
      for (const start of starts) {
        if (start < 0 || splats.has(start)) continue;
        const l = locals.add(V128);
        constLoad(w, valueAt(start)).simd(Simd.f64x2Splat).byte(Opcode.localSet).u32(l);
        splats.set(start, l);
      }
    }
    return splats;
  };
  /** A v128 local per run the group's rows read from memory, and the code loading the pair at
   *  local 0 into each (one load per run, however many rows and partials read it). */
  const pairLoads = (locals: Locals, g: Group) => {
    const loads = new Map<number, number>();
    for (const r of g.rows) {
      const [as, , bs] = operands(r);
      const flags = flagsOf(r);
      const fromMemory = (start: number, broadcast: boolean, k: number) => {
        if (broadcast || loads.has(start)) return;
        const producer = g.rows.find((q) => q !== r && slotOf[q] === start && op[q] === Op.VecMap);
        if (producer === undefined || g.rows.indexOf(producer) > k) loads.set(start, locals.add(V128));
      };
      const k = g.rows.indexOf(r);
      fromMemory(as, op[r] === Op.VecMap && (flags & BROADCAST_A) !== 0, k);
      if (!unary(r)) fromMemory(bs, op[r] === Op.VecMap && (flags & BROADCAST_B) !== 0, k);
    }
    const emit = (w: ByteWriter) => {
      for (const [start, l] of loads) w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(valueAt(start)).byte(Opcode.localSet).u32(l);
    };
    return { loads, emit };
  };
  const pairRule = (r: number) => simdRule(flagsOf(r) & 255) as SimdRule;
  /** Whether a group runs by lane pairs: every element's additions then land in the order of the
   *  scalar loop (see emitGroupReverse). Not where broadcast adjoints live in memory (`inMemory`),
   *  nor for three runs one slot apart (x, x.slice(1), x.slice(2)): one carried lane is handled. */
  const pairsFit = (g: Group, list: External[], inMemory: boolean) => {
    if (g.n < 2 || inMemory) return false;
    if (g.rows.some((r) => op[r] === Op.VecMap && simdRule(flagsOf(r) & 255) === undefined)) return false;
    const starts = new Set(list.filter((e) => !e.broadcast).map((e) => e.start));
    for (const s of starts) if (starts.has(s + 1) && starts.has(s + 2)) return false;
    return true;
  };
  const emitGroupForward = (g: Group, pairs: boolean) => {
    const { local, ACC, elementOperands } = groupForward(g);
    const w = forward;
    w.byte(Opcode.f64Const).f64(0).byte(Opcode.localSet).u32(ACC);
    if (pairs) {
      const pair = new Map<number, number>();
      for (const r of g.rows) pair.set(r, forwardLocals.add(V128));
      const TERM = forwardLocals.add(V128);
      const splats = broadcastSplats(w, forwardLocals, g);
      const { loads, emit } = pairLoads(forwardLocals, g);
      loop(w, g.n & ~1, () => {
        emit(w);
        for (const r of g.rows) {
          const o = rowPairOperands(g.rows, r, pair, splats, loads);
          if (op[r] === Op.VecMap) {
            pairRule(r).value(w, o);
            w.byte(Opcode.localSet).u32(pair.get(r)!);
            if (keeps(r)) w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(pair.get(r)!).simd(Simd.v128Store).u32(3).u32(valueAt(slotOf[r]));
            continue;
          }
          // The reduction adds lane 0's term, then lane 1's: the interpreter's sequential order.
          o.x(w);
          if (op[r] === Op.VecDot) {
            o.b(w);
            w.simd(Simd.f64x2Mul);
          }
          w.byte(Opcode.localSet).u32(TERM);
          for (const lane of [0, 1]) {
            w.byte(Opcode.localGet).u32(ACC).byte(Opcode.localGet).u32(TERM).simd(Simd.f64x2ExtractLane).byte(lane);
            w.byte(Opcode.f64Add).byte(Opcode.localSet).u32(ACC);
          }
        }
      }, 2);
      // An odd last element: the scalar loop's body once, at the offset the loop left.
      if (g.n % 2 === 1) elementValues(w, g, local, ACC, elementOperands, true);
    } else loop(w, g.n, () => elementValues(w, g, local, ACC, elementOperands, true));
    const last = g.rows[g.rows.length - 1];
    if (isReduction(op[last])) w.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(ACC).byte(Opcode.f64Store).u32(3).u32(valueAt(slotOf[last]));
  };
  /** Pushes a lane pair's contributions ȳ·∂ (0 in a lane whose ȳ is 0, as addContribution),
   *  ȳ in v128 local gl; returns whether the target subtracts them (∂ = −1 pushes ȳ). */
  const pairTerm = (w: ByteWriter, gl: number, partial: PartialRule, o: Operands): boolean => {
    w.byte(Opcode.localGet).u32(gl);
    if (partial === 'one') return false;
    if (partial === 'minusOne') return true;
    if (partial === 'zero') w.byte(Opcode.f64Const).f64(0).simd(Simd.f64x2Splat);
    else partial(w, o);
    // The lanes where ȳ ≠ 0 are all ones: `and` keeps them and makes the others +0 (one
    // instruction where bitselect with a zero vector is three on x86).
    w.simd(Simd.f64x2Mul).byte(Opcode.localGet).u32(gl).byte(Opcode.localGet).u32(VZERO);
    w.simd(Simd.f64x2Ne).simd(Simd.v128And);
    return false;
  };
  /** The reverse loop of a group. Each element walks the rows bottom…top, adding each row's
   *  contributions into its operands' adjoints. By lane pairs (`pairs`), two elements go
   *  through each row together: lane-wise the same operations, and each adjoint slot receives
   *  its additions in the scalar loop's order: a run's slots are distinct per lane; a broadcast
   *  sum takes lane 0's contributions (all rows) before lane 1's; and for x.slice(0, -1) with
   *  x.slice(1), where slot i + 1 takes element i's additions through the second before element
   *  i + 1's through the first, the first's pair starts from the second's finished lane 0. */
  const emitGroupReverse = (g: Group, list: External[], inMemory: boolean, pairs: boolean, fresh: Set<number>) => {
    const w = reverse;
    const L = reverseLocals;
    // Reverse locals: values, adjoints, the reduction's ȳ, broadcast sums, a scratch ȳ.
    L.release();
    const value = new Map<number, number>();
    const adjoint = new Map<number, number>();
    for (const r of g.rows) value.set(r, L.add(F64));
    for (const r of g.rows) adjoint.set(r, L.add(F64));
    const GRED = L.add(F64);
    const sums = new Map<number, number>();
    for (const e of list) if (e.broadcast && !inMemory && !sums.has(e.start)) sums.set(e.start, L.add(F64));
    // An input run's adjoint at the element, loaded once per element and stored after the last
    // row adding into it (the same additions in the same order, without a store-to-load wait
    // per addition), except where a broadcast adjoint in memory may be the same slot.
    const pending = new Map<number, number>();
    if (!inMemory) for (const e of list) if (!e.broadcast && !pending.has(e.start)) pending.set(e.start, L.add(F64));
    const touched = new Set<number>();
    // x.slice(0, -1) and x.slice(1): what element i stores through the second is what element
    // i + 1 loads through the first; it is carried in a local instead.
    const carry = new Map<number, number>();
    for (const start of pending.keys()) if (pending.has(start + 1)) carry.set(start, L.add(F64));
    const ACC = L.add(F64);
    const local = value;
    const elementOperands = (r: number): Operands => rowElementOperands(g.rows, r, local, 0);
    const last = g.rows[g.rows.length - 1];
    const reduction = isReduction(op[last]) ? last : -1;
    if (reduction >= 0) constLoad(w, adjointAt(slotOf[reduction])).byte(Opcode.localSet).u32(GRED);
    for (const [start, l] of sums) constLoad(w, adjointAt(start)).byte(Opcode.localSet).u32(l);
    for (const [start, l] of carry) {
      if (fresh.has(start)) w.byte(Opcode.f64Const).f64(0);
      else constLoad(w, adjointAt(start));
      w.byte(Opcode.localSet).u32(l);
    }
    /** Row r's rules for its a and b operands. */
    const partialsOf = (r: number, lanes: boolean): [PartialRule, PartialRule] => {
      if (op[r] === Op.VecMap) {
        const rule = lanes ? pairRule(r) : (scalarRule(flagsOf(r) & 255) as ScalarRule);
        return [rule.partialA, rule.partialB];
      }
      if (op[r] === Op.VecSum) return ['one', 'zero'];
      return [(c, o) => o.b(c), (c, o) => o.x(c)];
    };
    /** Calls `into` for each operand row r adds into, with its start, broadcast flag and rule. */
    const eachTarget = (r: number, lanes: boolean, into: (start: number, broadcast: boolean, partial: PartialRule) => void) => {
      const flags = flagsOf(r);
      const [as, , bs] = operands(r);
      const [partialA, partialB] = partialsOf(r, lanes);
      const bcA = op[r] === Op.VecMap && (flags & BROADCAST_A) !== 0;
      const bcB = op[r] === Op.VecMap && (flags & BROADCAST_B) !== 0;
      if ((flags & DATA_A) === 0 || op[r] === Op.VecSum) into(as, bcA, partialA);
      if (!unary(r) && (flags & DATA_B) === 0) into(bs, bcB, partialB);
    };
    const producerOf = (r: number, k: number, start: number, broadcast: boolean) =>
      !broadcast ? g.rows.find((q) => q !== r && slotOf[q] === start && op[q] === Op.VecMap && g.rows.indexOf(q) < k) : undefined;

    const scalarElement = () => {
      elementValues(w, g, value, ACC, elementOperands, false);
      for (const r of g.rows) {
        if (r === reduction) continue;
        if (outside[r] === 1) w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(slotOf[r]));
        else w.byte(Opcode.f64Const).f64(0);
        w.byte(Opcode.localSet).u32(adjoint.get(r)!);
      }
      for (let k = g.rows.length - 1; k >= 0; k--) {
        const r = g.rows[k];
        if ((flagsOf(r) & DATA_BOTH) === DATA_BOTH) continue;
        const gl = r === reduction ? GRED : adjoint.get(r)!;
        const o = elementOperands(r);
        eachTarget(r, false, (start, broadcast, partial) => {
          const producer = producerOf(r, k, start, broadcast);
          if (producer !== undefined) {
            const t = adjoint.get(producer)!;
            w.byte(Opcode.localGet).u32(t);
            addContribution(w, gl, partial, o, ZERO);
            w.byte(Opcode.localSet).u32(t);
          } else if (broadcast && sums.has(start)) {
            const t = sums.get(start)!;
            w.byte(Opcode.localGet).u32(t);
            addContribution(w, gl, partial, o, ZERO);
            w.byte(Opcode.localSet).u32(t);
          } else if (broadcast && isConst[start] === 1) {
            return; // a constant's adjoint is never read
          } else if (!broadcast && pending.has(start)) {
            const t = pending.get(start)!;
            if (touched.has(start)) w.byte(Opcode.localGet).u32(t);
            else if (carry.has(start)) w.byte(Opcode.localGet).u32(carry.get(start)!);
            else if (fresh.has(start)) w.byte(Opcode.f64Const).f64(0);
            else w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(start));
            touched.add(start);
            addContribution(w, gl, partial, o, ZERO);
            w.byte(Opcode.localSet).u32(t);
          } else {
            const at = (c: ByteWriter) => (broadcast ? c.byte(Opcode.i32Const).i32(0) : c.byte(Opcode.localGet).u32(0));
            at(w);
            at(w).byte(Opcode.f64Load).u32(3).u32(adjointAt(start));
            addContribution(w, gl, partial, o, ZERO);
            w.byte(Opcode.f64Store).u32(3).u32(adjointAt(start));
          }
        });
      }
      for (const start of touched) w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(pending.get(start)!).byte(Opcode.f64Store).u32(3).u32(adjointAt(start));
      for (const [start, l] of carry) {
        // Element i + 1's slot through `start` (memory when i + 1 is not touched through start + 1).
        if (touched.has(start + 1)) w.byte(Opcode.localGet).u32(pending.get(start + 1)!);
        else w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(start) + 8);
        w.byte(Opcode.localSet).u32(l);
      }
      touched.clear();
    };

    if (pairs) {
      const pairValue = new Map<number, number>();
      const pairAdjoint = new Map<number, number>();
      for (const r of g.rows) pairValue.set(r, L.add(V128));
      for (const r of g.rows) if (r !== reduction) pairAdjoint.set(r, L.add(V128));
      const pairPending = new Map<number, number>();
      for (const start of pending.keys()) pairPending.set(start, L.add(V128));
      const GPAIR = L.add(V128);
      if (reduction >= 0) w.byte(Opcode.localGet).u32(GRED).simd(Simd.f64x2Splat).byte(Opcode.localSet).u32(GPAIR);
      const splats = broadcastSplats(w, L, g);
      const { loads, emit } = pairLoads(L, g);
      // Contributions held back until the row walk is done: into broadcast sums (lane by lane)
      // and into the first run of a carried pair (after the second's lane 0 is final).
      const held: { start: number; broadcast: boolean; term: number; subtract: boolean }[] = [];
      // The carried slot in lane 1 of a v128 (the second run's previous pair).
      const carriedPair = new Map<number, number>();
      for (const [start, c] of carry) {
        const l = L.add(V128);
        w.byte(Opcode.localGet).u32(c).simd(Simd.f64x2Splat).byte(Opcode.localSet).u32(l);
        carriedPair.set(start, l);
      }
      const term = (gl: number, partial: PartialRule, o: Operands) => pairTerm(w, gl, partial, o);
      const add = (subtract: boolean) => w.simd(subtract ? Simd.f64x2Sub : Simd.f64x2Add);
      loop(w, g.n & ~1, () => {
        emit(w);
        for (const r of g.rows) {
          if (op[r] !== Op.VecMap) continue;
          if (keeps(r)) w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(valueAt(slotOf[r]));
          else pairRule(r).value(w, rowPairOperands(g.rows, r, pairValue, splats, loads));
          w.byte(Opcode.localSet).u32(pairValue.get(r)!);
        }
        for (const r of g.rows) {
          if (r === reduction) continue;
          if (outside[r] === 1) w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(adjointAt(slotOf[r]));
          else w.byte(Opcode.localGet).u32(VZERO);
          w.byte(Opcode.localSet).u32(pairAdjoint.get(r)!);
        }
        held.length = 0;
        for (let k = g.rows.length - 1; k >= 0; k--) {
          const r = g.rows[k];
          if ((flagsOf(r) & DATA_BOTH) === DATA_BOTH) continue;
          const gl = r === reduction ? GPAIR : pairAdjoint.get(r)!;
          const o = rowPairOperands(g.rows, r, pairValue, splats, loads);
          eachTarget(r, true, (start, broadcast, partial) => {
            const producer = producerOf(r, k, start, broadcast);
            if (broadcast && producer === undefined && isConst[start] === 1) return; // never read
            if (producer !== undefined || (!broadcast && pending.has(start) && !carry.has(start))) {
              const t = producer !== undefined ? pairAdjoint.get(producer)! : pairPending.get(start)!;
              if (producer !== undefined || touched.has(start)) w.byte(Opcode.localGet).u32(t);
              else if (fresh.has(start)) w.byte(Opcode.localGet).u32(VZERO);
              else w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(adjointAt(start));
              if (producer === undefined) touched.add(start);
              add(term(gl, partial, o));
              w.byte(Opcode.localSet).u32(t);
              return;
            }
            if (!(broadcast ? sums.has(start) : carry.has(start))) throw new Error(`internal: row ${r}'s operand at slot ${start} has no lane-pair target`);
            const t = L.add(V128);
            const subtract = term(gl, partial, o);
            w.byte(Opcode.localSet).u32(t);
            held.push({ start, broadcast, term: t, subtract });
          });
        }
        for (const lane of [0, 1]) {
          for (const h of held) {
            if (!h.broadcast) continue;
            const s = sums.get(h.start)!;
            w.byte(Opcode.localGet).u32(s).byte(Opcode.localGet).u32(h.term).simd(Simd.f64x2ExtractLane).byte(lane);
            w.byte(h.subtract ? Opcode.f64Sub : Opcode.f64Add).byte(Opcode.localSet).u32(s);
          }
        }
        // A carried pair's second run is not stored: its lane 0 is final in the first's lane 1,
        // its lane 1 in the next pair's lane 0 (carried), or stored after the loop.
        for (const start of touched) {
          if (carry.has(start - 1)) continue;
          w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(pairPending.get(start)!).simd(Simd.v128Store).u32(3).u32(adjointAt(start));
        }
        for (const [start, c] of carry) {
          const second = pairPending.get(start + 1)!;
          const first = pairPending.get(start)!;
          // [the carried slot (the previous pair's second run, lane 1), this pair's second run lane 0]
          const previous = carriedPair.get(start)!;
          w.byte(Opcode.localGet).u32(previous).byte(Opcode.localGet).u32(second).simd(Simd.i8x16Shuffle);
          for (let k = 8; k < 24; k++) w.byte(k);
          for (const h of held) {
            if (h.broadcast || h.start !== start) continue;
            w.byte(Opcode.localGet).u32(h.term);
            add(h.subtract);
          }
          w.byte(Opcode.localSet).u32(first);
          w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(first).simd(Simd.v128Store).u32(3).u32(adjointAt(start));
          w.byte(Opcode.localGet).u32(second).byte(Opcode.localSet).u32(previous);
        }
        touched.clear();
      }, 2);
      // The scalar step (and the last store below) read the carried slot from its f64 local.
      for (const [start, c] of carry) w.byte(Opcode.localGet).u32(carriedPair.get(start)!).simd(Simd.f64x2ExtractLane).byte(1).byte(Opcode.localSet).u32(c);
      // The last slot through a carried pair's second run (an odd last element: the scalar step's).
      if (g.n % 2 === 0) {
        for (const [start, c] of carry) w.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(c).byte(Opcode.f64Store).u32(3).u32(adjointAt(start + 1) + 8 * (g.n - 1));
      }
      if (g.n % 2 === 1) scalarElement();
    } else loop(w, g.n, scalarElement);
    for (const [start, l] of sums) w.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(l).byte(Opcode.f64Store).u32(3).u32(adjointAt(start));
  };

  /** Row r (add, sub or mul of two runs) alone, in the interpreter's order: per lane pair, the
   *  a-operand's two additions, then the b-operand's; an odd last element a then b. */
  const emitPairwiseReverse = (r: number, n: number) => {
    const w = reverse;
    const rule = scalarRule(flagsOf(r) & 255) as ScalarRule;
    const [as, , bs] = operands(r);
    const out = slotOf[r];
    const element = (lane: number): Operands => ({
      x: (c) => c.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(as) + 8 * lane),
      b: (c) => c.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(bs) + 8 * lane),
      y: (c) => c.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(out) + 8 * lane),
      c: (c) => c.byte(Opcode.f64Const).f64(0),
    });
    const add = (lane: number, start: number, partial: PartialRule) => {
      w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(out) + 8 * lane).byte(Opcode.localSet).u32(G);
      w.byte(Opcode.localGet).u32(0);
      w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(start) + 8 * lane);
      addContribution(w, G, partial, element(lane), ZERO);
      w.byte(Opcode.f64Store).u32(3).u32(adjointAt(start) + 8 * lane);
    };
    // The pairs as v128s: lane-wise the same operations, each pair's slots in the same order.
    const pairRuleOf = pairRule(r);
    reverseLocals.release();
    const GP = reverseLocals.add(V128);
    const load = (c: ByteWriter, address: number) => c.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(address);
    const pair: Operands = {
      x: (c) => load(c, valueAt(as)),
      b: (c) => load(c, valueAt(bs)),
      y: (c) => load(c, valueAt(out)),
      c: (c) => c.byte(Opcode.localGet).u32(VZERO),
    };
    const addPair = (start: number, partial: PartialRule) => {
      w.byte(Opcode.localGet).u32(0);
      load(w, adjointAt(start));
      w.simd(pairTerm(w, GP, partial, pair) ? Simd.f64x2Sub : Simd.f64x2Add);
      w.simd(Simd.v128Store).u32(3).u32(adjointAt(start));
    };
    loop(w, n & ~1, () => {
      load(w, adjointAt(out)).byte(Opcode.localSet).u32(GP);
      addPair(as, pairRuleOf.partialA);
      addPair(bs, pairRuleOf.partialB);
    }, 2);
    if (n % 2 === 1) {
      add(0, as, rule.partialA);
      add(0, bs, rule.partialB);
    }
  };

  /** Row r on the core's interpreter: forwardRun(tape, r, r + 1, its first slot) or
   *  reverseRun(tape, r, r + 1, the slot after its outputs); `slot` is the program's. */
  const interpretedRun = (w: ByteWriter, helper: number, r: number, slot: number) => {
    w.byte(Opcode.i32Const).i32(layout.tape! | 0).byte(Opcode.i32Const).i32(r).byte(Opcode.i32Const).i32(r + 1);
    w.byte(Opcode.i32Const).i32(layout.firstSlot! + slot).byte(Opcode.call).u32(helper);
  };

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
  // One memory.fill per run, runs less than 64 slots apart merged.
  for (let s = 0; s < slots; ) {
    if (read[s] === 0) {
      s++;
      continue;
    }
    let end = s + 1;
    for (let gap = 0; end < slots && gap < 64; end++) gap = read[end] === 1 ? 0 : gap + 1;
    while (read[end - 1] === 0) end--;
    forward.byte(Opcode.i32Const).i32(adjointAt(s)).byte(Opcode.i32Const).i32(0).byte(Opcode.i32Const).i32(8 * (end - s));
    forward.byte(Opcode.prefixFC).u32(MEMORY_FILL).byte(0x00);
    s = end;
  }
  const pairsOf = groups.map((g, i) => pairsFit(g, externalsOf[i], sumsInMemory[i]));
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    if (o === Op.Param || o === Op.Const || isInput(o)) continue;
    const gi = groupOf[r];
    if (interpreted[r] === 1) interpretedRun(forward, HELPER_FORWARD_RUN, r, slotOf[r]);
    else if (gi < 0) scalarForward(r);
    else if (groups[gi].rows[0] === r) emitGroupForward(groups[gi], pairsOf[gi]);
    if (forward.length > MAX_VECTOR_FUNCTION_BYTES) return tooLarge('forward');
  }
  reverse.byte(Opcode.f64Const).f64(0).byte(Opcode.localSet).u32(ZERO);
  for (let r = rows - 1; r >= 0; r--) {
    const o = op[r];
    if (o === Op.Param || o === Op.Const || isInput(o)) continue;
    const gi = groupOf[r];
    if (interpreted[r] === 1) interpretedRun(reverse, HELPER_REVERSE_RUN, r, slotOf[r] + rowSlots(program, r));
    else if (gi < 0) scalarReverse(r);
    else {
      const g = groups[gi];
      if (pairwise[gi]) emitPairwiseReverse(r, g.n);
      else if (g.rows[g.rows.length - 1] === r) emitGroupReverse(g, externalsOf[gi], sumsInMemory[gi], pairsOf[gi], freshOf[gi]);
    }
    if (reverse.length > MAX_VECTOR_FUNCTION_BYTES) return tooLarge('reverse');
  }
  const functions: FunctionBody[] = [
    { type: VOID, locals: forwardLocals.declare(), code: forward, exportAs: 'forward' },
    { type: VOID, locals: reverseLocals.declare(), code: reverse, exportAs: 'reverse' },
  ];
  const bytes = ruleModule(functions, layout.sharedMemory);
  return { bytes, functions: functions.length, loops: groups.map((g) => g.rows), pairs: pairsOf };
}
