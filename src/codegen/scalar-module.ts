/** @file Generates a WebAssembly module from a compiled tape of scalar rows: the forward sweep as
 *  straight-line code (each value computed once, kept in a local for the rows after it in the
 *  same function, stored only where memory is read: the outputs, a later function, the reverse
 *  sweep's partials), and the reverse sweep with adjoints accumulated in locals, written to
 *  memory only where another function or the caller reads them (inputs, slots used across
 *  functions). Long tapes are split into functions of `chunkRows` rows.
 *
 *  Bit-identity with the interpreter (assembly/shared/walk.ts): the same operations per rule
 *  (scalar-rules.ts), the same order of adjoint additions (seed, then rows top…0, a before b),
 *  the same skip of rows whose adjoint is 0.
 *
 *  Contract with the caller (CompiledFunction): the reverse sweep runs after this module's forward
 *  sweep, with only the outputs' adjoints seeded; it leaves the outputs' values and the inputs'
 *  adjoints in memory, not the other values nor the adjoints of intermediate slots and constants
 *  (nothing reads them; the interpreter's sweeps recompute and rezero them). */
import { Op, arity, isInput } from '../../assembly/shared/ops.js';
import { inputCount, rowSlots, type Program } from '../compile/program.js';
import { ByteWriter, MEMORY_FILL, ModuleStream, Opcode, type FuncType } from './wasm-writer.js';
import { ruleModuleHeader, RULE_IMPORTS } from './scalar-rules.js';
import { findLoops } from './loop-finder.js';
import { LoopPlan, type TapeFacts } from './rolled-loop.js';
import {
  ruleTemplates, HOLE_B, HOLE_X, HOLE_Y, PARTIAL_MINUS_ONE, PARTIAL_ONE, PARTIAL_ZERO, READS_B, READS_C, READS_X, READS_Y, type RuleTemplates,
} from './rule-templates.js';

/** Where the loaded tape's slots live: slot k (the program's numbering) has its value at
 *  valueBase + 8k and its adjoint at adjointBase + 8k. The tape's segment never moves
 *  (assembly/layout.ts), so the addresses are baked into the code. */
export interface SlotLayout {
  valueBase: number;
  adjointBase: number;
  /** Whether the core's memory is shared: the import must say the same. */
  sharedMemory: boolean;
  /** The core's tape and the slot id of the program's slot 0, for rows the module hands to the
   *  interpreter (forwardRun, reverseRun); without them, a tape with such rows is not generated. */
  tape?: number;
  firstSlot?: number;
}

/** Rows per generated function: V8 compiles small functions faster and tiers them up sooner. */
export const CHUNK_ROWS = 500;

/** Runs of a repeated body at least this many rows long are written as wasm loops (shorter
 *  ones are written out row by row, where the loop's bookkeeping would cost more than it saves).
 *  A rolled loop keeps a value carried from one repetition to the next in a local, and replays
 *  faster than the same rows written out: Rosenbrock n=10³ 4.8–7.2 µs against 6.3–9.9, n=4444
 *  29 µs against 93 (bench/codegen.ts); and its module is a few hundred bytes however long the
 *  loop, which V8 compiles in about a millisecond. */
export const ROLL_ROWS = 128;

/** Above this many rows the interpreter is kept (see bench/codegen.ts for the measurements). */
export const MAX_GENERATED_ROWS = 40_000;

/** A module's bytes, its function count and the tape's loops it writes as wasm loops. */
export type Generated = { bytes: Uint8Array; functions: number; rolled: number } | { reason: string };

const VOID: FuncType = { params: [], results: [] };
const NO_SLOT = -1;

/** Per op code: 1 where the op has a b operand (arity() in a table: it is asked per row). */
const BINARY = Uint8Array.from({ length: 256 }, (_, o) => (arity(o) >= 2 ? 1 : 0));

/** Planning arrays, reused from one generation to the next: a fresh megabyte costs more in page
 *  faults and GC than filling one already mapped. */
const planning: Int32Array[] = [];

/** Hands out the planning arrays in turn, each `length` long and filled with `fill` (left as the
 *  last generation left it without: an array whose entries are set before they are read). */
