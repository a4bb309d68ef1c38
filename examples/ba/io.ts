/** @file Reads ADBench BA data files (layout in test/fixtures/adbench/README.md): one camera,
 *  point, weight and feature that the whole problem replicates. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One ADBench BA instance: n cameras, m points and p observations, all copies of one sample;
 *  observation i sees camera i mod n and point i mod m. */
export interface BaInput {
  n: number;
  m: number;
  p: number;
  /** r (3, Rodrigues), C (3, centre), f, u0, v0, κ1, κ2. */
  camera: Float64Array;
  /** X (3). */
  point: Float64Array;
  weight: number;
  /** The observed feature (2): a constant. */
  feature: Float64Array;
}

export function parseBaInput(text: string, source = 'BA input'): BaInput {
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  if (tokens.length !== 3 + 11 + 3 + 1 + 2) {
    throw new Error(`${source}: expected 20 numbers (n m p, 11 camera values, 3 point values, a weight, 2 feature values), found ${tokens.length}`);
  }
  const values = tokens.map((t, i) => {
    const x = Number(t);
    if (!Number.isFinite(x)) throw new Error(`${source}: number ${i + 1} is ${JSON.stringify(t)}, not a finite number`);
    return x;
  });
  const [n, m, p] = values;
  for (const [name, x] of [['n', n], ['m', m], ['p', p]] as const) {
    if (!(Number.isInteger(x) && x > 0)) throw new Error(`${source}: ${name} (header \`n m p\`) must be a positive integer, got ${x}`);
  }
  return { n, m, p, camera: Float64Array.from(values.slice(3, 14)), point: Float64Array.from(values.slice(14, 17)), weight: values[17], feature: Float64Array.from(values.slice(18, 20)) };
}

export function readBaInput(path: string | URL): BaInput {
  return parseBaInput(readFileSync(path, 'utf8'), typeof path === 'string' ? path : fileURLToPath(path));
}
