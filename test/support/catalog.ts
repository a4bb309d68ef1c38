/** @file Per-op test metadata beside the op table: test domain, reference value, tolerance, special values. */
// assembly/shared/ops.ts says how each op computes; this says how to check it. Typed as
// Record<PublicOpName, OpInfo> and Record<CompositeOpName, CompositeOpInfo>, so an op added to
// `Op` without an entry here fails to compile (and test/ops.test.ts fails at run time).
import { Op } from '../../assembly/shared/ops.js';
import * as wengert from '../../src/index.js';
import { add, mul, sigmoid, type Operand } from '../../src/index.js';

/** Every op code a user reaches through an exported function: all of Op but the structural rows. */
export type UserOpName = Exclude<keyof typeof Op, 'Param' | 'Const' | 'Input' | 'VecInput'>;
/** Every scalar op a user calls by name: not where, not the vector instructions. */
export type PublicOpName = Exclude<UserOpName, CompositeOpName>;
/** Where and the vector instructions, listed one by one, so a new op code is a compile error
 *  until it is placed on one side. */
export type CompositeOpName =
  | 'Where' | 'VecMap' | 'VecSum' | 'VecDot' | 'VecProd' | 'VecMax' | 'VecMin' | 'VecLogSumExp' | 'VecSoftmax' | 'VecLogSoftmax'
  | 'MatMul' | 'VecCopy' | 'VecWhere' | 'VecTranspose' | 'VecGather' | 'VecMean' | 'VecMapTiled' | 'VecConst' | 'VecSelect' | 'Custom';

/** A closed interval [lo, hi]. */
export type Interval = readonly [lo: number, hi: number];

/** One interval per operand. */
export type Box = readonly [Interval] | readonly [Interval, Interval];

/** A documented value at a special point: y = op(...at), and ∂y/∂operand if given. */
export interface SpecialCase {
  at: readonly [number] | readonly [number, number];
  /** Compared with Object.is: the sign of a zero and NaN count. */
  value: number;
  /** ∂y/∂a (and ∂y/∂b); zeros compare without sign, since adjoints start at +0. */
  partials?: readonly [number] | readonly [number, number];
}

export interface OpInfo {
  arity: 1 | 2;
  /** Boxes to sample from: inside the op's smooth domain, away from poles, kinks and ties. */
  domain: readonly Box[];
  /** The value as Math computes it; erf has none (it is checked against a table). */
  reference?: (x: number, w: number) => number;
  /** Derivative vs central finite differences: |d − fd| ≤ atol + rtol·|fd|. */
  fdTolerance: { rtol: number; atol: number };
  /** Behaviour at NaN, ±∞, ±0 and kinks, in words … */
  special: string;
  /** … and as checked cases. */
  cases: readonly SpecialCase[];
  /** Checks that do not apply to the op at any point, each with its reason. */
  skip?: Partial<Record<'gradient' | 'jvp' | 'hvp', string>>;
}

const ALL: Interval = [-3, 3];
const POSITIVE: Interval = [0.05, 10];
const NEGATIVE: Interval = [-3, -0.05];
const FD = { rtol: 1e-7, atol: 1e-9 };
/** For ops whose derivative is computed from a rounded output (σ(1 − σ), 1 − tanh²). */
const FD_LOOSE = { rtol: 1e-6, atol: 1e-8 };
/** Both orderings of two operands that never tie (max, min, comparisons). */
const APART: readonly Box[] = [[[0.5, 3], [-3, 0.4]], [[-3, 0.4], [0.5, 3]]];
/** Every real except a neighbourhood of 0 (kinks of abs and relu, cbrt's infinite slope). */
const NONZERO: readonly Box[] = [[NEGATIVE], [[0.05, 3]]];
const NAN_IN_NAN_OUT: SpecialCase = { at: [NaN], value: NaN, partials: [NaN] };
const INF = Infinity;

