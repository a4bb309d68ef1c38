/** @file Human-readable forms of a program: the Wengert list (toString) and a Graphviz graph. */
import { Op, arity, isVectorOp } from '../../assembly/shared/ops.js';
import { rowCondition, rowOperands, rowSlots, customArguments, type Program } from './program.js';
import { ruleOf } from '../custom/registry.js';

const SUBSCRIPT = '₀₁₂₃₄₅₆₇₈₉';
const sub = (n: number) => String(n).replace(/\d/g, (d) => SUBSCRIPT[+d]);
const v = (n: number) => `v${sub(n)}`;

const INFIX: Partial<Record<Op, string>> = { [Op.Add]: '+', [Op.Sub]: '−', [Op.Mul]: '·', [Op.Div]: '/' };

/** `count` constants from `first` as a list, eight at most: "[1, 2.5, 3, …]". */
function constantList(consts: Float64Array, first: number, count: number): string {
  const shown = Array.from(consts.subarray(first, first + Math.min(count, 8)), String);
  return `[${shown.join(', ')}${count > 8 ? ', …' : ''}]`;
}

function opName(o: number): string {
  const key = Op[o];
  return key[0].toLowerCase() + key.slice(1);
}

/** A Custom row's op name (its rule's id is in its second Param row). */
function customName(p: Program, r: number): string {
  return ruleOf(p.a[r - 2]).name;
}

/** Names each input slot after its argument: x₀ for a scalar argument or the first slot of a
 *  vector (a VecInput row, named by its first slot), x₀[3] for a vector element. */
function inputNames(args: Int32Array): string[] {
  const names: string[] = [];
  args.forEach((len, i) => {
    if (len < 0) names.push(`x${sub(i)}`);
    else for (let k = 0; k < len; k++) names.push(len >= 2 && k === 0 ? `x${sub(i)}` : `x${sub(i)}[${k}]`);
  });
  return names;
}

/** v₃ for one slot, v₃…v₇ for a range. */
function range(start: number, length: number): string {
  return length === 1 ? v(start) : `${v(start)}…${v(start + length - 1)}`;
}

/** One line per row: "v₂ = v₀ · v₁", or "v₅…v₉ = sin(v₀…v₄)" for a vector row. */
function lines(p: Program, limit: number): string[] {
  const names = inputNames(p.args);
  const out: string[] = [];
  let k = 0;
  let c = 0;
  for (let r = 0; r < p.op.length && out.length < limit; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    if (o === Op.Custom) {
      // A custom op by its name, over its arguments: "v₅…v₇ = rotate(v₀…v₂, v₄)".
      const count = rowSlots(p, r);
      const args = customArguments(p, r).map((g) => range(g.start, g.length < 0 ? 1 : g.length));
      out.push(`${range(k, count)} = ${customName(p, r)}(${args.join(', ')})`);
      k += count;
      continue;
    }
    if (o === Op.VecInput) {
      // "v₀…v₄ = x₀": a vector argument.
      const count = rowSlots(p, r);
      out.push(`${range(k, count)} = ${names[k]}`);
      k += count;
      continue;
    }
    if (o === Op.VecConst) {
      // "v₃…v₅ = [1, 2.5, 3]": the values, the first few of a long run.
      const count = rowSlots(p, r);
      out.push(`${range(k, count)} = ${constantList(p.consts, c, count)}`);
      c += count;
      k += count;
      continue;
    }
    if (isVectorOp(o)) {
      const count = rowSlots(p, r);
      const [sa, la, sb, lb] = rowOperands(p, r);
      const what = o === Op.VecMap ? opName(p.b[r - 1] & 255) : o === Op.VecSelect ? 'where' : opName(o);
      // VecSelect's condition comes first, as where()'s does.
      const [sc, lc] = rowCondition(p, r);
      const condition = lc > 0 ? `${range(sc, lc)}, ` : '';
      // MatMul's integers: (m, k) in the Param row before it, (n, flags) in the one before that.
      // VecTranspose's: (elements, columns) of its operand.
      const extra =
        o === Op.MatMul ? `; ${p.a[r - 1]}×${p.b[r - 1]}·${p.b[r - 1]}×${p.a[r - 2]}`
        : o === Op.VecTranspose ? `; ${p.b[r - 1] === 0 ? 0 : p.a[r - 1] / p.b[r - 1]}×${p.b[r - 1]}`
        : '';
      out.push(`${range(k, count)} = ${what}(${condition}${range(sa, la)}${lb > 0 ? `, ${range(sb, lb)}` : ''}${extra})`);
      k += count;
      continue;
    }
    let rhs: string;
    if (o === Op.Input) rhs = names[k];
    else if (o === Op.Const) rhs = String(p.consts[c++]);
    else if (o === Op.Where) rhs = `where(${v(p.a[r - 1])}, ${v(p.a[r])}, ${v(p.b[r])})`;
    else if (INFIX[o as Op]) rhs = `${v(p.a[r])} ${INFIX[o as Op]} ${v(p.b[r])}`;
    else if (arity(o) >= 2) rhs = `${opName(o)}(${v(p.a[r])}, ${v(p.b[r])})`;
    else rhs = `${opName(o)}(${v(p.a[r])})`;
    out.push(`${v(k++)} = ${rhs}`);
  }
  return out;
}

