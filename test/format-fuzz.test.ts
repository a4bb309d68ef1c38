/** @file fromBytes against hostile bytes: every corruption of a valid tape is either a TapeFormatError or a tape that replays alike on both backends. */
import { describe, expect, it } from 'vitest';
import {
  compile, fromBytes, add, mul, sub, div, sin, exp, log, sqrt, neg, square, tanh, lt, gt, eq, where, max, pow,
  sum, dot, prod, logsumexp, softmax, logSoftmax, matmul, matvec, concat, reshape, min,
  TapeFormatError, type CompiledFunction, type Operand, type Scalar, type Vector,
} from '../src/index.js';
import { Op, arity } from '../assembly/shared/ops.js';

/** Every op code the table names, and some codes it does not (the first free code of each range, the ends). */
const KNOWN_CODES = Object.values(Op).filter((v): v is number => typeof v === 'number');
const UNKNOWN_CODES = [46, 127, 140, 254, 255].filter((c) => arity(c) < 0);
import { seededRandom, thrown } from './helpers.js';
import { core } from '../src/wasm/instance.js';

// ── the format, parsed independently of src/compile/format.ts ──

const HEADER = 28;

/** A tape's fields; `build` writes them back with a header that agrees with them. */
interface Fields {
  magic: number;
  version: number;
  flags: number;
  args: number[];
  outputs: number[];
  /** The differentiated arguments' indices. */
  wrt: number[];
  op: number[];
  a: number[];
  b: number[];
  consts: number[];
  /** The 0–3 bytes after the op column (zero in a valid tape). */
  padding: number[];
  /** The bytes after the constants: the custom-op name table (count 0 in most tapes). */
  tail: number[];
}

/** The fields of bytes whose header agrees with their length (else a RangeError). */
function parse(bytes: Uint8Array): Fields {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = view.getUint32(8, true);
  const constCount = view.getUint32(12, true);
  const argCount = view.getUint32(16, true);
  const outputCount = view.getUint32(20, true);
  const wrtCount = view.getUint32(24, true);
  const base = HEADER + 4 * (argCount + outputCount + wrtCount) + ((rows + 3) & ~3) + 8 * rows + 8 * constCount;
  if (bytes.length < base + 4) throw new RangeError('the header disagrees with the length');
  let at = HEADER;
  const words = (n: number) => Array.from({ length: n }, () => ((at += 4), view.getInt32(at - 4, true)));
  const args = words(argCount);
  const outputs = words(outputCount);
  const wrt = words(wrtCount);
  const op = Array.from(bytes.subarray(at, at + rows));
  const padded = (rows + 3) & ~3;
  const padding = Array.from(bytes.subarray(at + rows, at + padded));
  at += padded;
  const a = words(rows);
  const b = words(rows);
  const consts = Array.from({ length: constCount }, () => ((at += 8), view.getFloat64(at - 8, true)));
  const tail = Array.from(bytes.subarray(at));
  return { magic: view.getUint32(0, true), version: view.getUint16(4, true), flags: view.getUint16(6, true), args, outputs, wrt, op, a, b, consts, padding, tail };
}

function build(f: Fields): Uint8Array {
  const rows = f.op.length;
  const padded = (rows + 3) & ~3;
  // The a and b columns as they are (a mutation may leave them longer than op).
  const size = HEADER + 4 * (f.args.length + f.outputs.length + f.wrt.length) + padded + 4 * (f.a.length + f.b.length) + 8 * f.consts.length + f.tail.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, f.magic, true);
  view.setUint16(4, f.version, true);
  view.setUint16(6, f.flags, true);
  view.setUint32(8, rows, true);
  view.setUint32(12, f.consts.length, true);
  view.setUint32(16, f.args.length, true);
  view.setUint32(20, f.outputs.length, true);
  view.setUint32(24, f.wrt.length, true);
  let at = HEADER;
  for (const w of [...f.args, ...f.outputs, ...f.wrt]) (view.setInt32(at, w, true), (at += 4));
  f.op.forEach((o, r) => (bytes[at + r] = o));
  f.padding.slice(0, padded - rows).forEach((p, i) => (bytes[at + rows + i] = p));
  at += padded;
  for (const w of [...f.a, ...f.b]) (view.setInt32(at, w, true), (at += 4));
  for (const c of f.consts) (view.setFloat64(at, c, true), (at += 8));
  bytes.set(f.tail, at);
  return bytes;
}

