/** @file Sparsity patterns from a program's rows: which inputs each output depends on (Jacobian),
 *  and which pairs of inputs interact nonlinearly (Hessian).
 *
 *  Index sets are propagated forward through the rows (Griewank & Walther §7.1): an input's set is
 *  itself, a constant's is empty, and y = φ(a, b) takes the union of the sets of the operands φ
 *  depends on. For the Hessian, each row whose second derivatives are not all zero adds the cross
 *  products of its operands' sets to the pattern (Walther 2008, "Computing sparse Hessians with
 *  automatic differentiation"). Vector rows use their element structure: elementwise i → i, copies
 *  and where() exact, reductions all → one, matmul rows × columns, a custom op (rules in
 *  JavaScript) all → all with every pair interacting. Patterns are structural: valid
 *  at every input, whatever branch a where() takes. */
import { Op, arity, isVectorOp, evaluate, partials, partialA, partialB, secondPartials, partialAA, partialAB, partialBB } from '../../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, TRANSPOSE_A, TRANSPOSE_B, strideOf, vectorOutputs, operandLengthA, operandLengthB, tileRow, tileFlags, tileA, tileB, tiledRows } from '../../assembly/shared/vector.js';
import { inputCount, rowParams, customArguments, type Program } from '../compile/program.js';

/** A pattern in compressed sparse row form: row r's columns are cols[rows[r] … rows[r+1]), ascending. */
export interface Pattern {
  rows: Int32Array;
  cols: Int32Array;
}

// ── which operands a scalar op depends on, read off the op table ──

/** Points where every op's rules are defined (acosh needs a > 1, asin and atanh |a| < 1): an op's
 *  partial that is nonzero at one of them is structurally nonzero. */
const PROBES: readonly [number, number][] = [[0.37, 0.61], [1.3, 0.45], [-0.8, 0.3]];

/** Bits: 1 y depends on a, 2 on b; 4 ∂²y/∂a² ≠ 0, 8 ∂²y/∂a∂b ≠ 0, 16 ∂²y/∂b² ≠ 0. */
const shapes = new Uint8Array(256);
for (let op = Op.Where; op < 128; op++) {
  const n = arity(op);
  if (n < 0) continue;
  let bits = 0;
  for (const [x, w] of PROBES) {
    // Where's rule follows its condition: probe both branches.
    for (const c of op === Op.Where ? [0, 1] : [0]) {
      const y = evaluate(op, x, w, c);
      partials(op, x, w, y, c);
      if (partialA !== 0) bits |= 1;
      if (partialB !== 0 && n >= 2) bits |= 2;
      if (op === Op.Where) continue;
      secondPartials(op, x, w, y);
      if (partialAA !== 0) bits |= 4;
      if (partialAB !== 0 && n >= 2) bits |= 8;
      if (partialBB !== 0 && n >= 2) bits |= 16;
    }
  }
  shapes[op] = bits;
}

// ── index sets: sorted runs of input numbers in one growing pool ──

/** Per slot, its set is pool[start[s] … start[s] + size[s]). Sets that equal an operand's share
 *  its run, so a chain of unary rows costs nothing. */
class IndexSets {
  start: Int32Array;
  size: Int32Array;
  pool = new Int32Array(1024);
  used = 0;
  /** Scratch for unions of many sets: a stamp per input says "already taken". */
  private readonly stamp: Int32Array;
  private epoch = 0;
  private gathered = new Int32Array(64);
  private count = 0;

  constructor(slots: number, inputs: number) {
    this.start = new Int32Array(slots);
    this.size = new Int32Array(slots);
    this.stamp = new Int32Array(inputs);
  }

  private reserve(extra: number): void {
    if (this.used + extra <= this.pool.length) return;
    const grown = new Int32Array(Math.max(2 * this.pool.length, this.used + extra));
    grown.set(this.pool.subarray(0, this.used));
    this.pool = grown;
  }

