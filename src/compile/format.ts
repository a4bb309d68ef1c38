/** @file The versioned binary format of a compiled tape, and its validating reader.
 *
 *  little-endian, all offsets in bytes:
 *   0  magic "WGRT"          4  u16 version (4) · u16 flags (bit 0: vector output)
 *   8  u32 rows             12  u32 consts        16 u32 args         20 u32 outputs
 *  24  u32 wrt (differentiated arguments)
 *  28  args × i32 (−1 scalar, else length) · outputs × u32 (slot numbers) · wrt × u32 (argument
 *      indices, in the order gradients are returned)
 *      rows × u8 op, zero-padded to 4 · rows × i32 a · rows × i32 b · consts × f64
 *
 *  The reader checks everything before anything runs: every op code, every operand (an
 *  earlier slot, or −1 exactly where the op has no such operand), Param/Where pairing, the
 *  arguments' rows first (exactly `inputRows`), the counts and the exact length. A hostile
 *  buffer gets TapeFormatError.
 *
 *  After the constants, versions 3 and 4 end with the names of the custom ops its Custom rows use
 *  (whose a operand in their rule row is an index into that table: ./format-names.ts):
 *      u32 count · per name: u32 byte length · UTF-8 bytes, zero-padded to 4.
 *
 *  Versions: 4 adds op codes from 145 on: VecSelect (where() over tensors in one row, where
 *  version 3 wrote two VecCopy rows and a VecWhere; those still load and run) and VecInput (a
 *  vector argument as one row with its Param row, where 1–3 have an Input row per element; those
 *  are read by putting the arguments' rows in place of the Input rows: no slot moves, so the
 *  function and its slot numbers stay the same). A version 2 or 3 tape with a code from 145 on is
 *  refused (neither wrote one). 3 adds the wrt list and the name table (and vector rows' data
 *  flags, which the reader checks against
 *  it: a row may call an operand data only if no differentiated argument reaches it). Versions
 *  1 and 2 have no wrt field and differentiate every argument; 2 writes the op codes of
 *  assembly/shared/ops.ts, which never change. Version 1 (wengert 0.1.0) numbered the vector
 *  instructions 45–56 right after the scalar ops; it is read by moving those codes to their own
 *  range (128–139), so it loads as the same function. */
import { Op, FIRST_SCALAR_OP, arity, isInput, isVectorOp } from '../../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, BROADCAST_CONDITION, TRANSPOSE_A, TRANSPOSE_B, DATA_A, DATA_B, DATA_BOTH, dataFlags, paramRows, vectorOutputs, operandLengthA, operandLengthB, customArgumentRow, TILE_ROW, TILE_COLUMN } from '../../assembly/shared/vector.js';
import { isRule } from '../custom/registry.js';
import { nameTable, namesBytes, tableSize, writeNames, readNames, resolveNames } from './format-names.js';
import { TapeFormatError } from '../errors.js';
import { customArguments, inputCount, inputRows, rowCondition, rowOperands, rowParams, rowSlots, type Program, type Rows } from './program.js';

const MAGIC = 0x54524757; // "WGRT" read as a little-endian u32
export const FORMAT_VERSION = 4;
/** The format before VecSelect and VecInput (otherwise the same): its codes end at 144, then 200 on. */
const VERSION_3 = 3;
const V3_LAST_VECTOR = Op.VecConst;
/** The format before the wrt list (otherwise the same). */
const VERSION_2 = 2;
/** 0.1.0's format: the same layout, with vector codes 45–56 (see the file comment). */
const VERSION_1 = 1;
const V1_FIRST_VECTOR = 45;
const V1_LAST_VECTOR = 56;
const HEADER = 28;
const HEADER_V2 = 24;
/** Far above any tape wasm32 can hold; keeps size arithmetic exact in doubles. */
const MAX_COUNT = 2 ** 28;