/** Byte offset of each section of a valid tape. */
function sections(bytes: Uint8Array): { name: string; start: number; end: number }[] {
  const f = parse(bytes);
  const rows = f.op.length;
  const at: number[] = [0, 8, HEADER];
  at.push(at[2] + 4 * f.args.length);
  at.push(at[3] + 4 * f.outputs.length);
  at.push(at[4] + 4 * f.wrt.length);
  at.push(at[5] + ((rows + 3) & ~3));
  at.push(at[6] + 4 * rows);
  at.push(at[7] + 4 * rows);
  at.push(at[8] + 8 * f.consts.length);
  at.push(bytes.length);
  const names = ['magic+version', 'counts', 'args', 'outputs', 'wrt', 'op', 'a', 'b', 'consts', 'names'];
  return names.map((name, i) => ({ name, start: at[i], end: at[i + 1] }));
}

// ── the valid tapes that get corrupted ──

const SEEDS: { name: string; bytes: () => Uint8Array }[] = [
  {
    name: 'branch with constants',
    bytes: () => compile((x: Scalar, y: Scalar) => add(where(lt(x, y), mul(x, y), sin(x)), mul(2.5, y))).toBytes(),
  },
  {
    name: 'vector output with a constant and a repeated slot',
    bytes: () =>
      compile(
        (v: Vector) => [mul(v.at(0), v.at(1)), exp(v.at(2)), 3, where(gt(v.at(0), 0), v.at(1), neg(v.at(2))), v.at(0)],
        3,
      ).toBytes(),
  },
  {
    name: 'scalar and vector arguments',
    bytes: () =>
      compile(
        (s: Scalar, v: Vector) => {
          let acc: Scalar | number = 0;
          for (const e of v) acc = add(acc, square(sub(e, s)));
          return div(log(add(1, acc)), sqrt(add(2, square(s))));
        },
        'scalar',
        4,
      ).toBytes(),
  },
  {
    name: 'a longer chain of where, eq, pow, max, tanh',
    bytes: () =>
      compile((x: Scalar, y: Scalar, z: Scalar) => {
        let u: Operand = x;
        for (let i = 0; i < 6; i++) {
          const w: Operand = where(eq(u, y), pow(add(1, square(u)), 0.5), max(tanh(u), z));
          u = add(mul(w, 0.75), mul(y, i));
        }
        return u;
      }).toBytes(),
  },
  {
    name: 'vector rows: map with broadcast, reductions, softmax',
    bytes: () =>
      compile(
        (v: Vector, s: Scalar) => [sum(mul(softmax(v), s)), dot(v, exp(v)), logsumexp(sub(v, 1)), max(v), min(v), prod(tanh(v))],
        4,
        'scalar',
      ).toBytes(),
  },
  {
    name: 'vector rows: matmul, matvec, concat, row-wise logSoftmax, a vector result',
    bytes: () =>
      compile((v: Vector) => {
        const m = reshape(concat(v, sin(v)), 2, 3);
        const outer = matmul(reshape(v, 3, 1), reshape(v, 1, 3), { transposeB: false });
        const y = matvec(outer, v, { transpose: true });
        return concat(matvec(m, [1, 2, 3]), logSoftmax(m).flatten(), y, sum(lt(v, 0.5)));
      }, 3).toBytes(),
  },
  {
    name: 'where over tensors: one row each, broadcast condition and branches',
    bytes: () =>
      compile(
        (v: Vector, s: Scalar) => concat(where(gt(v, s), sin(v), s), where(lt(s, 0), v, exp(v)), where(v, 2, neg(v))),
        4,
        'scalar',
      ).toBytes(),
  },
];

// ── corruptions ──

type Random = () => number;
const int = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, xs: readonly T[]): T => xs[int(random, xs.length)];

const EXTREME_INTS = [0x7fffffff, -0x80000000, -2, -1, 0, 1, 2, 3, 0xffff, 2 ** 28, 2 ** 28 + 1, 46, 140, 255] as const;
const EXTREME_DOUBLES = [NaN, Infinity, -Infinity, -0, 1e308, 5e-324, -1e-300] as const;

/** An operand value: a plausible slot, a near miss, or an extreme. */
function operand(random: Random, f: Fields): number {
  const slots = f.op.filter((o) => o !== Op.Param).length;
  return pick(random, [-1, -1, -2, 0, int(random, slots), slots - 1, slots, slots + 1, int(random, f.op.length + 2), pick(random, EXTREME_INTS)]);
}

