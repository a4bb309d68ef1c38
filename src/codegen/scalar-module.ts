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
import { ruleModuleHeader, scalarRule, RULE_IMPORTS, type Operands, type PartialRule, type ScalarRule } from './scalar-rules.js';

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

/** Above this many rows the interpreter is kept (see bench/codegen.ts for the measurements). */
export const MAX_GENERATED_ROWS = 40_000;

export type Generated = { bytes: Uint8Array; functions: number } | { reason: string };

const VOID: FuncType = { params: [], results: [] };

/** Per op code: 1 where the op has a b operand (arity() in a table: it is asked per row). */
const BINARY = Uint8Array.from({ length: 256 }, (_, o) => (arity(o) >= 2 ? 1 : 0));

const READS_X = 1;
const READS_B = 2;
const READS_Y = 4;
const READS_C = 8;
/** Per op code: the operands its partialA and partialB read (−1: not asked yet). */
const readsA = new Int8Array(256).fill(-1);
const readsB = new Int8Array(256).fill(-1);

/** Which operands a row's partials read (READS_ bits), of those written: partialA's if `withA`,
 *  partialB's if `withB` (never a unary row's). */
function partialReads(o: number, rule: ScalarRule, withA: boolean, withB: boolean): number {
  if (readsA[o] < 0) {
    readsA[o] = readsOf(rule.partialA);
    readsB[o] = readsOf(rule.partialB);
  }
  return (withA ? readsA[o] : 0) | (withB ? readsB[o] : 0);
}

/** Found by writing the partial once with operands that note what they are asked for. */
function readsOf(partial: PartialRule): number {
  if (typeof partial !== 'function') return 0;
  let bits = 0;
  partial(new ByteWriter(64), { x: () => void (bits |= READS_X), b: () => void (bits |= READS_B), y: () => void (bits |= READS_Y), c: () => void (bits |= READS_C) });
  return bits;
}

/** Planning arrays, reused from one generation to the next: a fresh megabyte costs more in page
 *  faults and GC than filling one already mapped. (Generation is not reentrant.) */
const planning: Int32Array[] = [];

/** Hands out the planning arrays in turn, each `length` long and filled with `fill`. */
function planningArrays(): (length: number, fill: number) => Int32Array {
  let next = 0;
  return (length, fill) => {
    const i = next++;
    if (planning[i] === undefined || planning[i].length < length) planning[i] = new Int32Array(length);
    return planning[i].subarray(0, length).fill(fill);
  };
}

/** Module bytes per row the writer reserves at once (Rosenbrock's rows take about 25; rows that
 *  call the core's rules take more, and the writer grows past it). */
const BYTES_PER_ROW = 48;

/** The module for `program`'s forward and reverse sweeps (exports `forward` and `reverse`), or
 *  the reason it cannot be generated. The bytes are written into `out` (reset first) and are a
 *  view of its buffer: a caller that reuses one writer, whose pages are then already mapped,
 *  must be done with them (compiled: WebAssembly.Module and compile copy them) before the next. */
