/** @file Greedy colouring of a sparse pattern's columns (or rows), so that one sweep per colour
 *  gives every nonzero (Curtis, Powell & Reid 1974; Gebremedhin, Manne & Pothen 2005, §3).
 *
 *  Two columns may share a colour when no row has a nonzero in both (structurally orthogonal):
 *  then J·d, with d the sum of one colour's unit vectors, holds each of their nonzeros alone in
 *  its row. Rows likewise for uᵀJ. For a symmetric Hessian this column colouring is the direct
 *  (distance-2) colouring: H·d recovers each nonzero with no substitution. */
import type { Pattern } from './sparsity.js';

/** A colouring: colour[i] for each column (or row), and how many colours there are. */
export interface Colouring {
  colour: Int32Array;
  count: number;
}

/** The transpose of an m × n pattern (n × m). */
export function transpose(p: Pattern, n: number): Pattern {
  const m = p.rows.length - 1;
  const rows = new Int32Array(n + 1);
  for (const c of p.cols) rows[c + 1]++;
  for (let c = 0; c < n; c++) rows[c + 1] += rows[c];
  const next = rows.slice(0, n);
  const cols = new Int32Array(p.cols.length);
  for (let r = 0; r < m; r++) for (let k = p.rows[r]; k < p.rows[r + 1]; k++) cols[next[p.cols[k]]++] = r;
  return { rows, cols };
}

/** Σ over rows of (nonzeros in the row)²: the work of colouring the columns. */
export function colouringWork(p: Pattern): number {
  let work = 0;
  for (let r = 0; r + 1 < p.rows.length; r++) work += (p.rows[r + 1] - p.rows[r]) ** 2;
  return work;
}

/** The most nonzeros in one row: no column colouring has fewer colours. */
export function widestRow(p: Pattern): number {
  let widest = 0;
  for (let r = 0; r + 1 < p.rows.length; r++) widest = Math.max(widest, p.rows[r + 1] - p.rows[r]);
  return widest;
}

/** Steps of greedy colouring (Σ nonzeros per row², ~1 ns each) past which it is not run: such a
 *  pattern has rows so dense that its colours are nearly as many as its columns anyway. */
export const COLOURING_BUDGET = 3e8;

/** Colours the n columns of `p` (whose transpose `t` lists each column's rows), in order, each
 *  with the smallest colour no column sharing a row with it has. Past `budget` steps, every
 *  column gets a colour of its own (the dense sweeps). */
export function colourColumns(p: Pattern, t: Pattern, budget = COLOURING_BUDGET): Colouring {
  const n = t.rows.length - 1;
  if (colouringWork(p) > budget) return { colour: Int32Array.from({ length: n }, (_, j) => j), count: n };
  const colour = new Int32Array(n).fill(-1);
  // forbidden[c] = j + 1 while colouring column j: colour c is taken by a neighbour of j.
  let forbidden = new Int32Array(16);
  let count = 0;
  for (let j = 0; j < n; j++) {
    for (let k = t.rows[j]; k < t.rows[j + 1]; k++) {
      const r = t.cols[k];
      for (let q = p.rows[r]; q < p.rows[r + 1]; q++) {
        const c = colour[p.cols[q]];
        if (c >= 0) forbidden[c] = j + 1;
      }
    }
    let c = 0;
    while (c < count && forbidden[c] === j + 1) c++;
    colour[j] = c;
    if (c === count) {
      count++;
      if (count === forbidden.length) {
        const grown = new Int32Array(2 * count);
        grown.set(forbidden);
        forbidden = grown;
      }
    }
  }
  return { colour, count };
}