const BYTE_MUTATORS: ((bytes: Uint8Array, random: Random) => Uint8Array)[] = [
  function flipBits(bytes, random) {
    const out = bytes.slice();
    for (let k = 1 + int(random, 4); k > 0; k--) out[int(random, out.length)] ^= 1 << int(random, 8);
    return out;
  },
  function randomBytes(bytes, random) {
    const out = bytes.slice();
    for (let k = 1 + int(random, 3); k > 0; k--) out[int(random, out.length)] = int(random, 256);
    return out;
  },
  function extremeInt(bytes, random) {
    const out = bytes.slice();
    const at = random() < 0.8 ? 4 * int(random, out.length >> 2) : int(random, out.length - 3);
    new DataView(out.buffer).setInt32(at, pick(random, EXTREME_INTS), true);
    return out;
  },
  function extremeCount(bytes, random) {
    const out = bytes.slice();
    new DataView(out.buffer).setUint32(pick(random, [8, 12, 16, 20]), pick(random, [2 ** 31, 2 ** 32 - 1, 2 ** 28, 2 ** 28 + 1, 0, 1]), true);
    return out;
  },
  function extremeDouble(bytes, random) {
    const out = bytes.slice();
    const consts = sections(bytes)[7];
    const at = consts.end > consts.start && random() < 0.7 ? consts.start + 8 * int(random, (consts.end - consts.start) / 8) : int(random, out.length - 7);
    new DataView(out.buffer).setFloat64(at, pick(random, EXTREME_DOUBLES), true);
    return out;
  },
  function truncate(bytes, random) {
    return bytes.slice(0, int(random, bytes.length));
  },
  function extend(bytes, random) {
    const extra = pick(random, [1, 3, 4, 8, 9, 16, 64]);
    const out = new Uint8Array(bytes.length + extra);
    out.set(bytes);
    if (random() < 0.5) for (let i = bytes.length; i < out.length; i++) out[i] = int(random, 256);
    return out;
  },
  function swapSections(bytes, random) {
    const out = bytes.slice();
    const parts = sections(bytes).filter((s) => s.end > s.start && s.start >= 8);
    const s = pick(random, parts);
    const t = pick(random, parts);
    const n = Math.min(s.end - s.start, t.end - t.start);
    const first = bytes.slice(s.start, s.start + n);
    out.set(bytes.subarray(t.start, t.start + n), s.start);
    out.set(first, t.start);
    return out;
  },
];

/** Mutations of the fields, written back with a consistent header: they get past the length check. */
const FIELD_MUTATORS: ((f: Fields, random: Random) => void)[] = [
  function opCode(f, random) {
    f.op[int(random, f.op.length)] = random() < 0.8 ? pick(random, KNOWN_CODES) : pick(random, UNKNOWN_CODES);
  },
  function operandA(f, random) {
    f.a[int(random, f.a.length)] = operand(random, f);
  },
  function operandB(f, random) {
    f.b[int(random, f.b.length)] = operand(random, f);
  },
  function output(f, random) {
    f.outputs[int(random, f.outputs.length)] = operand(random, f);
  },
  function addOrDropOutput(f, random) {
    if (random() < 0.5 && f.outputs.length > 0) f.outputs.splice(int(random, f.outputs.length), 1);
    else f.outputs.push(operand(random, f));
    if (random() < 0.5) f.flags = f.outputs.length === 1 ? int(random, 2) : 1;
  },
  function argument(f, random) {
    const i = int(random, f.args.length);
    f.args[i] = pick(random, [-2, -1, 0, 1, 2, f.args[i] - 1, f.args[i] + 1, pick(random, EXTREME_INTS)]);
  },
  function addOrDropArgument(f, random) {
    if (random() < 0.5) f.args.splice(int(random, f.args.length), 1);
    else f.args.splice(int(random, f.args.length + 1), 0, pick(random, [-1, 0, 1, 2]));
  },
  function headerWords(f, random) {
    if (random() < 0.5) f.flags = pick(random, [0, 1, 2, 0xffff]);
    else f.version = pick(random, [0, 5, 0xffff]);
  },
  function dropRow(f, random) {
    const r = int(random, f.op.length);
    for (const column of [f.op, f.a, f.b]) column.splice(r, 1);
  },
  function insertRow(f, random) {
    const r = int(random, f.op.length + 1);
    f.op.splice(r, 0, pick(random, KNOWN_CODES));
    f.a.splice(r, 0, operand(random, f));
    f.b.splice(r, 0, operand(random, f));
  },
  function duplicateRow(f, random) {
    const r = int(random, f.op.length);
    for (const column of [f.op, f.a, f.b]) column.splice(r, 0, column[r]);
  },
  function moveRow(f, random) {
    const r = int(random, f.op.length);
    const s = int(random, f.op.length);
    for (const column of [f.op, f.a, f.b]) column.splice(s, 0, ...column.splice(r, 1));
  },
  function constants(f, random) {
    const k = random();
    if (k < 0.3) f.consts.pop();
    else if (k < 0.6) f.consts.push(pick(random, EXTREME_DOUBLES));
    else if (f.consts.length > 0) f.consts[int(random, f.consts.length)] = pick(random, EXTREME_DOUBLES);
  },
  function paramIntegers(f, random) {
    const params = f.op.flatMap((o, r) => (o === Op.Param ? [r] : []));
    if (params.length === 0) return;
    const r = pick(random, params);
    const column = random() < 0.5 ? f.a : f.b;
    const v = column[r];
    column[r] = pick(random, [v - 1, v + 1, 0, -1, 2 * v, v | (1 << 8), v | (1 << 9), v ^ (1 << 8), (v & ~255) | int(random, 64), 1 << 10, pick(random, EXTREME_INTS)]);
  },
  function padding(f, random) {
    if (f.padding.length > 0) f.padding[int(random, f.padding.length)] = 1 + int(random, 255);
  },
];