export function wengertList(p: Program, limit = 200): string {
  const rows = p.op.length - countParams(p);
  const body = lines(p, limit);
  if (rows > limit) body.push(`… ${rows - limit} more rows`);
  const results = Array.from(p.outputs, v);
  body.push(`return ${p.vectorOutput ? `[${results.join(', ')}]` : results[0]}`);
  return body.join('\n');
}

function countParams(p: Program): number {
  let n = 0;
  for (const o of p.op) if (o === Op.Param) n++;
  return n;
}

export function dotGraph(p: Program): string {
  const names = inputNames(p.args);
  const out = ['digraph wengert {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  const outputs = new Set(p.outputs);
  // A slot inside a vector row has no node of its own: its edges leave the row's node, labelled
  // with the element a scalar row reads (or where a vector row's operand run starts, if not at 0).
  const nodeOf: number[] = [];
  const node = (k: number, count: number) => {
    if (count > 1) for (let i = 0; i < count; i++) nodeOf[k + i] = k;
  };
  const edge = (from: number, to: number, { condition = false, element = false } = {}) => {
    const at = nodeOf[from] ?? from;
    const index = at !== from || (element && nodeOf[from] !== undefined) ? `[${from - at}]` : '';
    const label = [condition ? 'cond' : '', index].filter((x) => x !== '').join(' ');
    const attributes = [...(condition ? ['style=dashed'] : []), ...(label === '' ? [] : [`label="${label}"`])];
    out.push(`  v${at} -> v${to}${attributes.length > 0 ? ` [${attributes.join(', ')}]` : ''};`);
  };
  let k = 0;
  let c = 0;
  for (let r = 0; r < p.op.length; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    if (o === Op.Custom) {
      const count = rowSlots(p, r);
      const style = count === 1 && outputs.has(k) ? ', peripheries=2' : count > 1 ? ', shape=box3d' : '';
      out.push(`  v${k} [label="${range(k, count)} ${customName(p, r).replace(/["\\]/g, '\\$&')}"${style}];`);
      for (const g of customArguments(p, r)) edge(g.start, k);
      node(k, count);
      k += count;
      continue;
    }
    if (o === Op.VecInput) {
      const count = rowSlots(p, r);
      out.push(`  v${k} [label="${range(k, count)} ${names[k]}", shape=ellipse];`);
      node(k, count);
      k += count;
      continue;
    }
    if (o === Op.VecConst) {
      const count = rowSlots(p, r);
      out.push(`  v${k} [label="${range(k, count)} ${constantList(p.consts, c, count)}", shape=box3d];`);
      node(k, count);
      c += count;
      k += count;
      continue;
    }
    if (isVectorOp(o)) {
      // One graph node per vector row, named after its first slot; edges from the rows' first slots.
      const count = rowSlots(p, r);
      const [sa, la, sb, lb] = rowOperands(p, r);
      const what = o === Op.VecMap ? `map ${opName(p.b[r - 1] & 255)}` : opName(o);
      out.push(`  v${k} [label="${range(k, count)} ${what}", shape=box3d];`);
      const [sc, lc] = rowCondition(p, r);
      if (lc > 0) edge(sc, k, { condition: true });
      if (la > 0) edge(sa, k);
      if (lb > 0) edge(sb, k);
      node(k, count);
      k += count;
      continue;
    }
    const label = o === Op.Input ? names[k] : o === Op.Const ? String(p.consts[c++]) : opName(o);
    const style = outputs.has(k) ? ', peripheries=2' : o === Op.Input ? ', shape=ellipse' : '';
    out.push(`  v${k} [label="${v(k)} ${label}"${style}];`);
    if (o === Op.Where) edge(p.a[r - 1], k, { condition: true, element: true });
    if (p.a[r] >= 0 && o !== Op.Input && o !== Op.Const) edge(p.a[r], k, { element: true });
    if (p.b[r] >= 0 && arity(o) >= 2) edge(p.b[r], k, { element: true });
    k++;
  }
  out.push('}');
  return out.join('\n');
}

