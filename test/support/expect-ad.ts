/** @file expectAd, the one test helper for derivatives (after Stan's `expect_ad`): value, gradient
 *  vs finite differences, wasm vs js, eager vs compiled, JVP and HVP of a function or an op. */
// Every check runs on both backends at every point, unless a test skips it by name with a
// reason (`skip: { hvp: 'not smooth here' }`); a failure names the function, the point, the
// backend and the check. One compiled function per backend serves all points of a call (and,
// for a catalog op, all calls).
import { expect } from 'vitest';
import { compile, valueAndGrad, Tape, type Backend, type CompiledFunction, type Operand, type Shape } from '../../src/index.js';
import { OP_INFO, opFunction, publicName, type OpInfo, type PublicOpName } from './catalog.js';
import { BACKENDS, EPS, centralDifference, fdStep, isClose, seededRandom, ulpDistance } from '../helpers.js';

/** An argument: a number (a Scalar handle inside f) or a Float64Array (a Vector handle). */
export type Arg = number | Float64Array;
export type Point = readonly Arg[];
/** A function of handles with a scalar result. */
export type AdFunction = (...args: any[]) => Operand;

/** Close when within `ulps` doubles, or when |got − want| ≤ atol·s + rtol·|want|, where s is 1,
 *  or with `scaled` the largest of 1 and the |want| compared together (a gradient's entries are
 *  sums of terms of the size of the largest one). NaN matches NaN, ±∞ only itself. */
export interface Tolerance {
  rtol?: number;
  atol?: number;
  ulps?: number;
  /** true: s over all entries compared together; 'each': s = max(1, |want|) per entry. */
  scaled?: boolean | 'each';
}

/** The checks, in the order they run at each point. */
export type Check =
  | 'reference' // value vs a plain-number function (Math for an op), on each backend
  | 'exact' // value and gradient vs documented values (special values)
  | 'plain' // f on plain numbers (no tape) = the js tape's value, bit for bit
  | 'sameAs' // value, gradient (and Hessian) vs the same function written another way
  | 'gradient' // gradient vs central finite differences of values
  | 'backends' // wasm vs js: value, gradient, JVP, HVP
  | 'compiled' // compile(f).valueAndGrad, replayed at every point = a fresh valueAndGrad there
  | 'jvp' // tangent = ∇f·v and ≈ differences of values along v
  | 'hvp' // H·v ≈ differences of gradients along v
  | 'hessian'; // opt-in: Hessian ≈ differences of gradients, symmetric, H·v = HVP

export interface AdOptions {
  /** Names the function in failure messages (an op's public name by default). */
  name?: string;
  /** y = reference(...point) on plain numbers. */
  reference?: (...xs: number[]) => number;
  /** Documented values at the point: the value compares with Object.is (the sign of a zero and
   *  NaN count); gradient entries compare finite values within 2 ULP, a 0 only with +0 (adjoints
   *  start at +0), ±∞ and NaN with Object.is. */
  exact?: { value: number; grad?: readonly number[] };
  /** Check that f on plain numbers returns the js tape's value bit for bit (on for an op). */
  plain?: boolean;
  /** The same function written another way (e.g. in scalar ops), same arguments. */
  sameAs?: AdFunction;
  /** Also the full Hessian (n gradient differences and n HVPs: for small n; on for an op). */
  hessian?: boolean;
  /** Checks that do not apply, each with the reason. */
  skip?: Partial<Record<Check, string>>;
  tolerance?: {
    reference?: Tolerance;
    sameAs?: Tolerance;
    /** Gradient vs finite differences. */
    gradient?: Tolerance;
    /** wasm vs js values; gradients, tangents and HVPs use `backendGradients`. */
    backends?: Tolerance;
    backendGradients?: Tolerance;
    /** Compiled replay vs eager recording (default: identical). */
    compiled?: Tolerance;
    /** HVP (and Hessian) vs differences of gradients. */
    hvp?: Tolerance;
  };
}

/** What expectAd computed on the js backend at the last point, and the checks it skipped. */
export interface AdReport {
  value: number;
  grad: Float64Array;
  hessian?: Float64Array;
  skipped: Check[];
}

