/** @file The custom-op names of a saved tape (format versions 3 and 4): a Custom row stores its rule's id,
 *  which means nothing in another process, so the file stores an index into a table of names and
 *  fromBytes looks each name up among the ops defined here.
 *
 *  After the constants: u32 count · per name: u32 byte length · UTF-8 bytes, zero-padded to 4
 *  (every version-3 tape has the table; its count is 0 without custom ops). */
import { Op } from '../../assembly/shared/ops.js';
import { ArgumentError, TapeFormatError } from '../errors.js';
import { ruleOf, ruleNamed } from '../custom/registry.js';
import type { Program } from './program.js';

/** The row holding a Custom row's rule (its second Param row). */
const ruleRow = (r: number) => r - 2;

/** The names a program's Custom rows use and its a column with each rule id replaced by the
 *  index of its name; undefined when it has no Custom row. */
export function nameTable(p: Program): { names: string[]; a: Int32Array } | undefined {
  const names: string[] = [];
  const index = new Map<number, number>();
  const a = p.a.slice();
  for (let r = 0; r < p.op.length; r++) {
    if (p.op[r] !== Op.Custom) continue;
    const id = p.a[ruleRow(r)];
    let k = index.get(id);
    if (k === undefined) {
      const rule = ruleOf(id);
      if (!rule.saved) {
        throw new ArgumentError(`toBytes cannot save '${rule.name}': a checkpoint or customVjp function is a closure, not a named op. Use defineOp for an op that must be saved, or save the tape without it.`);
      }
      k = names.push(rule.name) - 1;
      index.set(id, k);
    }
    a[ruleRow(r)] = k;
  }
  return names.length === 0 ? undefined : { names, a };
}

export function namesBytes(names: string[]): Uint8Array[] {
  return names.map((n) => new TextEncoder().encode(n));
}

/** Bytes of the table for these encoded names. */
export function tableSize(encoded: Uint8Array[]): number {
  return encoded.reduce((sum, e) => sum + 4 + ((e.length + 3) & ~3), 4);
}

export function writeNames(view: DataView, bytes: Uint8Array, at: number, encoded: Uint8Array[]): void {
  view.setUint32(at, encoded.length, true);
  at += 4;
  for (const e of encoded) {
    view.setUint32(at, e.length, true);
    bytes.set(e, at + 4);
    at += 4 + ((e.length + 3) & ~3);
  }
}

/** Reads the table from `at`; it must end exactly at the buffer's end. */
export function readNames(view: DataView, at: number, fail: (what: string) => never): string[] {
  const end = view.byteLength;
  if (at + 4 > end) fail('the custom-op name table is missing (truncated?)');
  const count = view.getUint32(at, true);
  at += 4;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) fail(`custom-op name ${i} is truncated`);
    const length = view.getUint32(at, true);
    if (at + 4 + length > end) fail(`custom-op name ${i} is truncated`);
    names.push(new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(view.buffer, view.byteOffset + at + 4, length)));
    at += 4 + ((length + 3) & ~3);
  }
  if (at !== end) fail(`the buffer has ${end - at} trailing bytes after the custom-op name table`);
  return names;
}

/** Replaces each Custom row's name index by the id of the op defined under that name (−1, which
 *  validation refuses, for an index out of the table). */
export function resolveNames(op: Uint8Array, a: Int32Array, names: string[]): void {
  for (let r = 2; r < op.length; r++) {
    if (op[r] !== Op.Custom || op[ruleRow(r)] !== Op.Param) continue;
    const name = names[a[ruleRow(r)]];
    if (name === undefined) {
      a[ruleRow(r)] = -1;
      continue;
    }
    const id = ruleNamed(name);
    if (id === undefined) {
      throw new TapeFormatError(`this tape uses the custom op '${name}', which is not defined here: call defineOp('${name}', { value, vjp }) before fromBytes`);
    }
    a[ruleRow(r)] = id;
  }
}