export const OP_INFO = {
  // ── arithmetic ──
  Add: {
    arity: 2, domain: [[ALL, ALL]], reference: (x, w) => x + w, fdTolerance: FD,
    special: 'IEEE addition: NaN propagates, ∞ + (−∞) = NaN, (+0) + (−0) = +0; partials 1, 1 everywhere.',
    cases: [
      { at: [0, -0], value: 0, partials: [1, 1] },
      { at: [-0, -0], value: -0 },
      { at: [INF, -INF], value: NaN, partials: [1, 1] },
      { at: [NaN, 1], value: NaN, partials: [1, 1] },
    ],
  },
  Sub: {
    arity: 2, domain: [[ALL, ALL]], reference: (x, w) => x - w, fdTolerance: FD,
    special: 'IEEE subtraction: NaN propagates, ∞ − ∞ = NaN, 0 − 0 = +0; partials 1, −1 everywhere.',
    cases: [
      { at: [0, 0], value: 0, partials: [1, -1] },
      { at: [-0, 0], value: -0 },
      { at: [INF, INF], value: NaN, partials: [1, -1] },
    ],
  },
  Mul: {
    arity: 2, domain: [[ALL, ALL]], reference: (x, w) => x * w, fdTolerance: FD,
    special: 'IEEE multiplication: 0·∞ = NaN, signs of zeros multiply; ∂/∂a = b, ∂/∂b = a (so ∂(0·∞)/∂a = ∞).',
    cases: [
      { at: [-0, 3], value: -0, partials: [3, 0] },
      { at: [0, INF], value: NaN, partials: [INF, 0] },
      { at: [NaN, 2], value: NaN, partials: [2, NaN] },
    ],
  },
  Div: {
    arity: 2, domain: [[ALL, [0.2, 3]], [ALL, [-3, -0.2]]], reference: (x, w) => x / w, fdTolerance: FD,
    special: 'IEEE division: x/±0 = ±∞ (sign of both), 0/0 = NaN; ∂/∂a = 1/b, ∂/∂b = −(a/b)/b, so at b = 0 both are infinite or NaN.',
    cases: [
      { at: [1, 0], value: INF, partials: [INF, -INF] },
      { at: [1, -0], value: -INF, partials: [-INF, -INF] },
      { at: [0, 0], value: NaN, partials: [INF, NaN] },
      { at: [6, 3], value: 2, partials: [1 / 3, -2 / 3] },
    ],
  },
  Neg: {
    arity: 1, domain: [[ALL]], reference: (x) => -x, fdTolerance: FD,
    special: 'Flips the sign bit: neg(+0) = −0, neg(NaN) = NaN; derivative −1 everywhere.',
    cases: [
      { at: [0], value: -0, partials: [-1] },
      { at: [-INF], value: INF, partials: [-1] },
      { at: [NaN], value: NaN, partials: [-1] },
    ],
  },
  Square: {
    arity: 1, domain: [[ALL]], reference: (x) => x * x, fdTolerance: FD,
    special: 'x·x: square(−0) = +0, square(±∞) = +∞; derivative 2x (−∞ at −∞).',
    cases: [
      { at: [-0], value: 0, partials: [0] },
      { at: [-INF], value: INF, partials: [-INF] },
      NAN_IN_NAN_OUT,
    ],
  },
  Sqrt: {
    arity: 1, domain: [[POSITIVE]], reference: Math.sqrt, fdTolerance: FD,
    special: 'Math.sqrt: sqrt(±0) = ±0, sqrt(x < 0) = NaN, sqrt(∞) = ∞; derivative 1/(2√x): +∞ at 0, 0 at ∞, NaN below 0.',
    cases: [
      { at: [0], value: 0, partials: [INF] },
      { at: [-0], value: -0, partials: [INF] },
      { at: [INF], value: INF, partials: [0] },
      { at: [-1], value: NaN, partials: [NaN] },
      { at: [4], value: 2, partials: [0.25] },
    ],
  },
  Cbrt: {
    arity: 1, domain: NONZERO, reference: Math.cbrt, fdTolerance: FD,
    special: 'Math.cbrt: odd, cbrt(±0) = ±0, cbrt(±∞) = ±∞; derivative 1/(3∛x²): +∞ at ±0, 0 at ±∞.',
    cases: [
      { at: [0], value: 0, partials: [INF] },
      { at: [-0], value: -0, partials: [INF] },
      { at: [-8], value: -2, partials: [1 / 12] },
      { at: [-INF], value: -INF, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  Pow: {
    arity: 2, domain: [[[0.1, 3], ALL]], reference: Math.pow, fdTolerance: FD,
    special:
      'Math.pow (so pow(NaN, 0) = 1 and pow(1, NaN) = NaN). ∂/∂a = b·aᵇ⁻¹ but 0 when b = 0 (even at a = 0); ' +
      '∂/∂b = aᵇ·ln a but 0 at a = 0 with b > 0, so pow(0, 0) has ∂/∂b = −∞ and a negative base has ∂/∂b = NaN.',
    cases: [
      { at: [2, 3], value: 8, partials: [12, 8 * Math.LN2] },
      { at: [0, 2], value: 0, partials: [0, 0] },
      { at: [0, 0.5], value: 0, partials: [INF, 0] },
      { at: [0, 0], value: 1, partials: [0, -INF] },
      { at: [-2, 3], value: -8, partials: [12, NaN] },
      { at: [-8, 1 / 3], value: NaN, partials: [NaN, NaN] },
      { at: [NaN, 0], value: 1, partials: [0, NaN] },
      { at: [1, NaN], value: NaN, partials: [NaN, NaN] },
    ],
  },
  // ── exponentials and logarithms ──
  Exp: {
    arity: 1, domain: [[[-5, 5]]], reference: Math.exp, fdTolerance: FD,
    special: 'Math.exp: exp(−∞) = +0, exp(∞) = ∞, overflow to ∞ above ≈709.78; derivative = the value.',
    cases: [
      { at: [-INF], value: 0, partials: [0] },
      { at: [INF], value: INF, partials: [INF] },
      { at: [0], value: 1, partials: [1] },
      { at: [710], value: INF, partials: [INF] },
      NAN_IN_NAN_OUT,
    ],
  },
  Expm1: {
    arity: 1, domain: [[[-5, 5]]], reference: Math.expm1, fdTolerance: FD,
    special: 'Math.expm1: expm1(±0) = ±0, expm1(−∞) = −1, expm1(∞) = ∞; derivative eˣ = value + 1.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [-INF], value: -1, partials: [0] },
      { at: [INF], value: INF, partials: [INF] },
      NAN_IN_NAN_OUT,
    ],
  },
  Log: {
    arity: 1, domain: [[POSITIVE]], reference: Math.log, fdTolerance: FD,
    special: 'Math.log: log(±0) = −∞, log(x < 0) = NaN, log(∞) = ∞; derivative 1/x: +∞ at +0, −∞ at −0, 0 at ∞.',
    cases: [
      { at: [0], value: -INF, partials: [INF] },
      { at: [-0], value: -INF, partials: [-INF] },
      { at: [-1], value: NaN, partials: [-1] },
      { at: [INF], value: INF, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  Log1p: {
    arity: 1, domain: [[[-0.9, 10]]], reference: Math.log1p, fdTolerance: FD,
    special: 'Math.log1p: log1p(±0) = ±0, log1p(−1) = −∞, log1p(x < −1) = NaN; derivative 1/(1 + x): ∞ at −1.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [-1], value: -INF, partials: [INF] },
      { at: [-2], value: NaN, partials: [-1] },
      NAN_IN_NAN_OUT,
    ],
  },
  Log2: {
    arity: 1, domain: [[POSITIVE]], reference: Math.log2, fdTolerance: FD,
    special: 'Math.log2: log2(±0) = −∞, log2(x < 0) = NaN, exact at powers of 2; derivative 1/(x ln 2): +∞ at +0.',
    cases: [
      { at: [0], value: -INF, partials: [INF] },
      { at: [8], value: 3, partials: [1 / (8 * Math.LN2)] },
      { at: [-1], value: NaN },
      NAN_IN_NAN_OUT,
    ],
  },
  Log10: {
    arity: 1, domain: [[POSITIVE]], reference: Math.log10, fdTolerance: FD,
    special: 'Math.log10: log10(±0) = −∞, log10(x < 0) = NaN, exact at powers of 10; derivative 1/(x ln 10): +∞ at +0.',
    cases: [
      { at: [0], value: -INF, partials: [INF] },
      { at: [1000], value: 3, partials: [1 / (1000 * Math.LN10)] },
      { at: [-1], value: NaN },
      NAN_IN_NAN_OUT,
    ],
  },
  // ── trigonometric and hyperbolic ──
  Sin: {
    arity: 1, domain: [[[-6, 6]]], reference: Math.sin, fdTolerance: FD,
    special: 'Math.sin: sin(±0) = ±0, sin(±∞) = NaN; derivative cos x (NaN at ±∞).',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [INF], value: NaN, partials: [NaN] },
      NAN_IN_NAN_OUT,
    ],
  },
  Cos: {
    arity: 1, domain: [[[-6, 6]]], reference: Math.cos, fdTolerance: FD,
    special: 'Math.cos: cos(±0) = 1, cos(±∞) = NaN; derivative −sin x (so −0 at +0).',
    cases: [
      { at: [0], value: 1, partials: [0] },
      { at: [-INF], value: NaN, partials: [NaN] },
      NAN_IN_NAN_OUT,
    ],
  },
  Tan: {
    arity: 1, domain: [[[-1.4, 1.4]]], reference: Math.tan, fdTolerance: FD_LOOSE,
    special: 'Math.tan: tan(±0) = ±0, tan(±∞) = NaN, finite at the rounded poles; derivative 1 + tan² x.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [INF], value: NaN, partials: [NaN] },
      NAN_IN_NAN_OUT,
    ],
  },
  Asin: {
    arity: 1, domain: [[[-0.95, 0.95]]], reference: Math.asin, fdTolerance: FD,
    special: 'Math.asin: asin(±0) = ±0, NaN outside [−1, 1]; derivative 1/√(1 − x²): +∞ at ±1, NaN outside.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [1], value: Math.PI / 2, partials: [INF] },
      { at: [2], value: NaN, partials: [NaN] },
      NAN_IN_NAN_OUT,
    ],
  },
  Acos: {
    arity: 1, domain: [[[-0.95, 0.95]]], reference: Math.acos, fdTolerance: FD,
    special: 'Math.acos: acos(1) = +0, NaN outside [−1, 1]; derivative −1/√(1 − x²): −∞ at ±1, NaN outside.',
    cases: [
      { at: [1], value: 0, partials: [-INF] },
      { at: [-1], value: Math.PI, partials: [-INF] },
      { at: [-2], value: NaN, partials: [NaN] },
      NAN_IN_NAN_OUT,
    ],
  },
  Atan: {
    arity: 1, domain: [[[-5, 5]]], reference: Math.atan, fdTolerance: FD,
    special: 'Math.atan: atan(±0) = ±0, atan(±∞) = ±π/2; derivative 1/(1 + x²): 0 at ±∞.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [INF], value: Math.PI / 2, partials: [0] },
      { at: [-INF], value: -Math.PI / 2, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  Atan2: {
    arity: 2,
    // Away from the origin and from the branch cut (a = 0, b < 0).
    domain: [[ALL, [0.2, 3]], [[0.2, 3], ALL], [[-3, -0.2], ALL]],
    reference: Math.atan2, fdTolerance: FD,
    special:
      'Math.atan2(a, b), the angle of (b, a): signed zeros pick the side, atan2(±0, −0) = ±π, atan2(±0, +0) = ±0; ' +
      'partials (b, −a)/(a² + b²), both 0 at the origin.',
    cases: [
      { at: [0, -0], value: Math.PI, partials: [0, 0] },
      { at: [-0, -1], value: -Math.PI, partials: [-1, 0] },
      { at: [-0, 0], value: -0, partials: [0, 0] },
      { at: [1, 1], value: Math.PI / 4, partials: [0.5, -0.5] },
      { at: [INF, INF], value: Math.PI / 4 },
      { at: [NaN, 1], value: NaN, partials: [NaN, NaN] },
    ],
  },
  Sinh: {
    arity: 1, domain: [[[-5, 5]]], reference: Math.sinh, fdTolerance: FD,
    special: 'Math.sinh: odd, sinh(±0) = ±0, sinh(±∞) = ±∞; derivative cosh x (+∞ at ±∞).',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [-INF], value: -INF, partials: [INF] },
      NAN_IN_NAN_OUT,
    ],
  },
  Cosh: {
    arity: 1, domain: [[[-5, 5]]], reference: Math.cosh, fdTolerance: FD,
    special: 'Math.cosh: even, cosh(±0) = 1, cosh(±∞) = +∞; derivative sinh x (±∞ at ±∞).',
    cases: [
      { at: [-0], value: 1, partials: [0] },
      { at: [-INF], value: INF, partials: [-INF] },
      NAN_IN_NAN_OUT,
    ],
  },
  Tanh: {
    arity: 1, domain: [[[-5, 5]]], reference: Math.tanh, fdTolerance: FD_LOOSE,
    special: 'Math.tanh: odd, tanh(±0) = ±0, tanh(±∞) = ±1; derivative 1 − tanh², which rounds to 0 for |x| ≳ 19.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [INF], value: 1, partials: [0] },
      { at: [-40], value: -1, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  Asinh: {
    arity: 1, domain: [[[-5, 5]]], reference: Math.asinh, fdTolerance: FD,
    special: 'Math.asinh: odd, asinh(±0) = ±0, asinh(±∞) = ±∞; derivative 1/√(x² + 1): 0 at ±∞.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [-INF], value: -INF, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  Acosh: {
    arity: 1, domain: [[[1.1, 10]]], reference: Math.acosh, fdTolerance: FD,
    special: 'Math.acosh: acosh(1) = +0, NaN below 1, acosh(∞) = ∞; derivative 1/√(x² − 1): +∞ at 1, NaN inside (−1, 1).',
    cases: [
      { at: [1], value: 0, partials: [INF] },
      { at: [0.5], value: NaN, partials: [NaN] },
      { at: [INF], value: INF, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  Atanh: {
    arity: 1, domain: [[[-0.95, 0.95]]], reference: Math.atanh, fdTolerance: FD,
    special: 'Math.atanh: odd, atanh(±1) = ±∞, NaN outside [−1, 1]; derivative 1/(1 − x²): +∞ at ±1.',
    cases: [
      { at: [-0], value: -0, partials: [1] },
      { at: [1], value: INF, partials: [INF] },
      { at: [-1], value: -INF, partials: [INF] },
      { at: [2], value: NaN },
      NAN_IN_NAN_OUT,
    ],
  },
  // ── piecewise and special ──
  Abs: {
    arity: 1, domain: NONZERO, reference: Math.abs, fdTolerance: FD,
    special: 'Math.abs: abs(−0) = +0, abs(−∞) = ∞; derivative sign x, 0 at the kink ±0, NaN at NaN.',
    cases: [
      { at: [-0], value: 0, partials: [0] },
      { at: [0], value: 0, partials: [0] },
      { at: [-2], value: 2, partials: [-1] },
      { at: [-INF], value: INF, partials: [-1] },
      NAN_IN_NAN_OUT,
    ],
  },
  Relu: {
    arity: 1, domain: NONZERO, reference: (x) => Math.max(0, x), fdTolerance: FD,
    special: 'max(0, x) with NaN kept: relu(±0) = +0, relu(−∞) = +0, relu(NaN) = NaN; derivative [x > 0]: 0 at the kink 0 and at NaN.',
    cases: [
      { at: [0], value: 0, partials: [0] },
      { at: [-0], value: 0, partials: [0] },
      { at: [-3], value: 0, partials: [0] },
      { at: [INF], value: INF, partials: [1] },
      { at: [NaN], value: NaN, partials: [0] },
    ],
  },
  Max: {
    arity: 2, domain: APART, reference: Math.max, fdTolerance: FD,
    special: 'Math.max: NaN if either is NaN, max(+0, −0) = +0; partials [a > b], [a < b], and ½ each at a tie (and at NaN).',
    cases: [
      { at: [0, -0], value: 0, partials: [0.5, 0.5] },
      { at: [-0, 0], value: 0 },
      { at: [-0, -0], value: -0 },
      { at: [2, 2], value: 2, partials: [0.5, 0.5] },
      { at: [3, 1], value: 3, partials: [1, 0] },
      { at: [NaN, 1], value: NaN, partials: [0.5, 0.5] },
      { at: [-INF, 1], value: 1, partials: [0, 1] },
    ],
  },
  Min: {
    arity: 2, domain: APART, reference: Math.min, fdTolerance: FD,
    special: 'Math.min: NaN if either is NaN, min(+0, −0) = −0; partials [a < b], [a > b], and ½ each at a tie (and at NaN).',
    cases: [
      { at: [0, -0], value: -0, partials: [0.5, 0.5] },
      { at: [-0, 0], value: -0 },
      { at: [0, 0], value: 0 },
      { at: [2, 2], value: 2, partials: [0.5, 0.5] },
      { at: [3, 1], value: 1, partials: [0, 1] },
      { at: [1, NaN], value: NaN, partials: [0.5, 0.5] },
    ],
  },
  Hypot: {
    arity: 2, domain: [[ALL, [0.2, 3]], [ALL, [-3, -0.2]]], reference: Math.hypot, fdTolerance: FD,
    special:
      'Math.hypot: hypot(±∞, NaN) = ∞, no overflow for large operands; partials (a, b)/hypot: 0 at the origin (kink), ' +
      'and at ∞ ±1 for an infinite operand, 0 for a finite one.',
    cases: [
      { at: [3, -4], value: 5, partials: [0.6, -0.8] },
      { at: [0, -0], value: 0, partials: [0, 0] },
      { at: [-INF, 1], value: INF, partials: [-1, 0] },
      { at: [INF, NaN], value: INF, partials: [1, 0] },
      { at: [1e300, 1e300], value: Math.SQRT2 * 1e300 },
      { at: [NaN, 1], value: NaN, partials: [NaN, NaN] },
    ],
  },
  Sigmoid: {
    arity: 1, domain: [[[-15, 15]]], reference: (x) => 1 / (1 + Math.exp(-x)), fdTolerance: FD_LOOSE,
    special: '1/(1 + e⁻ˣ) without overflow: sigmoid(0) = ½, sigmoid(−∞) = 0, sigmoid(∞) = 1; derivative σ(1 − σ), 0 at ±∞.',
    cases: [
      { at: [0], value: 0.5, partials: [0.25] },
      { at: [-INF], value: 0, partials: [0] },
      { at: [INF], value: 1, partials: [0] },
      { at: [-800], value: 0, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  Softplus: {
    arity: 1, domain: [[[-15, 15]]], reference: (x) => Math.log1p(Math.exp(x)), fdTolerance: FD,
    special: 'ln(1 + eˣ) without overflow: softplus(0) = ln 2, softplus(−∞) = 0, softplus(x) = x for x ≳ 37; derivative σ(x).',
    cases: [
      { at: [0], value: Math.LN2, partials: [0.5] },
      { at: [-INF], value: 0, partials: [0] },
      { at: [1000], value: 1000, partials: [1] },
      { at: [INF], value: INF, partials: [1] },
      NAN_IN_NAN_OUT,
    ],
  },
  Erf: {
    arity: 1, domain: [[[-4, 4]]], fdTolerance: FD,
    special: 'erf: odd, erf(±0) = ±0, exactly ±1 for |x| ≥ 6 and at ±∞; derivative (2/√π)e^(−x²), 0 at ±∞.',
    cases: [
      { at: [-0], value: -0, partials: [2 / Math.sqrt(Math.PI)] },
      { at: [6], value: 1 },
      { at: [-INF], value: -1, partials: [0] },
      NAN_IN_NAN_OUT,
    ],
  },
  // ── no derivative ──
  StopGradient: {
    arity: 1, domain: [[ALL]], reference: (x) => x, fdTolerance: FD,
    special: 'stopGradient(x) = x for every x (NaN, ±∞, ±0 kept); its derivative is 0 everywhere, by definition.',
    cases: [
      { at: [2], value: 2, partials: [0] },
      { at: [-0], value: -0, partials: [0] },
      { at: [INF], value: INF, partials: [0] },
      { at: [NaN], value: NaN, partials: [0] },
    ],
    skip: {
      gradient: 'its derivative is 0 by definition, not the slope of its value',
      jvp: 'its tangent is 0 by definition, not the slope of its value',
      hvp: 'its derivative is 0 by definition, not the slope of its value',
    },
  },
  // ── comparisons: 1 or 0, derivative 0 ──
  Lt: {
    arity: 2, domain: APART, reference: (x, w) => (x < w ? 1 : 0), fdTolerance: FD,
    special: 'a < b as 1 or 0; 0 if either is NaN; −0 < +0 is 0; partials 0 everywhere, ties included.',
    cases: [
      { at: [1, 2], value: 1, partials: [0, 0] },
      { at: [2, 2], value: 0, partials: [0, 0] },
      { at: [-0, 0], value: 0 },
      { at: [NaN, 1], value: 0, partials: [0, 0] },
    ],
  },
  Le: {
    arity: 2, domain: APART, reference: (x, w) => (x <= w ? 1 : 0), fdTolerance: FD,
    special: 'a ≤ b as 1 or 0; 0 if either is NaN; −0 ≤ +0 is 1; partials 0 everywhere, ties included.',
    cases: [
      { at: [2, 2], value: 1, partials: [0, 0] },
      { at: [3, 2], value: 0 },
      { at: [-0, 0], value: 1 },
      { at: [1, NaN], value: 0, partials: [0, 0] },
    ],
  },
  Gt: {
    arity: 2, domain: APART, reference: (x, w) => (x > w ? 1 : 0), fdTolerance: FD,
    special: 'a > b as 1 or 0; 0 if either is NaN; +0 > −0 is 0; partials 0 everywhere, ties included.',
    cases: [
      { at: [3, 2], value: 1, partials: [0, 0] },
      { at: [2, 2], value: 0, partials: [0, 0] },
      { at: [0, -0], value: 0 },
      { at: [INF, INF], value: 0 },
      { at: [NaN, NaN], value: 0, partials: [0, 0] },
    ],
  },
  Ge: {
    arity: 2, domain: APART, reference: (x, w) => (x >= w ? 1 : 0), fdTolerance: FD,
    special: 'a ≥ b as 1 or 0; 0 if either is NaN; +0 ≥ −0 is 1; partials 0 everywhere, ties included.',
    cases: [
      { at: [2, 2], value: 1, partials: [0, 0] },
      { at: [1, 2], value: 0 },
      { at: [0, -0], value: 1 },
      { at: [NaN, 1], value: 0, partials: [0, 0] },
    ],
  },
  Eq: {
    arity: 2, domain: APART, reference: (x, w) => (x === w ? 1 : 0), fdTolerance: FD,
    special: 'a = b as 1 or 0: +0 = −0 is 1, NaN = NaN is 0, ∞ = ∞ is 1; partials 0 everywhere, ties included.',
    cases: [
      { at: [2, 2], value: 1, partials: [0, 0] },
      { at: [0, -0], value: 1 },
      { at: [INF, INF], value: 1 },
      { at: [NaN, NaN], value: 0, partials: [0, 0] },
      { at: [1, 2], value: 0, partials: [0, 0] },
    ],
  },
} satisfies Record<PublicOpName, OpInfo>;

/** Where and the vector instructions: the exports that record them (checked in test/vector.test.ts). */
export interface CompositeOpInfo {
  exports: readonly string[];
  about: string;
}

/** The ops whose derivative is the slope of their value (all but stopGradient): what random
 *  programs checked against finite differences are built from. */
export const SLOPED_NAMES = (Object.keys(OP_INFO) as PublicOpName[]).filter((name) => (OP_INFO[name] as OpInfo).skip?.gradient === undefined);

export const COMPOSITE_OP_INFO = {
  Where: { exports: ['where'], about: 'where(cond, a, b) on scalars: the taken branch gets the adjoint' },
  VecMap: { exports: Object.keys(OP_INFO).map((name) => publicName(name as PublicOpName)), about: 'every scalar op elementwise, with broadcasting' },
  VecSum: { exports: ['sum'], about: 'Σ x' },
  VecDot: { exports: ['dot'], about: 'Σ aᵢbᵢ' },
  VecProd: { exports: ['prod'], about: 'Π x, exact with zeros' },
  VecMax: { exports: ['max'], about: 'max(x): ties share the adjoint' },
  VecMin: { exports: ['min'], about: 'min(x): ties share the adjoint' },
  VecLogSumExp: { exports: ['logsumexp'], about: 'log Σ eˣ, stable' },
  VecSoftmax: { exports: ['softmax'], about: 'softmax of a vector or of each row' },
  VecLogSoftmax: { exports: ['logSoftmax'], about: 'log softmax of a vector or of each row' },
  MatMul: { exports: ['matmul', 'matvec'], about: 'op(A)·op(B), op = transpose or not' },
  VecCopy: { exports: ['concat'], about: 'copies and concatenations' },
  VecWhere: { exports: ['fromBytes'], about: 'where() over vectors as formats 1–3 saved it (two copies and a select): loads and runs' },
  VecTranspose: { exports: ['transpose', 'sum', 'mean', 'max', 'min', 'logsumexp'], about: 'Mᵀ, and the columns the axis-0 reductions read' },
  VecGather: { exports: ['gather', 'cross'], about: 'v[k] for an index list; the adjoint is a scatter-add' },
  VecMean: { exports: ['mean'], about: '(Σ x)/n in one row, along an axis one row per line' },
  VecMapTiled: { exports: Object.keys(OP_INFO).filter((name) => OP_INFO[name as PublicOpName].arity === 2).map((name) => publicName(name as PublicOpName)), about: 'a vector met by every matrix row, or a column by every column' },
  VecConst: { exports: ['dot', 'matmul', 'gather'], about: 'a captured Float64Array (and gather\'s indices): its constants in one row' },
  VecSelect: { exports: ['where'], about: 'where() over tensors in one row: the taken branch gets the adjoint' },
  Custom: { exports: ['defineOp', 'customVjp', 'checkpoint'], about: 'user rules in JavaScript, called back by the sweeps' },
} satisfies Record<CompositeOpName, CompositeOpInfo>;

/** The op's export name in src/ops.ts: the enum key with a lowercase first letter (Log1p → log1p). */
export function publicName(opKey: PublicOpName): string {
  return opKey[0].toLowerCase() + opKey.slice(1);
}

/** The exported function of a scalar op (it also maps over vectors and matrices). */
export function opFunction(name: PublicOpName): (...operands: any[]) => any {
  return (wengert as unknown as Record<string, (...operands: unknown[]) => unknown>)[publicName(name)];
}

/** Maps any real u smoothly into (lo, hi), elementwise on tensors: lo + (hi − lo)·σ(u), recorded
 *  like any other op. Random programs squash each op's operands into its domain box. */
export function squash<T extends Operand | wengert.Tensor>(u: T, lo: number, hi: number): T {
  return add(lo, mul(hi - lo, sigmoid(u as Operand))) as T;
}
