/** @file The op table: every op's code, arity, value rule and derivative rules, defined once. */
// This file is shared by the wasm core (asc) and the TypeScript side (tsc) and must stay
// portable: f64/i32 only, Math.* only, no imports, no decorators (as AssemblyScript's own
// std/assembly/shared/ files). The row walk (assembly/shared/walk.ts) calls these rules for
// both backends. `/* @inline */` becomes asc's decorator in the wasm build (scripts/build-wasm.mjs).

/** Op codes: a file format (toBytes writes them), so each code is written here and never
 *  changes. The code space has three ranges: 0–2 rows that compute nothing (Param, Const,
 *  Input), 3–127 scalar ops, 128–255 vector instructions (assembly/shared/vector.ts). A new op
 *  takes the next free code of its range; the sweeps test the range, never the order. */
export enum Op {
  /** Carries an extra operand for the row after it (Where's condition, a vector row's integers). */
  Param = 0,
  Const = 1,
  Input = 2,
  /** where(cond, a, b): a = the a-slot, b = the b-slot, cond in the Param row before it. */
  Where = 3,
  Add = 4, Mul = 5, Sub = 6, Div = 7, Square = 8, Neg = 9, Exp = 10, Log = 11, Tanh = 12,
  Sin = 13, Cos = 14, Sqrt = 15, Pow = 16, Sigmoid = 17, Relu = 18, Abs = 19, Max = 20,
  Min = 21, Softplus = 22, Log1p = 23, Expm1 = 24, Atan = 25, Atan2 = 26, Hypot = 27,
  Tan = 28, Asin = 29, Acos = 30, Sinh = 31, Cosh = 32, Asinh = 33, Acosh = 34,
  Atanh = 35, Log2 = 36, Log10 = 37, Cbrt = 38, Erf = 39,
  Lt = 40, Le = 41, Gt = 42, Ge = 43, Eq = 44,
  /** y = a, with ∂y/∂a = 0: a value that blocks its adjoint. */
  StopGradient = 45,
  // Vector instructions: one row over contiguous slots; the Param rows before it carry its
  // integers (assembly/shared/vector.ts). a and b name the operands' first slots.
  /** y[i] = f(a[i], b[i]) for the scalar op f; a or b may be one slot broadcast. */
  VecMap = 128,
  VecSum = 129, VecDot = 130, VecProd = 131, VecMax = 132, VecMin = 133, VecLogSumExp = 134,
  VecSoftmax = 135, VecLogSoftmax = 136,
  /** C = op(A)·op(B), row-major, op = transpose or not. */
  MatMul = 137,
  /** y[i] = a[i] (or a[0] broadcast): builds concatenations and copies. */
  VecCopy = 138,
  /** y[i] = cond[i] ? pair[i] : pair[n + i]: where() over vectors until format 4 (then with two
   *  VecCopy rows building the pair block b names; VecSelect does it in one row now). */
  VecWhere = 139,
  /** y = aᵀ for a row-major matrix a of p1a elements in rows of p1b (y has p1b rows):
   *  transpose, and the column view the axis-0 reductions read. */
  VecTranspose = 140,
  /** y[i] = a[k(i)], the indices k in the b block (constant slots): gather; its adjoint is a
   *  scatter-add. An index that names no element of a gives NaN (the facade refuses them). */
  VecGather = 141,
  /** y = (Σ a) · (1/n): mean, in one row (the bits of a sum and a multiplication by 1/n). */
  VecMean = 142,
  /** A vector meeting every row of a matrix (or a column every column) in one row: matrix row r
   *  is the VecMap row `tileRow` derives, the flagged operand (BROADCAST_A or B) a row of p2a
   *  elements (p2b = 0) or a column whose element r is broadcast over row r (p2b = 1). */
  VecMapTiled = 143,
  /** p1a constants in one row (a captured Float64Array): its slots hold the values, written when
   *  recorded and left alone by every sweep, like as many Const rows. */
  VecConst = 144,
  /** y[i] = cond[i] ? a[i] : b[i] in one row: where() over tensors. The condition's first slot is
   *  p2a (its second Param row's a); a, b or the condition may be one slot broadcast. */
  VecSelect = 145,
  /** A vector argument's p1a elements in one row: the caller writes its slots' values (and, for
   *  tangents, their seeds) and reads their adjoints; every sweep leaves them alone, as it does
   *  Input rows. */
  VecInput = 146,
  // Host rows (200–209): the row's rules live in JavaScript, which the walk calls back.
  /** A user-defined op (defineOp, customVjp) or a checkpointed function: its Param rows carry
   *  (output length or −1 for a number, argument count), (rule id, 0), and before those one
   *  row per argument (first slot, length or −1 for a number) — src/custom/. */
  Custom = 200,
}