const DEFAULTS = {
  reference: { ulps: 4 },
  sameAs: { rtol: 1e-12, atol: 1e-12, scaled: true },
  gradient: { rtol: 1e-6, atol: 1e-8, scaled: true },
  backends: { rtol: 1e-12 },
  backendGradients: { rtol: 1e-12, atol: 1e-12, scaled: true },
  compiled: { ulps: 0 },
  hvp: { rtol: 1e-5, atol: 1e-6, scaled: true },
} satisfies Required<NonNullable<AdOptions['tolerance']>>;

/** JVP vs ∇f·v, HVP = H·v and the backends' second order: the same sums in another order. */
const SECOND = { rtol: 1e-9, atol: 1e-9, scaled: true };
/** JVP vs differences of values along v (step 1e-6). */
const JVP_FD = { rtol: 1e-5, atol: 1e-6 };

/** For a catalog op: Math within 4 ULP (AS NativeMath vs V8), partials across backends within 4
 *  ULP or 4ε absolutely (1 − tanh² and σ(1 − σ) subtract from a rounded O(1) output). */
const OP_VALUE_ULPS = 4;
const OP_BACKENDS = { ulps: OP_VALUE_ULPS };
const OP_BACKEND_GRADIENTS = { ulps: OP_VALUE_ULPS, atol: 4 * EPS };
/** An op's second derivatives vs differences of its gradient, entry by entry. */
const OP_SECOND_ORDER = { rtol: 1e-5, atol: 1e-6, scaled: 'each' as const };

// ── flat views of arguments ──

const shapesOf = (point: Point): Shape[] => point.map((a) => (typeof a === 'number' ? 'scalar' : a.length));

/** Numbers and arrays, one after another, as one Float64Array. */
export function flatten(parts: readonly (number | ArrayLike<number>)[]): Float64Array {
  const out = new Float64Array(parts.reduce<number>((n, p) => n + (typeof p === 'number' ? 1 : p.length), 0));
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'number') out[at++] = p;
    else {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}

/** x cut into arguments shaped like `like`. */
export function unflatten(x: Float64Array, like: Point): Arg[] {
  let at = 0;
  return like.map((a) => (typeof a === 'number' ? x[at++] : x.slice(at, (at += a.length))));
}

/** A gradient-shaped result (a number or a Float64Array, or an array of them, one per argument)
 *  as one flat vector. */
export const flatGradient = (r: unknown): Float64Array => flatten((Array.isArray(r) ? r : [r]) as Arg[]);
/** A direction v shaped like the arguments, as jvp and hvp take it. */
const shaped = (v: Float64Array, like: Point): Arg | Arg[] => (like.length === 1 ? unflatten(v, like)[0] : unflatten(v, like));

const show = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
const showPoint = (point: Point) =>
  `(${point.map((a) => (typeof a === 'number' ? show(a) : a.length <= 6 ? `[${Array.from(a, show).join(', ')}]` : `[${a.length} values]`)).join(', ')})`;

// ── closeness ──

/** isClose, or within t.ulps doubles. */
const closeEnough = (got: number, want: number, t: Tolerance, scale: number): boolean =>
  (t.ulps !== undefined && ulpDistance(got, want) <= t.ulps) || isClose(got, want, t.rtol ?? 0, (t.atol ?? 0) * scale);

/** One context per point and backend: failures say where they happened. */
class Context {
  constructor(private readonly name: string, private readonly point: Point) {}

  fail(backend: Backend | 'both', check: Check, detail: string): never {
    return expect.fail(`expectAd(${this.name}) at ${showPoint(this.point)} on ${backend}: ${check}: ${detail}`);
  }

  close(backend: Backend | 'both', check: Check, what: string, got: ArrayLike<number>, want: ArrayLike<number>, t: Tolerance): void {
    if (got.length !== want.length) this.fail(backend, check, `${what}: ${got.length} entries, expected ${want.length}`);
    let scale = 1;
    if (t.scaled === true) for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]));
    for (let i = 0; i < want.length; i++) {
      if (t.scaled === 'each') scale = Math.max(1, Math.abs(want[i]));
      if (closeEnough(got[i], want[i], t, scale)) continue;
      const index = want.length > 1 || what.includes('∂') ? `[${i}]` : '';
      this.fail(backend, check, `${what}${index}: got ${show(got[i])}, expected ${show(want[i])} (${ulpDistance(got[i], want[i])} ULP apart; tolerance ${JSON.stringify(t)}${t.scaled ? `, scale ${scale}` : ''})`);
    }
  }
}

