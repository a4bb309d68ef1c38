/** @file VecMap for the wasm core: one loop per common op, so the op table's if-chain is
 *  decided once per row instead of once per element.
 *
 *  Each loop below inlines `evaluate`/`partials` from assembly/shared/ops.ts with a constant op,
 *  and asc folds the chain down to that op's rule: the rules stay written once. Ops not listed
 *  take the generic loop, which is assembly/shared/vector.ts's kernel. */
import { Op, evaluate, partials, partialA, partialB } from './shared/ops';
import { BROADCAST_A, BROADCAST_B, vectorForward, vectorReverse } from './shared/vector';
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

/** y[i] = f(a[i], b[i]) over n slots (flags: which operand is broadcast), adjoints zeroed.
 *  Returns false when it left the row to the generic kernel (which does not zero them). */
export function vecMapForward(n: i32, payload: i32, a: i32, b: i32, out: i32): bool {
  const f = payload & 255;
  const pa = a, pb = b, po = out;
  const sa: usize = (payload & BROADCAST_A) != 0 ? 0 : SLOT_STRIDE;
  const sb: usize = (payload & BROADCAST_B) != 0 ? 0 : SLOT_STRIDE;
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
  const pa = a, pb = b, po = out;
  const sa: usize = (payload & BROADCAST_A) != 0 ? 0 : SLOT_STRIDE;
  const sb: usize = (payload & BROADCAST_B) != 0 ? 0 : SLOT_STRIDE;
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
