/** @file VecMap for the wasm core: one loop per common op, so the op table's if-chain is
 *  decided once per row instead of once per element.
 *
 *  Each loop below inlines `evaluate`/`partials` from assembly/shared/ops.ts with a constant op,
 *  and asc folds the chain down to that op's rule: the rules stay written once. Ops not listed
 *  take the generic loop, which is assembly/shared/vector.ts's kernel. */
import { Op, evaluate, partials, partialA, partialB } from './shared/ops';
import { BROADCAST_A, BROADCAST_B, DATA_BOTH, vectorForward, vectorReverse } from './shared/vector';
import { vectorTangent } from './shared/vector-higher';
import { valueColumn, tangentColumn, getVal, setVal, getTan, setTan, getOperandTan } from './shared/slots';
import { valueAddress, adjointAddress, SLOT_STRIDE } from './layout';

// @ts-ignore: decorator
@inline function mapForward(f: i32, n: i32, a: i32, sa: usize, b: i32, sb: usize, out: i32): void {
  // A vector's values are one run and its adjoints another (layout.ts): walk them by address.
  let va = valueAddress(a), vb = valueAddress(b), vo = valueAddress(out);
  for (let i = 0; i < n; i++) {
    store<f64>(vo, evaluate(f, load<f64>(va), load<f64>(vb)));
    va += sa;
    vb += sb;
    vo += SLOT_STRIDE;
  }
  memory.fill(adjointAddress(out), 0, <usize>n * SLOT_STRIDE);
}

// @ts-ignore: decorator
@inline function mapReverse(f: i32, n: i32, a: i32, sa: usize, b: i32, sb: usize, out: i32): void {
  let va = valueAddress(a), vb = valueAddress(b), vo = valueAddress(out);
  let ga = adjointAddress(a), gb = adjointAddress(b), go = adjointAddress(out);
  for (let i = 0; i < n; i++) {
    const g = load<f64>(go);
    if (g != 0) { // as the scalar rows: no 0·∞ from elements nothing depends on
      partials(f, load<f64>(va), load<f64>(vb), load<f64>(vo));
      store<f64>(ga, load<f64>(ga) + g * partialA);
      store<f64>(gb, load<f64>(gb) + g * partialB);
    }
    va += sa;
    vb += sb;
    vo += SLOT_STRIDE;
    ga += sa;
    gb += sb;
    go += SLOT_STRIDE;
  }
}

// ── f64x2 loops for the arithmetic ops: values and adjoints are runs (layout.ts), so a lane pair
// is two elements. Each element sees the same IEEE operations as the scalar loop; where an
// element's adjoint is 0 its operands' adjoints are left exactly as they were (no 0·∞), and a
// broadcast operand's adjoint takes the elements' contributions one by one, in order. ──

// @ts-ignore: decorator
@inline function isSimdOp(f: i32): bool {
  return f == Op.Add || f == Op.Sub || f == Op.Mul || f == Op.Square || f == Op.Neg;
}

// @ts-ignore: decorator
@inline function simdValue(f: i32, x: v128, w: v128): v128 {
  if (f == Op.Add) return f64x2.add(x, w);
  if (f == Op.Sub) return f64x2.sub(x, w);
  if (f == Op.Mul) return f64x2.mul(x, w);
  if (f == Op.Square) return f64x2.mul(x, x);
  return f64x2.neg(x);
}

/** ȳ·∂y/∂a, as partials() states it (Square: ∂y/∂a = 2a; Neg: −1). */
// @ts-ignore: decorator
@inline function simdToA(f: i32, g: v128, x: v128, w: v128): v128 {
  if (f == Op.Mul) return f64x2.mul(g, w);
  if (f == Op.Square) return f64x2.mul(g, f64x2.add(x, x));
  if (f == Op.Neg) return f64x2.neg(g);
  return g;
}

/** ȳ·∂y/∂b (Sub: −1). */
// @ts-ignore: decorator
@inline function simdToB(f: i32, g: v128, x: v128): v128 {
  if (f == Op.Mul) return f64x2.mul(g, x);
  if (f == Op.Sub) return f64x2.neg(g);
  return g;
}

