import { it } from 'vitest';
import { add, mul, sigmoid, where, gt, valueAndGrad, type Operand } from '../src/index.js';
import * as W from '../src/index.js';
import { OP_INFO, publicName } from '../src/catalog.js';
const p = {"inputs":[0],"steps":[{"kind":"op","name":"Mul","box":0,"a":0,"b":0},{"kind":"op","name":"Mul","box":0,"a":1154255589,"b":0},{"kind":"where","c":1805632255,"d":766134818,"a":76783,"b":0},{"kind":"op","name":"Add","box":0,"a":0,"b":0}]} as any;
const squash = (u: Operand, lo: number, hi: number): Operand => add(lo, mul(hi - lo, sigmoid(u)));
function run(program: any, xs: Operand[]): Operand {
  const nodes: Operand[] = [...xs];
  const pick = (i: number) => nodes[i % nodes.length];
  for (const s of program.steps) {
    if (s.kind === 'where') { console.log('where', s.c % nodes.length, s.d % nodes.length, s.a % nodes.length, s.b % nodes.length); nodes.push(where(gt(pick(s.c), pick(s.d)), pick(s.a), pick(s.b))); continue; }
    const info: any = (OP_INFO as any)[s.name];
    const box = info.domain[s.box % info.domain.length];
    const operands = box.map(([lo, hi]: any, k: number) => squash(pick(k === 0 ? s.a : s.b), lo, hi));
    nodes.push((W as any)[publicName(s.name)](...operands));
  }
  if (typeof nodes[0] === 'number') console.log(nodes);
  return nodes.slice(-3).reduce((sum, v) => add(sum, v), 0);
}
it('d', () => {
  for (const x of [-1e-5, -1e-6, 0, 1e-6, 1e-5]) console.log(x, run(p, [x]));
  console.log(valueAndGrad((...xs: Operand[]) => run(p, xs), { backend: 'js' })(0));
});
