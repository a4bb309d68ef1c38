/** @file The scalar rules (scalar-rules.ts) as byte templates: each rule written once with
 *  operands that leave holes, so that the generator's loop over 10⁵ rows copies bytes and fills
 *  holes instead of calling a rule's closures and its operands' callbacks per row. */
import { ByteWriter } from './wasm-writer.js';
import { scalarRule, type PartialRule } from './scalar-rules.js';

/** A template's tokens: a byte (0–255), or a hole for an operand: x, b, y (the row's value) or
 *  c (Where's condition). */
export const HOLE_X = 256;
export const HOLE_B = 257;
export const HOLE_Y = 258;
export const HOLE_C = 259;

/** Which operands a template reads: bit 1 << (hole − HOLE_X). */
export const READS_X = 1;
export const READS_B = 2;
export const READS_Y = 4;
export const READS_C = 8;

/** How a partial is added (see PartialRule): ȳ, −ȳ, ȳ·0, or ȳ times its template's value. */
export const PARTIAL_ONE = 0;
export const PARTIAL_MINUS_ONE = 1;
export const PARTIAL_ZERO = 2;
export const PARTIAL_CODE = 3;

/** Templates of op o: value at 3o, partialA at 3o + 1, partialB at 3o + 2, each the tokens
 *  tokens[start[k] … end[k]), with its kind (PARTIAL_) and the operands it reads. */
export interface RuleTemplates {
  tokens: Int16Array;
  start: Int32Array;
  end: Int32Array;
  kind: Uint8Array;
  reads: Uint8Array;
  /** Bytes a row of op o may take at most, its holes and the adds around its partials counted. */
  rowBytes: Int32Array;
}

const tokens: number[] = [];
const templates: RuleTemplates = {
  tokens: new Int16Array(0),
  start: new Int32Array(768),
  end: new Int32Array(768),
  kind: new Uint8Array(768),
  reads: new Uint8Array(768),
  rowBytes: new Int32Array(256),
};
const known = new Uint8Array(256);

/** The bytes one hole may take: a load (i32.const 0, f64.load, align, a 5-byte offset) and a
 *  local.tee with a 5-byte index. */
const HOLE_BYTES = 16;
/** The bytes around a partial: a store's address and offset, ȳ, the guard against ȳ = 0, the add. */
const ADD_BYTES = 48;

/** Records `write` as template k. */
function record(k: number, write: (w: ByteWriter, o: { x(w: ByteWriter): void; b(w: ByteWriter): void; y(w: ByteWriter): void; c(w: ByteWriter): void }) => void): void {
  const w = new ByteWriter(64);
  const holes: number[] = [];
  const hole = (token: number) => (at: ByteWriter) => void holes.push(at.length, token);
  write(w, { x: hole(HOLE_X), b: hole(HOLE_B), y: hole(HOLE_Y), c: hole(HOLE_C) });
  const bytes = w.result();
  templates.start[k] = tokens.length;
  let reads = 0;
  let from = 0;
  for (let h = 0; h < holes.length; h += 2) {
    for (; from < holes[h]; from++) tokens.push(bytes[from]);
    tokens.push(holes[h + 1]);
    reads |= 1 << (holes[h + 1] - HOLE_X);
  }
  for (; from < bytes.length; from++) tokens.push(bytes[from]);
  templates.end[k] = tokens.length;
  templates.reads[k] = reads;
}

function recordPartial(k: number, partial: PartialRule): void {
  if (typeof partial === 'function') {
    templates.kind[k] = PARTIAL_CODE;
    record(k, partial);
    return;
  }
  templates.kind[k] = partial === 'one' ? PARTIAL_ONE : partial === 'minusOne' ? PARTIAL_MINUS_ONE : PARTIAL_ZERO;
  templates.start[k] = templates.end[k] = tokens.length;
  templates.reads[k] = 0;
}

/** The templates, with op `o`'s written if it has a scalar rule; false if it has none. */
export function ruleTemplates(o: number): RuleTemplates | undefined {
  if (known[o] === 1) return templates;
  const rule = scalarRule(o);
  if (rule === undefined) return undefined;
  record(3 * o, rule.value);
  recordPartial(3 * o + 1, rule.partialA);
  recordPartial(3 * o + 2, rule.partialB);
  let size = 0;
  for (let k = 3 * o; k < 3 * o + 3; k++) size += (templates.end[k] - templates.start[k]) * HOLE_BYTES + ADD_BYTES;
  templates.rowBytes[o] = size;
  templates.tokens = Int16Array.from(tokens);
  known[o] = 1;
  return templates;
}