  single(s: number, index: number): void {
    this.reserve(1);
    this.start[s] = this.used;
    this.size[s] = 1;
    this.pool[this.used++] = index;
  }

  copy(s: number, from: number): void {
    this.start[s] = this.start[from];
    this.size[s] = this.size[from];
  }

  /** set(s) = set(x) ∪ set(y) (x or y −1: none), by a merge of the sorted runs. */
  union2(s: number, x: number, y: number): void {
    const nx = x < 0 ? 0 : this.size[x];
    const ny = y < 0 ? 0 : this.size[y];
    if (ny === 0) return nx === 0 ? this.clear(s) : this.copy(s, x);
    if (nx === 0 || x === y) return this.copy(s, y);
    this.reserve(nx + ny);
    const p = this.pool;
    let i = this.start[x], j = this.start[y];
    const ei = i + nx, ej = j + ny;
    const first = this.used;
    let k = first;
    while (i < ei && j < ej) {
      const u = p[i], v = p[j];
      p[k++] = u <= v ? u : v;
      if (u <= v) i++;
      if (v <= u) j++;
    }
    while (i < ei) p[k++] = p[i++];
    while (j < ej) p[k++] = p[j++];
    // A union as large as one operand is that operand: share its run, give the space back.
    if (k - first === nx) return this.copy(s, x);
    if (k - first === ny) return this.copy(s, y);
    this.start[s] = first;
    this.size[s] = k - first;
    this.used = k;
  }

  clear(s: number): void {
    this.start[s] = 0;
    this.size[s] = 0;
  }

  /** Starts a union of many sets (gather, then commit). */
  begin(): void {
    if (++this.epoch === 0x7fffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    this.count = 0;
  }

  gather(x: number): void {
    const n = this.size[x];
    for (let i = this.start[x], e = i + n; i < e; i++) this.take(this.pool[i]);
  }

  take(index: number): void {
    if (this.stamp[index] === this.epoch) return;
    this.stamp[index] = this.epoch;
    if (this.count === this.gathered.length) {
      const grown = new Int32Array(2 * this.count);
      grown.set(this.gathered);
      this.gathered = grown;
    }
    this.gathered[this.count++] = index;
  }

  /** The gathered union, sorted, as slot s's set; then every slot in (s, s + copies) shares it. */
  commit(s: number, copies = 1): void {
    const n = this.count;
    this.reserve(n);
    const run = this.gathered.subarray(0, n).sort();
    this.pool.set(run, this.used);
    for (let k = 0; k < copies; k++) {
      this.start[s + k] = this.used;
      this.size[s + k] = n;
    }
    this.used += n;
  }

  /** The gathered indices (unsorted), valid until the next begin(). */
  taken(): Int32Array {
    return this.gathered.subarray(0, this.count);
  }

  members(s: number): Int32Array {
    return this.pool.subarray(this.start[s], this.start[s] + this.size[s]);
  }
}

/** The symmetric pattern of nonlinear interactions, as one set of neighbours per input. */
class Interactions {
  readonly neighbours: Set<number>[];
  constructor(inputs: number) {
    this.neighbours = Array.from({ length: inputs }, () => new Set<number>());
  }

  /** Adds X × Y and Y × X. */
  cross(x: ArrayLike<number>, y: ArrayLike<number>): void {
    for (let i = 0; i < x.length; i++) {
      const row = this.neighbours[x[i]];
      for (let j = 0; j < y.length; j++) {
        row.add(y[j]);
        this.neighbours[y[j]].add(x[i]);
      }
    }
  }

  pattern(): Pattern {
    const n = this.neighbours.length;
    const rows = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) rows[i + 1] = rows[i] + this.neighbours[i].size;
    const cols = new Int32Array(rows[n]);
    for (let i = 0; i < n; i++) cols.set(Int32Array.from(this.neighbours[i]).sort(), rows[i]);
    return { rows, cols };
  }
}

