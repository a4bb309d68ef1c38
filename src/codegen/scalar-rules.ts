/** @file The op table's scalar rules as wasm instructions: per op, how generated code computes
 *  the value and the partials. Only ops whose rule is one or two IEEE operations are written
 *  here, with the op table's exact operations in its order (so results match the interpreter
 *  to the bit); every other op calls the core's exported rule (assembly/codegen-helpers.ts),
 *  which is the interpreter's own code. */
import { Op, arity, isVectorOp } from '../../assembly/shared/ops.js';
import { F64, I32, Opcode, writeModule, type ByteWriter, type FunctionBody, type FuncType, type ModuleHeader } from './wasm-writer.js';

/** Pushes the current row's operands onto the wasm stack (a value load, a local, a constant):
 *  x the a-operand, b the b-operand (0 for unary ops), y the row's value, c Where's condition. */
export interface Operands {
  x(w: ByteWriter): void;
  b(w: ByteWriter): void;
  y(w: ByteWriter): void;
  c(w: ByteWriter): void;
}

/** What a rule may say about a partial instead of computing it: the reverse sweep then adds
 *  ȳ (1), subtracts it (−1), or adds ȳ·0 (0: keeps the interpreter's NaN for ȳ = ±∞). */
export type PartialRule = 'one' | 'minusOne' | 'zero' | ((w: ByteWriter, o: Operands) => void);

export interface ScalarRule {
  value(w: ByteWriter, o: Operands): void;
  partialA: PartialRule;
  /** Unused for unary ops (their b is the sink, whose adjoint nobody reads). */
  partialB: PartialRule;
}

/** Indices of the core's rule functions among the generated module's imports. */
export const HELPER_VALUE = 0;
export const HELPER_PARTIAL_A = 1;
export const HELPER_PARTIAL_B = 2;

const binary = (opcode: number) => (w: ByteWriter, o: Operands) => {
  o.x(w);
  o.b(w);
  w.byte(opcode);
};
const f64 = (w: ByteWriter, value: number) => w.byte(Opcode.f64Const).f64(value);
/** JS truthiness of Where's condition (0 and NaN are false): c ≠ 0 ∧ c = c. */
const truthy = (w: ByteWriter, o: Operands) => {
  o.c(w);
  f64(w, 0);
  w.byte(Opcode.f64Ne);
  o.c(w);
  o.c(w);
  w.byte(Opcode.f64Eq).byte(Opcode.i32And);
};
const comparison = (opcode: number): ScalarRule => ({
  value: (w, o) => {
    o.x(w);
    o.b(w);
    w.byte(opcode).byte(Opcode.f64ConvertI32S);
  },
  partialA: 'zero',
  partialB: 'zero',
});

/** The core's rule for `op`: opValue(op, x, w, c), opPartialA/B(op, x, w, y, c). */
function helperRule(op: number): ScalarRule {
  const call = (helper: number, withY: boolean) => (w: ByteWriter, o: Operands) => {
    w.byte(Opcode.i32Const).i32(op);
    o.x(w);
    o.b(w);
    if (withY) o.y(w);
    o.c(w);
    w.byte(Opcode.call).u32(helper);
  };
  return { value: call(HELPER_VALUE, false), partialA: call(HELPER_PARTIAL_A, true), partialB: call(HELPER_PARTIAL_B, true) };
}

