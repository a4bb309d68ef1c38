/** @file Sparse Jacobians and Hessians of a compiled function: detect the pattern from the tape,
 *  colour it, then one compressed sweep per colour (tangent, reverse or Hessian-vector) fills
 *  every nonzero of a CSR matrix. Pattern, colouring and the colour → nonzero map are computed at
 *  the first call and kept; later calls only sweep. */
import type { Program } from '../compile/program.js';
import type { TapeCore, Tangents } from '../core.js';
import { jacobianPattern, hessianPattern, type Pattern } from './sparsity.js';
import { colourColumns, colouringWork, transpose, widestRow, type Colouring } from './colouring.js';

/** A sparse matrix in compressed sparse row form: row r's nonzeros are values[rows[r] … rows[r+1])
 *  in the columns cols[rows[r] … rows[r+1]), ascending. Entries the pattern holds may still be 0
 *  at a given point (a structural nonzero). */
export interface SparseMatrix {
  /** [rows, columns]. */
  shape: [number, number];
  /** Row offsets into cols and values: rows + 1 of them, from 0 to the number of nonzeros. */
  rows: Int32Array;
  /** Column of each nonzero. */
  cols: Int32Array;
  /** Value of each nonzero. */
  values: Float64Array;
}

/** What the sparse drivers need of a compiled function (a subset of HigherOrder's parts). */
export interface SweepParts {
  readonly core: TapeCore;
  readonly inputStart: number;
  readonly outputs: Int32Array;
  readonly lastOutput: number;
  program(): Program;
}

/** A pattern with its sweeps: which colour each column (forward) or row (reverse) has, and for
 *  colour c the nonzeros it fills, byColour[start[c] … start[c+1]), each with the row (forward)
 *  or column (reverse) its value is read from. */
export interface Plan {
  pattern: Pattern;
  forward: boolean;
  colours: Colouring;
  start: Int32Array;
  nonzero: Int32Array;
  readAt: Int32Array;
  /** Forward: the output slot each nonzero's tangent is read from (outputs[readAt[q]]). */
  readSlot?: Int32Array;
  /** One direction (forward) or one set of output seeds (reverse) at a time. */
  seed: Float64Array;
  /** The inputs' adjoints (reverse) or adjoint tangents (Hessian) after a sweep. */
  scratch: Float64Array;
}

/** A Hessian plan also knows each nonzero's mirror: mirror[k] is the index of (j, i) for the
 *  nonzero k at (i, j). */
export type HessianPlan = Plan & { mirror: Int32Array };

/** Groups nonzeros by the colour of their column (forward) or row (reverse). */
function plan(pattern: Pattern, forward: boolean, colours: Colouring, n: number): Plan {
  const { rows, cols } = pattern;
  const nnz = cols.length;
  const colourOf = (r: number, k: number) => (forward ? colours.colour[cols[k]] : colours.colour[r]);
  const start = new Int32Array(colours.count + 1);
  for (let r = 0; r + 1 < rows.length; r++) for (let k = rows[r]; k < rows[r + 1]; k++) start[colourOf(r, k) + 1]++;
  for (let c = 0; c < colours.count; c++) start[c + 1] += start[c];
  const next = start.slice(0, colours.count);
  const nonzero = new Int32Array(nnz);
  const readAt = new Int32Array(nnz);
  for (let r = 0; r + 1 < rows.length; r++) {
    for (let k = rows[r]; k < rows[r + 1]; k++) {
      const at = next[colourOf(r, k)]++;
      nonzero[at] = k;
      readAt[at] = forward ? r : cols[k];
    }
  }
  return { pattern, forward, colours, start, nonzero, readAt, seed: new Float64Array(forward ? n : rows.length - 1), scratch: new Float64Array(n) };
}

/** Column colouring of a pattern (rows × n). */
function columnColours(p: Pattern, n: number): Colouring {
  return colourColumns(p, transpose(p, n));
}

/** The Jacobian plan: forward (columns) or reverse (rows), whichever needs fewer colours, unless
 *  `mode` says. Rows are coloured only when they might win: their colouring costs Σ (nonzeros per
 *  column)², which a few dense columns make huge, and a row colouring has at least as many
 *  colours as the densest column has nonzeros. */