/** The first elementwise scalar op (Where, code 3, selects rather than computes). */
export const FIRST_SCALAR_OP: i32 = 4;
/** The first code of the vector range. */
export const FIRST_VECTOR_OP: i32 = 128;

/** Whether a code is a row that computes nothing (Param, Const, Input: the range 0–2). */
/* @inline */ export function isLeafOrParam(op: i32): bool {
  return op < Op.Where;
}

/** Whether a row holds argument values the caller writes: an Input row (one element) or a
 *  VecInput row (a whole vector argument). */
/* @inline */ export function isInput(op: i32): bool {
  return op == Op.Input || op == Op.VecInput;
}

/** The first code of the host range (rules in JavaScript, src/custom/). */
export const FIRST_HOST_OP: i32 = 200;

/** Whether a code is in the vector range (128–255). */
/* @inline */ export function isVectorOp(op: i32): bool {
  return op >= FIRST_VECTOR_OP;
}

/** How many slot operands each op reads (Where: condition, a and b; the condition comes from its
 *  Param row); −1 for a code that names no op. Written out per op, so a new op states its own. */
export function arity(op: i32): i32 {
  if (op == Op.Param || op == Op.Const || op == Op.Input || op == Op.VecConst || op == Op.VecInput) return 0;
  if (op == Op.Where) return 3;
  if (op == Op.Add || op == Op.Mul || op == Op.Sub || op == Op.Div || op == Op.Pow) return 2;
  if (op == Op.Max || op == Op.Min || op == Op.Atan2 || op == Op.Hypot) return 2;
  if (op == Op.Lt || op == Op.Le || op == Op.Gt || op == Op.Ge || op == Op.Eq) return 2;
  if (op == Op.Square || op == Op.Neg || op == Op.Exp || op == Op.Log || op == Op.Tanh) return 1;
  if (op == Op.Sin || op == Op.Cos || op == Op.Sqrt || op == Op.Sigmoid || op == Op.Relu) return 1;
  if (op == Op.Abs || op == Op.Softplus || op == Op.Log1p || op == Op.Expm1 || op == Op.Atan) return 1;
  if (op == Op.Tan || op == Op.Asin || op == Op.Acos || op == Op.Sinh || op == Op.Cosh) return 1;
  if (op == Op.Asinh || op == Op.Acosh || op == Op.Atanh || op == Op.Log2 || op == Op.Log10) return 1;
  if (op == Op.Cbrt || op == Op.Erf || op == Op.StopGradient) return 1;
  if (op == Op.VecMap || op == Op.VecDot || op == Op.MatMul || op == Op.VecWhere) return 2;
  if (op == Op.VecSum || op == Op.VecProd || op == Op.VecMax || op == Op.VecMin || op == Op.VecLogSumExp) return 1;
  if (op == Op.VecSoftmax || op == Op.VecLogSoftmax || op == Op.VecCopy) return 1;
  if (op == Op.VecTranspose || op == Op.VecMean) return 1;
  if (op == Op.VecGather || op == Op.VecMapTiled) return 2;
  if (op == Op.VecSelect) return 2; // a and b; the condition comes from its Param row
  // Any number of operands, listed in its Param rows: a and b name none.
  if (op == Op.Custom) return 0;
  return -1;
}

const LN2: f64 = 0.6931471805599453;
const LN10: f64 = 2.302585092994046;
const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;

/** Truthiness of a Where condition, as in JS: 0 and NaN are false. */
/* @inline */ export function isTrue(c: f64): bool {
  return c != 0 && c == c;
}

/** The value rule y = f(a, b): `x` is the a-operand, `w` the b-operand (0 for unary ops), `c`
 *  Where's condition. Split in two so V8 can inline the frequent half into the JS sweeps (an
 *  un-inlined call boxes its double result); asc inlines both halves. */
