/** @file Reads ADBench D-LSTM data files (layout in test/fixtures/adbench/README.md) into an
 *  LstmInput, with errors that say which number is wrong. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One ADBench D-LSTM instance; arrays are row-major, in file order. */
export interface LstmInput {
  /** Layers. */
  l: number;
  /** Sequence length (characters). */
  c: number;
  /** Hidden size = bits per character (14 in every ADBench file). */
  b: number;
  /** 8·l·b: per layer W_f W_i W_o W_g then B_f B_i B_o B_g, b each. */
  main: Float64Array;
  /** 3·b: in_weight, out_weight, out_bias. */
  extra: Float64Array;
  /** 2·l·b: per layer the initial hidden state h then the cell state c. Not differentiated. */
  state: Float64Array;
  /** c × b bits (as reals). Not differentiated. */
  sequence: Float64Array;
}

/** Parameters of an instance: main (8lb) then extra (3b), the gradient's layout too. */
export function lstmParameterCount(l: number, b: number): number {
  return 8 * l * b + 3 * b;
}

/** Parses the whitespace-separated D-LSTM format: `l c b`, main params, extra params, state, sequence. */
export function parseLstmInput(text: string, source = 'LSTM input'): LstmInput {
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  let at = 0;
  const number = (what: string): number => {
    if (at >= tokens.length) throw new Error(`${source}: ends before ${what} (${tokens.length} numbers in all)`);
    const x = Number(tokens[at]);
    if (!Number.isFinite(x)) throw new Error(`${source}: number ${at + 1} (${what}) is ${JSON.stringify(tokens[at])}, not a finite number`);
    at++;
    return x;
  };
  const natural = (what: string): number => {
    const x = number(what);
    if (!(Number.isInteger(x) && x > 0)) throw new Error(`${source}: ${what} must be a positive integer, got ${x}`);
    return x;
  };
  const block = (n: number, what: string) => Float64Array.from({ length: n }, (_, i) => number(`${what} [${i}]`));
  const l = natural('the layer count l (first number of the header `l c b`)');
  const c = natural('the sequence length c (second number of the header)');
  const b = natural('the hidden size b (third number of the header)');
  const input: LstmInput = {
    l, c, b,
    main: block(8 * l * b, 'main params'),
    extra: block(3 * b, 'extra params'),
    state: block(2 * l * b, 'state'),
    sequence: block(c * b, 'sequence'),
  };
  if (at !== tokens.length) throw new Error(`${source}: ${tokens.length - at} numbers after the sequence (the header says l=${l}, c=${c}, b=${b})`);
  return input;
}

export function readLstmInput(path: string | URL): LstmInput {
  return parseLstmInput(readFileSync(path, 'utf8'), typeof path === 'string' ? path : fileURLToPath(path));
}

/** [main, extra] as one flat vector (the layout of the reference gradients). */
export function packLstmParameters(input: LstmInput): Float64Array {
  const out = new Float64Array(input.main.length + input.extra.length);
  out.set(input.main);
  out.set(input.extra, input.main.length);
  return out;
}
