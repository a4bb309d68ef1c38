/** @file Times one benchmark case with tinybench and reports the median, per node and per byte. */
import { Bench } from 'tinybench';

/** One thing to time, already set up (tape allocated, first recording done). */
export interface Case {
  /** One timed iteration. */
  run(): void;
  /** Nodes one iteration puts on the tape (`tape.stats.nodes`); 0 when there is no tape. */
  nodes: number;
  /** Bytes the tape holds after one iteration (`tape.stats.bytes`); 0 when there is no tape. */
  bytes: number;
  /** The last iteration's value and gradient (no gradient for plain JS), for the checks. */
  result(): { value: number; gradient?: Float64Array };
}

export interface TimingOptions {
  /** Time budget of the measured phase, ms (it also runs at least `minIterations`). */
  timeMs: number;
  /** Time budget of the warmup phase, ms (at least `minIterations / 4` iterations). */
  warmupMs: number;
  minIterations: number;
}

export const DEFAULT_TIMING: TimingOptions = { timeMs: 1000, warmupMs: 300, minIterations: 10 };

/** Latency statistics of one case, in ms per iteration. */
export interface Timing {
  medianMs: number;
  /** Median absolute deviation: the noise to read the median against. */
  madMs: number;
  minMs: number;
  p75Ms: number;
  samples: number;
}

export interface Measurement extends Timing {
  nodes: number;
  bytes: number;
  /** medianMs per tape node, in ns (undefined without a tape). */
  nsPerNode?: number;
  /** Bytes held per tape node (undefined without a tape). */
  bytesPerNode?: number;
}

/** Warms `fn` up, then runs it for the time budget; returns latency statistics. */
export function time(fn: () => void, options: Partial<TimingOptions> = {}): Timing {
  const { timeMs, warmupMs, minIterations } = { ...DEFAULT_TIMING, ...options };
  const bench = new Bench({
    time: timeMs,
    iterations: minIterations,
    warmupTime: warmupMs,
    warmupIterations: Math.max(1, Math.ceil(minIterations / 4)),
    throws: true,
  });
  bench.add('case', fn);
  const [task] = bench.runSync();
  const result = task.result;
  if (result.state !== 'completed') {
    throw new Error(`benchmark did not complete (state ${result.state})`);
  }
  const { p50, mad, min, p75, samplesCount } = result.latency;
  return { medianMs: p50, madMs: mad, minMs: min, p75Ms: p75, samples: samplesCount };
}

/** Times a case and derives its per-node figures. */
export function measure(c: Case, options: Partial<TimingOptions> = {}): Measurement {
  const timing = time(() => c.run(), options);
  const perNode = c.nodes > 0;
  return {
    ...timing,
    nodes: c.nodes,
    bytes: c.bytes,
    nsPerNode: perNode ? (timing.medianMs * 1e6) / c.nodes : undefined,
    bytesPerNode: perNode ? c.bytes / c.nodes : undefined,
  };
}

/** The median of a non-empty list (the mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