// ── evaluation ──

interface Differentiators {
  eager: Map<Backend, (...args: Arg[]) => { value: number; grad: unknown }>;
  compiled: Map<Backend, CompiledFunction>;
}

/** One tape per backend for a catalog op, kept for the whole test file (ops are few). */
const opCache = new Map<string, Differentiators>();

/** Each op as f with exactly its arity as parameters (valueAndGrad and compile check the count). */
const liftedOps = new Map<PublicOpName, AdFunction>();
function opAsFunction(name: PublicOpName): AdFunction {
  let f = liftedOps.get(name);
  if (f === undefined) {
    const op = opFunction(name);
    f = (OP_INFO[name] as OpInfo).arity === 1 ? (x: Operand) => op(x) : (x: Operand, w: Operand) => op(x, w);
    liftedOps.set(name, f);
  }
  return f;
}

/** valueAndGrad of any function, through one valueAndGrad per backend: its tape is reset and
 *  reused (a valueAndGrad per function would leave a tape per function for the GC to free). */
let current: AdFunction = () => 0;
const shared = new Map(
  BACKENDS.map((backend) => {
    const differentiate = valueAndGrad((...handles: unknown[]) => current(...handles), { backend });
    return [backend, (f: AdFunction, args: Point) => {
      current = f;
      return differentiate(...(args as Arg[])) as { value: number; grad: unknown };
    }] as const;
  }),
);

/** f's value by a fresh recording on a reused js tape (finite differences need many). */
const evaluator = new Tape({ backend: 'js' });
export function valueOf(f: AdFunction, point: Point): number {
  evaluator.reset();
  const y = f(...point.map((a) => evaluator.input(a as never)));
  return typeof y === 'number' ? y : y.value;
}

/** ∂f/∂(every coordinate) by central differences, steps ∛ε-sized (fdStep). */
function gradientByDifferences(f: AdFunction, point: Point): Float64Array {
  const x = flatten(point);
  return x.map((xi, i) => {
    const moved = x.slice();
    return centralDifference((t) => {
      moved[i] = t;
      return valueOf(f, unflatten(moved, point));
    }, xi, fdStep(xi));
  });
}

/** (∇f(x + hu) − ∇f(x − hu)) / 2h by the compiled gradient: H·u by differences. */
export function gradientDifference(c: CompiledFunction, x: Float64Array, u: Float64Array, h: number, like: Point): Float64Array {
  const up = flatGradient(c.grad(...unflatten(x.map((xi, i) => xi + h * u[i]), like)));
  const down = flatGradient(c.grad(...unflatten(x.map((xi, i) => xi - h * u[i]), like)));
  return up.map((g, i) => (g - down[i]) / (2 * h));
}

const dotProduct = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const largest = (x: ArrayLike<number>) => Array.from(x).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);

/** A documented special value: Object.is for values; for partials a 0 means +0, a finite value
 *  within 2 ULP. */
function matchesDocumented(got: number, want: number, isValue: boolean): boolean {
  if (want === 0 && !isValue) return Object.is(got, 0);
  if (Number.isFinite(want) && want !== 0) return ulpDistance(got, want) <= 2;
  return Object.is(got, want);
}

// ── the helper ──

/**
 * Checks f (a function of handles, or a catalog op by name) at every point: see `Check` for
 * what, `AdOptions` for how. Returns the js backend's value, gradient (and Hessian) at the last
 * point, and the checks skipped.
 */