export function jacobianPlan(parts: SweepParts, n: number, mode: 'auto' | 'forward' | 'reverse'): Plan {
  const pattern = jacobianPattern(parts.program());
  const t = transpose(pattern, n);
  const forward = mode === 'reverse' ? undefined : colourColumns(pattern, t);
  const tryRows = mode === 'reverse' || (mode === 'auto' && widestRow(t) < forward!.count && colouringWork(t) <= 64 * colouringWork(pattern) + 1e6);
  const reverse = tryRows ? colourColumns(t, pattern) : undefined;
  if (forward !== undefined && (reverse === undefined || forward.count <= reverse.count)) return plan(pattern, true, forward, n);
  return plan(pattern, false, reverse!, n);
}

/** The Hessian plan: its symmetric pattern, columns coloured (direct recovery). */
export function hessianPlan(parts: SweepParts, n: number): HessianPlan {
  const pattern = hessianPattern(parts.program());
  const p = plan(pattern, true, columnColours(pattern, n), n);
  const mirror = new Int32Array(pattern.cols.length);
  for (let i = 0; i < n; i++) {
    for (let k = pattern.rows[i]; k < pattern.rows[i + 1]; k++) {
      const j = pattern.cols[k];
      mirror[k] = find(pattern, j, i);
    }
  }
  return { ...p, mirror };
}

/** The index of (i, j) in a pattern (binary search in row i); −1 when absent. */
function find(p: Pattern, i: number, j: number): number {
  let lo = p.rows[i], hi = p.rows[i + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = p.cols[mid];
    if (c === j) return mid;
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** A CSR matrix on the plan's pattern, its values still to fill. */
function emptyMatrix(p: Plan, m: number, n: number): SparseMatrix {
  return { shape: [m, n], rows: p.pattern.rows.slice(), cols: p.pattern.cols.slice(), values: new Float64Array(p.pattern.cols.length) };
}

/** The Jacobian's nonzeros: one tangent sweep per column colour, or one forward then one reverse
 *  sweep per row colour. The inputs are written already. */
export function sparseJacobian(parts: SweepParts, p: Plan, tangents: () => Tangents, n: number): SparseMatrix {
  const m = parts.outputs.length;
  const result = emptyMatrix(p, m, n);
  const { colour, count } = p.colours;
  const { start, nonzero, readAt, seed, scratch } = p;
  const values = result.values;
  const { core, inputStart, outputs } = parts;
  if (p.forward) {
    p.readSlot ??= p.readAt.map((r) => outputs[r]);
    const t = tangents();
    for (let c = 0; c < count; c++) {
      for (let i = 0; i < n; i++) seed[i] = colour[i] === c ? 1 : 0;
      t.writeTangents(inputStart, seed);
      t.forward(c === 0, false);
      t.scatterTangents(p.readSlot!, nonzero, start[c], start[c + 1], values);
    }
    if (count === 0) core.forward();
  } else {
    core.forward();
    for (let c = 0; c < count; c++) {
      if (c > 0) core.zeroAdjoints();
      for (let j = 0; j < m; j++) if (colour[j] === c) core.setAdjoint(outputs[j], 1);
      core.reverseFrom(parts.lastOutput);
      core.readAdjoints(inputStart, n, scratch, 0);
      for (let q = start[c]; q < start[c + 1]; q++) values[nonzero[q]] = scratch[readAt[q]];
    }
  }
  return result;
}

/** The Hessian's nonzeros: one Hessian-vector product per colour, each entry then averaged with
 *  its mirror (H eᵢ and H eⱼ agree on (i, j) up to rounding; the average is exactly symmetric). */
export function sparseHessian(parts: SweepParts, p: HessianPlan, t: Tangents, n: number): SparseMatrix {
  const result = emptyMatrix(p, n, n);
  const { colour, count } = p.colours;
  const { start, nonzero, readAt, seed, scratch, mirror } = p;
  const values = result.values;
  const { core, inputStart, outputs } = parts;
  for (let c = 0; c < count; c++) {
    for (let i = 0; i < n; i++) seed[i] = colour[i] === c ? 1 : 0;
    t.writeTangents(inputStart, seed);
    t.forward(c === 0, true);
    core.setAdjoint(outputs[0], 1);
    t.reverse(parts.lastOutput);
    t.readAdjointTangents(inputStart, n, scratch, 0);
    // Row readAt[q] of H·d holds the nonzero (row, column of colour c).
    for (let q = start[c]; q < start[c + 1]; q++) values[nonzero[q]] = scratch[readAt[q]];
  }
  if (count === 0) core.forward();
  for (let k = 0; k < values.length; k++) {
    const j = mirror[k];
    if (j > k) values[k] = values[j] = 0.5 * (values[k] + values[j]);
  }
  return result;
}