function planningArrays(): (length: number, fill?: number) => Int32Array {
  let next = 0;
  return (length, fill) => {
    const i = next++;
    if (planning[i] === undefined || planning[i].length < length) planning[i] = new Int32Array(length);
    const array = planning[i].subarray(0, length);
    return fill === undefined ? array : array.fill(fill);
  };
}

/** The first function's stamp: stamps grow from one generation to the next, so that the stamp
 *  arrays need no clearing (a fresh array's 0 is no stamp). */
let stampBase = 1;

/** Module bytes per row the writer reserves at once (Rosenbrock's rows take about 20; rows that
 *  call the core's rules take more, and the writer grows past it). */
const BYTES_PER_ROW = 40;

// One generation's state. Generation is not reentrant; the state lives in module variables so
// that the per-row functions below take and return numbers: no closure, no allocation per row,
// one shape per call site (V8 optimizes them within the first generation).
const EMPTY: Int32Array = new Int32Array(0);
/** The code writer, its buffer and the index of the next byte in it (the writer's `length` is
 *  brought up to date around the writer's own calls). */
let code = new ByteWriter(16);
let buf: Uint8Array = new Uint8Array(0);
let at = 0;
let valueBase = 0;
let adjointBase = 0;
let templates: RuleTemplates;
let tokens: Int16Array = new Int16Array(0);
let op: Uint8Array = new Uint8Array(0);
let a = EMPTY;
let b = EMPTY;
/** Per row: its slot (−1 for a Param row), and 1 where it computes (not Param, Const nor Input). */
let slotOf = EMPTY;
let computed = EMPTY;
/** Per slot: the last row reading it, 1 for a constant, 1 for an output, 1 where memory holds
 *  its value (something reads it there). */
let lastUse = EMPTY;
let isConst = EMPTY;
/** A constant's value (the program's consts, in row order): a partial that is a finite constant
 *  is written as one, and needs no guard against ȳ = 0. */
let constValue: Float64Array = new Float64Array(0);
let seeded = EMPTY;
let stored = EMPTY;
let inputs = 0;
/** The function being written: its rows' first slot, the row after its last, its stamp (no
 *  other function's, in any generation); its f64 locals (0 holds 0 and is never set) and the
 *  dead ones to hand out again. */
let first = 0;
let end = 0;
let chunk = 0;
let locals = 1;
let free = new Int32Array(256);
let freeCount = 0;
/** The row being written: its operands' slots (NO_SLOT where it has none). */
let xs = 0;
let bs = 0;
let ys = 0;
let cs = 0;

function u32(value: number): void {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
}

/** Room for `n` more bytes. */
function room(n: number): void {
  if (at + n <= buf.length) return;
  code.length = at;
  buf = code.buffer(n);
}

function getLocal(local: number): void {
  buf[at++] = Opcode.localGet;
  u32(local);
}

function setLocal(local: number): void {
  buf[at++] = Opcode.localSet;
  u32(local);
}

/** The address operand of a load or store: every address is in the offset immediate. */
function addressZero(): void {
  buf[at++] = Opcode.i32Const;
  buf[at++] = 0;
}

function load(address: number): void {
  addressZero();
  buf[at++] = Opcode.f64Load;
  buf[at++] = 3;
  u32(address);
}

/** Stores the stack's top at `address` (addressZero() came before the value). */
function store(address: number): void {
  buf[at++] = Opcode.f64Store;
  buf[at++] = 3;
  u32(address);
}

/** An f64 immediate's bytes, little-endian as typed arrays are on every platform wasm runs on. */
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

function take(): number {
  return freeCount > 0 ? free[--freeCount] : locals++;
}

function release(local: number): void {
  if (freeCount === free.length) {
    const grown = new Int32Array(2 * free.length);
    grown.set(free);
    free = grown;
  }
  free[freeCount++] = local;
}

/** The slot a template's hole names, for the row being written. */
function holeSlot(token: number): number {
  return token === HOLE_X ? xs : token === HOLE_B ? bs : token === HOLE_Y ? ys : cs;
}

/** The first slot of rows lo…hi − 1 (the slot count if none has one). */
function firstSlotOf(lo: number, hi: number, slots: number): number {
  for (let r = lo; r < hi; r++) if (slotOf[r] >= 0) return slotOf[r];
  return slots;
}

/** Per computed row: the operands its written partials read (READS_ bits; a partial is written
 *  where its target is not a constant). */
let rowReads = EMPTY;