export function encode(p: Program): Uint8Array {
  const rows = p.op.length;
  const opBytes = (rows + 3) & ~3;
  const table = nameTable(p);
  const encoded = namesBytes(table?.names ?? []);
  const size = HEADER + 4 * (p.args.length + p.outputs.length + p.wrt.length) + opBytes + 8 * rows + 8 * p.consts.length + tableSize(encoded);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint16(6, p.vectorOutput ? 1 : 0, true);
  view.setUint32(8, rows, true);
  view.setUint32(12, p.consts.length, true);
  view.setUint32(16, p.args.length, true);
  view.setUint32(20, p.outputs.length, true);
  view.setUint32(24, p.wrt.length, true);
  let at = HEADER;
  for (const len of p.args) (view.setInt32(at, len, true), (at += 4));
  for (const o of p.outputs) (view.setUint32(at, o, true), (at += 4));
  for (const i of p.wrt) (view.setUint32(at, i, true), (at += 4));
  bytes.set(p.op, at);
  at += opBytes;
  for (const v of table?.a ?? p.a) (view.setInt32(at, v, true), (at += 4));
  for (const v of p.b) (view.setInt32(at, v, true), (at += 4));
  for (const v of p.consts) (view.setFloat64(at, v, true), (at += 8));
  writeNames(view, bytes, at, encoded);
  return bytes;
}

function fail(what: string): never {
  throw new TapeFormatError(`not a valid wengert tape: ${what}. Pass the exact bytes toBytes() produced (same format version ${FORMAT_VERSION}).`);
}