/* @inline */ export function evaluate(op: i32, x: f64, w: f64, c: f64 = 0): f64 {
  if (op == Op.Add) return x + w;
  if (op == Op.Mul) return x * w;
  if (op == Op.Sub) return x - w;
  if (op == Op.Div) return x / w;
  if (op == Op.Square) return x * x;
  if (op == Op.Neg) return -x;
  return evaluateRest(op, x, w, c);
}

/* @inline */ function evaluateRest(op: i32, x: f64, w: f64, c: f64): f64 {
  if (op == Op.Exp) return Math.exp(x);
  if (op == Op.Log) return Math.log(x);
  if (op == Op.Tanh) return Math.tanh(x);
  if (op == Op.Sin) return Math.sin(x);
  if (op == Op.Cos) return Math.cos(x);
  if (op == Op.Sqrt) return Math.sqrt(x);
  if (op == Op.Pow) return Math.pow(x, w);
  if (op == Op.Sigmoid) return sigmoid(x);
  if (op == Op.Relu) return x > 0 ? x : (x == x ? 0 : x);
  if (op == Op.Abs) return Math.abs(x);
  if (op == Op.Max) return x != x || w != w ? NaN : (x > w ? x : (x < w ? w : (x == 0 ? x + w : x)));
  if (op == Op.Min) return x != x || w != w ? NaN : (x < w ? x : (x > w ? w : (x == 0 ? -(-x - w) : x)));
  if (op == Op.Softplus) return softplus(x);
  if (op == Op.Log1p) return Math.log1p(x);
  if (op == Op.Expm1) return Math.expm1(x);
  if (op == Op.Atan) return Math.atan(x);
  if (op == Op.Atan2) return Math.atan2(x, w);
  if (op == Op.Hypot) return Math.hypot(x, w);
  if (op == Op.Tan) return Math.tan(x);
  if (op == Op.Asin) return Math.asin(x);
  if (op == Op.Acos) return Math.acos(x);
  if (op == Op.Sinh) return Math.sinh(x);
  if (op == Op.Cosh) return Math.cosh(x);
  if (op == Op.Asinh) return Math.asinh(x);
  if (op == Op.Acosh) return Math.acosh(x);
  if (op == Op.Atanh) return Math.atanh(x);
  if (op == Op.Log2) return Math.log2(x);
  if (op == Op.Log10) return Math.log10(x);
  if (op == Op.Cbrt) return Math.cbrt(x);
  if (op == Op.Erf) return erf(x);
  if (op == Op.Lt) return x < w ? 1 : 0;
  if (op == Op.Le) return x <= w ? 1 : 0;
  if (op == Op.Gt) return x > w ? 1 : 0;
  if (op == Op.Ge) return x >= w ? 1 : 0;
  if (op == Op.Eq) return x == w ? 1 : 0;
  if (op == Op.Where) return isTrue(c) ? x : w;                              // y = c ? a : b
  if (op == Op.StopGradient) return x;                                       // y = a
  // Param, Const and Input rows compute nothing; an op without a rule gives NaN, which the
  // op-table tests catch (every op's value is checked against Math).
  return NaN;
}

/** ∂y/∂a of the last `partials` call. */
export let partialA: f64 = 0;
/** ∂y/∂b of the last `partials` call. */
export let partialB: f64 = 0;

/** The derivative rules: sets partialA = ∂y/∂a and partialB = ∂y/∂b at (x, w) with value y
 *  (and Where's condition c). Kinks take the conventions documented in README (abs/relu: 0 at
 *  0, min/max ties: ½ each). */
/* @inline */ export function partials(op: i32, x: f64, w: f64, y: f64, c: f64 = 0): void {
  partialB = 0;
  if (op == Op.Add) { partialA = 1; partialB = 1; return; }                  // d(a+b) = da + db
  if (op == Op.Mul) { partialA = w; partialB = x; return; }                  // d(ab) = b da + a db
  if (op == Op.Sub) { partialA = 1; partialB = -1; return; }                 // d(a−b) = da − db
  if (op == Op.Div) { partialA = 1 / w; partialB = -y / w; return; }         // d(a/b) = da/b − (a/b) db/b
  if (op == Op.Square) { partialA = 2 * x; return; }                         // d a² = 2a da
  if (op == Op.Neg) { partialA = -1; return; }                               // d(−a) = −da
  partialsRest(op, x, w, y, c);
}