/** The slots row r's written partials read, each once: px, pb, py, pc (NO_SLOT where none). */
let px = 0;
let pb = 0;
let py = 0;
let pc = 0;

function partialSlots(r: number): void {
  const o = op[r];
  const binary = BINARY[o] === 1;
  const reads = rowReads[r];
  px = reads & READS_X ? a[r] : NO_SLOT;
  pb = reads & READS_B && binary && b[r] !== px ? b[r] : NO_SLOT;
  py = reads & READS_Y && slotOf[r] !== px && slotOf[r] !== pb ? slotOf[r] : NO_SLOT;
  pc = reads & READS_C && o === Op.Where && a[r - 1] !== px && a[r - 1] !== pb && a[r - 1] !== py ? a[r - 1] : NO_SLOT;
}

// ---- forward ----
// A value read by a later row of this function is kept in a local from its row (or, if it comes
// from memory, its first read) to its last read; dead locals are reused, so most indices take
// one byte.
let readsLeft = EMPTY;
let forwardLocal = EMPTY;
let forwardStamp = EMPTY;

/** Counts a read of slot s by a row of this function (a row reading one slot twice counts once). */
function countRead(s: number): void {
  if (s === NO_SLOT) return;
  if (forwardStamp[s] !== chunk) {
    forwardStamp[s] = chunk;
    readsLeft[s] = 0;
    forwardLocal[s] = 0;
  }
  readsLeft[s]++;
}

function forwardOperand(s: number): void {
  if (s === NO_SLOT) getLocal(0);
  else if (forwardLocal[s] > 0) getLocal(forwardLocal[s]);
  else if (readsLeft[s] > 1) {
    load(valueBase + 8 * s);
    buf[at++] = Opcode.localTee;
    u32((forwardLocal[s] = take()));
  } else load(valueBase + 8 * s);
}

/** After a row: a slot it read for the last time frees its local. */
function forwardDone(s: number): void {
  if (s === NO_SLOT || --readsLeft[s] > 0 || forwardLocal[s] <= 0) return;
  release(forwardLocal[s]);
  forwardLocal[s] = 0;
}

function writeForward(k: number): void {
  for (let i = templates.start[k], last = templates.end[k]; i < last; i++) {
    const token = tokens[i];
    if (token < 256) buf[at++] = token;
    else forwardOperand(holeSlot(token));
  }
}

/** Rows lo…hi − 1's forward code; returns the locals it uses. */
function forwardChunk(lo: number, hi: number): number {
  for (let r = lo; r < hi; r++) {
    if (computed[r] === 0) continue;
    const x = a[r];
    const w = BINARY[op[r]] === 1 ? b[r] : NO_SLOT;
    const c = op[r] === Op.Where ? a[r - 1] : NO_SLOT;
    countRead(x);
    if (w !== x) countRead(w);
    if (c !== x && c !== w) countRead(c);
  }
  locals = 1;
  freeCount = 0;
  for (let r = lo; r < hi; r++) {
    if (computed[r] === 0) continue;
    const s = slotOf[r];
    const o = op[r];
    const x = (xs = a[r]);
    const w = (bs = BINARY[o] === 1 ? b[r] : NO_SLOT);
    const c = (cs = o === Op.Where ? a[r - 1] : NO_SLOT);
    room(templates.rowBytes[o]);
    const inMemory = stored[s] === 1;
    if (inMemory) addressZero();
    writeForward(3 * o);
    forwardDone(x);
    if (w !== x) forwardDone(w);
    if (c !== x && c !== w) forwardDone(c);
    const local = forwardStamp[s] === chunk ? (forwardLocal[s] = take()) : 0;
    if (local > 0) {
      buf[at++] = inMemory ? Opcode.localTee : Opcode.localSet;
      u32(local);
    }
    if (inMemory) store(valueBase + 8 * s);
    else if (local === 0) buf[at++] = Opcode.drop; // read by no row nor the caller: its adjoint stays 0 too
  }
  return locals;
}

// ---- reverse ----
// Per function, each adjoint lives in a local from its first contribution (the latest row
// reading it) to its last use (its own row, or a store where memory must hold it), and each
// value read is loaded once into a local. Locals are reused once dead, so V8 sees short live
// ranges.
let remaining = EMPTY;
let localOf = EMPTY;
let valueLocal = EMPTY;
let stamp = EMPTY;
let valueStamp = EMPTY;
let valueReadsLeft = EMPTY;