export function decode(input: Uint8Array | ArrayBuffer): Program {
  if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) fail('expected a Uint8Array or ArrayBuffer');
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < HEADER_V2) fail(`${bytes.length} bytes is shorter than the ${HEADER_V2}-byte header (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) fail('the magic number "WGRT" is missing');
  const version = view.getUint16(4, true);
  if (version !== FORMAT_VERSION && version !== VERSION_3 && version !== VERSION_2 && version !== VERSION_1) {
    fail(`format version ${version} is not one this wengert reads (it reads versions ${VERSION_1} to ${FORMAT_VERSION}, and writes ${FORMAT_VERSION})`);
  }
  const withWrt = version >= VERSION_3;
  const header = withWrt ? HEADER : HEADER_V2;
  if (bytes.length < header) fail(`${bytes.length} bytes is shorter than the ${header}-byte header (truncated?)`);
  const flags = view.getUint16(6, true);
  if (flags > 1) fail(`unknown flags ${flags}`);
  const rows = view.getUint32(8, true);
  const constCount = view.getUint32(12, true);
  const argCount = view.getUint32(16, true);
  const outputCount = view.getUint32(20, true);
  const wrtCount = withWrt ? view.getUint32(24, true) : argCount;
  for (const [name, n] of [['rows', rows], ['consts', constCount], ['args', argCount], ['outputs', outputCount], ['wrt', wrtCount]] as const) {
    if (n > MAX_COUNT) fail(`${name} count ${n} is larger than any tape can be`);
  }
  if (argCount === 0) fail('a tape needs at least one argument');
  if (outputCount === 0) fail('a tape needs at least one output');
  const opBytes = (rows + 3) & ~3;
  const wrtBytes = withWrt ? 4 * wrtCount : 0;
  const expected = header + 4 * (argCount + outputCount) + wrtBytes + opBytes + 8 * rows + 8 * constCount;
  // Versions 3 and 4 end with the name table; readNames checks that it ends exactly at the buffer's end.
  if (withWrt ? bytes.length < expected : bytes.length !== expected) {
    fail(`the header describes ${expected} bytes but the buffer has ${bytes.length} (${bytes.length < expected ? 'truncated' : 'trailing bytes'})`);
  }
  let at = header;
  const args = new Int32Array(argCount);
  for (let i = 0; i < argCount; i++, at += 4) {
    const len = view.getInt32(at, true);
    if (len < -1 || len > MAX_COUNT) fail(`argument ${i} has length ${len}`);
    args[i] = len;
  }
  const outputs = new Int32Array(outputCount);
  for (let i = 0; i < outputCount; i++, at += 4) outputs[i] = view.getInt32(at, true);
  const wrt = new Int32Array(wrtCount);
  if (withWrt) for (let i = 0; i < wrtCount; i++, at += 4) wrt[i] = view.getInt32(at, true);
  else wrt.forEach((_, i) => (wrt[i] = i));
  let op: Uint8Array = bytes.slice(at, at + rows);
  if (version === VERSION_1) fromVersion1(op);
  if (version === VERSION_2 || version === VERSION_3) refuseLaterCodes(op, version);
  for (let i = at + rows; i < at + opBytes; i++) if (bytes[i] !== 0) fail('the padding after the op column must be zero');
  at += opBytes;
  let a: Int32Array = new Int32Array(rows);
  let b: Int32Array = new Int32Array(rows);
  for (let r = 0; r < rows; r++, at += 4) a[r] = view.getInt32(at, true);
  for (let r = 0; r < rows; r++, at += 4) b[r] = view.getInt32(at, true);
  const consts = new Float64Array(constCount);
  for (let i = 0; i < constCount; i++, at += 8) consts[i] = view.getFloat64(at, true);
  // Rule ids mean nothing across processes: only the names (versions 3 and 4) give a Custom row its rule.
  resolveNames(op, a, withWrt ? readNames(view, at, fail) : []);
  if (version <= VERSION_3) ({ op, a, b } = withArgumentRows({ op, a, b }, args));
  const program: Program = { op, a, b, consts, args, outputs, vectorOutput: flags === 1, wrt };
  validate(program);
  return program;
}

/** Maps version 1's op codes to today's in place; a code version 1 never wrote is left out of
 *  range for `validate` to reject. */
function fromVersion1(op: Uint8Array): void {
  for (let r = 0; r < op.length; r++) {
    const o = op[r];
    if (o >= V1_FIRST_VECTOR && o <= V1_LAST_VECTOR) op[r] = Op.VecMap + (o - V1_FIRST_VECTOR);
    else if (o > V1_LAST_VECTOR) op[r] = 255;
  }
}

/** A code from a later format in a version 2 or 3 tape: refused, for the version never wrote it
 *  (read as today's op, it would be trusted to mean what that version could not have meant). */
function refuseLaterCodes(op: Uint8Array, version: number): void {
  for (let r = 0; r < op.length; r++) {
    const o = op[r];
    if (o > V3_LAST_VECTOR && o < Op.Custom && arity(o) >= 0) {
      fail(`row ${r} has op code ${o} (${Op[o]}), which format version ${version} does not have (it came in a later version; this wengert writes ${FORMAT_VERSION})`);
    }
  }
}

/** Versions 1–3's rows with the arguments' rows (`inputRows`) in place of their leading Input
 *  rows, one per argument element: the same slots, so every operand and output stays valid. */
function withArgumentRows(p: Rows, args: Int32Array): Rows {
  const inputs = inputCount(args);
  if (inputs > p.op.length) fail(`the arguments need ${inputs} input rows but the tape has ${p.op.length} rows`);
  for (let r = 0; r < inputs; r++) {
    if (p.op[r] !== Op.Input) fail(`row ${r}: the ${inputs} input rows must come first, and only they`);
    if (p.a[r] !== -1 || p.b[r] !== -1) fail(`row ${r} (Input) must have no operands (−1), found ${p.a[r]} and ${p.b[r]}`);
  }
  const head = inputRows(args);
  const join = <T extends Uint8Array | Int32Array>(first: T, rest: T, make: (n: number) => T): T => {
    const out = make(first.length + rest.length - inputs);
    out.set(first);
    out.set(rest.subarray(inputs), first.length);
    return out;
  };
  return {
    op: join(head.op, p.op, (n) => new Uint8Array(n)),
    a: join(head.a, p.a, (n) => new Int32Array(n)),
    b: join(head.b, p.b, (n) => new Int32Array(n)),
  };
}

/** Checks a program's internal consistency (see the file comment). */
export function validate(p: Program): void {
  const { op, a, b } = p;
  const rows = op.length;
  const head = inputRows(p.args);
  if (head.op.length > rows) fail(`the arguments need ${head.op.length} rows but the tape has ${rows} rows`);
  let slots = 0;
  let consts = 0;
  const owned = new Uint8Array(rows);
  const name = (r: number) => Op[op[r]] ?? String(op[r]);
  const operand = (r: number, v: number, what: string) => {
    if (!(v >= 0 && v < slots)) fail(`row ${r} (${name(r)}) reads slot ${v} as ${what}, which is not an earlier slot`);
  };
  const none = (r: number, v: number, what: string) => {
    if (v !== -1) fail(`row ${r} (${name(r)}) must have no ${what} operand (−1), found ${v}`);
  };
  const count = (r: number, v: number, what: string) => {
    if (!(Number.isInteger(v) && v >= 0 && v <= MAX_COUNT)) fail(`row ${r} (${name(r)}) has ${what} ${v}`);
  };
  const range = (r: number, start: number, length: number, what: string) => {
    if (length === 0) {
      if (!(start === -1 || (start >= 0 && start <= slots))) fail(`row ${r} (${name(r)}) names slot ${start} for an empty ${what}`);
    } else if (!(start >= 0 && start + length <= slots)) {
      fail(`row ${r} (${name(r)}) reads slots ${start}…${start + length - 1} as ${what}, past the ${slots} earlier slots`);
    }
  };
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    if (arity(o) < 0) fail(`row ${r} has unknown op code ${o}`);
    if (r < head.op.length) {
      // The arguments' rows, exactly: an input of another length would misplace every later slot.
      if (o !== head.op[r] || a[r] !== head.a[r] || b[r] !== head.b[r]) {
        const expected = head.op[r] === Op.Param ? `Param (${head.a[r]}, 0)` : `${Op[head.op[r]]} (−1, −1)`;
        fail(`row ${r} is ${name(r)} (${a[r]}, ${b[r]}) where the arguments' rows need ${expected}: a number or one-element vector enters as an Input row, a longer vector as a Param row (its length, 0) and a VecInput row`);
      }
      if (o !== Op.Param) slots += rowSlots(p, r);
      else owned[r] = 1;
      if (slots > MAX_COUNT) fail(`the arguments have more than ${MAX_COUNT} elements`);
      continue;
    }
    if (isInput(o)) fail(`row ${r} (${name(r)}): only the arguments' first ${head.op.length} rows may be inputs`);
    if (o === Op.Param) continue; // checked with the row it belongs to
    const params = paramRows(o);
    for (let j = 1; j <= params; j++) {
      if (r - j < 0 || op[r - j] !== Op.Param || owned[r - j]) fail(`row ${r} (${name(r)}) needs ${params} Param row${params > 1 ? 's' : ''} right before it`);
      owned[r - j] = 1;
    }
    if (o === Op.Const) {
      none(r, a[r], 'a');
      none(r, b[r], 'b');
      if (consts++ >= p.consts.length) fail(`more Const rows than the ${p.consts.length} constants stored`);
      slots++;
    } else if (!isVectorOp(o)) {
      if (arity(o) === 3) {
        operand(r, a[r - 1], 'condition');
        none(r - 1, b[r - 1], 'b');
      }
      operand(r, a[r], 'a');
      if (arity(o) >= 2) operand(r, b[r], 'b');
      else none(r, b[r], 'b');
      slots++;
    } else if (o === Op.Custom) {
      none(r, a[r], 'a');
      none(r, b[r], 'b');
      const [p1a, argc, rule, flags] = rowParams(p, r);
      if (!(p1a === -1 || (Number.isInteger(p1a) && p1a >= 1 && p1a <= MAX_COUNT))) fail(`row ${r} (Custom) has output length ${p1a}`);
      count(r, argc, 'argument count');
      if (!isRule(rule)) fail(`row ${r} (Custom) names rule ${rule}, which is not defined`);
      if (flags !== 0) fail(`row ${r} (Custom) has flags ${flags}`);
      for (let i = 0; i < argc; i++) {
        const row = customArgumentRow(r, argc, i);
        if (row < 0 || op[row] !== Op.Param || owned[row]) fail(`row ${r} (Custom) needs ${argc} argument rows before its Param rows`);
        owned[row] = 1;
        if (b[row] === -1) operand(r, a[row], `argument ${i}`);
        else {
          count(r, b[row], `argument ${i} length`);
          range(r, a[row], b[row], `argument ${i}`);
        }
      }
      slots += p1a < 0 ? 1 : p1a;
      if (slots > MAX_COUNT) fail(`the tape has more than ${MAX_COUNT} slots`);
    } else {
      const [p1a, p1b, p2a, p2b] = rowParams(p, r);
      count(r, p1a, 'length');
      if (o === Op.MatMul) {
        count(r, p1b, 'inner size');
        count(r, p2a, 'column count');
        if ((p2b & ~(TRANSPOSE_A | TRANSPOSE_B | DATA_BOTH)) !== 0) fail(`row ${r} (MatMul) has unknown flags ${p2b}`);
        if (p1a * p1b > MAX_COUNT || p1b * p2a > MAX_COUNT || p1a * p2a > MAX_COUNT) fail(`row ${r} (MatMul) is ${p1a} × ${p1b} · ${p1b} × ${p2a}, too large`);
      } else if (o === Op.VecMap) {
        const f = p1b & 255;
        if (f < FIRST_SCALAR_OP || isVectorOp(f) || arity(f) < 0) fail(`row ${r} (VecMap) maps op code ${f}, which is not an elementwise scalar op`);
        if ((p1b & ~(255 | BROADCAST_A | BROADCAST_B | DATA_BOTH)) !== 0) fail(`row ${r} (VecMap) has unknown flags ${p1b}`);
        if (arity(f) === 1 && (b[r] !== -1 || (p1b & BROADCAST_B) === 0)) fail(`row ${r} maps the unary ${Op[f]} but names a b operand`);
      } else if (o === Op.VecMapTiled) {
        const f = p1b & 255;
        if (f < FIRST_SCALAR_OP || isVectorOp(f) || arity(f) !== 2) fail(`row ${r} (VecMapTiled) maps op code ${f}, which is not a binary elementwise op`);
        if ((p1b & ~(255 | BROADCAST_A | BROADCAST_B | DATA_BOTH)) !== 0) fail(`row ${r} (VecMapTiled) has unknown flags ${p1b}`);
        if (((p1b & BROADCAST_A) !== 0) === ((p1b & BROADCAST_B) !== 0)) fail(`row ${r} (VecMapTiled) must tile exactly one operand`);
        count(r, p2a, 'column count');
        if (p2a === 0 ? p1a !== 0 : p1a % p2a !== 0) fail(`row ${r} (VecMapTiled) has ${p1a} elements, not whole rows of ${p2a}`);
        if (p2b !== TILE_ROW && p2b !== TILE_COLUMN) fail(`row ${r} (VecMapTiled) tiles by ${p2b}, neither a row (0) nor a column (1)`);
      } else if (o === Op.VecTranspose) {
        count(r, p1b, 'column count');
        if (p1b === 0 ? p1a !== 0 : p1a % p1b !== 0) fail(`row ${r} (VecTranspose) has ${p1a} elements, not whole rows of ${p1b}`);
      } else if (o === Op.VecGather) {
        count(r, p1b, 'source length'); // the indices are values: the kernel gives NaN for one out of range
      } else if (o === Op.VecSelect) {
        if ((p1b & ~(BROADCAST_A | BROADCAST_B | BROADCAST_CONDITION | DATA_BOTH)) !== 0) fail(`row ${r} (VecSelect) has unknown flags ${p1b}`);
        if (p2b !== 0) fail(`row ${r} (VecSelect) has ${p2b} in its second Param row's b, where 0 belongs`);
        const [sc, lc] = rowCondition(p, r);
        range(r, sc, lc, 'condition');
      } else if (o === Op.VecCopy || o === Op.VecWhere) {
        if ((p1b & ~(BROADCAST_A | DATA_BOTH)) !== 0) fail(`row ${r} (${name(r)}) has unknown flags ${p1b}`);
      } else if ((p1b & ~DATA_BOTH) !== 0) {
        fail(`row ${r} (${name(r)}) has payload ${p1b} where none belongs`);
      }
      // Lengths come from the integers, never from whether an operand is present.
      const la = operandLengthA(o, p1a, p1b, p2a, p2b);
      // A VecMap of a unary op reads the sink as its b (checked above).
      const lb = o === Op.VecMap && arity(p1b & 255) === 1 ? 0 : operandLengthB(o, p1a, p1b, p2a, p2b);
      if (la > 0 && a[r] < 0) fail(`row ${r} (${name(r)}) reads ${la} slots but names no a operand`);
      if (o === Op.VecConst) none(r, a[r], 'a');
      else range(r, a[r], la, 'a');
      if (lb === 0) none(r, b[r], 'b');
      else {
        if (b[r] < 0) fail(`row ${r} (${name(r)}) reads ${lb} slots but names no b operand`);
        range(r, b[r], lb, 'b');
      }
      slots += vectorOutputs(o, p1a, p2a);
      if (slots > MAX_COUNT) fail(`the tape has more than ${MAX_COUNT} slots`);
      if (o === Op.VecConst && (consts += p1a) > p.consts.length) fail(`more constants in Const and VecConst rows than the ${p.consts.length} stored`);
    }
  }
  for (let r = 0; r < rows; r++) if (op[r] === Op.Param && !owned[r]) fail(`row ${r} is a Param row that belongs to no row`);
  if (consts !== p.consts.length) fail(`${p.consts.length} constants stored but ${consts} in Const and VecConst rows`);
  for (let i = 0; i < p.outputs.length; i++) {
    if (!(p.outputs[i] >= 0 && p.outputs[i] < slots)) fail(`output ${i} names slot ${p.outputs[i]} of ${slots}`);
  }
  if (!p.vectorOutput && p.outputs.length !== 1) fail(`a scalar function has ${p.outputs.length} outputs`);
  const seen = new Uint8Array(p.args.length);
  for (const i of p.wrt) {
    if (!(i >= 0 && i < p.args.length) || seen[i]) fail(`the wrt list names argument ${i} (there are ${p.args.length}; each at most once)`);
    seen[i] = 1;
  }
  checkDataFlags(p, slots, head.op.length);
}