function corrupt(bytes: Uint8Array, random: Random): Uint8Array {
  let out = bytes;
  for (let k = 1 + int(random, 3); k > 0; k--) {
    if (random() < 0.5) {
      try {
        out = pick(random, BYTE_MUTATORS)(out, random);
      } catch {
        continue; // a section-aware mutation met bytes whose layout is already broken
      }
    } else {
      let fields: Fields;
      try {
        fields = parse(out);
      } catch {
        continue; // an earlier mutation broke the layout: keep the bytes as they are
      }
      pick(random, FIELD_MUTATORS)(fields, random);
      out = build(fields);
    }
  }
  return out;
}

// ── the check each corrupted buffer gets ──

/** The fixed inputs of a replay, shaped after the tape's own argument list. */
function inputsFor(bytes: Uint8Array): (number | Float64Array)[] {
  return parse(bytes).args.map((len, i) =>
    len < 0 ? 0.25 + 0.5 * i : Float64Array.from({ length: len }, (_, k) => 0.4 * k - 0.3 * i + 0.15),
  );
}

/** Value and gradient (or uᵀJ) of one replay, flattened into one list of numbers. */
function replay(f: CompiledFunction, inputs: (number | Float64Array)[]): number[] {
  const flat = (g: unknown): number[] => (typeof g === 'number' ? [g] : Array.isArray(g) ? g.flatMap(flat) : Array.from(g as Float64Array));
  if (!f.vectorOutput) {
    const { value, grad } = f.valueAndGrad(...inputs);
    return [value, ...flat(grad)];
  }
  const u = Float64Array.from({ length: f.outputCount }, (_, j) => 1 - 0.5 * j);
  return [...flat(f.value(...inputs)), ...flat(f.vjp(...inputs, u))];
}

/** Equal, both NaN, or within a relative 1e-9: AS NativeMath (wasm) and V8's Math may differ
 *  in the last bit of a transcendental value. */
const same = (x: number, y: number) =>
  x === y || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));

type Verdict = { kind: 'rejected'; error: unknown } | { kind: 'loaded'; f: CompiledFunction };

function load(bytes: Uint8Array, backend: 'wasm' | 'js'): Verdict {
  try {
    return { kind: 'loaded', f: fromBytes(bytes, { backend }) };
  } catch (error) {
    return { kind: 'rejected', error };
  }
}