function countAdjoint(s: number): void {
  if (stamp[s] !== chunk) {
    stamp[s] = chunk;
    remaining[s] = 0;
    localOf[s] = -1;
  }
  remaining[s]++;
}

function countValue(s: number): void {
  if (s === NO_SLOT) return;
  if (valueStamp[s] !== chunk) {
    valueStamp[s] = chunk;
    valueReadsLeft[s] = 0;
    valueLocal[s] = -1;
  }
  valueReadsLeft[s]++;
}

/** A value is loaded into a local at its first read and the local freed after its last. */
function valueOperand(s: number): void {
  if (s === NO_SLOT) getLocal(0);
  else if (valueLocal[s] >= 0) getLocal(valueLocal[s]);
  else {
    load(valueBase + 8 * s);
    buf[at++] = Opcode.localTee;
    u32((valueLocal[s] = take()));
  }
}

function valueDone(s: number): void {
  if (s === NO_SLOT || --valueReadsLeft[s] > 0 || valueLocal[s] < 0) return;
  release(valueLocal[s]);
  valueLocal[s] = -1;
}

function writePartial(k: number): void {
  for (let i = templates.start[k], last = templates.end[k]; i < last; i++) {
    const token = tokens[i];
    if (token < 256) buf[at++] = token;
    else valueOperand(holeSlot(token));
  }
}

/** Memory holds an adjoint's start where the caller seeded it or a later function added to it… */
function startsInMemory(s: number): boolean {
  return s < first || seeded[s] === 1 || lastUse[s] >= end;
}

/** …and must hold its end where an earlier function or the caller reads it. */
function endsInMemory(s: number): boolean {
  return s < first || s < inputs;
}

/** Whether the current row's ȳ may be −0 (only a seed can: a sum from +0 never is); whether its
 *  local may still become an operand's accumulator, and did. */
let gMaybeMinusZero = false;
let gMayPass = false;
let gPassed = false;

/** The finite constant partial k is (a Mul's partial is its other operand), or NaN. */
function finiteConstant(k: number): number {
  if (templates.end[k] - templates.start[k] !== 1) return NaN;
  const token = tokens[templates.start[k]];
  const s = token < 256 ? NO_SLOT : holeSlot(token);
  return s !== NO_SLOT && isConst[s] === 1 && Number.isFinite(constValue[s]) ? constValue[s] : NaN;
}

/** ā += ȳ·∂ for partial k (ȳ ± itself for ∂ = ±1). The interpreter skips a row whose ȳ is 0, so
 *  that an infinite partial adds 0, not 0·∞ = NaN: here ȳ·∂ becomes 0 when ȳ = 0, without a
 *  branch (control flow costs V8 a merge of every local), unless ∂ is finite (0, a finite
 *  constant): ȳ·∂ is then ±0 already. Adding ±0 where the interpreter adds nothing changes no
 *  bit: an accumulator starts at +0 or a seed and never becomes −0, and x + ±0 = x for every
 *  other x. */
function addPartial(target: number, g: number, k: number): void {
  if (isConst[target] === 1) return;
  const kind = templates.kind[k];
  const firstTouch = localOf[target] < 0;
  const lastTouch = --remaining[target] === 0;
  const toMemory = lastTouch && endsInMemory(target);
  const fromMemory = firstTouch && startsInMemory(target);
  let constant: number;
  if (firstTouch && kind === PARTIAL_ONE && !fromMemory && !gMaybeMinusZero) {
    // 0 + ȳ is ȳ: stored, or kept in ȳ's own local (once per row), or in a copy.
    if (toMemory) {
      addressZero();
      getLocal(g);
      store(adjointBase + 8 * target);
      localOf[target] = -2;
    } else if (gMayPass) {
      localOf[target] = g;
      gMayPass = false;
      gPassed = true;
    } else {
      getLocal(g);
      setLocal((localOf[target] = take()));
    }
    return;
  }
  if (toMemory) addressZero();
  if (!firstTouch) getLocal(localOf[target]);
  else if (fromMemory) load(adjointBase + 8 * target);
  else getLocal(0);
  getLocal(g);
  if (kind === PARTIAL_ONE) buf[at++] = Opcode.f64Add;
  else if (kind === PARTIAL_MINUS_ONE) buf[at++] = Opcode.f64Sub;
  else if (kind === PARTIAL_ZERO) {
    getLocal(0);
    buf[at++] = Opcode.f64Mul;
    buf[at++] = Opcode.f64Add;
  } else if (!Number.isNaN((constant = finiteConstant(k)))) {
    buf[at++] = Opcode.f64Const;
    scratch[0] = constant;
    for (let i = 0; i < 8; i++) buf[at++] = scratchBytes[i];
    buf[at++] = Opcode.f64Mul;
    buf[at++] = Opcode.f64Add;
  } else {
    writePartial(k);
    buf[at++] = Opcode.f64Mul;
    getLocal(0);
    getLocal(g);
    getLocal(0);
    buf[at++] = Opcode.f64Ne;
    buf[at++] = Opcode.select;
    buf[at++] = Opcode.f64Add;
  }
  if (toMemory) {
    store(adjointBase + 8 * target);
    if (!firstTouch) release(localOf[target]);
    localOf[target] = -2; // stored: a later touch (none) would reload
    return;
  }
  if (firstTouch) localOf[target] = take();
  setLocal(localOf[target]);
}