// @ts-ignore: decorator
@inline function simdForward(f: i32, n: i32, a: i32, sa: usize, b: i32, sb: usize, out: i32): void {
  const va = valueAddress(a), vb = valueAddress(b), vo = valueAddress(out);
  const xs = f64x2.splat(load<f64>(va)), ws = f64x2.splat(load<f64>(vb));
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const at = <usize>i << 3;
    const x = sa == 0 ? xs : v128.load(va + at);
    const w = sb == 0 ? ws : v128.load(vb + at);
    v128.store(vo + at, simdValue(f, x, w));
  }
  if (i < n) store<f64>(vo + (<usize>i << 3), evaluate(f, load<f64>(va + (sa == 0 ? 0 : <usize>i << 3)), load<f64>(vb + (sb == 0 ? 0 : <usize>i << 3))));
  memory.fill(adjointAddress(out), 0, <usize>n * SLOT_STRIDE);
}

/** Adds a lane pair of contributions c to the run at p where the mask m is set. */
// @ts-ignore: decorator
@inline function addMasked(p: usize, c: v128, m: v128): void {
  const old = v128.load(p);
  v128.store(p, v128.bitselect(f64x2.add(old, c), old, m));
}

/** A broadcast operand's adjoint plus the pair's contributions, lane 0 first (skipping ȳ = 0). */
// @ts-ignore: decorator
@inline function addLanes(sum: f64, c: v128, g: v128): f64 {
  if (f64x2.extract_lane(g, 0) != 0) sum += f64x2.extract_lane(c, 0);
  if (f64x2.extract_lane(g, 1) != 0) sum += f64x2.extract_lane(c, 1);
  return sum;
}

// @ts-ignore: decorator
@inline function simdReverse(f: i32, n: i32, a: i32, sa: usize, b: i32, sb: usize, out: i32): void {
  const unary = f == Op.Square || f == Op.Neg;
  const va = valueAddress(a), vb = valueAddress(b);
  const ga = adjointAddress(a), gb = adjointAddress(b), go = adjointAddress(out);
  const xs = f64x2.splat(load<f64>(va)), ws = f64x2.splat(load<f64>(vb));
  const zero = f64x2.splat(0);
  let sumA: f64 = sa == 0 ? load<f64>(ga) : 0;
  let sumB: f64 = sb == 0 && !unary ? load<f64>(gb) : 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const at = <usize>i << 3;
    const g = v128.load(go + at);
    const m = f64x2.ne(g, zero);
    const x = sa == 0 ? xs : v128.load(va + at);
    const w = sb == 0 ? ws : v128.load(vb + at);
    const ca = simdToA(f, g, x, w);
    if (sa == 0) sumA = addLanes(sumA, ca, g);
    else addMasked(ga + at, ca, m);
    if (!unary) {
      const cb = simdToB(f, g, x);
      if (sb == 0) sumB = addLanes(sumB, cb, g);
      else addMasked(gb + at, cb, m);
    }
  }
  if (i < n) {
    const at = <usize>i << 3;
    const g = load<f64>(go + at);
    if (g != 0) {
      const x = load<f64>(va + (sa == 0 ? 0 : at)), w = load<f64>(vb + (sb == 0 ? 0 : at));
      partials(f, x, w, 0);
      if (sa == 0) sumA += g * partialA;
      else store<f64>(ga + at, load<f64>(ga + at) + g * partialA);
      if (!unary) {
        if (sb == 0) sumB += g * partialB;
        else store<f64>(gb + at, load<f64>(gb + at) + g * partialB);
      }
    }
  }
  if (sa == 0) store<f64>(ga, sumA);
  if (sb == 0 && !unary) store<f64>(gb, sumB);
}

/** Whether a broadcast operand's slot lies inside the other operand's run (mul(x, x.at(0))), or
 *  both are broadcast: then their adjoints interleave, and the scalar loop keeps their order. */
// @ts-ignore: decorator
@inline function broadcastAliases(n: i32, a: i32, sa: usize, b: i32, sb: usize): bool {
  if (sa == 0 && sb == 0) return true;
  return (sa == 0 && a >= b && a < b + n) || (sb == 0 && b >= a && b < a + n);
}

