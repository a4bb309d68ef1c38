/** @file The DESIGN MLP (64-128-10, tanh, softmax cross-entropy, batch 32) in scalar ops only:
 *  the workload of compiled replay (issue 3), where every multiply is a node. */
import { add, exp, log, max, mul, sub, tanh, type Operand } from '../src/index.js';

export const MLP = { inputs: 64, hidden: 128, classes: 10, batch: 32 } as const;
const { inputs: D, hidden: H, classes: C, batch: B } = MLP;
/** Layout of the flat parameters: W1 (D×H), b1 (H), W2 (H×C), b2 (C). */
export const MLP_PARAMETERS = D * H + H + H * C + C;

/** Mean cross-entropy of a batch; `param(i)` and `input(b, i)` give handles or numbers. */
export function mlpLossScalar(param: (i: number) => Operand, input: (b: number, i: number) => Operand, labels: Uint8Array): Operand {
  const w1 = (i: number, j: number) => param(i * H + j);
  const b1 = (j: number) => param(D * H + j);
  const w2 = (j: number, k: number) => param(D * H + H + j * C + k);
  const b2 = (k: number) => param(D * H + H + H * C + k);
  let total: Operand = 0;
  for (let b = 0; b < B; b++) {
    const hidden: Operand[] = [];
    for (let j = 0; j < H; j++) {
      let s: Operand = b1(j);
      for (let i = 0; i < D; i++) s = add(s, mul(input(b, i), w1(i, j)));
      hidden.push(tanh(s));
    }
    const logits: Operand[] = [];
    for (let k = 0; k < C; k++) {
      let s: Operand = b2(k);
      for (let j = 0; j < H; j++) s = add(s, mul(hidden[j], w2(j, k)));
      logits.push(s);
    }
    // log Σ exp(zₖ − m) + m − z_label, with m the largest logit.
    let m: Operand = logits[0];
    for (let k = 1; k < C; k++) m = max(m, logits[k]);
    let sumExp: Operand = 0;
    for (let k = 0; k < C; k++) sumExp = add(sumExp, exp(sub(logits[k], m)));
    total = add(total, sub(add(log(sumExp), m), logits[labels[b]]));
  }
  return mul(total, 1 / B);
}