/** A row whose ȳ is 0 adds nothing, but may be the last to read an adjoint memory must hold. */
function skipPartial(target: number): void {
  if (isConst[target] === 1) return;
  if (--remaining[target] !== 0 || !endsInMemory(target) || localOf[target] < 0) return;
  addressZero();
  getLocal(localOf[target]);
  store(adjointBase + 8 * target);
  release(localOf[target]);
  localOf[target] = -2;
}

/** Rows hi − 1…lo's reverse code; returns the locals it uses. */
function reverseChunk(lo: number, hi: number, slots: number): number {
  first = firstSlotOf(lo, hi, slots);
  end = hi;
  for (let r = hi - 1; r >= lo; r--) {
    if (computed[r] === 0) continue;
    countAdjoint(a[r]);
    if (BINARY[op[r]] === 1) countAdjoint(b[r]);
    partialSlots(r);
    countValue(px);
    countValue(pb);
    countValue(py);
    countValue(pc);
  }
  locals = 1;
  freeCount = 0;
  for (let r = hi - 1; r >= lo; r--) {
    if (computed[r] === 0) continue;
    const s = slotOf[r];
    const o = op[r];
    const binary = BINARY[o] === 1;
    room(templates.rowBytes[o]);
    let g: number;
    if (stamp[s] === chunk && localOf[s] >= 0) g = localOf[s];
    else if (startsInMemory(s)) {
      g = take();
      load(adjointBase + 8 * s);
      setLocal(g);
    } else {
      skipPartial(a[r]);
      if (binary) skipPartial(b[r]);
      g = -1;
    }
    if (g >= 0) {
      xs = a[r];
      bs = binary ? b[r] : NO_SLOT;
      ys = s;
      cs = o === Op.Where ? a[r - 1] : NO_SLOT;
      gMaybeMinusZero = seeded[s] === 1;
      gMayPass = !gMaybeMinusZero;
      gPassed = false;
      addPartial(a[r], g, 3 * o + 1);
      if (binary) addPartial(b[r], g, 3 * o + 2);
      if (!gPassed) release(g);
    }
    partialSlots(r);
    valueDone(px);
    valueDone(pb);
    valueDone(py);
    valueDone(pc);
  }
  return locals;
}

/** Lets go of the caller's program and writer (the planning arrays are kept, for the next). */
function forget(): void {
  code = new ByteWriter(16);
  buf = code.buffer(0);
  op = new Uint8Array(0);
  a = b = EMPTY;
}

/** The module for `program`'s forward and reverse sweeps (exports `forward` and `reverse`), or
 *  the reason it cannot be generated. The bytes are written into `out` (reset first) and are a
 *  view of its buffer: a caller that reuses one writer, whose pages are then already mapped,
 *  must be done with them (compiled: WebAssembly.Module and compile copy them) before the next. */