export function generateScalarModule(program: Program, layout: SlotLayout, chunkRows = CHUNK_ROWS, maxRows = MAX_GENERATED_ROWS, out?: ByteWriter): Generated {
  const { op, a, b } = program;
  const rows = op.length;
  if (rows > maxRows) return { reason: `${rows} rows: more than the generator's ${maxRows}` };
  const array = planningArrays();
  const slotOf = array(rows, -1);
  // Per op, not per row: an Array of over 100 000 elements is a hash table in V8.
  const ruleByOp: (ScalarRule | undefined)[] = [];
  const computed = array(rows, 0);
  const ruleAt = (r: number) => (computed[r] === 1 ? ruleByOp[op[r]] : undefined);
  let slots = 0;
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    if (o === Op.Param) continue;
    slotOf[r] = slots;
    // A vector argument is one VecInput row over its slots; every other row here writes one.
    slots += o === Op.VecInput ? rowSlots(program, r) : 1;
    if (o === Op.Const || isInput(o)) continue;
    const rule = scalarRule(o);
    if (rule === undefined) return { reason: `row ${r} has op ${o}, which the generator does not handle` };
    ruleByOp[o] = rule;
    computed[r] = 1;
  }
  // The last row reading each slot: adjoints used across functions go through memory.
  const lastUse = array(slots, -1);
  for (let r = 0; r < rows; r++) {
    if (ruleAt(r) === undefined) continue;
    lastUse[a[r]] = r;
    if (BINARY[op[r]] === 1) lastUse[b[r]] = r;
    if (op[r] === Op.Where) lastUse[a[r - 1]] = r;
  }
  // A constant's adjoint is read by nothing (the caller reads the inputs'): no row adds to it.
  const isConst = array(slots, 0);
  for (let r = 0; r < rows; r++) if (op[r] === Op.Const) isConst[slotOf[r]] = 1;
  const seeded = array(slots, 0);
  for (const o of program.outputs) seeded[o] = 1;
  // The arguments' slots come first (program.ts).
  const inputs = inputCount(program.args);

  const loadValue = (w: ByteWriter, s: number) => w.byte(Opcode.i32Const).i32(0).byte(Opcode.f64Load).u32(3).u32(layout.valueBase + 8 * s);
  const NO_SLOT = -1;
  // Every function's code goes straight into the module.
  const code = (out ?? new ByteWriter()).reset().reserve(BYTES_PER_ROW * rows + 1024);

  // Chunks of about chunkRows rows; a Where's Param row stays with it.
  const bounds: number[] = [0];
  for (let r = chunkRows; r < rows; r += chunkRows) bounds.push(op[r] === Op.Param ? r + 1 : r);
  bounds.push(rows);
  const chunks: [number, number][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) if (bounds[i] < bounds[i + 1]) chunks.push([bounds[i], bounds[i + 1]]);

  const firstSlotOf = (lo: number, hi: number): number => {
    for (let r = lo; r < hi; r++) if (slotOf[r] >= 0) return slotOf[r];
    return slots;
  };

  // Memory holds a computed value only where something reads it there: the caller (outputs), a
  // later function's forward code, or a partial in the reverse sweep. The others stay in locals.
  const stored = array(slots, 0);
  for (const o of program.outputs) stored[o] = 1;
  for (const [lo, hi] of chunks) {
    const first = firstSlotOf(lo, hi);
    for (let r = lo; r < hi; r++) {
      const rule = ruleAt(r);
      if (rule === undefined) continue;
      const binary = BINARY[op[r]] === 1;
      const x = a[r];
      const w = binary ? b[r] : NO_SLOT;
      const c = op[r] === Op.Where ? a[r - 1] : NO_SLOT;
      if (x < first) stored[x] = 1;
      if (w !== NO_SLOT && w < first) stored[w] = 1;
      if (c !== NO_SLOT && c < first) stored[c] = 1;
      const reads = partialReads(op[r], rule, isConst[x] === 0, binary && isConst[b[r]] === 0);
      if (reads & READS_X) stored[x] = 1;
      if (reads & READS_B && w !== NO_SLOT) stored[w] = 1;
      if (reads & READS_Y) stored[slotOf[r]] = 1;
      if (reads & READS_C && c !== NO_SLOT) stored[c] = 1;
    }
  }

  // Forward: a value read by a later row of this function is kept in a local from its row (or,
  // if it comes from memory, its first read) to its last read; dead locals are reused, so most
  // indices take one byte. Local 0 is never set: it holds 0 (a 2-byte operand, not 9).
  const readsLeft = array(slots, 0);
  const forwardLocal = array(slots, 0);
  const forwardStamp = array(slots, -1);
  const forwardOperands = new (class implements Operands {
    chunk = 0;
    xs = 0;
    bs = 0;
    cs = 0;
    locals = 1;
    free: number[] = [];
    push(w: ByteWriter, s: number): void {
      if (s === NO_SLOT) w.byte(Opcode.localGet).u32(0);
      else if (forwardLocal[s] > 0) w.byte(Opcode.localGet).u32(forwardLocal[s]);
      else if (readsLeft[s] > 1) {
        loadValue(w, s);
        w.byte(Opcode.localTee).u32((forwardLocal[s] = this.take()));
      } else loadValue(w, s);
    }
    take(): number {
      return this.free.pop() ?? this.locals++;
    }
    /** After a row: a slot it read for the last time frees its local. */
    done(s: number): void {
      if (s === NO_SLOT || --readsLeft[s] > 0 || forwardLocal[s] <= 0) return;
      this.free.push(forwardLocal[s]);
      forwardLocal[s] = 0;
    }
    x(w: ByteWriter) { this.push(w, this.xs); }
    b(w: ByteWriter) { this.push(w, this.bs); }
    y(): void { throw new Error('a value rule reads no y'); }
    c(w: ByteWriter) { this.push(w, this.cs); }
  })();
  const forwardChunk = (lo: number, hi: number, chunk: number): number => {
    // Rows of this function reading each slot (a row reading one slot twice counts once).
    const read = (s: number) => {
      if (s === NO_SLOT) return;
      if (forwardStamp[s] !== chunk) {
        forwardStamp[s] = chunk;
        readsLeft[s] = 0;
        forwardLocal[s] = 0;
      }
      readsLeft[s]++;
    };
    for (let r = lo; r < hi; r++) {
      if (ruleAt(r) === undefined) continue;
      const x = a[r];
      const w = BINARY[op[r]] === 1 ? b[r] : NO_SLOT;
      const c = op[r] === Op.Where ? a[r - 1] : NO_SLOT;
      read(x);
      if (w !== x) read(w);
      if (c !== x && c !== w) read(c);
    }
    const o = forwardOperands;
    o.chunk = chunk;
    o.locals = 1;
    o.free.length = 0;
    for (let r = lo; r < hi; r++) {
      const rule = ruleAt(r);
      if (rule === undefined) continue;
      const s = slotOf[r];
      const op_ = op[r];
      const x = (o.xs = a[r]);
      const w = (o.bs = BINARY[op_] === 1 ? b[r] : NO_SLOT);
      const c = (o.cs = op_ === Op.Where ? a[r - 1] : NO_SLOT);
      const store = stored[s] === 1;
      if (store) code.byte(Opcode.i32Const).i32(0);
      rule.value(code, o);
      o.done(x);
      if (w !== x) o.done(w);
      if (c !== x && c !== w) o.done(c);
      const local = forwardStamp[s] === chunk ? (forwardLocal[s] = o.take()) : 0;
      if (local > 0) code.byte(store ? Opcode.localTee : Opcode.localSet).u32(local);
      if (store) code.byte(Opcode.f64Store).u32(3).u32(layout.valueBase + 8 * s);
      else if (local === 0) code.byte(Opcode.drop); // read by no row nor the caller: its adjoint stays 0 too
    }
    return o.locals;
  };

  // Reverse: per function, each adjoint lives in a local from its first contribution (the
  // latest row reading it) to its last use (its own row, or a store where memory must hold it),
  // and each value read is loaded once into a local. Locals are reused once dead, so V8 sees
  // short live ranges. Local 0 holds 0 (a 2-byte operand instead of a 9-byte constant).
  const remaining = array(slots, 0);
  const localOf = array(slots, 0);
  const valueLocal = array(slots, 0);
  const stamp = array(slots, -1);
  const valueStamp = array(slots, -1);
  const valueReadsLeft = array(slots, 0);
  const reverseChunk = (lo: number, hi: number, id: number): number => {
    const first = firstSlotOf(lo, hi);
    const count = (s: number) => {
      if (stamp[s] !== id) {
        stamp[s] = id;
        remaining[s] = 0;
        localOf[s] = -1;
      }
      remaining[s]++;
    };
    // The values row r's partials read (each slot once), passed to `visit`.
    const valuesRead = (r: number, visit: (s: number) => void) => {
      const o = op[r];
      const binary = BINARY[o] === 1;
      const reads = partialReads(o, ruleAt(r)!, isConst[a[r]] === 0, binary && isConst[b[r]] === 0);
      if (reads === 0) return;
      const x = reads & READS_X ? a[r] : NO_SLOT;
      const w = reads & READS_B && binary ? b[r] : NO_SLOT;
      const y = reads & READS_Y ? slotOf[r] : NO_SLOT;
      const c = reads & READS_C && o === Op.Where ? a[r - 1] : NO_SLOT;
      if (x !== NO_SLOT) visit(x);
      if (w !== NO_SLOT && w !== x) visit(w);
      if (y !== NO_SLOT && y !== x && y !== w) visit(y);
      if (c !== NO_SLOT && c !== x && c !== w && c !== y) visit(c);
    };
    const countValue = (s: number) => {
      if (valueStamp[s] !== id) {
        valueStamp[s] = id;
        valueReadsLeft[s] = 0;
        valueLocal[s] = -1;
      }
      valueReadsLeft[s]++;
    };
    for (let r = hi - 1; r >= lo; r--) {
      if (ruleAt(r) === undefined) continue;
      count(a[r]);
      if (BINARY[op[r]] === 1) count(b[r]);
      valuesRead(r, countValue);
    }
    let locals = 1;
    const free: number[] = [];
    const take = () => free.pop() ?? locals++;
    const ZERO = 0;
    const getLocal = (l: number) => code.byte(Opcode.localGet).u32(l);
    const adjointAt = (s: number) => layout.adjointBase + 8 * s;
    const loadAdjoint = (s: number) => code.byte(Opcode.i32Const).i32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(s));
    // Memory holds an adjoint's start where the caller seeded it or a later function added to it.
    const startsInMemory = (s: number) => s < first || seeded[s] === 1 || lastUse[s] >= hi;
    // …and must hold its end where an earlier function or the caller reads it.
    const endsInMemory = (s: number) => s < first || s < inputs;
    // A value is loaded into a local at its first read and the local freed after its last.
    const value = (w: ByteWriter, s: number) => {
      if (s === NO_SLOT) getLocal(ZERO);
      else if (valueLocal[s] >= 0) w.byte(Opcode.localGet).u32(valueLocal[s]);
      else {
        loadValue(w, s);
        w.byte(Opcode.localTee).u32((valueLocal[s] = take()));
      }
    };
    const release = (s: number) => {
      if (--valueReadsLeft[s] > 0 || valueLocal[s] < 0) return;
      free.push(valueLocal[s]);
      valueLocal[s] = -1;
    };
    const operands = { xs: 0, bs: 0, ys: 0, cs: 0, x(w: ByteWriter) { value(w, this.xs); }, b(w: ByteWriter) { value(w, this.bs); }, y(w: ByteWriter) { value(w, this.ys); }, c(w: ByteWriter) { value(w, this.cs); } };
    // ā += ȳ·∂ (ȳ ± itself for ∂ = ±1). The interpreter skips a row whose ȳ is 0, so that an
    // infinite partial adds 0, not 0·∞ = NaN: here ȳ·∂ becomes 0 when ȳ = 0, without a branch
    // (control flow in a function with thousands of locals costs V8 a merge of all of them).
    // Adding 0 where the interpreter adds nothing changes no bit: an accumulator starts at +0
    // or a seed and never becomes −0, and x + ±0 = x for every other x.
    // Whether the current row's ȳ local may become an operand's accumulator (see add), and did.
    let gMayPass = false;
    let gPassed = false;
    const add = (target: number, g: number, partial: PartialRule) => {
      if (isConst[target] === 1) return;
      const firstTouch = localOf[target] < 0;
      const lastTouch = --remaining[target] === 0;
      const store = lastTouch && endsInMemory(target);
      // 0 + ȳ is ȳ unless ȳ = −0, which only a seed can be (a sum from +0 never is): the
      // accumulator takes over ȳ's local instead, once per row.
      if (firstTouch && partial === 'one' && gMayPass && !store && !startsInMemory(target)) {
        localOf[target] = g;
        gMayPass = false;
        gPassed = true;
        return;
      }
      if (store) code.byte(Opcode.i32Const).i32(0);
      if (!firstTouch) getLocal(localOf[target]);
      else if (startsInMemory(target)) loadAdjoint(target);
      else getLocal(ZERO);
      getLocal(g);
      if (partial === 'one') code.byte(Opcode.f64Add);
      else if (partial === 'minusOne') code.byte(Opcode.f64Sub);
      else {
        if (partial === 'zero') getLocal(ZERO);
        else partial(code, operands);
        code.byte(Opcode.f64Mul);
        getLocal(ZERO);
        getLocal(g);
        getLocal(ZERO);
        code.byte(Opcode.f64Ne).byte(Opcode.select).byte(Opcode.f64Add);
      }
      if (store) {
        code.byte(Opcode.f64Store).u32(3).u32(adjointAt(target));
        if (!firstTouch) free.push(localOf[target]);
        localOf[target] = -2; // stored: a later touch (none) would reload
        return;
      }
      if (firstTouch) localOf[target] = take();
      code.byte(Opcode.localSet).u32(localOf[target]);
    };
    const skip = (target: number) => {
      if (isConst[target] === 1) return;
      if (--remaining[target] !== 0 || !endsInMemory(target) || localOf[target] < 0) return;
      code.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(localOf[target]).byte(Opcode.f64Store).u32(3).u32(adjointAt(target));
      free.push(localOf[target]);
      localOf[target] = -2;
    };
    for (let r = hi - 1; r >= lo; r--) {
      const rule = ruleAt(r);
      if (rule === undefined) continue;
      const s = slotOf[r];
      const o = op[r];
      let g: number;
      if (stamp[s] === id && localOf[s] >= 0) g = localOf[s];
      else if (startsInMemory(s)) {
        g = take();
        loadAdjoint(s);
        code.byte(Opcode.localSet).u32(g);
      } else {
        // ȳ = 0: the row adds nothing, but may be the last to read an adjoint memory must hold.
        skip(a[r]);
        if (BINARY[o] === 1) skip(b[r]);
        valuesRead(r, release);
        continue;
      }
      const binary = BINARY[o] === 1;
      operands.xs = a[r];
      operands.bs = binary ? b[r] : NO_SLOT;
      operands.ys = s;
      operands.cs = o === Op.Where ? a[r - 1] : NO_SLOT;
      gMayPass = seeded[s] === 0;
      gPassed = false;
      add(a[r], g, rule.partialA);
      if (binary) add(b[r], g, rule.partialB);
      if (!gPassed) free.push(g);
      valuesRead(r, release);
    }
    return locals;
  };

  const helpers = RULE_IMPORTS;
  const header = ruleModuleHeader([...chunks, ...chunks].map(() => ({ type: VOID })), layout.sharedMemory);
  header.functions.push({ type: VOID, exportAs: 'forward' }, { type: VOID, exportAs: 'reverse' });
  const stream = new ModuleStream(code, header);
  chunks.forEach(([lo, hi], i) => {
    stream.begin();
    stream.end(forwardChunk(lo, hi, i));
  });
  chunks.forEach(([lo, hi], i) => {
    stream.begin();
    stream.end(reverseChunk(lo, hi, i));
  });
  // Every adjoint zeroed, as the interpreter's forward sweep leaves them.
  stream.begin();
  code.byte(Opcode.i32Const).i32(layout.adjointBase).byte(Opcode.i32Const).i32(0).byte(Opcode.i32Const).i32(8 * slots);
  code.byte(Opcode.prefixFC).u32(MEMORY_FILL).byte(0x00);
  for (let i = 0; i < chunks.length; i++) code.byte(Opcode.call).u32(helpers + i);
  stream.end(0);
  stream.begin();
  for (let i = chunks.length - 1; i >= 0; i--) code.byte(Opcode.call).u32(helpers + chunks.length + i);
  stream.end(0);
  return { bytes: stream.finish(), functions: header.functions.length };
}
