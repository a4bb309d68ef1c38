/** @file Human-readable forms of a program: the Wengert list (toString) and a Graphviz graph. */
import { Op, arity } from '../../assembly/shared/ops.js';
import { inputCount, type Program } from './program.js';

const SUBSCRIPT = '₀₁₂₃₄₅₆₇₈₉';
const sub = (n: number) => String(n).replace(/\d/g, (d) => SUBSCRIPT[+d]);
const v = (n: number) => `v${sub(n)}`;

const INFIX: Partial<Record<Op, string>> = { [Op.Add]: '+', [Op.Sub]: '−', [Op.Mul]: '·', [Op.Div]: '/' };

function opName(o: number): string {
  const key = Op[o];
  return key[0].toLowerCase() + key.slice(1);
}

/** Names each input after its argument: x₀ for a scalar argument, x₀[3] for a vector element. */
function inputNames(args: Int32Array): string[] {
  const names: string[] = [];
  args.forEach((len, i) => {
    if (len < 0) names.push(`x${sub(i)}`);
    else for (let k = 0; k < len; k++) names.push(`x${sub(i)}[${k}]`);
  });
  return names;
}

/** One line per slot: "v₂ = v₀ · v₁". */
function lines(p: Program, limit: number): string[] {
  const names = inputNames(p.args);
  const out: string[] = [];
  let k = 0;
  let c = 0;
  for (let r = 0; r < p.op.length && out.length < limit; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    let rhs: string;
    if (o === Op.Input) rhs = names[k];
    else if (o === Op.Const) rhs = String(p.consts[c++]);
    else if (o === Op.Where) rhs = `where(${v(p.a[r - 1])}, ${v(p.a[r])}, ${v(p.b[r])})`;
    else if (INFIX[o as Op]) rhs = `${v(p.a[r])} ${INFIX[o as Op]} ${v(p.b[r])}`;
    else if (arity(o) === 2) rhs = `${opName(o)}(${v(p.a[r])}, ${v(p.b[r])})`;
    else rhs = `${opName(o)}(${v(p.a[r])})`;
    out.push(`${v(k++)} = ${rhs}`);
  }
  return out;
}

export function wengertList(p: Program, limit = 200): string {
  const slots = p.op.length - countParams(p);
  const body = lines(p, limit);
  if (slots > limit) body.push(`… ${slots - limit} more`);
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
  let k = 0;
  let c = 0;
  for (let r = 0; r < p.op.length; r++) {
    const o = p.op[r];
    if (o === Op.Param) continue;
    const label = o === Op.Input ? names[k] : o === Op.Const ? String(p.consts[c++]) : opName(o);
    const style = outputs.has(k) ? ', peripheries=2' : o === Op.Input ? ', shape=ellipse' : '';
    out.push(`  v${k} [label="${v(k)} ${label}"${style}];`);
    if (o === Op.Where) out.push(`  v${p.a[r - 1]} -> v${k} [style=dashed, label="cond"];`);
    if (p.a[r] >= 0 && o !== Op.Input && o !== Op.Const) out.push(`  v${p.a[r]} -> v${k};`);
    if (p.b[r] >= 0 && arity(o) === 2) out.push(`  v${p.b[r]} -> v${k};`);
    k++;
  }
  out.push('}');
  return out.join('\n');
}

export { inputCount };