export function expectAd(target: AdFunction | PublicOpName, points: readonly Point[], options: AdOptions = {}): AdReport {
  const isOp = typeof target === 'string';
  const f = isOp ? opAsFunction(target) : target;
  const name = options.name ?? (isOp ? publicName(target) : f.name || 'f');
  const skip = options.skip ?? {};
  for (const [check, reason] of Object.entries(skip)) {
    if (!reason) expect.fail(`expectAd(${name}): skipping ${check} needs a reason`);
  }
  const runs = (check: Check) => skip[check] === undefined;
  const opDefaults: AdOptions['tolerance'] = isOp
    ? { gradient: (OP_INFO[target] as OpInfo).fdTolerance, backends: OP_BACKENDS, backendGradients: OP_BACKEND_GRADIENTS, hvp: OP_SECOND_ORDER }
    : {};
  const tolerance = { ...DEFAULTS, ...opDefaults, ...options.tolerance };
  const reference = options.reference ?? (isOp ? (OP_INFO[target] as OpInfo).reference : undefined);
  const plain = options.plain ?? isOp;
  const hessian = (options.hessian ?? isOp) && runs('hessian');
  expect(points.length, `expectAd(${name}): no points`).toBeGreaterThan(0);

  // One set of differentiators for all points (one per op and backend for the whole file).
  let own: Differentiators | undefined;
  let cached = isOp ? opCache.get(target) : undefined;
  if (cached === undefined) {
    cached = { eager: new Map(), compiled: new Map() };
    for (const backend of BACKENDS) {
      cached.eager.set(backend, isOp ? (valueAndGrad(f, { backend }) as never) : (...args) => shared.get(backend)!(f, args));
      if (isOp || runs('compiled') || runs('jvp') || runs('hvp') || hessian) cached.compiled.set(backend, compile(f, ...shapesOf(points[0]), { backend }));
    }
    if (isOp) opCache.set(target, cached);
    else own = cached;
  }
  const sameAs = options.sameAs && runs('sameAs') ? options.sameAs : undefined;

  let report: AdReport | undefined;
  try {
    for (const [k, point] of points.entries()) report = checkPoint(point, k);
  } finally {
    if (own) for (const c of own.compiled.values()) c.dispose();
  }
  return report!;

  function checkPoint(point: Point, k: number): AdReport {
    const at = new Context(name, point);
    const x = flatten(point);
    const n = x.length;
    const random = seededRandom(k * 7919 + n);
    const v = Float64Array.from({ length: n }, () => random() * 2 - 1);
    const results = new Map<Backend, { value: number; grad: Float64Array; tangent?: number; hvp?: Float64Array; hessian?: Float64Array }>();
    const fd = runs('gradient') ? gradientByDifferences(f, point) : undefined;

    for (const backend of BACKENDS) {
      const eager = cached!.eager.get(backend)!(...point);
      const value = eager.value;
      const grad = flatGradient(eager.grad);
      const r: { value: number; grad: Float64Array; tangent?: number; hvp?: Float64Array; hessian?: Float64Array } = { value, grad };
      results.set(backend, r);
      if (grad.length !== n) at.fail(backend, 'gradient', `${grad.length} partials for ${n} coordinates`);

      if (reference && runs('reference')) {
        const want = reference(...(point as number[]));
        at.close(backend, 'reference', 'value', [value], [want], tolerance.reference);
      }
      if (options.exact && runs('exact')) {
        const { value: want, grad: partials } = options.exact;
        if (!matchesDocumented(value, want, true)) at.fail(backend, 'exact', `value ${show(value)}, documented ${show(want)}`);
        partials?.forEach((d, i) => {
          if (!matchesDocumented(grad[i], d, false)) at.fail(backend, 'exact', `∂/∂x${i} ${show(grad[i])}, documented ${show(d)}`);
        });
      }
      if (sameAs) {
        const other = shared.get(backend)!(sameAs, point);
        at.close(backend, 'sameAs', 'value', [value], [other.value], tolerance.sameAs);
        at.close(backend, 'sameAs', 'gradient', grad, flatGradient(other.grad), tolerance.sameAs);
      }
      if (fd) at.close(backend, 'gradient', '∂f vs finite differences', grad, fd, tolerance.gradient);

      const c = cached!.compiled.get(backend);
      if (c && runs('compiled')) {
        const replay = c.valueAndGrad(...point);
        at.close(backend, 'compiled', 'value', [replay.value], [value], tolerance.compiled);
        at.close(backend, 'compiled', 'gradient', flatGradient(replay.grad), grad, tolerance.compiled);
      }
      if (c && runs('jvp')) {
        const { value: y, tangent } = c.jvp(...point, shaped(v, point));
        at.close(backend, 'jvp', 'value', [y as number], [c.value(...point) as number], { ulps: 0 });
        r.tangent = tangent as number;
        at.close(backend, 'jvp', 'tangent vs ∇f·v', [r.tangent], [dotProduct(grad, v)], { ...SECOND, atol: SECOND.atol * Math.max(1, largest(grad)) });
      }
      if (c && runs('hvp')) {
        r.hvp = flatGradient(c.hvp(...point, shaped(v, point)));
      }
      if (c && hessian) {
        const h = c.hessian(...point);
        r.hessian = h;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < i; j++) if (h[i * n + j] !== h[j * n + i] && !(Number.isNaN(h[i * n + j]) && Number.isNaN(h[j * n + i]))) at.fail(backend, 'hessian', `H[${i}, ${j}] = ${h[i * n + j]} but H[${j}, ${i}] = ${h[j * n + i]}`);
        }
        if (r.hvp) {
          const hv = Float64Array.from({ length: n }, (_, i) => dotProduct(h.subarray(i * n, (i + 1) * n), v));
          at.close(backend, 'hessian', 'HVP vs H·v', r.hvp, hv, { ...SECOND, atol: SECOND.atol * Math.max(1, largest(h)) });
        }
        if (sameAs) {
          const other = compile(sameAs, ...shapesOf(point), { backend });
          try {
            at.close(backend, 'sameAs', 'Hessian', h, other.hessian(...point), tolerance.sameAs);
          } finally {
            other.dispose();
          }
        }
      }
    }

    // Finite differences along v and of gradients: one reference for both backends.
    const js = results.get('js')!;
    const wasm = results.get('wasm')!;
    const c = cached!.compiled.get('js');
    if (plain && runs('plain')) {
      const y = (f as (...xs: Arg[]) => unknown)(...point);
      if (typeof y !== 'number') at.fail('js', 'plain', `f on plain numbers returned ${typeof y}, not a number`);
      if (!Object.is(y, js.value)) at.fail('js', 'plain', `f on plain numbers = ${show(y as number)}, the js tape's value ${show(js.value)}`);
    }
    if (js.tangent !== undefined) {
      const step = 1e-6;
      const along = (t: number) => valueOf(f, unflatten(x.map((xi, i) => xi + t * v[i]), point));
      const want = (along(step) - along(-step)) / (2 * step);
      for (const [backend, r] of results) at.close(backend, 'jvp', 'tangent vs differences of values', [r.tangent!], [want], { ...JVP_FD, atol: JVP_FD.atol * Math.max(1, Math.abs(js.value)) });
    }
    if (c && js.hvp) {
      const h = 1e-5 * Math.max(1, largest(x));
      const want = gradientDifference(c, x, v, h, point);
      for (const [backend, r] of results) at.close(backend, 'hvp', 'H·v vs differences of gradients', r.hvp!, want, tolerance.hvp);
    }
    if (c && hessian) {
      const h = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        const e = new Float64Array(n);
        e[i] = 1;
        const column = gradientDifference(c, x, e, 1e-5 * Math.max(1, Math.abs(x[i])), point);
        for (let j = 0; j < n; j++) h[j * n + i] = column[j];
      }
      for (const [backend, r] of results) at.close(backend, 'hessian', 'H vs differences of gradients', r.hessian!, h, tolerance.hvp);
    }
    if (runs('backends')) {
      at.close('both', 'backends', 'wasm vs js value', [wasm.value], [js.value], tolerance.backends);
      at.close('both', 'backends', 'wasm vs js ∂f', wasm.grad, js.grad, tolerance.backendGradients);
      if (js.tangent !== undefined) at.close('both', 'backends', 'wasm vs js JVP', [wasm.tangent!], [js.tangent], { ...SECOND, atol: SECOND.atol * Math.max(1, largest(js.grad)) });
      if (js.hvp) at.close('both', 'backends', 'wasm vs js HVP', wasm.hvp!, js.hvp, SECOND);
      if (js.hessian) at.close('both', 'backends', 'wasm vs js Hessian', wasm.hessian!, js.hessian, SECOND);
    }
    return { value: js.value, grad: js.grad, hessian: js.hessian, skipped: Object.keys(skip) as Check[] };
  }
}
