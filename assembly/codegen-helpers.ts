/** @file The op table's rules as exported functions, for code generated from a compiled tape
 *  (src/codegen/): the ops it does not write as wasm instructions call these, so their values
 *  and partials are the interpreter's to the bit (the same rules, compiled by the same asc). */
import { evaluate, partials, partialA, partialB } from './shared/ops';

/** y = op(x, w) (c: Where's condition). */
export function opValue(op: i32, x: f64, w: f64, c: f64): f64 {
  return evaluate(op, x, w, c);
}

/** ∂y/∂a at (x, w) with value y. */
export function opPartialA(op: i32, x: f64, w: f64, y: f64, c: f64): f64 {
  partials(op, x, w, y, c);
  return partialA;
}

/** ∂y/∂b at (x, w) with value y. */
export function opPartialB(op: i32, x: f64, w: f64, y: f64, c: f64): f64 {
  partials(op, x, w, y, c);
  return partialB;
}
