/** @file ADBench's D-LSTM objective in plain JS (SPEC: the C++ reference, statement by statement):
 *  the floor the benchmarks compare wengert's gradient with. */
import type { LstmInput } from './io.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The loss at main (8lb) and extra (3b) parameters; the state restarts from the input's. */
export function lstmObjective(input: LstmInput, main: Float64Array, extra: Float64Array): number {
  const { l, c, b, sequence } = input;
  const state = input.state.slice();
  const z = new Float64Array(b);
  let total = 0;
  for (let t = 0; t < c - 1; t++) {
    for (let u = 0; u < b; u++) z[u] = sequence[t * b + u] * extra[u];
    for (let j = 0; j < l; j++) {
      const w = 8 * b * j; // W_f W_i W_o W_g B_f B_i B_o B_g
      const h = 2 * b * j; // h then c
      for (let u = 0; u < b; u++) {
        const hu = state[h + u];
        const f = sigmoid(z[u] * main[w + u] + main[w + 4 * b + u]);
        const i = sigmoid(hu * main[w + b + u] + main[w + 5 * b + u]);
        const o = sigmoid(z[u] * main[w + 2 * b + u] + main[w + 6 * b + u]);
        const g = Math.tanh(hu * main[w + 3 * b + u] + main[w + 7 * b + u]);
        const cell = state[h + b + u] * f + i * g;
        state[h + b + u] = cell;
        state[h + u] = o * Math.tanh(cell);
        z[u] = state[h + u];
      }
    }
    let sum = 2; // ADBench's "+ 2" inside the log-sum-exp
    for (let u = 0; u < b; u++) sum += Math.exp(z[u] * extra[b + u] + extra[2 * b + u]);
    const lse = Math.log(sum);
    for (let u = 0; u < b; u++) total += sequence[(t + 1) * b + u] * (z[u] * extra[b + u] + extra[2 * b + u] - lse);
  }
  return -total / ((c - 1) * b);
}
