/** @file ADBench's D-LSTM objective written with wengert's vector ops, and its gradient from one
 *  compiled tape. */
import {
  add, compile, concat, dot, logsumexp, mul, sigmoid, sub, tanh,
  type Backend, type CompiledFunction, type Operand, type Vector,
} from '../../src/index.js';
import type { LstmInput } from './io.js';

// Each timestep runs the l layers as elementwise rows over the b units (the weights are
// diagonal). The output layer and the loss then run once over all c − 1 steps: the hidden
// outputs stacked as a (c − 1) × b matrix Z,
//
//   Ŷ = Z ⊙ out_weight + out_bias                        (row broadcasting)
//   lse_t = log(2 + Σ_u exp Ŷ_tu)                        logsumexp(Ŷ, { axis: 1, extra: ln 2 })
//   loss = −Σ_tu S_{t+1,u} (Ŷ_tu − lse_t) / ((c − 1) b)  (lse as a column: column broadcasting)
//
// where S is the bit sequence. The state and the sequence are constants of the tape.

/** The loss on a tape: `main` is the 8lb main parameters, `extra` the 3b extra ones. */
export function lstmObjectiveOnTape(input: LstmInput) {
  const { l, c, b, state, sequence } = input;
  const steps = c - 1;
  const next = sequence.subarray(b); // S_{t+1} for t = 0 … c − 2, row-major (c − 1) × b
  return (main: Vector, extra: Vector): Operand => {
    const block = (j: number, k: number) => main.slice(8 * b * j + k * b, 8 * b * j + (k + 1) * b);
    const inWeight = extra.slice(0, b);
    const outWeight = extra.slice(b, 2 * b);
    const outBias = extra.slice(2 * b, 3 * b);
    const hidden: (Vector | Float64Array)[] = Array.from({ length: l }, (_, j) => state.subarray(2 * b * j, 2 * b * j + b));
    const cell: (Vector | Float64Array)[] = Array.from({ length: l }, (_, j) => state.subarray(2 * b * j + b, 2 * b * (j + 1)));
    const outputs: Vector[] = [];
    for (let t = 0; t < steps; t++) {
      let z: Vector = mul(sequence.subarray(t * b, (t + 1) * b), inWeight);
      for (let j = 0; j < l; j++) {
        // f and o read the layer input z; i and g the layer's previous hidden state (SPEC §3.2).
        const f = sigmoid(add(mul(z, block(j, 0)), block(j, 4)));
        const i = sigmoid(add(mul(hidden[j], block(j, 1)), block(j, 5)));
        const o = sigmoid(add(mul(z, block(j, 2)), block(j, 6)));
        const g = tanh(add(mul(hidden[j], block(j, 3)), block(j, 7)));
        const updated: Vector = add(mul(cell[j], f), mul(i, g));
        cell[j] = updated;
        hidden[j] = z = mul(o, tanh(updated));
      }
      outputs.push(z);
    }
    const predictions = add(mul(concat(...outputs).reshape(steps, b), outWeight), outBias);
    const lse = logsumexp(predictions, { axis: 1, extra: Math.LN2 });
    const total = dot(next, sub(predictions, lse.reshape(steps, 1)));
    return mul(-1 / (steps * b), total);
  };
}

export interface LstmGradientOptions {
  backend?: Backend;
}

const compiledFor = new WeakMap<LstmInput, Map<Backend, CompiledFunction>>();

/** Compiles the loss for this instance once (per backend), then replays it. */
export function compileLstm(input: LstmInput, options: LstmGradientOptions = {}): CompiledFunction {
  const backend = options.backend ?? 'wasm';
  let byBackend = compiledFor.get(input);
  if (byBackend === undefined) compiledFor.set(input, (byBackend = new Map()));
  let fn = byBackend.get(backend);
  if (fn === undefined) {
    fn = compile(lstmObjectiveOnTape(input), 8 * input.l * input.b, 3 * input.b, { backend });
    byBackend.set(backend, fn);
  }
  return fn;
}

/** The loss and its gradient [∂/∂main, ∂/∂extra] from a tape compiled once per instance;
 *  writes the gradients into `out` when given. */
export function lstmGradient(
  input: LstmInput,
  main: Float64Array,
  extra: Float64Array,
  options: LstmGradientOptions & { out?: [Float64Array, Float64Array] } = {},
): { value: number; grad: [Float64Array, Float64Array] } {
  const fn = compileLstm(input, options);
  const grad = options.out ?? [new Float64Array(main.length), new Float64Array(extra.length)];
  const { value } = fn.valueAndGrad(main, extra, grad);
  return { value, grad };
}