/** Propagates index sets through the program; with `hessian`, also collects interactions. */
function propagate(p: Program, hessian?: Interactions): IndexSets {
  const n = inputCount(p.args);
  const rows = p.op.length;
  let slots = 0;
  for (let r = 0; r < rows; r++) slots += slotsOf(p, r);
  const sets = new IndexSets(slots, n);
  const cross = (x: number, y: number) => hessian!.cross(sets.members(x), sets.members(y));
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    if (o === Op.Input || o === Op.VecInput) {
      // Inputs are slots 0 … n − 1, in argument order: slot i is input i.
      for (const end = s + slotsOf(p, r); s < end; s++) sets.single(s, s);
      continue;
    }
    if (o === Op.Const) {
      sets.clear(s++);
      continue;
    }
    if (isVectorOp(o)) {
      s += vectorRow(p, r, s, sets, hessian);
      continue;
    }
    const a = p.a[r], b = p.b[r];
    if (o === Op.Where) sets.union2(s, a, b); // either branch, whichever the inputs pick
    else scalarRow(o, a, b, s, sets, hessian === undefined ? undefined : cross);
    s++;
  }
  return sets;
}

function slotsOf(p: Program, r: number): number {
  const o = p.op[r];
  if (!isVectorOp(o)) return o === Op.Param ? 0 : 1;
  const [p1a, , p2a] = rowParams(p, r);
  return vectorOutputs(o, p1a, p2a);
}

/** y = f(a, b) at slot s: its set, and (with `cross`) its interactions. */
function scalarRow(f: number, a: number, b: number, s: number, sets: IndexSets, cross?: (x: number, y: number) => void): void {
  const bits = shapes[f];
  sets.union2(s, bits & 1 ? a : -1, bits & 2 ? b : -1);
  if (cross === undefined) return;
  if (bits & 4) cross(a, a);
  if (bits & 8) cross(a, b);
  if (bits & 16) cross(b, b);
}

