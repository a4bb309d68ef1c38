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

/** Whether row r may sit in a loop body: not an argument's row (whose slots the caller fills). */
function rollable(op: Uint8Array, r: number): boolean {
  return !isInput(op[r]) && op[r] !== Op.VecInput;
}

/** The first row from `at` on (at ≥ r + period) that breaks the repetition of rows r…r + period − 1
 *  with the operand strides of the first two repetitions: another op code, a row no loop holds,
 *  or an operand off its stride; `rows` if none does. */
function breakRow(program: Program, r: number, period: number, at: number): number {
  const rows = program.op.length;
  for (let row = at; row < rows; row++) {
    if (!inStep(program, r + ((row - r) % period), period, Math.floor((row - r) / period))) return row;
  }
  return rows;
}

/** Whether row first + k·period repeats row `first`: the same op, a row a loop may hold, and its
 *  operands k steps on, each step the one from `first` to the row a period after it. */
function inStep(program: Program, first: number, period: number, k: number): boolean {
  const { op, a, b } = program;
  const row = first + k * period;
  return (
    op[row] === op[first] && rollable(op, row) &&
    a[row] - a[first] === k * (a[first + period] - a[first]) && b[row] - b[first] === k * (b[first + period] - b[first])
  );
}

/** Whether row r repeats `count` times a period apart, its operands stepping evenly. */
function repeatsAt(program: Program, r: number, period: number, count: number): boolean {
  if (r + (count - 1) * period >= program.op.length) return false;
  for (let k = 1; k < count; k++) if (!inStep(program, r, period, k)) return false;
  return true;
}

/** Whether a loop may begin at row r: not with a Where (whose condition sits in the row before). */
function mayBegin(program: Program, r: number): boolean {
  return program.op[r] !== Op.Where && rollable(program.op, r);
}

/** A hash of the op codes of rows r, r + 1 and r + 2, in 16 bits. */
function trigram(op: Uint8Array, r: number): number {
  const rows = op.length;
  return Math.imul(op[r] | (r + 1 < rows ? op[r + 1] << 8 : 0) | (r + 2 < rows ? op[r + 2] << 16 : 0), 0x9e3779b1) >>> 16;
}

/** Per row, the next row beginning with its three op codes and with its op code; per trigram
 *  hash, the last row seen. Kept from one search to the next: fresh pages of a megabyte cost
 *  more than the search itself. */
let nextSameRows = new Int32Array(0);
let nextOpRows = new Int32Array(0);
const seenTrigramRows = new Int32Array(1 << 16);

/** The loops in `program`, in row order, each at least `minRows` rows; the search stops early
 *  once more than `maxWritten` rows would be left to write out.
 *
 *  At each row, the candidate periods are the distances to the next rows that begin with the
 *  same three op codes; a candidate whose run is too short also proposes the period of what
 *  broke it (the distance from the breaking row to the next row with its op code), which finds
 *  an outer loop around a short inner one (a neuron's 64 multiply-adds, then its tanh). Each
 *  period's last run is remembered: a start inside it breaks at the same row, so the scan stays
 *  about linear in the rows. */
export function findLoops(program: Program, minRows: number, maxWritten = Infinity): Loop[] {
  const { op } = program;
  const rows = op.length;
  const loops: Loop[] = [];
  if (rows < minRows) return loops;
  // Rows left to write out so far (those before r outside loops, and the loops' bodies).
  let written = 0;
  if (nextSameRows.length < rows) {
    nextSameRows = new Int32Array(rows);
    nextOpRows = new Int32Array(rows);
  }
  const nextSame = nextSameRows;
  const nextOp = nextOpRows;
  const seenTrigram = seenTrigramRows.fill(-1);
  const seenOp = new Int32Array(256).fill(-1);
  for (let r = rows - 1; r >= 0; r--) {
    const h = trigram(op, r);
    nextSame[r] = seenTrigram[h];
    seenTrigram[h] = r;
    nextOp[r] = seenOp[op[r]];
    seenOp[op[r]] = r;
  }
  // Per period: where its last run was measured from, and the row that broke it. A later start
  // two periods before that row sees it break too (its op differs from the row a period up, or
  // its operand's step differs from the step before it, which that start also checks).
  const runFrom = new Int32Array(MAX_PERIOD + 1).fill(-1);
  const runBreak = new Int32Array(MAX_PERIOD + 1);
  // The repetitions of rows r…r + period − 1 from r on; −1 where row r's own repetitions show
  // at once that there are fewer than MIN_REPETITIONS (checked first: on a tape with no loop,
  // a candidate fails there, without a walk through a whole repetition).
  const repetitions = (r: number, period: number): number => {
    if (runFrom[period] >= 0 && runFrom[period] <= r && r + 2 * period <= runBreak[period]) return Math.floor((runBreak[period] - r) / period);
    if (!repeatsAt(program, r, period, MIN_REPETITIONS)) return -1;
    runFrom[period] = r;
    runBreak[period] = breakRow(program, r, period, r + period);
    return Math.floor((runBreak[period] - r) / period);
  };
  const candidates: number[] = [];
  let r = 0;
  while (r + minRows <= rows) {
    let found: Loop | undefined;
    if (mayBegin(program, r)) {
      candidates.length = 0;
      for (let q = nextSame[r]; q >= 0 && candidates.length < CANDIDATES && q - r <= MAX_PERIOD; q = nextSame[q]) candidates.push(q - r);
      for (let c = 0; c < candidates.length && c < 2 * CANDIDATES; c++) {
        const period = candidates[c];
        if (r + MIN_REPETITIONS * period > rows) continue;
        const count = repetitions(r, period);
        if (count >= MIN_REPETITIONS && count * period >= minRows) {
          found = { start: r, period, count };
          break;
        }
        // An outer loop: the period of the row that broke this run.
        const broke = runBreak[period];
        if (count >= 2 && broke < rows && nextOp[broke] >= 0) {
          const outer = nextOp[broke] - broke;
          if (outer > period && outer <= MAX_PERIOD && !candidates.includes(outer)) candidates.push(outer);
        }
      }
    }
    if (found === undefined) {
      // Past `maxWritten` rows left to write out the caller keeps the interpreter: stop looking.
      if (++written > maxWritten) return loops;
      r++;
      continue;
    }
    loops.push(found);
    written += found.period;
    r += found.period * found.count;
  }
  return loops;
}
