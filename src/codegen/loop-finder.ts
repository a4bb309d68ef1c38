/** @file Finds the loops a scalar tape was recorded from: runs of rows that repeat one body with
 *  the same op codes, each operand's slot moving by a fixed stride from one repetition to the
 *  next. Rosenbrock's `for` loop over 10⁵ terms records 10⁶ rows that are one 10-row body 10⁵
 *  times; the generator writes such a run as a wasm loop over its body (rolled-loop.ts), so that
 *  a long tape's module, and V8's time to compile it, stay small. */
import { Op, isInput } from '../../assembly/shared/ops.js';
import type { Program } from '../compile/program.js';

/** Rows start…start + period·count − 1: `count` repetitions of the body start…start + period − 1. */
export interface Loop {
  start: number;
  period: number;
  count: number;
}

/** The longest body looked for, in rows (a loop body past it is written out straight). */
export const MAX_PERIOD = 512;
/** Repetitions and rows a run needs to be rolled: a shorter run costs less written straight. */
export const MIN_REPETITIONS = 4;
/** Candidate periods tried per row: the next rows that begin with its three op codes. */
const CANDIDATES = 16;

/** Whether row r may sit in a loop body: not an argument (they come first anyway) and not a
 *  row the generator writes no rule for (checked by the caller before). */
function rollable(op: Uint8Array, r: number): boolean {
  return !isInput(op[r]) && op[r] !== Op.VecInput;
}

/** Whether rows r…r + period − 1 repeat as rows r + period·k…, for k = 1…count − 1, with the
 *  operand strides of the first two repetitions. */
function repeats(program: Program, r: number, period: number, k: number): boolean {
  const { op, a, b } = program;
  const at = r + k * period;
  for (let j = 0; j < period; j++) {
    const first = r + j;
    const row = at + j;
    if (op[row] !== op[first] || !rollable(op, row)) return false;
    if (a[row] - a[first] !== k * (a[first + period] - a[first])) return false;
    if (b[row] - b[first] !== k * (b[first + period] - b[first])) return false;
  }
  return true;
}

/** Whether a loop may begin at row r: not with a Where (whose condition sits in the row before). */
function mayBegin(program: Program, r: number): boolean {
  return program.op[r] !== Op.Where && rollable(program.op, r);
}

/** The loops in `program`, in row order, each at least `minRows` rows; rows from `from` on. */
export function findLoops(program: Program, minRows: number, from = 0): Loop[] {
  const { op } = program;
  const rows = op.length;
  const loops: Loop[] = [];
  if (rows - from < minRows) return loops;
  // The next row beginning the same three op codes (or a colliding three), per row: the
  // candidates for where a repetition begins.
  const next = new Int32Array(rows);
  const seen = new Int32Array(1 << 16).fill(-1);
  for (let r = rows - 1; r >= from; r--) {
    const h = Math.imul(op[r] | (r + 1 < rows ? op[r + 1] << 8 : 0) | (r + 2 < rows ? op[r + 2] << 16 : 0), 0x9e3779b1) >>> 16;
    next[r] = seen[h];
    seen[h] = r;
  }
  let r = from;
  while (r + minRows <= rows) {
    let found: Loop | undefined;
    for (let q = next[r], tries = 0; q >= 0 && tries < CANDIDATES && q - r <= MAX_PERIOD; q = next[q], tries++) {
      const period = q - r;
      if (r + MIN_REPETITIONS * period > rows) break;
      if (!mayBegin(program, r)) break;
      let count = 1;
      while (r + (count + 1) * period <= rows && repeats(program, r, period, count)) count++;
      if (count >= MIN_REPETITIONS && count * period >= minRows) {
        found = { start: r, period, count };
        break;
      }
    }
    if (found === undefined) {
      r++;
      continue;
    }
    loops.push(found);
    r += found.period * found.count;
  }
  return loops;
}