/* @inline */ function partialsRest(op: i32, x: f64, w: f64, y: f64, c: f64): void {
  if (op == Op.Exp) { partialA = y; return; }                                // d eᵃ = eᵃ da
  if (op == Op.Log) { partialA = 1 / x; return; }                            // d ln a = da/a
  if (op == Op.Tanh) { partialA = 1 - y * y; return; }                       // d tanh a = (1 − tanh² a) da
  if (op == Op.Sin) { partialA = Math.cos(x); return; }                      // d sin a = cos a da
  if (op == Op.Cos) { partialA = -Math.sin(x); return; }                     // d cos a = −sin a da
  if (op == Op.Sqrt) { partialA = y == 0 ? Infinity : 0.5 / y; return; }  // d √a = da/(2√a); +∞ at ±0
  if (op == Op.Pow) {                                                        // d aᵇ = b aᵇ⁻¹ da + aᵇ ln a db
    partialA = w == 0 ? 0 : w * Math.pow(x, w - 1);
    partialB = x == 0 && w > 0 ? 0 : y * Math.log(x);
    return;
  }
  if (op == Op.Sigmoid) { partialA = y * (1 - y); return; }                  // d σ(a) = σ(1 − σ) da
  if (op == Op.Relu) { partialA = x > 0 ? 1 : 0; return; }                   // d relu a = [a > 0] da
  if (op == Op.Abs) { partialA = x > 0 ? 1 : (x < 0 ? -1 : (x == x ? 0 : x)); return; } // d|a| = sign a da
  if (op == Op.Max) { partialA = x > w ? 1 : (x < w ? 0 : 0.5); partialB = 1 - partialA; return; }
  if (op == Op.Min) { partialA = x < w ? 1 : (x > w ? 0 : 0.5); partialB = 1 - partialA; return; }
  if (op == Op.Softplus) { partialA = sigmoid(x); return; }                  // d ln(1 + eᵃ) = σ(a) da
  if (op == Op.Log1p) { partialA = 1 / (1 + x); return; }                    // d ln(1 + a) = da/(1 + a)
  if (op == Op.Expm1) { partialA = y + 1; return; }                          // d(eᵃ − 1) = eᵃ da
  if (op == Op.Atan) { partialA = 1 / (1 + x * x); return; }                 // d atan a = da/(1 + a²)
  if (op == Op.Atan2) {                                                      // d atan2(a, b) = (b da − a db)/(a² + b²)
    const r2 = x * x + w * w;
    partialA = r2 == 0 ? 0 : w / r2;
    partialB = r2 == 0 ? 0 : -x / r2;
    return;
  }
  if (op == Op.Hypot) {                                                      // d √(a² + b²) = (a da + b db)/y
    partialA = y == 0 ? 0 : (y == Infinity ? (x == y || x == -y ? 1 : 0) * (x > 0 ? 1 : -1) : x / y);
    partialB = y == 0 ? 0 : (y == Infinity ? (w == y || w == -y ? 1 : 0) * (w > 0 ? 1 : -1) : w / y);
    return;
  }
  if (op == Op.Tan) { partialA = 1 + y * y; return; }                        // d tan a = (1 + tan² a) da
  if (op == Op.Asin) { partialA = 1 / Math.sqrt(1 - x * x); return; }        // d asin a = da/√(1 − a²)
  if (op == Op.Acos) { partialA = -1 / Math.sqrt(1 - x * x); return; }       // d acos a = −da/√(1 − a²)
  if (op == Op.Sinh) { partialA = Math.cosh(x); return; }                    // d sinh a = cosh a da
  if (op == Op.Cosh) { partialA = Math.sinh(x); return; }                    // d cosh a = sinh a da
  if (op == Op.Asinh) { partialA = 1 / Math.sqrt(x * x + 1); return; }       // d asinh a = da/√(a² + 1)
  if (op == Op.Acosh) { partialA = 1 / Math.sqrt(x * x - 1); return; }       // d acosh a = da/√(a² − 1)
  if (op == Op.Atanh) { partialA = 1 / (1 - x * x); return; }                // d atanh a = da/(1 − a²)
  if (op == Op.Log2) { partialA = 1 / (x * LN2); return; }                   // d log₂ a = da/(a ln 2)
  if (op == Op.Log10) { partialA = 1 / (x * LN10); return; }                 // d log₁₀ a = da/(a ln 10)
  if (op == Op.Cbrt) { partialA = 1 / (3 * y * y); return; }                 // d ∛a = da/(3 ∛a²); +∞ at 0
  if (op == Op.Erf) { partialA = TWO_OVER_SQRT_PI * Math.exp(-x * x); return; } // d erf a = (2/√π) e^(−a²) da
  if (op == Op.Where) { partialA = isTrue(c) ? 1 : 0; partialB = 1 - partialA; return; } // d(c ? a : b) = [c] da + [¬c] db
  if (op == Op.StopGradient) { partialA = 0; return; }                       // d stop(a) = 0 by definition
  // Comparisons are piecewise constant; Param, Const and Input rows have no partials.
  partialA = 0;
}

