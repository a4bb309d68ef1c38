/** @file The shape of one ADBench GMM instance, shared by the reader, the objectives and the benchmarks. */

/** Hyper-parameters of the Wishart-style prior on each component's inverse-covariance factor. */
export interface Wishart {
  gamma: number;
  /** An integer; every ADBench file has m = 0. */
  m: number;
}

/** One GMM instance as ADBench stores it ; arrays are row-major. */
export interface GmmInput {
  /** Dimension of each point (at least 2). */
  d: number;
  /** Number of mixture components. */
  k: number;
  /** Number of points. */
  n: number;
  /** Unnormalised log mixture weights, length k. */
  alphas: Float64Array;
  /** Component means, k × d, component-major. */
  means: Float64Array;
  /**
   * Inverse-covariance factors, k × d(d+1)/2. Each row is the d logs of the
   * diagonal of Q_j, then its strictly-lower part column by column.
   */
  icf: Float64Array;
  /** Data points, n × d. Constants: never differentiated. */
  x: Float64Array;
  wishart: Wishart;
}
