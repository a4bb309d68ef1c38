/** @file The shape every first-order optimizer shares, so training loops can swap them freely. */

export interface FirstOrderOptimizer {
  /** The parameter vector, updated in place by `step`. */
  readonly params: Float64Array;
  /** Step size; may be changed between steps to implement a schedule. */
  learningRate: number;
  /** Applies one update using ∇f evaluated at the current `params`. */
  step(grad: Float64Array): void;
  /** Forgets accumulated state (momentum, moment estimates, step count) without touching `params`. */
  reset(): void;
}
