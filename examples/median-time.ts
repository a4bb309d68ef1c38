/** @file The examples' stopwatch: the median of repeated calls, after a warm-up. */

/** Median ms of `runs` calls of f, after `warmup` calls. */
export function medianMs(f: () => void, runs: number, warmup = Math.max(5, runs >> 3)): number {
  for (let i = 0; i < warmup; i++) f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[runs >> 1];
}