export function generateScalarModule(
  program: Program, layout: SlotLayout, chunkRows = CHUNK_ROWS, maxRows = MAX_GENERATED_ROWS, out?: ByteWriter, rollRows = ROLL_ROWS,
): Generated {
  ({ op, a, b } = program);
  const rows = op.length;
  // Loops are written once, as wasm loops: the rows written out are the rest plus their bodies.
  const loops = findLoops(program, rollRows, maxRows);
  let written = rows;
  for (const loop of loops) written -= loop.period * (loop.count - 1);
  if (written > maxRows) {
    forget();
    return { reason: `${rows} rows${loops.length > 0 ? `, ${loops.length} loops rolled` : ''}: more than the generator's ${maxRows} to write out` };
  }
  const array = planningArrays();
  slotOf = array(rows, -1);
  computed = array(rows, 0);
  rowReads = array(rows);
  let slots = 0;
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    if (o === Op.Param) continue;
    slotOf[r] = slots;
    // A vector argument is one VecInput row over its slots; every other row here writes one.
    slots += o === Op.VecInput ? rowSlots(program, r) : 1;
    if (o === Op.Const || isInput(o)) continue;
    if (ruleTemplates(o) === undefined) {
      forget();
      return { reason: `row ${r} has op ${o}, which the generator does not handle` };
    }
    computed[r] = 1;
  }
  templates = ruleTemplates(Op.Add)!;
  tokens = templates.tokens;
  valueBase = layout.valueBase;
  adjointBase = layout.adjointBase;
  // The last row reading each slot: adjoints used across functions go through memory.
  lastUse = array(slots, -1);
  for (let r = 0; r < rows; r++) {
    if (computed[r] === 0) continue;
    lastUse[a[r]] = r;
    if (BINARY[op[r]] === 1) lastUse[b[r]] = r;
    if (op[r] === Op.Where) lastUse[a[r - 1]] = r;
  }
  // A constant's adjoint is read by nothing (the caller reads the inputs'): no row adds to it.
  isConst = array(slots, 0);
  if (constValue.length < slots) constValue = new Float64Array(slots);
  for (let r = 0, k = 0; r < rows; r++) {
    if (op[r] !== Op.Const) continue;
    isConst[slotOf[r]] = 1;
    constValue[slotOf[r]] = program.consts[k++];
  }
  seeded = array(slots, 0);
  for (const o of program.outputs) seeded[o] = 1;
  // The arguments' slots come first (program.ts).
  inputs = inputCount(program.args);

  // Segments in row order: each loop, and chunks of about chunkRows rows between them (a
  // Where's Param row stays with it). A chunk is [lo, hi, −1]; a loop [lo, hi, its index].
  const chunks: number[] = [];
  const straight = (from: number, to: number): void => {
    let lo = from;
    for (let r = from + chunkRows; r < to; r += chunkRows) {
      const hi = op[r] === Op.Param ? r + 1 : r;
      if (lo < hi && hi < to) chunks.push(lo, hi, -1);
      lo = Math.max(lo, hi);
    }
    if (lo < to) chunks.push(lo, to, -1);
  };
  let next = 0;
  loops.forEach((loop, i) => {
    straight(next, loop.start);
    next = loop.start + loop.period * loop.count;
    chunks.push(loop.start, next, i);
  });
  straight(next, rows);
  const count = chunks.length / 3;

  // Memory holds a computed value only where something reads it there: the caller (outputs), a
  // later function's forward code, or a partial in the reverse sweep. The others stay in locals.
  stored = array(slots, 0);
  for (const o of program.outputs) stored[o] = 1;
  const facts: TapeFacts = {
    program, slotOf, computed, binary: BINARY, isConst, constValue, stored, seeded, lastUse, templates, valueBase, adjointBase,
  };
  const plans = loops.map((loop) => new LoopPlan(facts, loop));
  for (const plan of plans) plan.markStored();
  for (let i = 0; i < chunks.length; i += 3) {
    const looped = chunks[i + 2] >= 0;
    const chunkFirst = looped ? -1 : firstSlotOf(chunks[i], chunks[i + 1], slots);
    for (let r = chunks[i]; r < chunks[i + 1]; r++) {
      if (computed[r] === 0) continue;
      const x = a[r];
      const w = BINARY[op[r]] === 1 ? b[r] : NO_SLOT;
      const c = op[r] === Op.Where ? a[r - 1] : NO_SLOT;
      if (x < chunkFirst) stored[x] = 1;
      if (w !== NO_SLOT && w < chunkFirst) stored[w] = 1;
      if (c !== NO_SLOT && c < chunkFirst) stored[c] = 1;
      const o = op[r];
      rowReads[r] = (isConst[x] === 0 ? templates.reads[3 * o + 1] : 0) | (w !== NO_SLOT && isConst[w] === 0 ? templates.reads[3 * o + 2] : 0);
      partialSlots(r);
      if (px !== NO_SLOT) stored[px] = 1;
      if (pb !== NO_SLOT) stored[pb] = 1;
      if (py !== NO_SLOT) stored[py] = 1;
      if (pc !== NO_SLOT) stored[pc] = 1;
    }
  }

  // A loop row's adjoint lives in memory where a row outside its repetition adds to it.
  if (plans.length > 0) {
    const external = array(slots, 0);
    const loopOfSlot = array(slots, -1);
    plans.forEach((plan, i) => {
      for (let r = plan.start; r < plan.start + plan.period * plan.count; r++) if (computed[r] === 1) loopOfSlot[slotOf[r]] = i;
    });
    for (let i = 0; i < chunks.length; i += 3) {
      const loop = chunks[i + 2];
      const plan = plans[loop];
      for (let r = chunks[i]; r < chunks[i + 1]; r++) {
        if (computed[r] === 0) continue;
        const j = loop >= 0 ? (r - plan.start) % plan.period : 0;
        if (loopOfSlot[a[r]] >= 0 && (loopOfSlot[a[r]] !== loop || !plan.isInternal(j, 0))) external[a[r]] = 1;
        if (BINARY[op[r]] === 1 && loopOfSlot[b[r]] >= 0 && (loopOfSlot[b[r]] !== loop || !plan.isInternal(j, 1))) external[b[r]] = 1;
      }
    }
    for (const plan of plans) plan.settle(external);
  }

  // Set where a function's stamp is first written, read only after.
  readsLeft = array(slots);
  forwardLocal = array(slots);
  forwardStamp = array(slots);
  remaining = array(slots);
  localOf = array(slots);
  valueLocal = array(slots);
  stamp = array(slots);
  valueStamp = array(slots);
  valueReadsLeft = array(slots);

  // Every function's code goes straight into the module.
  code = (out ?? new ByteWriter()).reset().reserve(BYTES_PER_ROW * written + 1024);
  const helpers = RULE_IMPORTS;
  const header = ruleModuleHeader(Array.from({ length: 2 * count }, () => ({ type: VOID })), layout.sharedMemory);
  header.functions.push({ type: VOID, exportAs: 'forward' }, { type: VOID, exportAs: 'reverse' });
  const stream = new ModuleStream(code, header);
  const base = stampBase;
  stampBase += count;
  const body = (write: (i: number) => number, i: number) => {
    stream.begin();
    at = code.length;
    buf = code.buffer(0);
    chunk = base + i;
    const used = write(i);
    code.length = at;
    stream.end(used);
  };
  const loopBody = (plan: LoopPlan, reverse: boolean) => {
    stream.begin(plan.localRuns());
    if (reverse) plan.writeReverse(code);
    else plan.writeForward(code);
    stream.end();
  };
  for (let i = 0; i < count; i++) {
    if (chunks[3 * i + 2] >= 0) loopBody(plans[chunks[3 * i + 2]], false);
    else body(() => forwardChunk(chunks[3 * i], chunks[3 * i + 1]), i);
  }
  for (let i = 0; i < count; i++) {
    if (chunks[3 * i + 2] >= 0) loopBody(plans[chunks[3 * i + 2]], true);
    else body(() => reverseChunk(chunks[3 * i], chunks[3 * i + 1], slots), i);
  }
  // Every adjoint zeroed, as the interpreter's forward sweep leaves them.
  stream.begin();
  code.byte(Opcode.i32Const).i32(layout.adjointBase).byte(Opcode.i32Const).i32(0).byte(Opcode.i32Const).i32(8 * slots);
  code.byte(Opcode.prefixFC).u32(MEMORY_FILL).byte(0x00);
  for (let i = 0; i < count; i++) code.byte(Opcode.call).u32(helpers + i);
  stream.end(0);
  stream.begin();
  for (let i = count - 1; i >= 0; i--) code.byte(Opcode.call).u32(helpers + count + i);
  stream.end(0);
  const bytes = stream.finish();
  forget();
  return { bytes, functions: header.functions.length, rolled: loops.length };
}
