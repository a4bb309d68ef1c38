/** @file The op table's scalar rules on f64x2 lane pairs, for the fused vector loops' two-element
 *  iterations: the same IEEE operations as scalar-rules.ts, lane by lane, so each element's
 *  value and partials are bit-identical to the scalar rule's. Ops whose rule is the core's
 *  function (exp's value, sin, pow, …) call it once per lane (`perLane`). */
import { Op } from '../../assembly/shared/ops.js';
import { Opcode, Simd, type ByteWriter } from './wasm-writer.js';
import { scalarRule, type Operands, type PartialRule, type ScalarRule } from './scalar-rules.js';

/** A rule whose operands push v128 lane pairs and whose code leaves one. */
export interface SimdRule {
  value(w: ByteWriter, o: Operands): void;
  partialA: PartialRule;
  partialB: PartialRule;
}

const splat = (w: ByteWriter, value: number) => w.byte(Opcode.f64Const).f64(value).simd(Simd.f64x2Splat);

/** The operands' lane `lane`, as f64s for a scalar rule. */
const laneOf = (o: Operands, lane: number): Operands => ({
  x: (w) => { o.x(w); w.simd(Simd.f64x2ExtractLane).byte(lane); },
  b: (w) => { o.b(w); w.simd(Simd.f64x2ExtractLane).byte(lane); },
  y: (w) => { o.y(w); w.simd(Simd.f64x2ExtractLane).byte(lane); },
  c: (w) => { o.c(w); w.simd(Simd.f64x2ExtractLane).byte(lane); },
});

/** A scalar rule's code run on each lane: lane 0 splatted, lane 1 replaced. */
const perLane = (emit: (w: ByteWriter, o: Operands) => void) => (w: ByteWriter, o: Operands) => {
  emit(w, laneOf(o, 0));
  w.simd(Simd.f64x2Splat);
  emit(w, laneOf(o, 1));
  w.simd(Simd.f64x2ReplaceLane).byte(1);
};
const perLanePartial = (p: PartialRule): PartialRule => (typeof p === 'function' ? perLane(p) : p);

const binary = (code: number) => (w: ByteWriter, o: Operands) => {
  o.x(w);
  o.b(w);
  w.simd(code);
};
/** A comparison's 0 or 1: the all-ones lane mask and 1.0's bits (scalar: f64.convert_i32_s of the i32). */
const comparison = (code: number): SimdRule => ({
  value: (w, o) => {
    o.x(w);
    o.b(w);
    w.simd(code);
    splat(w, 1);
    w.simd(Simd.v128And);
  },
  partialA: 'zero',
  partialB: 'zero',
});

/** Rules written as f64x2 instructions (the scalar rule's operations, in its order); the
 *  scalar rule's value per lane where only its partials are instructions. */
const native: Partial<Record<number, (scalar: ScalarRule) => SimdRule>> = {
  [Op.Add]: () => ({ value: binary(Simd.f64x2Add), partialA: 'one', partialB: 'one' }),
  [Op.Sub]: () => ({ value: binary(Simd.f64x2Sub), partialA: 'one', partialB: 'minusOne' }),
  [Op.Mul]: () => ({ value: binary(Simd.f64x2Mul), partialA: (w, o) => o.b(w), partialB: (w, o) => o.x(w) }),
  [Op.Div]: () => ({
    value: binary(Simd.f64x2Div),
    partialA: (w, o) => { splat(w, 1); o.b(w); w.simd(Simd.f64x2Div); },                         // 1/w
    partialB: (w, o) => { o.y(w); w.simd(Simd.f64x2Neg); o.b(w); w.simd(Simd.f64x2Div); },       // −y/w
  }),
  [Op.Square]: () => ({ value: (w, o) => { o.x(w); o.x(w); w.simd(Simd.f64x2Mul); }, partialA: (w, o) => { splat(w, 2); o.x(w); w.simd(Simd.f64x2Mul); }, partialB: 'zero' }),
  [Op.Neg]: () => ({ value: (w, o) => { o.x(w); w.simd(Simd.f64x2Neg); }, partialA: 'minusOne', partialB: 'zero' }),
  [Op.Sqrt]: () => ({
    value: (w, o) => { o.x(w); w.simd(Simd.f64x2Sqrt); },
    // y = 0 ? +∞ : 0.5/y
    partialA: (w, o) => {
      splat(w, Infinity);
      splat(w, 0.5);
      o.y(w);
      w.simd(Simd.f64x2Div);
      o.y(w);
      splat(w, 0);
      w.simd(Simd.f64x2Eq).simd(Simd.v128Bitselect);
    },
    partialB: 'zero',
  }),
  [Op.Exp]: (s) => ({ value: perLane(s.value), partialA: (w, o) => o.y(w), partialB: 'zero' }),
  [Op.Log]: (s) => ({ value: perLane(s.value), partialA: (w, o) => { splat(w, 1); o.x(w); w.simd(Simd.f64x2Div); }, partialB: 'zero' }),
  // 1 − y²
  [Op.Tanh]: (s) => ({ value: perLane(s.value), partialA: (w, o) => { splat(w, 1); o.y(w); o.y(w); w.simd(Simd.f64x2Mul).simd(Simd.f64x2Sub); }, partialB: 'zero' }),
  // y(1 − y)
  [Op.Sigmoid]: (s) => ({ value: perLane(s.value), partialA: (w, o) => { o.y(w); splat(w, 1); o.y(w); w.simd(Simd.f64x2Sub).simd(Simd.f64x2Mul); }, partialB: 'zero' }),
  [Op.Lt]: () => comparison(Simd.f64x2Lt),
  [Op.Le]: () => comparison(Simd.f64x2Le),
  [Op.Gt]: () => comparison(Simd.f64x2Gt),
  [Op.Ge]: () => comparison(Simd.f64x2Ge),
  [Op.Eq]: () => comparison(Simd.f64x2Eq),
  [Op.StopGradient]: () => ({ value: (w, o) => o.x(w), partialA: 'zero', partialB: 'zero' }),
};

const rules = new Map<number, SimdRule>();

/** The lane-pair rule for an elementwise op that scalarRule handles (undefined otherwise). */
export function simdRule(op: number): SimdRule | undefined {
  let rule = rules.get(op);
  if (rule === undefined) {
    const scalar = scalarRule(op);
    if (scalar === undefined || op === Op.Where) return undefined;
    rule = native[op]?.(scalar) ?? { value: perLane(scalar.value), partialA: perLanePartial(scalar.partialA), partialB: perLanePartial(scalar.partialB) };
    rules.set(op, rule);
  }
  return rule;
}