/** σ(x) = 1/(1 + e⁻ˣ), evaluated on the side where the exponential cannot overflow. */
/* @inline */ export function sigmoid(x: f64): f64 {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** ln(1 + eˣ) without overflow: x + ln(1 + e⁻ˣ) for x > 0. */
/* @inline */ export function softplus(x: f64): f64 {
  if (x > 0) return x + Math.log1p(Math.exp(-x));
  return Math.log1p(Math.exp(x));
}

/** erf by two classic expansions, both free of cancellation (Abramowitz & Stegun 7.1.6 and
 *  the continued fraction 7.1.14 for erfc); |x| ≥ 6 rounds to ±1 in double precision. */
export function erf(x: f64): f64 {
  if (x != x || x == 0) return x; // NaN stays NaN; ±0 keeps its sign
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  let r: f64 = 0;
  if (ax < 3) {
    // erf x = (2/√π) e^(−x²) Σ 2ⁿ x^(2n+1) / (1·3···(2n+1)): all terms positive.
    const x2 = 2 * ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
  } else {
    // erfc x = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
    let tail = ax;
    for (let k = 60; k >= 1; k--) tail = ax + (k as f64) * 0.5 / tail;
    r = 1 - TWO_OVER_SQRT_PI * 0.5 * Math.exp(-ax * ax) / tail;
  }
  return x < 0 ? -r : r;
}

// ── second derivatives (forward-over-reverse: the HVP sweep in assembly/higher.ts) ──

/** ∂²y/∂a² of the last `secondPartials` call. */
export let partialAA: f64 = 0;
/** ∂²y/∂a∂b of the last `secondPartials` call. */
export let partialAB: f64 = 0;
/** ∂²y/∂b² of the last `secondPartials` call. */
export let partialBB: f64 = 0;

/** The second-derivative rules, the derivatives of `partials` (same conventions: where a
 *  partial is defined piecewise constant — kinks, ties, comparisons — its derivatives are 0). */
/* @inline */ export function secondPartials(op: i32, x: f64, w: f64, y: f64): void {
  partialAA = 0;
  partialAB = 0;
  partialBB = 0;
  if (op == Op.Add || op == Op.Sub) return;                                  // linear
  if (op == Op.Mul) { partialAB = 1; return; }                               // ∂²(ab)/∂a∂b = 1
  if (op == Op.Div) { partialAB = -1 / (w * w); partialBB = 2 * y / (w * w); return; } // d²(a/b): −1/b², 2a/b³
  if (op == Op.Square) { partialAA = 2; return; }                            // d² a² = 2
  if (op == Op.Neg) return;
  secondPartialsRest(op, x, w, y);
}

/* @inline */ function secondPartialsRest(op: i32, x: f64, w: f64, y: f64): void {
  if (op == Op.Exp) { partialAA = y; return; }                               // d² eᵃ = eᵃ
  if (op == Op.Log) { partialAA = -1 / (x * x); return; }                    // d² ln a = −1/a²
  if (op == Op.Tanh) { partialAA = -2 * y * (1 - y * y); return; }          // d² tanh a = −2 tanh a (1 − tanh² a)
  if (op == Op.Sin || op == Op.Cos) { partialAA = -y; return; }              // d² sin a = −sin a, d² cos a = −cos a
  if (op == Op.Sqrt) { partialAA = -0.25 / (y * y * y); return; }            // d² √a = −1/(4 a^{3/2})
  if (op == Op.Pow) {                                                        // ∂²aᵇ: b(b−1)aᵇ⁻², aᵇ⁻¹(1 + b ln a), aᵇ ln² a
    partialAA = w == 0 || w == 1 ? 0 : w * (w - 1) * Math.pow(x, w - 2);
    partialAB = x == 0 && w > 1 ? 0 : Math.pow(x, w - 1) * (1 + w * Math.log(x));
    partialBB = x == 0 && w > 0 ? 0 : y * Math.log(x) * Math.log(x);
    return;
  }
  if (op == Op.Sigmoid) { partialAA = y * (1 - y) * (1 - 2 * y); return; }  // d² σ = σ(1 − σ)(1 − 2σ)
  if (op == Op.Softplus) { const s = sigmoid(x); partialAA = s * (1 - s); return; } // d² ln(1 + eᵃ) = σ(1 − σ)
  if (op == Op.Log1p) { partialAA = -1 / ((1 + x) * (1 + x)); return; }     // d² ln(1 + a) = −1/(1 + a)²
  if (op == Op.Expm1) { partialAA = y + 1; return; }                         // d²(eᵃ − 1) = eᵃ
  if (op == Op.Atan) { const q = 1 + x * x; partialAA = -2 * x / (q * q); return; } // d² atan a = −2a/(1 + a²)²
  if (op == Op.Atan2) {                                                      // ∂² atan2(a, b): −2ab/r⁴, (a² − b²)/r⁴, 2ab/r⁴
    const r2 = x * x + w * w;
    if (r2 == 0) return;
    const r4 = r2 * r2;
    partialAA = -2 * x * w / r4;
    partialAB = (x * x - w * w) / r4;
    partialBB = 2 * x * w / r4;
    return;
  }
  if (op == Op.Hypot) {                                                      // ∂² √(a² + b²): b²/y³, −ab/y³, a²/y³
    if (y == 0 || y == Infinity) return;
    const y3 = y * y * y;
    partialAA = w * w / y3;
    partialAB = -x * w / y3;
    partialBB = x * x / y3;
    return;
  }
  if (op == Op.Tan) { partialAA = 2 * y * (1 + y * y); return; }             // d² tan a = 2 tan a (1 + tan² a)
  if (op == Op.Asin) { const q = 1 - x * x; partialAA = x / (q * Math.sqrt(q)); return; }   // d² asin a = a/(1 − a²)^{3/2}
  if (op == Op.Acos) { const q = 1 - x * x; partialAA = -x / (q * Math.sqrt(q)); return; }  // d² acos a = −a/(1 − a²)^{3/2}
  if (op == Op.Sinh || op == Op.Cosh) { partialAA = y; return; }             // d² sinh a = sinh a, d² cosh a = cosh a
  if (op == Op.Asinh) { const q = x * x + 1; partialAA = -x / (q * Math.sqrt(q)); return; } // d² asinh a = −a/(a² + 1)^{3/2}
  if (op == Op.Acosh) { const q = x * x - 1; partialAA = -x / (q * Math.sqrt(q)); return; } // d² acosh a = −a/(a² − 1)^{3/2}
  if (op == Op.Atanh) { const q = 1 - x * x; partialAA = 2 * x / (q * q); return; }         // d² atanh a = 2a/(1 − a²)²
  if (op == Op.Log2) { partialAA = -1 / (x * x * LN2); return; }             // d² log₂ a = −1/(a² ln 2)
  if (op == Op.Log10) { partialAA = -1 / (x * x * LN10); return; }           // d² log₁₀ a = −1/(a² ln 10)
  if (op == Op.Cbrt) { partialAA = -2 / (9 * y * y * y * y * y); return; }   // d² ∛a = −2/(9 a^{5/3})
  if (op == Op.Erf) { partialAA = -2 * x * TWO_OVER_SQRT_PI * Math.exp(-x * x); return; } // d² erf a = −2a (2/√π) e^(−a²)
  // Relu, Abs, Max, Min, Where, the comparisons and StopGradient: every second derivative is 0.
}

/** p·t, where a zero p contributes nothing even against an infinite or NaN t (JAX's symbolic
 *  zeros): the untaken branch of a where() or a constant factor adds 0 to a tangent, not NaN. */
/* @inline */ export function times(p: f64, t: f64): f64 {
  return p == 0 ? 0 : p * t;
}
