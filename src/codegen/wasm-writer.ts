/** @file A WebAssembly binary writer: bytes, LEB128 integers, sections, the few instructions
 *  generated code uses. No dependency; the module it writes is checked by WebAssembly.validate
 *  in the tests. */

/** Opcodes and value types used by the generators (WebAssembly core spec, §5.4). */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const FUNC_TYPE = 0x60;
export const Opcode = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  call: 0x10, drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  f64Load: 0x2b, f64Store: 0x39,
  i32Const: 0x41, f64Const: 0x44,
  i32Eqz: 0x45, i32And: 0x71,
  f64Eq: 0x61, f64Ne: 0x62, f64Lt: 0x63, f64Gt: 0x64, f64Le: 0x65, f64Ge: 0x66,
  f64Abs: 0x99, f64Neg: 0x9a, f64Sqrt: 0x9f,
  f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, f64Div: 0xa3,
  f64ConvertI32S: 0xb7,
  prefixFC: 0xfc, prefixFD: 0xfd,
} as const;
/** SIMD instructions' codes after the 0xFD prefix (fixed-width SIMD, §5.4.8), written as LEB128. */
export const Simd = {
  v128Load: 0x00, v128Store: 0x0b, v128Const: 0x0c, i8x16Shuffle: 0x0d,
  f64x2Splat: 0x14, f64x2ExtractLane: 0x21, f64x2ReplaceLane: 0x22,
  f64x2Eq: 0x47, f64x2Ne: 0x48, f64x2Lt: 0x49, f64x2Gt: 0x4a, f64x2Le: 0x4b, f64x2Ge: 0x4c,
  v128And: 0x4e, v128Bitselect: 0x52,
  f64x2Abs: 0xec, f64x2Neg: 0xed, f64x2Sqrt: 0xef,
  f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2, f64x2Div: 0xf3,
} as const;
/** memory.fill's code after the 0xFC prefix (bulk memory). */
export const MEMORY_FILL = 11;

/** An f64 immediate's bytes, through one shared scratch double. */
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/** A growable byte buffer with the binary format's encodings. */
export class ByteWriter {
  private bytes: Uint8Array;
  length = 0;

  /** `capacity`: the bytes expected (it grows past them by doubling). */
  constructor(capacity = 256) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
  }

  private room(n: number): void {
    if (this.length + n > this.bytes.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(b: number): this {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = b;
    return this;
  }

  /** Unsigned LEB128 (indices, sizes, memory offsets up to 2³²). */
  u32(value: number): this {
    this.room(5);
    let v = value >>> 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.bytes[this.length++] = b;
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 (i32.const). */
  i32(value: number): this {
    this.room(5);
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.bytes[this.length++] = done ? b : b | 0x80;
      if (done) return this;
    }
  }

  /** An f64 immediate, little-endian. */
  f64(value: number): this {
    this.room(8);
    // Typed arrays are little-endian on every platform wasm runs on, as the binary format is.
    scratch[0] = value;
    this.bytes.set(scratchBytes, this.length);
    this.length += 8;
    return this;
  }

  /** A SIMD instruction: the 0xFD prefix and its code (codes over 127 take two bytes). */
  simd(code: number): this {
    return this.byte(Opcode.prefixFD).u32(code);
  }

  name(text: string): this {
    this.u32(text.length);
    for (let i = 0; i < text.length; i++) this.byte(text.charCodeAt(i));
    return this;
  }

  append(other: ByteWriter): this {
    this.room(other.length);
    this.bytes.set(other.bytes.subarray(0, other.length), this.length);
    this.length += other.length;
    return this;
  }

  /** Appends `other` preceded by its byte length (a section's or a function body's size). */
  sized(other: ByteWriter): this {
    return this.u32(other.length).append(other);
  }

  /** Forgets the bytes written, keeping the buffer (a pooled writer's pages stay warm). */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** The buffer, with room for `n` bytes past `length`: a generator's hot loop writes into it
   *  directly, then sets `length` past what it wrote. */
  buffer(n: number): Uint8Array {
    this.room(n);
    return this.bytes;
  }

  /** Room for `n` more bytes, grown at once rather than by doubling (a module's expected size). */
  reserve(n: number): this {
    this.room(n);
    return this;
  }

  /** A placeholder for an unsigned LEB128 written later by patchU32: five bytes, the padded form
   *  the binary format allows, so that a size can follow what it measures without a copy. */
  u32Placeholder(): number {
    this.room(5);
    const at = this.length;
    this.length += 5;
    return at;
  }

  /** Writes `value` into the placeholder at `at`, padded to five bytes. */
  patchU32(at: number, value: number): void {
    let v = value >>> 0;
    for (let i = 0; i < 4; i++, v >>>= 7) this.bytes[at + i] = (v & 0x7f) | 0x80;
    this.bytes[at + 4] = v & 0x7f;
  }

  /** The bytes written, as a view (no copy: a module is megabytes, and fresh pages are what
   *  generation spends most on; writeModule sizes its buffer within a few bytes per function). */
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** A function's locals past its parameters, by index, and their declaration as the runs of one
 *  type the code section wants. `fixed` takes one for the whole function; `add` takes one until
 *  the next `release`, after which the same indices are handed out again by type (a loop's
 *  locals are dead after it: V8 refuses a function of more than 50,000 locals). */
export class Locals {
  private readonly types: number[] = [];
  private readonly pools = new Map<number, number[]>();
  private readonly taken = new Map<number, number>();

  fixed(type: number): number {
    this.types.push(type);
    return this.types.length - 1;
  }

  add(type: number): number {
    let pool = this.pools.get(type);
    if (pool === undefined) this.pools.set(type, (pool = []));
    const k = this.taken.get(type) ?? 0;
    this.taken.set(type, k + 1);
    if (k < pool.length) return pool[k];
    pool.push(this.fixed(type));
    return pool[k];
  }

  /** Every local `add` gave is free again. */
  release(): void {
    this.taken.clear();
  }

  get count(): number {
    return this.types.length;
  }

  declare(): { count: number; type: number }[] {
    const runs: { count: number; type: number }[] = [];
    for (const type of this.types) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last.type === type) last.count++;
      else runs.push({ count: 1, type });
    }
    return runs;
  }
}

