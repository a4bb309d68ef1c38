/** @file A time-stepping loop whose gradient checkpointing makes cheap in memory: N explicit Euler
 *  steps of y′ = c ⊙ sin(y) − y³ for a state y of n elements, loss ½|y_N|². The plain tape holds
 *  every step; the checkpointed one holds √N segment boundaries and recomputes each segment of
 *  √N steps in the reverse sweep (bench/checkpoint.ts, test/checkpoint.test.ts). */
import { add, sub, mul, sin, square, dot, checkpoint, type Scalar, type Vector } from '../src/index.js';

const H = 1e-3;

/** One Euler step: y + h·(c ⊙ sin(y) − y³). */
export function odeStep(y: Vector, c: Vector): Vector {
  return add(y, mul(H, sub(mul(c, sin(y)), mul(square(y), y))));
}

/** ½|y_N|² after `steps` steps from y0, every step on the tape. */
export function plainLoss(steps: number): (y0: Vector, c: Vector) => Scalar {
  return (y0, c) => {
    let y = y0;
    for (let k = 0; k < steps; k++) y = odeStep(y, c);
    return mul(0.5, dot(y, y));
  };
}

/** The same loss with the steps in checkpointed segments of `every` steps (`steps` a multiple). */
export function checkpointedLoss(steps: number, every: number): (y0: Vector, c: Vector) => Scalar {
  const segment = checkpoint(function segment(y: Vector, c: Vector): Vector {
    for (let k = 0; k < every; k++) y = odeStep(y, c);
    return y;
  });
  return (y0, c) => {
    let y = y0;
    for (let k = 0; k < steps; k += every) y = segment(y, c);
    return mul(0.5, dot(y, y));
  };
}

/** A starting state and coefficients of n elements. */
export function odeData(n: number): { y0: Float64Array; c: Float64Array } {
  return {
    y0: Float64Array.from({ length: n }, (_, i) => 0.5 * Math.sin(i + 1)),
    c: Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.cos(3 * i)),
  };
}