/** y[i] = f(a[i], b[i]) over n slots (flags: which operand is broadcast), adjoints zeroed.
 *  Returns false when it left the row to the generic kernel (which does not zero them). */
export function vecMapForward(n: i32, payload: i32, a: i32, b: i32, out: i32): bool {
  const f = payload & 255;
  const pa = a, pb = b, po = out;
  const sa: usize = (payload & BROADCAST_A) != 0 ? 0 : SLOT_STRIDE;
  const sb: usize = (payload & BROADCAST_B) != 0 ? 0 : SLOT_STRIDE;
  if (isSimdOp(f)) {
    if (f == Op.Add) simdForward(Op.Add, n, pa, sa, pb, sb, po);
    else if (f == Op.Sub) simdForward(Op.Sub, n, pa, sa, pb, sb, po);
    else if (f == Op.Mul) simdForward(Op.Mul, n, pa, sa, pb, sb, po);
    else if (f == Op.Square) simdForward(Op.Square, n, pa, sa, pb, sb, po);
    else simdForward(Op.Neg, n, pa, sa, pb, sb, po);
    return true;
  }
  if (f == Op.Add) mapForward(Op.Add, n, pa, sa, pb, sb, po);
  else if (f == Op.Mul) mapForward(Op.Mul, n, pa, sa, pb, sb, po);
  else if (f == Op.Sub) mapForward(Op.Sub, n, pa, sa, pb, sb, po);
  else if (f == Op.Div) mapForward(Op.Div, n, pa, sa, pb, sb, po);
  else if (f == Op.Square) mapForward(Op.Square, n, pa, sa, pb, sb, po);
  else if (f == Op.Neg) mapForward(Op.Neg, n, pa, sa, pb, sb, po);
  else if (f == Op.Exp) mapForward(Op.Exp, n, pa, sa, pb, sb, po);
  else if (f == Op.Log) mapForward(Op.Log, n, pa, sa, pb, sb, po);
  else if (f == Op.Tanh) mapForward(Op.Tanh, n, pa, sa, pb, sb, po);
  else if (f == Op.Sigmoid) mapForward(Op.Sigmoid, n, pa, sa, pb, sb, po);
  else if (f == Op.Relu) mapForward(Op.Relu, n, pa, sa, pb, sb, po);
  else if (f == Op.Sqrt) mapForward(Op.Sqrt, n, pa, sa, pb, sb, po);
  else if (f == Op.Max) mapForward(Op.Max, n, pa, sa, pb, sb, po);
  else {
    vectorForward(Op.VecMap, n, payload, 0, 0, a, b, out);
    return false;
  }
  return true;
}

/** The adjoints of y[i] = f(a[i], b[i]) into a and b. */
export function vecMapReverse(n: i32, payload: i32, a: i32, b: i32, out: i32): void {
  const f = payload & 255;
  // One operand is data: the portable loop skips its adjoints (rarer than two live operands).
  if ((payload & DATA_BOTH) != 0) {
    vectorReverse(Op.VecMap, n, payload, 0, 0, a, b, out);
    return;
  }
  const pa = a, pb = b, po = out;
  const sa: usize = (payload & BROADCAST_A) != 0 ? 0 : SLOT_STRIDE;
  const sb: usize = (payload & BROADCAST_B) != 0 ? 0 : SLOT_STRIDE;
  if (isSimdOp(f) && !broadcastAliases(n, pa, sa, pb, sb)) {
    if (f == Op.Add) simdReverse(Op.Add, n, pa, sa, pb, sb, po);
    else if (f == Op.Sub) simdReverse(Op.Sub, n, pa, sa, pb, sb, po);
    else if (f == Op.Mul) simdReverse(Op.Mul, n, pa, sa, pb, sb, po);
    else if (f == Op.Square) simdReverse(Op.Square, n, pa, sa, pb, sb, po);
    else simdReverse(Op.Neg, n, pa, sa, pb, sb, po);
    return;
  }
  if (f == Op.Add) mapReverse(Op.Add, n, pa, sa, pb, sb, po);
  else if (f == Op.Mul) mapReverse(Op.Mul, n, pa, sa, pb, sb, po);
  else if (f == Op.Sub) mapReverse(Op.Sub, n, pa, sa, pb, sb, po);
  else if (f == Op.Div) mapReverse(Op.Div, n, pa, sa, pb, sb, po);
  else if (f == Op.Square) mapReverse(Op.Square, n, pa, sa, pb, sb, po);
  else if (f == Op.Neg) mapReverse(Op.Neg, n, pa, sa, pb, sb, po);
  else if (f == Op.Exp) mapReverse(Op.Exp, n, pa, sa, pb, sb, po);
  else if (f == Op.Log) mapReverse(Op.Log, n, pa, sa, pb, sb, po);
  else if (f == Op.Tanh) mapReverse(Op.Tanh, n, pa, sa, pb, sb, po);
  else if (f == Op.Sigmoid) mapReverse(Op.Sigmoid, n, pa, sa, pb, sb, po);
  else if (f == Op.Relu) mapReverse(Op.Relu, n, pa, sa, pb, sb, po);
  else if (f == Op.Sqrt) mapReverse(Op.Sqrt, n, pa, sa, pb, sb, po);
  else if (f == Op.Max) mapReverse(Op.Max, n, pa, sa, pb, sb, po);
  else vectorReverse(Op.VecMap, n, payload, 0, 0, a, b, out);
}