/** A function type: parameter and result value types. */
export interface FuncType {
  params: number[];
  results: number[];
}

export interface FunctionImport {
  module: string;
  name: string;
  type: FuncType;
}

/** One defined function: its type, extra locals (runs of one type: counts per type) and body. */
export interface FunctionBody {
  type: FuncType;
  locals: { count: number; type: number }[];
  /** The instructions, without the final `end`. */
  code: ByteWriter;
  /** Exported under this name, if any. */
  exportAs?: string;
}

export interface ModuleSpec {
  /** The imported memory's limits: minimum pages, maximum pages, and whether it is shared. */
  memory: { module: string; name: string; minimum: number; maximum: number; shared: boolean };
  imports: FunctionImport[];
  functions: FunctionBody[];
}

const typeKey = (t: FuncType) => `${t.params.join(',')}:${t.results.join(',')}`;

/** What precedes the code section: the functions' types and exports, not their bodies. */
export interface ModuleHeader {
  memory: ModuleSpec['memory'];
  imports: FunctionImport[];
  functions: { type: FuncType; exportAs?: string }[];
}

/** The module's bytes: type, import, function, export and code sections. Function indices are
 *  the imports' first, then the defined functions' in order. */
export function writeModule(spec: ModuleSpec): Uint8Array {
  let codeBytes = 16;
  for (const f of spec.functions) codeBytes += f.code.length + 16;
  const out = new ByteWriter(codeBytes + 1024);
  writeHeader(out, spec);
  // The code section is written in place (its bodies are most of the module): each body's
  // size is its locals' header plus its code plus the final `end`.
  let sectionSize = new ByteWriter(8).u32(spec.functions.length).length;
  const headers = spec.functions.map((f) => {
    const header = new ByteWriter(16).u32(f.locals.length);
    for (const l of f.locals) header.u32(l.count).byte(l.type);
    const bodySize = header.length + f.code.length + 1;
    sectionSize += new ByteWriter(8).u32(bodySize).length + bodySize;
    return { header, bodySize };
  });
  out.byte(10).u32(sectionSize).u32(spec.functions.length);
  spec.functions.forEach((f, i) => out.u32(headers[i].bodySize).append(headers[i].header).append(f.code).byte(Opcode.end));
  return out.result();
}