/** A data flag skips adjoints, so one on an operand a differentiated argument reaches would drop
 *  part of the gradient: follow the differentiated inputs forward and refuse such a flag. */
function checkDataFlags(p: Program, slots: number, argumentRows: number): void {
  const live = new Uint8Array(slots);
  let s = 0;
  p.args.forEach((len, i) => {
    const n = len < 0 ? 1 : len;
    if (p.wrt.includes(i)) live.fill(1, s, s + n);
    s += n;
  });
  const reaches = (start: number, length: number) => {
    for (let k = 0; k < length; k++) if (live[start + k]) return true;
    return false;
  };
  for (let r = argumentRows; r < p.op.length; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    const count = rowSlots(p, r);
    const [sa, la, sb, lb] = rowOperands(p, r);
    let reached = reaches(sa, la) || reaches(sb, lb);
    // A VecSelect's condition sends no adjoint (the facade calls its result data when both
    // branches are); the older forms count theirs.
    if (o === Op.Where) reached ||= live[p.a[r - 1]] === 1;
    if (o === Op.Custom) for (const g of customArguments(p, r)) reached ||= reaches(g.start, g.length < 0 ? 1 : g.length);
    if (isVectorOp(o)) {
      const [, p1b, , p2b] = rowParams(p, r);
      const flags = dataFlags(o, p1b, p2b);
      if ((flags & DATA_A) !== 0 && reaches(sa, la)) fail(`row ${r} (${Op[o]}) calls its a operand data, but a differentiated argument reaches it`);
      if ((flags & DATA_B) !== 0 && reaches(sb, lb)) fail(`row ${r} (${Op[o]}) calls its b operand data, but a differentiated argument reaches it`);
    }
    if (reached) live.fill(1, s, s + count);
    s += count;
  }
}
