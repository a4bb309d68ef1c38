/** @file The contract between an optimizer and the function it minimizes. */

/** Writes ∇f(x) into gradOut and returns f(x). Must not keep references to x or gradOut. */
export type Objective = (x: Float64Array, gradOut: Float64Array) => number;