/** A module whose function bodies are written straight into one writer, in the header's order
 *  (a generated module is megabytes: no buffer per function, no copy). Each body declares its
 *  f64 locals, counted when it ends. */
export class ModuleStream {
  private sectionAt: number;
  private bodyAt = -1;
  private localsAt = -1;
  private remaining: number;

  /** Writes `header`'s sections into `out` (reset first) and opens the code section. */
  constructor(readonly out: ByteWriter, header: ModuleHeader) {
    writeHeader(out.reset(), header);
    out.byte(10);
    this.sectionAt = out.u32Placeholder();
    out.u32(header.functions.length);
    this.remaining = header.functions.length;
  }

  /** Opens the next function's body: its code follows in `out`. Its locals are f64 ones counted
   *  at end(), or the runs `locals` declares. */
  begin(locals?: { count: number; type: number }[]): void {
    if (this.bodyAt >= 0 || this.remaining === 0) throw new Error('ModuleStream: begin() without end(), or more bodies than functions');
    this.bodyAt = this.out.u32Placeholder();
    if (locals !== undefined) {
      this.out.u32(locals.length);
      for (const run of locals) this.out.u32(run.count).byte(run.type);
      this.localsAt = -1;
      return;
    }
    this.out.byte(1);
    this.localsAt = this.out.u32Placeholder();
    this.out.byte(F64);
  }

  /** Closes the body begun last, which uses f64 locals 0…`f64Locals` − 1 (begun without runs). */
  end(f64Locals = 0): void {
    const out = this.out;
    out.byte(Opcode.end);
    if (this.localsAt >= 0) out.patchU32(this.localsAt, f64Locals);
    out.patchU32(this.bodyAt, out.length - this.bodyAt - 5);
    this.bodyAt = -1;
    this.remaining--;
  }

  /** The module's bytes: a view of `out`'s buffer, valid until `out` is written again. */
  finish(): Uint8Array {
    if (this.bodyAt >= 0 || this.remaining !== 0) throw new Error('ModuleStream: finish() before every body ended');
    this.out.patchU32(this.sectionAt, this.out.length - this.sectionAt - 5);
    return this.out.result();
  }
}

/** The magic number, version, and type, import, function and export sections. */
function writeHeader(out: ByteWriter, spec: ModuleHeader): void {
  const types: FuncType[] = [];
  const typeIndex = new Map<string, number>();
  const indexOf = (t: FuncType): number => {
    const key = typeKey(t);
    let i = typeIndex.get(key);
    if (i === undefined) {
      i = types.length;
      types.push(t);
      typeIndex.set(key, i);
    }
    return i;
  };
  const importTypes = spec.imports.map((f) => indexOf(f.type));
  const functionTypes = spec.functions.map((f) => indexOf(f.type));

  out.byte(0x00).byte(0x61).byte(0x73).byte(0x6d).byte(0x01).byte(0x00).byte(0x00).byte(0x00);
  const section = (id: number, body: ByteWriter) => out.byte(id).sized(body);

  const typeSection = new ByteWriter().u32(types.length);
  for (const t of types) {
    typeSection.byte(FUNC_TYPE).u32(t.params.length);
    for (const p of t.params) typeSection.byte(p);
    typeSection.u32(t.results.length);
    for (const r of t.results) typeSection.byte(r);
  }
  section(1, typeSection);

  const importSection = new ByteWriter().u32(spec.imports.length + 1);
  spec.imports.forEach((f, i) => importSection.name(f.module).name(f.name).byte(0x00).u32(importTypes[i]));
  const m = spec.memory;
  importSection.name(m.module).name(m.name).byte(0x02).byte(m.shared ? 0x03 : 0x01).u32(m.minimum).u32(m.maximum);
  section(2, importSection);

  const functionSection = new ByteWriter().u32(functionTypes.length);
  for (const t of functionTypes) functionSection.u32(t);
  section(3, functionSection);

  const exported = spec.functions.map((f, i) => ({ name: f.exportAs, index: spec.imports.length + i })).filter((e) => e.name !== undefined);
  const exportSection = new ByteWriter().u32(exported.length);
  for (const e of exported) exportSection.name(e.name!).byte(0x00).u32(e.index);
  section(7, exportSection);
}