interface Tally {
  rejected: number;
  loaded: number;
  failures: number;
  /** The first few failures, with their bytes. */
  examples: string[];
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

/** The bytes with the op column's padding zeroed and NaN constants made one NaN: two tapes
 *  are the same when their canonical bytes are. */
function canonical(bytes: Uint8Array): Uint8Array {
  const fields = parse(bytes);
  fields.padding.fill(0);
  fields.consts = fields.consts.map((c) => (Number.isNaN(c) ? NaN : c)); // NaN payloads need not survive
  // A tape of scalar arguments reads the same in formats 3 and 4 (only vector arguments' rows
  // differ), and toBytes writes 4.
  if (fields.version === 3) fields.version = 4;
  return build(fields);
}

/** Rejected with TapeFormatError on both backends, or loaded on both with equal replays and
 *  written back as the same bytes. */
function check(bytes: Uint8Array, tally: Tally): void {
  const fail = (what: string) => {
    tally.failures++;
    if (tally.examples.length < 3) tally.examples.push(`${what}\n  bytes: ${hex(bytes)}`);
  };
  const w = load(bytes, 'wasm');
  const j = load(bytes, 'js');
  try {
    if (w.kind === 'rejected' || j.kind === 'rejected') {
      tally.rejected++;
      for (const v of [w, j]) {
        if (v.kind === 'loaded') return fail('one backend loaded what the other rejected');
        if (!(v.error instanceof TapeFormatError)) return fail(`threw ${String(v.error)} instead of TapeFormatError`);
      }
      return;
    }
    tally.loaded++;
    const inputs = inputsFor(bytes);
    let rw: number[];
    let rj: number[];
    try {
      rw = replay(w.f, inputs);
      rj = replay(j.f, inputs);
    } catch (error) {
      return fail(`an accepted tape failed to replay: ${String(error)}`);
    }
    if (rw.length !== rj.length || rw.some((x, i) => !same(x, rj[i]))) return fail(`wasm replay ${rw} differs from js replay ${rj}`);
    const again = replay(w.f, inputs);
    if (again.some((x, i) => !same(x, rw[i]))) return fail(`a second wasm replay ${again} differs from the first ${rw}`);
    const read = hex(canonical(bytes));
    if (hex(canonical(w.f.toBytes())) !== read || hex(canonical(j.f.toBytes())) !== read) return fail('toBytes() wrote another tape than it read');
  } finally {
    for (const v of [w, j]) if (v.kind === 'loaded') v.f.dispose();
  }
}

/** Bytes of wasm memory in use (a compiled function's stats report it). */
function wasmMemoryInUse(): number {
  const probe = compile((x: Scalar) => x);
  const bytes = probe.stats.memoryInUse;
  probe.dispose();
  return bytes;
}

const CORRUPTIONS_PER_SEED = 4000;

// Runs first in this file's process, so the memory after the sink slot holds the victims' tapes.
describe('a hostile tape, on fresh wasm memory', () => {
  it('cannot disturb another compiled function', () => {
    const victims = [4, 100, 1000].map((n) => {
      const victim = compile((v: Vector) => sum(sin(v)), n);
      const x = Float64Array.from({ length: n }, (_, i) => i / n);
      return { victim, x, want: victim.valueAndGrad(x) };
    });
    // dot(v, v) over 40,000 slots with its b operand cut: if it loads, its sweeps read and
    // write 40,000 slots from the sink on, in whatever memory follows the sink.
    const hostile = parse(compile((v: Vector) => dot(v, v), 40_000).toBytes());
    hostile.b[hostile.op.indexOf(Op.VecDot)] = -1;
    let loaded: CompiledFunction | undefined;
    try {
      loaded = fromBytes(build(hostile));
    } catch (error) {
      expect(error).toBeInstanceOf(TapeFormatError);
    }
    if (loaded) {
      loaded.valueAndGrad(new Float64Array(40_000).fill(1e6));
      loaded.dispose();
    }
    for (const { victim, x, want } of victims) expect(victim.valueAndGrad(x)).toEqual(want);
  });
});

describe('fromBytes on corrupted tapes', () => {
  it.each(SEEDS.map((s, i) => [s.name, i] as const))('%s', (_, index) => {
    const valid = SEEDS[index].bytes();
    const random = seededRandom(0x5eed + index);
    const tally: Tally = { rejected: 0, loaded: 0, failures: 0, examples: [] };
    check(valid, tally);
    expect(tally).toEqual({ rejected: 0, loaded: 1, failures: 0, examples: [] });
    let memory = 0;
    let scratch = 0;
    for (let k = 0; k < CORRUPTIONS_PER_SEED; k++) {
      if (k === 200) {
        memory = wasmMemoryInUse();
        scratch = core.scratchBlockBytes();
      }
      check(corrupt(valid, random), tally);
    }
    expect(tally.examples).toEqual([]);
    expect(tally.failures).toBe(0);
    // Loaded tapes were disposed and rejected ones allocate nothing: memory stays put.
    // …except that the MatMul scratch is kept at its largest size: a larger block is new memory.
    const grownScratch = core.scratchBlockBytes() > scratch ? core.scratchBlockBytes() : 0;
    expect([0, grownScratch]).toContain(wasmMemoryInUse() - memory);
    // The corruptions must exercise both outcomes, or the test proves little.
    expect(tally.rejected).toBeGreaterThan(CORRUPTIONS_PER_SEED / 2);
    expect(tally.loaded).toBeGreaterThan(CORRUPTIONS_PER_SEED / 50);
  });
});

// ── targeted malformations ──

/** A valid tape of the given seed with its fields changed by `edit`. */
function edited(seed: number, edit: (f: Fields) => void): Uint8Array {
  const fields = parse(SEEDS[seed].bytes());
  edit(fields);
  return build(fields);
}

/** Bytes with one little-endian u32 overwritten. */
function withWord(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, value >>> 0, true);
  return out;
}

/** The first row of op `o`. */
const rowOf = (f: Fields, o: Op) => {
  const r = f.op.indexOf(o);
  if (r < 0) throw new Error(`the seed has no ${Op[o]} row`);
  return r;
};

const slotCount = (f: Fields) => {
  const valid = fromBytes(build(f), { backend: 'js' });
  const n = valid.stats.nodes;
  valid.dispose();
  return n;
};

const BRANCH = 0; // x, y ↦ where(lt(x, y), x·y, sin x) + 2.5·y
const MIXED = 2; // scalar and vector arguments
const REDUCTIONS = 4; // vector rows: map with broadcast, reductions, softmax
const MATRICES = 5; // vector rows: matmul, matvec, concat, logSoftmax

