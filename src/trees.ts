/** @file Parameter trees, as JAX's pytrees: nested plain objects and arrays whose leaves are
 *  numbers and vectors (`{ w1, b1, w2, b2 }`). grad, valueAndGrad, compile and the optimizers
 *  flatten a tree into its leaves (keys in the order the first tree listed them), work on those,
 *  and build results of the same structure. An array of numbers is a vector leaf, as everywhere
 *  in wengert; an array holding anything else is a node. */
import { ArgumentError } from './errors.js';
import { describe } from './operands.js';

/** A leaf: a number, or a vector given as a Float64Array or number[]. */
export type Leaf = number | Float64Array | readonly number[];
/** A parameter tree: a leaf, or an array or plain object of trees. */
export type Tree = Leaf | TreeArray | TreeObject;
/** An array node of a tree. */
export interface TreeArray extends ReadonlyArray<Tree> {}
/** An object node of a tree (a plain object). */
export interface TreeObject {
  readonly [key: string]: Tree;
}

/** A tree's structure: its leaves' lengths (−1 for a number) and the nodes above them. */
export type TreeDef =
  | { kind: 'leaf'; length: number }
  | { kind: 'array'; children: TreeDef[]; leaves: number }
  | { kind: 'object'; keys: string[]; children: TreeDef[]; leaves: number };

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether x is a node (an array holding a non-number, or a plain object), not a leaf. */
export function isTreeNode(x: unknown): boolean {
  return (Array.isArray(x) && x.some((v) => typeof v !== 'number')) || isPlainObject(x);
}

/** The structure of x; `leafLength` gives a leaf's length (−1 for a scalar) or throws. */
export function treeDef(x: unknown, path: string, leafLength: (leaf: unknown, path: string) => number): TreeDef {
  if (Array.isArray(x) && isTreeNode(x)) {
    const children = x.map((c, i) => treeDef(c, `${path}[${i}]`, leafLength));
    return { kind: 'array', children, leaves: leafCount(children) };
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x);
    const children = keys.map((k) => treeDef(x[k], `${path}.${k}`, leafLength));
    return { kind: 'object', keys, children, leaves: leafCount(children) };
  }
  return { kind: 'leaf', length: leafLength(x, path) };
}

function leafCount(children: TreeDef[]): number {
  let n = 0;
  for (const c of children) n += c.kind === 'leaf' ? 1 : c.leaves;
  return n;
}

/** Leaves under def. */
export function leavesOf(def: TreeDef): number {
  return def.kind === 'leaf' ? 1 : def.leaves;
}

/** The lengths of def's leaves in order (−1 for a number). */
export function leafLengths(def: TreeDef, out: number[] = []): number[] {
  if (def.kind === 'leaf') out.push(def.length);
  else for (const c of def.children) leafLengths(c, out);
  return out;
}

/** Pushes x's leaves onto `out` in def's order, checking that x has def's structure (the same
 *  keys, entries and leaf kinds); `path` names the place in errors. Leaf values are not checked
 *  here: the caller checks them as it checks plain arguments. */
export function flattenInto(def: TreeDef, x: unknown, out: unknown[], path: string): void {
  if (def.kind === 'leaf') {
    if (isTreeNode(x)) throw new ArgumentError(`${path} must be ${def.length < 0 ? 'a number' : `a vector of length ${def.length}`}, got ${describe(x)}`);
    out.push(x);
    return;
  }
  if (def.kind === 'array') {
    if (!Array.isArray(x) || x.length !== def.children.length) {
      throw new ArgumentError(`${path} must be an array of ${def.children.length} entries like the tree the function was set up with, got ${describe(x)}`);
    }
    def.children.forEach((c, i) => flattenInto(c, x[i], out, `${path}[${i}]`));
    return;
  }
  if (!isPlainObject(x)) throw new ArgumentError(`${path} must be an object with keys ${def.keys.join(', ')}, got ${describe(x)}`);
  const extra = Object.keys(x).filter((k) => !def.keys.includes(k));
  if (extra.length > 0) throw new ArgumentError(`${path} has key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} that the tree it was set up with lacks (keys: ${def.keys.join(', ')})`);
  def.keys.forEach((k, i) => {
    if (!(k in x)) throw new ArgumentError(`${path} lacks key ${k} (keys: ${def.keys.join(', ')})`);
    flattenInto(def.children[i], x[k], out, `${path}.${k}`);
  });
}

/** Leaves one argument spans: 1 for a plain argument (no structure), else its tree's count. */
export function leafSpan(def: TreeDef | undefined): number {
  return def === undefined ? 1 : leavesOf(def);
}

/** Pushes the arguments' leaves onto `out` in order: a plain argument (no structure in `layout`)
 *  is one leaf; a tree is checked against its structure, `path(i)` naming argument i in errors. */
export function flattenArguments(layout: readonly (TreeDef | undefined)[], args: readonly unknown[], out: unknown[], path: (i: number) => string): unknown[] {
  layout.forEach((def, i) => {
    if (def === undefined) out.push(args[i]);
    else flattenInto(def, args[i], out, path(i));
  });
  return out;
}

/** The arguments rebuilt from their leaves in order (flattenArguments' inverse). */
export function argumentsFromLeaves<T>(layout: readonly (TreeDef | undefined)[], leaves: readonly T[]): unknown[] {
  let at = 0;
  return layout.map((def) => {
    const argument = def === undefined ? leaves[at] : unflatten(def, leaves, at);
    at += leafSpan(def);
    return argument;
  });
}

/** The numbers of `leaves` (numbers and vectors, in order) one after another, into `into` or a
 *  new array of their total length. */
export function packLeaves(leaves: readonly (number | ArrayLike<number>)[], into?: Float64Array): Float64Array {
  let total = 0;
  for (const l of leaves) total += typeof l === 'number' ? 1 : l.length;
  const out = into ?? new Float64Array(total);
  let at = 0;
  for (const l of leaves) {
    if (typeof l === 'number') out[at++] = l;
    else {
      out.set(l, at);
      at += l.length;
    }
  }
  return out;
}

/** def's structure with the leaves taken in order from `leaves` starting at `from`. */
export function unflatten<T>(def: TreeDef, leaves: readonly T[], from = 0): unknown {
  const at = { i: from };
  return build(def, leaves, at);
}

function build<T>(def: TreeDef, leaves: readonly T[], at: { i: number }): unknown {
  if (def.kind === 'leaf') return leaves[at.i++];
  if (def.kind === 'array') return def.children.map((c) => build(c, leaves, at));
  const node: Record<string, unknown> = {};
  def.keys.forEach((k, i) => (node[k] = build(def.children[i], leaves, at)));
  return node;
}

/** Writes `values` (the leaves, flat, in order) into tree x in place: vector leaves with set(),
 *  number leaves by assigning into their parent. x must have def's structure. */
export function writeLeaves(def: TreeDef, x: unknown, values: Float64Array, from = 0): number {
  if (def.kind === 'leaf') throw new ArgumentError('a single number cannot be updated in place: wrap it in an object or array');
  const children = def.children;
  const keys = def.kind === 'object' ? def.keys : undefined;
  let at = from;
  children.forEach((c, i) => {
    const key = keys ? keys[i] : i;
    const parent = x as Record<string | number, unknown>;
    if (c.kind === 'leaf') {
      if (c.length < 0) parent[key] = values[at++];
      else {
        const leaf = parent[key] as Float64Array | number[];
        for (let e = 0; e < c.length; e++) leaf[e] = values[at + e];
        at += c.length;
      }
    } else at = writeLeaves(c, parent[key], values, at);
  });
  return at;
}