/** A vector row's outputs from slot s; returns how many it writes. */
function vectorRow(p: Program, r: number, s: number, sets: IndexSets, hessian?: Interactions): number {
  const o = p.op[r];
  const [p1a, p1b, p2a, p2b] = rowParams(p, r);
  const a = p.a[r], b = p.b[r];
  const len = p1a;
  const out = vectorOutputs(o, p1a, p2a);
  const cross = (x: number, y: number) => hessian!.cross(sets.members(x), sets.members(y));
  const vecMap = (n: number, flags: number, a: number, b: number, s: number) => {
    const f = flags & 255;
    const sa = strideOf(flags, BROADCAST_A), sb = strideOf(flags, BROADCAST_B);
    const unary = arity(f) < 2;
    for (let i = 0; i < n; i++) scalarRow(f, a + i * sa, unary ? -1 : b + i * sb, s + i, sets, hessian === undefined ? undefined : cross);
  };
  if (o === Op.VecMap) {
    vecMap(len, p1b, a, b, s);
    return out;
  }
  if (o === Op.VecMapTiled) {
    for (let r = 0; r < tiledRows(len, p2a); r++) {
      tileRow(p1b, p2a, p2b, a, b, r);
      vecMap(p2a, tileFlags, tileA, tileB, s + r * p2a);
    }
    return out;
  }
  if (o === Op.VecCopy) {
    const sa = strideOf(p1b, BROADCAST_A);
    for (let i = 0; i < len; i++) sets.copy(s + i, a + i * sa);
    return out;
  }
  if (o === Op.VecSelect) {
    // Either branch, whichever the inputs pick; linear in both, so no interactions.
    const sa = strideOf(p1b, BROADCAST_A), sb = strideOf(p1b, BROADCAST_B);
    for (let i = 0; i < len; i++) sets.union2(s + i, a + i * sa, b + i * sb);
    return out;
  }
  if (o === Op.VecWhere) {
    for (let i = 0; i < len; i++) sets.union2(s + i, b + i, b + len + i);
    return out;
  }
  if (o === Op.MatMul) {
    // C(i, j) = Σₚ A(i, p) B(p, j), A(i, p) at a + i·ars + p·acs, B(p, j) at b + p·brs + j·bcs.
    const m = p1a, k = p1b, cols = p2a;
    const ta = (p2b & TRANSPOSE_A) !== 0, tb = (p2b & TRANSPOSE_B) !== 0;
    const ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : cols, bcs = tb ? k : 1;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < cols; j++) {
        sets.begin();
        for (let q = 0; q < k; q++) {
          sets.gather(a + i * ars + q * acs);
          sets.gather(b + q * brs + j * bcs);
          if (hessian) cross(a + i * ars + q * acs, b + q * brs + j * bcs);
        }
        sets.commit(s + i * cols + j);
      }
    }
    return out;
  }
  if (o === Op.Custom) {
    // Its rules are JavaScript, opaque here: every output depends on every argument element, and
    // every pair of them may interact (conservative, never missing a dependency).
    sets.begin();
    for (const g of customArguments(p, r)) for (let i = 0; i < Math.max(g.length, 1); i++) sets.gather(g.start + i);
    sets.commit(s, out);
    if (hessian !== undefined) hessian.cross(sets.members(s), sets.members(s));
    return out;
  }
  // Reductions and softmax: every output depends on every element of a (and of b for dot). A
  // vector op this file does not know gets the same treatment over both operands' whole ranges,
  // with every pair interacting: conservative, never missing a dependency.
  const known = o === Op.VecSum || o === Op.VecDot || o === Op.VecProd || o === Op.VecMax || o === Op.VecMin || o === Op.VecLogSumExp || o === Op.VecSoftmax || o === Op.VecLogSoftmax || o === Op.VecMean;
  const lengthA = known ? len : operandLengthA(o, p1a, p1b, p2a, p2b);
  const lengthB = o === Op.VecDot ? len : known ? 0 : operandLengthB(o, p1a, p1b, p2a, p2b);
  sets.begin();
  for (let i = 0; i < lengthA; i++) sets.gather(a + i);
  for (let i = 0; i < lengthB; i++) sets.gather(b + i);
  sets.commit(s, out);
  if (hessian === undefined) return out;
  if (o === Op.VecDot) {
    for (let i = 0; i < len; i++) cross(a + i, b + i); // Σ aᵢbᵢ is bilinear
  } else if (o !== Op.VecSum && o !== Op.VecMean && o !== Op.VecMax && o !== Op.VecMin) {
    const all = sets.members(s);
    hessian.cross(all, all);
  } // VecSum and VecMean are linear; VecMax and VecMin are piecewise linear.
  return out;
}

/** The m × n Jacobian pattern: row j lists the inputs output j depends on. */
export function jacobianPattern(p: Program): Pattern {
  const sets = propagate(p);
  const m = p.outputs.length;
  const rows = new Int32Array(m + 1);
  for (let j = 0; j < m; j++) rows[j + 1] = rows[j] + sets.size[p.outputs[j]];
  const cols = new Int32Array(rows[m]);
  for (let j = 0; j < m; j++) cols.set(sets.members(p.outputs[j]), rows[j]);
  return { rows, cols };
}

/** The n × n Hessian pattern of a scalar program (symmetric), restricted to the inputs the
 *  output depends on: an interaction among inputs the output does not see contributes 0. */
export function hessianPattern(p: Program): Pattern {
  const interactions = new Interactions(inputCount(p.args));
  const sets = propagate(p, interactions);
  const seen = new Uint8Array(interactions.neighbours.length);
  for (const i of sets.members(p.outputs[0])) seen[i] = 1;
  for (let i = 0; i < seen.length; i++) {
    if (!seen[i]) interactions.neighbours[i].clear();
    else for (const j of interactions.neighbours[i]) if (!seen[j]) interactions.neighbours[i].delete(j);
  }
  return interactions.pattern();
}