/** Ops written as instructions; the helper's value call where only a partial is inline. */
const inline: Partial<Record<number, (helper: ScalarRule) => ScalarRule>> = {
  [Op.Add]: () => ({ value: binary(Opcode.f64Add), partialA: 'one', partialB: 'one' }),
  [Op.Sub]: () => ({ value: binary(Opcode.f64Sub), partialA: 'one', partialB: 'minusOne' }),
  [Op.Mul]: () => ({ value: binary(Opcode.f64Mul), partialA: (w, o) => o.b(w), partialB: (w, o) => o.x(w) }),
  [Op.Div]: () => ({
    value: binary(Opcode.f64Div),
    partialA: (w, o) => { f64(w, 1); o.b(w); w.byte(Opcode.f64Div); },                   // 1/w
    partialB: (w, o) => { o.y(w); w.byte(Opcode.f64Neg); o.b(w); w.byte(Opcode.f64Div); }, // −y/w
  }),
  // 2x as x + x: the same double for every x (both exact, or both ±∞), without a 9-byte constant.
  [Op.Square]: () => ({ value: (w, o) => { o.x(w); o.x(w); w.byte(Opcode.f64Mul); }, partialA: (w, o) => { o.x(w); o.x(w); w.byte(Opcode.f64Add); }, partialB: 'zero' }),
  [Op.Neg]: () => ({ value: (w, o) => { o.x(w); w.byte(Opcode.f64Neg); }, partialA: 'minusOne', partialB: 'zero' }),
  [Op.Sqrt]: () => ({
    value: (w, o) => { o.x(w); w.byte(Opcode.f64Sqrt); },
    // y = 0 ? +∞ : 0.5/y
    partialA: (w, o) => { f64(w, Infinity); f64(w, 0.5); o.y(w); w.byte(Opcode.f64Div); o.y(w); f64(w, 0); w.byte(Opcode.f64Eq).byte(Opcode.select); },
    partialB: 'zero',
  }),
  [Op.Exp]: (h) => ({ value: h.value, partialA: (w, o) => o.y(w), partialB: 'zero' }),
  [Op.Log]: (h) => ({ value: h.value, partialA: (w, o) => { f64(w, 1); o.x(w); w.byte(Opcode.f64Div); }, partialB: 'zero' }),
  // 1 − y²
  [Op.Tanh]: (h) => ({ value: h.value, partialA: (w, o) => { f64(w, 1); o.y(w); o.y(w); w.byte(Opcode.f64Mul).byte(Opcode.f64Sub); }, partialB: 'zero' }),
  // y(1 − y)
  [Op.Sigmoid]: (h) => ({ value: h.value, partialA: (w, o) => { o.y(w); f64(w, 1); o.y(w); w.byte(Opcode.f64Sub).byte(Opcode.f64Mul); }, partialB: 'zero' }),
  [Op.Where]: () => ({
    value: (w, o) => { o.x(w); o.b(w); truthy(w, o); w.byte(Opcode.select); },
    partialA: (w, o) => { f64(w, 1); f64(w, 0); truthy(w, o); w.byte(Opcode.select); },
    // 1 − [c]
    partialB: (w, o) => { f64(w, 1); f64(w, 1); f64(w, 0); truthy(w, o); w.byte(Opcode.select).byte(Opcode.f64Sub); },
  }),
  [Op.Lt]: () => comparison(Opcode.f64Lt),
  [Op.Le]: () => comparison(Opcode.f64Le),
  [Op.Gt]: () => comparison(Opcode.f64Gt),
  [Op.Ge]: () => comparison(Opcode.f64Ge),
  [Op.Eq]: () => comparison(Opcode.f64Eq),
  [Op.StopGradient]: () => ({ value: (w, o) => o.x(w), partialA: 'zero', partialB: 'zero' }),
};

const rules = new Map<number, ScalarRule>();
const calledValues = new Set<number>();

/** The rule for a scalar op code, or undefined for a code the generator does not handle (a
 *  vector op, or a code without a rule): the tape then stays on the interpreter. */
export function scalarRule(op: number): ScalarRule | undefined {
  if (isVectorOp(op) || op < Op.Where || arity(op) < 0) return undefined;
  let rule = rules.get(op);
  if (rule === undefined) {
    const helper = helperRule(op);
    rule = inline[op]?.(helper) ?? helper;
    rules.set(op, rule);
    if (rule.value === helper.value) calledValues.add(op);
  }
  return rule;
}

/** Whether the op's value is a call into the core (exp, tanh, …: tens of ns), not instructions:
 *  a reverse loop then reads it from memory rather than recomputing it. */
export function valueCallsCore(op: number): boolean {
  return scalarRule(op) !== undefined && calledValues.has(op);
}

/** The core's rules, imported by every generated module for the ops it does not inline. */
const VALUE_TYPE: FuncType = { params: [I32, F64, F64, F64], results: [F64] };
const PARTIAL_TYPE: FuncType = { params: [I32, F64, F64, F64, F64], results: [F64] };

/** The core's interpreter for a run of rows a module does not generate (forwardRun, reverseRun):
 *  (tape, first row, row after the last, slot). */
const RUN_TYPE: FuncType = { params: [I32, I32, I32, I32], results: [] };
export const HELPER_FORWARD_RUN = 3;
export const HELPER_REVERSE_RUN = 4;
/** How many functions ruleModule imports: a module's own functions are numbered after them. */
export const RULE_IMPORTS = 5;

/** A generated module's header: the core's memory and rule imports, then `functions`. */
export function ruleModuleHeader(functions: ModuleHeader['functions'], sharedMemory: boolean): ModuleHeader {
  return {
    memory: { module: 'env', name: 'memory', minimum: 0, maximum: 65536, shared: sharedMemory },
    imports: [
      { module: 'core', name: 'opValue', type: VALUE_TYPE },
      { module: 'core', name: 'opPartialA', type: PARTIAL_TYPE },
      { module: 'core', name: 'opPartialB', type: PARTIAL_TYPE },
      { module: 'core', name: 'forwardRun', type: RUN_TYPE },
      { module: 'core', name: 'reverseRun', type: RUN_TYPE },
    ],
    functions,
  };
}

/** A generated module: the core's memory and rule imports, then `functions`. */
export function ruleModule(functions: FunctionBody[], sharedMemory: boolean): Uint8Array {
  return writeModule({ ...ruleModuleHeader(functions, sharedMemory), functions });
}