// ── tangents (the tangent sweep): the same one-loop-per-op specialisation, so a sweep of many
// directions over a vector tape (a sparse Jacobian's colours) decides the op once per row. ──

// @ts-ignore: decorator
@inline function mapTangent(f: i32, n: i32, a: i32, sa: i32, b: i32, sb: i32, out: i32, values: bool): void {
  const V = valueColumn(), T = tangentColumn();
  for (let i = 0; i < n; i++) {
    const ia = a + i * sa, ib = b + i * sb;
    const x = getVal(V, ia), w = getVal(V, ib);
    let y: f64;
    if (values) {
      y = evaluate(f, x, w);
      setVal(V, out + i, y);
    } else y = getVal(V, out + i);
    partials(f, x, w, y);                                                   // ẏᵢ = ∂f/∂a ȧᵢ + ∂f/∂b ḃᵢ
    setTan(T, out + i, partialA * getTan(T, ia) + partialB * getOperandTan(T, ib));
  }
}

/** Values (when `values`) and tangents of y[i] = f(a[i], b[i]): vector-higher.ts's VecMap rule,
 *  one loop per common op. */
export function vecMapTangent(n: i32, payload: i32, a: i32, b: i32, out: i32, values: bool): void {
  const f = payload & 255;
  const sa = (payload & BROADCAST_A) != 0 ? 0 : 1;
  const sb = (payload & BROADCAST_B) != 0 ? 0 : 1;
  if (f == Op.Mul) mapTangent(Op.Mul, n, a, sa, b, sb, out, values);
  else if (f == Op.Add) mapTangent(Op.Add, n, a, sa, b, sb, out, values);
  else if (f == Op.Sub) mapTangent(Op.Sub, n, a, sa, b, sb, out, values);
  else if (f == Op.Div) mapTangent(Op.Div, n, a, sa, b, sb, out, values);
  else if (f == Op.Square) mapTangent(Op.Square, n, a, sa, b, sb, out, values);
  else if (f == Op.Neg) mapTangent(Op.Neg, n, a, sa, b, sb, out, values);
  else if (f == Op.Exp) mapTangent(Op.Exp, n, a, sa, b, sb, out, values);
  else if (f == Op.Log) mapTangent(Op.Log, n, a, sa, b, sb, out, values);
  else if (f == Op.Tanh) mapTangent(Op.Tanh, n, a, sa, b, sb, out, values);
  else if (f == Op.Sigmoid) mapTangent(Op.Sigmoid, n, a, sa, b, sb, out, values);
  else if (f == Op.Sqrt) mapTangent(Op.Sqrt, n, a, sa, b, sb, out, values);
  else if (f == Op.Sin) mapTangent(Op.Sin, n, a, sa, b, sb, out, values);
  else if (f == Op.Cos) mapTangent(Op.Cos, n, a, sa, b, sb, out, values);
  else {
    if (values) vectorForward(Op.VecMap, n, payload, 0, 0, a, b, out);
    vectorTangent(Op.VecMap, n, payload, 0, 0, a, b, out);
  }
}