function expectFormatError(bytes: Uint8Array | ArrayBuffer, message: RegExp): void {
  for (const backend of ['wasm', 'js'] as const) {
    const error = thrown(() => fromBytes(bytes, { backend }));
    expect(error, backend).toBeInstanceOf(TapeFormatError);
    expect(error.message, backend).toMatch(message);
  }
}

describe('fromBytes refuses each malformation with TapeFormatError', () => {
  const valid = () => SEEDS[BRANCH].bytes();

  it('not bytes at all', () => {
    for (const input of ['WGRT', null, undefined, [87, 71, 82, 84], {}, new DataView(new ArrayBuffer(32)), 42]) {
      expectFormatError(input as never, /expected a Uint8Array or ArrayBuffer/);
    }
  });

  it('wrong magic', () => {
    const bytes = valid();
    bytes[0] ^= 0x20;
    expectFormatError(bytes, /magic number "WGRT"/);
  });

  it('wrong version', () => {
    for (const version of [0, 5, 0xffff]) {
      // The message names the version found and the ones this wengert reads and writes.
      expectFormatError(edited(BRANCH, (f) => (f.version = version)), new RegExp(`version ${version} is not one this wengert reads \\(it reads versions 1 to 4, and writes 4\\)`));
    }
  });

  it('unknown flags', () => {
    expectFormatError(edited(BRANCH, (f) => (f.flags = 2)), /unknown flags 2/);
  });

  it('truncated header', () => {
    for (const length of [0, 1, 4, 8, 23]) expectFormatError(valid().slice(0, length), /shorter than the 24-byte header/);
    // Version 3's header is 4 bytes longer (the wrt count).
    for (const length of [24, 27]) expectFormatError(valid().slice(0, length), /shorter than the 28-byte header/);
  });

  it('length mismatch: truncated body or trailing bytes', () => {
    const bytes = valid();
    // The last 4 bytes are the (empty) custom-op name table: a cut into it or past it is a truncation.
    for (const cut of [1, 4, 8, bytes.length - 28]) expectFormatError(bytes.slice(0, bytes.length - cut), /truncated/);
    for (const extra of [1, 4, 8, 64]) {
      const longer = new Uint8Array(bytes.length + extra);
      longer.set(bytes);
      expectFormatError(longer, /trailing bytes/);
    }
  });

  it('absurd counts in the header, without allocating for them', () => {
    const bytes = valid();
    for (const [at, name] of [[8, 'rows'], [12, 'consts'], [16, 'args'], [20, 'outputs']] as const) {
      for (const count of [2 ** 31, 2 ** 32 - 1, 2 ** 28 + 1]) {
        expectFormatError(withWord(bytes, at, count), new RegExp(`${name} count ${count} is larger than any tape`));
      }
      // Within the limit but not what the buffer holds: a length mismatch.
      expectFormatError(withWord(bytes, at, 2 ** 28), /header describes/);
    }
  });

  it('no arguments, no outputs, or a scalar function with two outputs', () => {
    expectFormatError(withWord(valid(), 16, 0), /at least one argument/);
    expectFormatError(withWord(valid(), 20, 0), /at least one output/);
    expectFormatError(edited(BRANCH, (f) => f.outputs.push(0)), /a scalar function has 2 outputs/);
  });

  it('an argument length below −1', () => {
    expectFormatError(edited(BRANCH, (f) => (f.args[1] = -2)), /argument 1 has length -2/);
    expectFormatError(edited(BRANCH, (f) => (f.args[0] = -0x80000000)), /argument 0 has length/);
  });

  it('unknown op code', () => {
    for (const code of UNKNOWN_CODES) {
      expectFormatError(edited(BRANCH, (f) => (f.op[rowOf(f, Op.Sin)] = code)), new RegExp(`unknown op code ${code}`));
    }
  });

  it('forward reference operand: own slot, a later slot, far away', () => {
    for (const target of ['own', 'later', 'far'] as const) {
      const bytes = edited(BRANCH, (f) => {
        const r = rowOf(f, Op.Mul);
        const own = f.op.slice(0, r).filter((o) => o !== Op.Param).length;
        f.a[r] = target === 'own' ? own : target === 'later' ? own + 1 : 0x7fffffff;
      });
      expectFormatError(bytes, /reads slot \d+ as a, which is not an earlier slot/);
    }
  });

  it('a missing operand on a binary op, an operand on a unary op', () => {
    expectFormatError(edited(BRANCH, (f) => (f.b[rowOf(f, Op.Mul)] = -1)), /reads slot -1 as b/);
    expectFormatError(edited(BRANCH, (f) => (f.b[rowOf(f, Op.Sin)] = 0)), /\(Sin\) must have no b operand/);
    expectFormatError(edited(BRANCH, (f) => (f.a[rowOf(f, Op.Input)] = 0)), /row 0 is Input \(0, -1\) where the arguments' rows need Input \(−1, −1\)/);
    // Format 3's Input rows are checked before they are replaced.
    expectFormatError(edited(BRANCH, (f) => ((f.version = 3), (f.a[rowOf(f, Op.Input)] = 0))), /row 0 \(Input\) must have no operands/);
    expectFormatError(edited(BRANCH, (f) => (f.b[rowOf(f, Op.Const)] = 0)), /\(Const\) must have no b operand/);
  });

  it('Param not followed by Where; a Param row at the end', () => {
    expectFormatError(edited(BRANCH, (f) => (f.op[rowOf(f, Op.Where)] = Op.Add)), /Param row that belongs to no row/);
    const trailing = edited(BRANCH, (f) => {
      f.op.push(Op.Param);
      f.a.push(0);
      f.b.push(-1);
    });
    expectFormatError(trailing, /Param row that belongs to no row/);
  });

  it('Where without Param; a Where condition that is not an earlier slot', () => {
    expectFormatError(edited(BRANCH, (f) => (f.op[rowOf(f, Op.Param)] = Op.Sin)), /\(Where\) needs 1 Param row right before it/);
    expectFormatError(edited(BRANCH, (f) => (f.a[rowOf(f, Op.Param)] = 99)), /reads slot 99 as condition/);
    expectFormatError(edited(BRANCH, (f) => (f.b[rowOf(f, Op.Param)] = 0)), /must have no b operand/);
  });

  it('input rows not first, or not as many as the arguments need', () => {
    expectFormatError(edited(BRANCH, (f) => f.args.push(-1)), /row 2 is \w+ .* where the arguments' rows need Input/);
    expectFormatError(edited(BRANCH, (f) => f.args.pop()), /row 1 \(Input\): only the arguments' first 1 rows may be inputs/);
    expectFormatError(edited(BRANCH, (f) => f.args.push(1000)), /row 2 is \w+ .* where the arguments' rows need Param \(1000, 0\)/);
    expectFormatError(edited(BRANCH, (f) => f.args.push(1000, 1000, 1000, 1000, 1000, 1000)), /the arguments need 14 rows but the tape has \d+ rows/);
    const swapped = (version: number) => edited(BRANCH, (f) => {
      f.version = version;
      const r = rowOf(f, Op.Const);
      for (const column of [f.op, f.a, f.b]) [column[1], column[r]] = [column[r], column[1]];
    });
    expectFormatError(swapped(4), /row 1 is Const \(-1, -1\) where the arguments' rows need Input/);
    expectFormatError(swapped(3), /the 2 input rows must come first, and only they/);
    expectFormatError(edited(BRANCH, (f) => ((f.version = 3), f.args.push(1000))), /the arguments need 1002 input rows/);
  });

  it('a vector argument\'s VecInput row: its length, operands and place, and no VecInput in format 3', () => {
    // MIXED's rows start: Input (s), Param (4, 0), VecInput (v).
    const valid = parse(SEEDS[MIXED].bytes());
    expect(valid.op.slice(0, 3)).toEqual([Op.Input, Op.Param, Op.VecInput]);
    expect([valid.a[1], valid.b[1]]).toEqual([4, 0]);
    for (const n of [3, 5, 0, -1]) expectFormatError(edited(MIXED, (f) => (f.a[1] = n)), new RegExp(`row 1 is Param \\(${n}, 0\\) where the arguments' rows need Param \\(4, 0\\)`));
    expectFormatError(edited(MIXED, (f) => (f.b[1] = 1)), /row 1 is Param \(4, 1\) where the arguments' rows need Param \(4, 0\)/);
    expectFormatError(edited(MIXED, (f) => (f.a[2] = 0)), /row 2 is VecInput \(0, -1\) where the arguments' rows need VecInput \(−1, −1\)/);
    expectFormatError(edited(MIXED, (f) => (f.b[2] = 0)), /row 2 is VecInput \(-1, 0\)/);
    expectFormatError(edited(MIXED, (f) => (f.op[2] = Op.VecConst)), /row 2 is VecConst \(-1, -1\) where the arguments' rows need VecInput/);
    // Another row turned into an input (REDUCTIONS: v, then s): refused after the arguments' rows.
    const late = (o: Op, from: Op) => (f: Fields) => {
      const r = rowOf(f, from);
      f.op[r] = o;
      f.a[r] = -1;
      f.b[r] = -1;
    };
    expectFormatError(edited(REDUCTIONS, late(Op.VecInput, Op.VecSum)), /\(VecInput\): only the arguments' first 3 rows may be inputs/);
    expectFormatError(edited(MIXED, late(Op.Input, Op.Sub)), /\(Input\): only the arguments' first 3 rows may be inputs/);
    // Format 3 never wrote VecInput (it had an Input row per element).
    expectFormatError(edited(MIXED, (f) => (f.version = 3)), /op code 146 \(VecInput\), which format version 3 does not have/);
  });

  it('output index out of range', () => {
    for (const slot of [-1, -2, 0x7fffffff]) expectFormatError(edited(BRANCH, (f) => (f.outputs[0] = slot)), /output 0 names slot/);
    expectFormatError(edited(BRANCH, (f) => (f.outputs[0] = slotCount(f))), /output 0 names slot \d+ of \d+/);
  });

  it('constants: fewer stored than Const rows, or more', () => {
    expectFormatError(edited(BRANCH, (f) => f.consts.pop()), /more Const rows than the 0 constants stored/);
    expectFormatError(edited(BRANCH, (f) => f.consts.push(1)), /2 constants stored but 1 in Const and VecConst rows/);
  });

  it('vector arguments of more elements than a tape can hold, in a few bytes', () => {
    const big = 2 ** 28;
    const bytes = edited(REDUCTIONS, (f) => {
      Object.assign(f, { args: [big, big], wrt: [0, 1], outputs: [0], flags: 0, consts: [] });
      f.op = [Op.Param, Op.VecInput, Op.Param, Op.VecInput];
      f.a = [big, -1, big, -1];
      f.b = [0, -1, 0, -1];
    });
    expect(bytes.length).toBeLessThan(100);
    expectFormatError(bytes, /the arguments have more than 268435456 elements/);
  });

  it('nonzero padding after the op column', () => {
    const padded = SEEDS.findIndex((s) => parse(s.bytes()).padding.length > 0);
    const bytes = edited(padded, (f) => {
      expect(f.padding.length).toBeGreaterThan(0);
      f.padding[0] = 7;
    });
    expectFormatError(bytes, /padding/);
  });

  it('vector rows: no Param row, a range past the earlier slots, a VecMap of a vector op, bad MatMul flags', () => {
    expectFormatError(
      edited(REDUCTIONS, (f) => {
        const r = rowOf(f, Op.VecSoftmax);
        [f.op[r - 1], f.a[r - 1], f.b[r - 1]] = [Op.Const, -1, -1];
        f.consts.push(1);
      }),
      /\(VecSoftmax\) needs 1 Param row/,
    );
    expectFormatError(edited(REDUCTIONS, (f) => (f.a[rowOf(f, Op.VecSum)] = slotCount(f) - 1)), /past the \d+ earlier slots/);
    expectFormatError(edited(REDUCTIONS, (f) => (f.a[rowOf(f, Op.VecSum) - 1] = 1e6)), /past the \d+ earlier slots/);
    expectFormatError(edited(REDUCTIONS, (f) => (f.b[rowOf(f, Op.VecMap) - 1] = Op.VecSum)), /not an elementwise scalar op/);
    expectFormatError(edited(REDUCTIONS, (f) => (f.b[rowOf(f, Op.VecSum) - 1] = 1)), /payload 1 where none belongs/);
    expectFormatError(edited(MATRICES, (f) => (f.b[rowOf(f, Op.MatMul) - 2] = 4)), /MatMul\) has unknown flags 4/);
  });

  it('vector rows that read a b operand must name one (not −1)', () => {
    // dot, matmul/matvec and a binary VecMap without broadcast read a whole range from b.
    const cases: [number, Op][] = [[REDUCTIONS, Op.VecDot], [MATRICES, Op.MatMul]];
    for (const [seed, o] of cases) {
      expectFormatError(edited(seed, (f) => (f.b[rowOf(f, o)] = -1)), /b/);
    }
    const binaryMap = parse(compile((v: Vector) => sum(mul(v, sin(v))), 3).toBytes());
    const r = binaryMap.op.findIndex((o, k) => o === Op.VecMap && (binaryMap.b[k - 1] & 255) === Op.Mul);
    binaryMap.b[r] = -1;
    expectFormatError(build(binaryMap), /b/);
  });

  it('accepts what toBytes wrote, from an ArrayBuffer or a view at an offset', () => {
    for (const seed of SEEDS) {
      const bytes = seed.bytes();
      const shifted = new Uint8Array(bytes.length + 3);
      shifted.set(bytes, 3);
      for (const input of [bytes, bytes.slice().buffer, shifted.subarray(3)]) {
        const f = fromBytes(input);
        expect(f.toBytes()).toEqual(bytes);
        f.dispose();
      }
    }
  });
});
