/** @file A reproducible shuffle, so the MNIST split is identical on every machine and every run. */

/**
 * Mulberry32 (Tommy Ettinger, public domain): a 32-bit generator that is tiny, fast and good
 * enough for shuffling data; not for anything that needs statistical or cryptographic strength.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of 0 … length−1 by Fisher–Yates (Durstenfeld's in-place form), driven by `seed`. */
export function seededPermutation(length: number, seed: number): Uint32Array {
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  const random = mulberry32(seed);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}
