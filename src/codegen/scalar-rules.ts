/** @file The op table's scalar rules as wasm instructions: per op, how generated code computes
 *  the value and the partials. Only ops whose rule is one or two IEEE operations are written
 *  here, with the op table's exact operations in its order (so results match the interpreter
 *  to the bit); every other op calls the core's exported rule (assembly/codegen-helpers.ts),
 *  which is the interpreter's own code. */
import { Op, arity, isVectorOp } from '../../assembly/shared/ops.js';
import { Opcode, type ByteWriter } from './wasm-writer.js';

/** Pushes one operand (a value load, a local, a constant) onto the wasm stack. */
export type Push = (w: ByteWriter) => void;

/** What a rule may say about a partial instead of computing it: the reverse sweep then adds
 *  ȳ (1), subtracts it (−1), or adds ȳ·0 (0: keeps the interpreter's NaN for ȳ = ±∞). */
export type PartialRule = 'one' | 'minusOne' | 'zero' | ((w: ByteWriter, x: Push, b: Push, y: Push, c: Push) => void);

export interface ScalarRule {
  value(w: ByteWriter, x: Push, b: Push, c: Push): void;
  partialA: PartialRule;
  /** Unused for unary ops (their b is the sink, whose adjoint nobody reads). */
  partialB: PartialRule;
}

/** Indices of the core's rule functions among the generated module's imports. */
export const HELPER_VALUE = 0;
export const HELPER_PARTIAL_A = 1;
export const HELPER_PARTIAL_B = 2;

const binary = (opcode: number) => (w: ByteWriter, x: Push, b: Push) => {
  x(w);
  b(w);
  w.byte(opcode);
};
const f64 = (value: number): Push => (w) => w.byte(Opcode.f64Const).f64(value);
/** JS truthiness of Where's condition (0 and NaN are false): c ≠ 0 ∧ c = c. */
const truthy = (w: ByteWriter, c: Push) => {
  c(w);
  f64(0)(w);
  w.byte(Opcode.f64Ne);
  c(w);
  c(w);
  w.byte(Opcode.f64Eq).byte(Opcode.i32And);
};
const comparison = (opcode: number): ScalarRule => ({
  value: (w, x, b) => {
    x(w);
    b(w);
    w.byte(opcode).byte(Opcode.f64ConvertI32S);
  },
  partialA: 'zero',
  partialB: 'zero',
});

/** The core's rule for `op`: opValue(op, x, w, c), opPartialA/B(op, x, w, y, c). */
function helperRule(op: number): ScalarRule {
  const call = (helper: number, withY: boolean) => (w: ByteWriter, x: Push, b: Push, y: Push, c: Push) => {
    w.byte(Opcode.i32Const).i32(op);
    x(w);
    b(w);
    if (withY) y(w);
    c(w);
    w.byte(Opcode.call).u32(helper);
  };
  const value = call(HELPER_VALUE, false);
  return { value: (w, x, b, c) => value(w, x, b, c, c), partialA: call(HELPER_PARTIAL_A, true), partialB: call(HELPER_PARTIAL_B, true) };
}

/** Ops written as instructions; the helper's value call where only a partial is inline. */
const inline: Partial<Record<number, (helper: ScalarRule) => ScalarRule>> = {
  [Op.Add]: () => ({ value: binary(Opcode.f64Add), partialA: 'one', partialB: 'one' }),
  [Op.Sub]: () => ({ value: binary(Opcode.f64Sub), partialA: 'one', partialB: 'minusOne' }),
  [Op.Mul]: () => ({ value: binary(Opcode.f64Mul), partialA: (w, _x, b) => b(w), partialB: (w, x) => x(w) }),
  [Op.Div]: () => ({
    value: binary(Opcode.f64Div),
    partialA: (w, _x, b) => { f64(1)(w); b(w); w.byte(Opcode.f64Div); },   // 1/w
    partialB: (w, _x, b, y) => { y(w); w.byte(Opcode.f64Neg); b(w); w.byte(Opcode.f64Div); }, // −y/w
  }),
  [Op.Square]: () => ({ value: (w, x) => { x(w); x(w); w.byte(Opcode.f64Mul); }, partialA: (w, x) => { f64(2)(w); x(w); w.byte(Opcode.f64Mul); }, partialB: 'zero' }),
  [Op.Neg]: () => ({ value: (w, x) => { x(w); w.byte(Opcode.f64Neg); }, partialA: 'minusOne', partialB: 'zero' }),
  [Op.Sqrt]: () => ({
    value: (w, x) => { x(w); w.byte(Opcode.f64Sqrt); },
    // y = 0 ? +∞ : 0.5/y
    partialA: (w, _x, _b, y) => { f64(Infinity)(w); f64(0.5)(w); y(w); w.byte(Opcode.f64Div); y(w); f64(0)(w); w.byte(Opcode.f64Eq).byte(Opcode.select); },
    partialB: 'zero',
  }),
  [Op.Exp]: (h) => ({ value: h.value, partialA: (w, _x, _b, y) => y(w), partialB: 'zero' }),
  [Op.Log]: (h) => ({ value: h.value, partialA: (w, x) => { f64(1)(w); x(w); w.byte(Opcode.f64Div); }, partialB: 'zero' }),
  // 1 − y²
  [Op.Tanh]: (h) => ({ value: h.value, partialA: (w, _x, _b, y) => { f64(1)(w); y(w); y(w); w.byte(Opcode.f64Mul).byte(Opcode.f64Sub); }, partialB: 'zero' }),
  // y(1 − y)
  [Op.Sigmoid]: (h) => ({ value: h.value, partialA: (w, _x, _b, y) => { y(w); f64(1)(w); y(w); w.byte(Opcode.f64Sub).byte(Opcode.f64Mul); }, partialB: 'zero' }),
  [Op.Where]: () => ({
    value: (w, x, b, c) => { x(w); b(w); truthy(w, c); w.byte(Opcode.select); },
    partialA: (w, _x, _b, _y, c) => { f64(1)(w); f64(0)(w); truthy(w, c); w.byte(Opcode.select); },
    // 1 − [c]
    partialB: (w, _x, _b, _y, c) => { f64(1)(w); f64(1)(w); f64(0)(w); truthy(w, c); w.byte(Opcode.select).byte(Opcode.f64Sub); },
  }),
  [Op.Lt]: () => comparison(Opcode.f64Lt),
  [Op.Le]: () => comparison(Opcode.f64Le),
  [Op.Gt]: () => comparison(Opcode.f64Gt),
  [Op.Ge]: () => comparison(Opcode.f64Ge),
  [Op.Eq]: () => comparison(Opcode.f64Eq),
  [Op.StopGradient]: () => ({ value: (w, x) => x(w), partialA: 'zero', partialB: 'zero' }),
};

const rules = new Map<number, ScalarRule>();

/** The rule for a scalar op code, or undefined for a code the generator does not handle (a
 *  vector op, or a code without a rule): the tape then stays on the interpreter. */
export function scalarRule(op: number): ScalarRule | undefined {
  if (isVectorOp(op) || op < Op.Where || arity(op) < 0) return undefined;
  let rule = rules.get(op);
  if (rule === undefined) {
    const helper = helperRule(op);
    rule = inline[op]?.(helper) ?? helper;
    rules.set(op, rule);
  }
  return rule;
}
