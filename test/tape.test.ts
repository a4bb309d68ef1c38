/** @file Tapes on both backends: gradient shapes, handles, explicit Tape, long chains, reset, growth, memory. */
import { describe, expect, it } from 'vitest';
import {
  Tape, Scalar, Vector, StaleHandleError, TracingError, compile, grad, valueAndGrad, add, sub, mul, div, sqrt, sin, cos, log, exp, square, where, gt, sum, dot,
  type Operand,
} from '../src/index.js';
import { BACKENDS, expectClose } from './helpers.js';

/** Σ vᵢ by a loop of adds (a stand-in for a vector sum). */
function total(v: Iterable<Operand>): Operand {
  let s: Operand = 0;
  for (const x of v) s = add(s, x);
  return s;
}

describe.each(BACKENDS)('%s backend', (backend) => {
  describe('grad and valueAndGrad', () => {
    it('the quickstart: x·y + z at (2, 3, 4) is 10 with gradient (3, 2, 1)', () => {
      expect(valueAndGrad((x, y, z) => add(mul(x, y), z), { backend })(2, 3, 4)).toEqual({ value: 10, grad: [3, 2, 1] });
    });

    it('number → number', () => {
      const g = grad((x) => mul(x, x), { backend })(3);
      expect(g).toBe(6);
    });

    it('Float64Array → Float64Array', () => {
      const g = grad((x: Vector) => total([...x].map((xi) => mul(xi, xi))), { backend })(Float64Array.of(1, 2, 3));
      expect(g).toBeInstanceOf(Float64Array);
      expect(Array.from(g)).toEqual([2, 4, 6]);
    });

    it('the design example: grad(x ↦ Σ x²) at Float64Array [1, 2, 3] is Float64Array [2, 4, 6]', () => {
      const g = grad((x: Vector) => sum(mul(x, x)), { backend })(Float64Array.of(1, 2, 3));
      expect(g).toBeInstanceOf(Float64Array);
      expect(Array.from(g)).toEqual([2, 4, 6]);
    });

    it('number[] → Float64Array', () => {
      const g = grad((x: Vector) => total([...x].map((xi) => mul(xi, xi))), { backend })([1, -2]);
      expect(g).toBeInstanceOf(Float64Array);
      expect(Array.from(g)).toEqual([2, -4]);
    });

    it('several arguments → an array of gradients, each shaped like its argument', () => {
      // f(s, v) = s · Σ vᵢ²: ∂/∂s = Σ vᵢ², ∂/∂v = 2 s v.
      const { value, grad: g } = valueAndGrad((s: Scalar, v: Vector) => mul(s, total([...v].map((e) => square(e)))), { backend })(
        2,
        Float64Array.of(1, 3),
      );
      expect(value).toBe(20);
      expect(Array.isArray(g)).toBe(true);
      expect(g[0]).toBe(10);
      expect(g[1]).toBeInstanceOf(Float64Array);
      expect(Array.from(g[1] as Float64Array)).toEqual([4, 12]);
    });

    it('one argument is unwrapped; a function ignoring its arguments has zero gradients of the same shapes', () => {
      expect(valueAndGrad((x) => sin(x), { backend })(0)).toEqual({ value: 0, grad: 1 });
      const constant = valueAndGrad((_x: Scalar, _v: Vector) => 7, { backend })(1, [1, 2, 3]);
      expect(constant.value).toBe(7);
      expect(constant.grad[0]).toBe(0);
      expect(Array.from(constant.grad[1] as Float64Array)).toEqual([0, 0, 0]);
    });

    it('repeated calls reuse the tape and give the same results', () => {
      const f = valueAndGrad((x, y) => div(sin(x), add(y, 2)), { backend });
      const first = f(0.3, 0.7);
      for (let i = 0; i < 5; i++) f(Math.random(), Math.random());
      expect(f(0.3, 0.7)).toEqual(first);
    });

    it('a nested call of the same gradient function gets a tape of its own', () => {
      let depth = 0;
      const h = valueAndGrad((x): Operand => (depth++ === 0 ? mul(x, h(3).value) : mul(x, x)), { backend });
      expect(h(2)).toEqual({ value: 18, grad: 9 });
    });
  });

  describe('Vector handles', () => {
    it('have a length, at(i) with negative indices, iteration and values', () => {
      const tape = new Tape({ backend });
      const v = tape.input([10, 20, 30]);
      expect(v).toBeInstanceOf(Vector);
      expect(v.length).toBe(3);
      expect(v.at(0).value).toBe(10);
      expect(v.at(2).value).toBe(30);
      expect(v.at(-1).value).toBe(30);
      expect(v.at(-3).value).toBe(10);
      const elements = [...v];
      expect(elements.length).toBe(3);
      expect(elements.every((e) => e instanceof Scalar)).toBe(true);
      expect(elements.map((e) => e.value)).toEqual([10, 20, 30]);
      expect(Array.from(v.value)).toEqual([10, 20, 30]);
      // at(i) names the same slot as the i-th element: gradients land on the vector.
      const y = add(mul(v.at(0), v.at(1)), elements[2]) as Scalar;
      tape.backward(y);
      expect(Array.from(tape.adjoints(v))).toEqual([20, 10, 1]);
      tape.dispose();
    });
  });

  it('a vector or matrix handle\'s value is one copy of its values; stale and traced handles throw as a scalar\'s do', () => {
    const tape = new Tape({ backend });
    const x = tape.input(Float64Array.from({ length: 1000 }, (_, i) => i / 7));
    const y = mul(x, x) as Vector;
    const value = y.value;
    expect(Array.from(value)).toEqual(Array.from({ length: 1000 }, (_, i) => tape.value(y.at(i))));
    value[0] = 42; // a copy: the tape is untouched
    expect(tape.value(y.at(0))).toBe(0);
    expect(Array.from(y.slice(3, 5).value)).toEqual([tape.value(y.at(3)), tape.value(y.at(4))]);
    expect(y.slice(5, 5).value).toEqual(new Float64Array(0));
    expect(Array.from(y.reshape(40, 25).row(2).value)).toEqual(Array.from(y.value.subarray(50, 75)));
    tape.reset();
    expect(() => y.value).toThrow(StaleHandleError);
    expect(() => compile((v: Vector) => (v.value[0] > 0 ? sum(v) : 0), 3, { backend })).toThrow(TracingError);
  });

  describe('explicit Tape', () => {
    it('input, constant, value, backward, adjoint, adjoints and stats', () => {
      const tape = new Tape({ backend });
      expect(tape.backend).toBe(backend);
      expect(tape.stats.nodes).toBe(0);
      const x = tape.input(3);
      const v = tape.input(Float64Array.of(1, 2));
      const c = tape.constant(5);
      // y = c·x² + v₀·v₁ = 45 + 2
      const y = add(mul(c, square(x)), mul(v.at(0), v.at(1))) as Scalar;
      expect(tape.value(y)).toBe(47);
      expect(y.value).toBe(47);
      expect(tape.value(c)).toBe(5);
      tape.backward(y);
      expect(tape.adjoint(x)).toBe(30);
      expect(tape.adjoint(c)).toBe(9);
      expect(tape.adjoint(y)).toBe(1);
      expect(Array.from(tape.adjoints(v))).toEqual([2, 1]);
      expect(Array.from(tape.adjoints([x, c, v.at(1)]))).toEqual([30, 9, 1]);
      const out = new Float64Array(2);
      expect(tape.adjoints(v, out)).toBe(out);
      expect(Array.from(out)).toEqual([2, 1]);
      // 4 leaves + square, mul, mul, add; where() adds two rows and one node.
      expect(tape.stats.nodes).toBe(8);
      expect(tape.stats.rows).toBe(8);
      where(gt(x, c), x, c);
      expect(tape.stats.nodes).toBe(10);
      expect(tape.stats.rows).toBe(11);
      expect(tape.stats.bytes).toBeGreaterThanOrEqual(25 * 10);
      tape.dispose();
      expect(tape.disposed).toBe(true);
    });

    it('backward twice with different outputs: adjoints are cleared between sweeps', () => {
      const tape = new Tape({ backend });
      const x = tape.input(0.5);
      const y1 = mul(x, x) as Scalar;
      const y2 = sin(x) as Scalar; // recorded after y1
      const y3 = add(y1, y2) as Scalar;
      tape.backward(y2);
      expect(tape.adjoint(x)).toBe(Math.cos(0.5));
      expect(tape.adjoint(y1)).toBe(0);
      tape.backward(y1);
      expect(tape.adjoint(x)).toBe(1);
      expect(tape.adjoint(y2)).toBe(0);
      tape.backward(y3);
      expectClose(tape.adjoint(x), 1 + Math.cos(0.5), 1e-15, 0, 'd(x² + sin x)');
      tape.backward(y1);
      expect(tape.adjoint(x)).toBe(1);
      tape.dispose();
    });

    it('rows recorded after the output do not affect its gradient (log 0 = −∞ after y)', () => {
      const tape = new Tape({ backend });
      const x = tape.input(2);
      const y = mul(x, 3) as Scalar;
      const zero = sub(x, x);
      const junk = log(zero); // ∂ log/∂a = 1/0: a sweep through it would add 0·∞ = NaN to x
      expect(tape.value(junk as Scalar)).toBe(-Infinity);
      tape.backward(y);
      expect(tape.adjoint(x)).toBe(3);
      tape.dispose();
    });

    it('a chain of 10⁶ nodes (x → sin → sin …) has the analytic gradient Π cos yₖ, with no recursion', () => {
      const n = 1_000_000;
      const tape = new Tape({ backend }); // default reserve: the sweep crosses many segments
      const x = tape.input(1);
      let y: Operand = x;
      let value = 1;
      let derivative = 1;
      for (let k = 0; k < n; k++) {
        y = sin(y);
        derivative *= Math.cos(value);
        value = Math.sin(value);
      }
      expect(tape.stats.nodes).toBe(n + 1);
      expectClose(tape.value(y as Scalar), value, 1e-12, 0, 'value');
      tape.backward(y as Scalar);
      // yₖ → 0 like √(3/k), so the product is ≈ 10⁻⁹, far from underflow.
      expect(derivative).toBeGreaterThan(1e-12);
      expectClose(tape.adjoint(x), derivative, 1e-9, 0, 'dy/dx');
      tape.dispose();
    });

    it('a chain y = mul(y, 1.0000001) of 10⁶ records the constant once and has ∂y/∂x = 1.0000001ⁿ', () => {
      const n = 1_000_000;
      for (const reserve of [undefined, n + 2]) {
        const tape = new Tape({ backend, reserve });
        const x = tape.input(1);
        let y = x;
        for (let k = 0; k < n; k++) y = mul(y, 1.0000001);
        // x, the constant, n products.
        expect(tape.stats.nodes).toBe(n + 2);
        const exact = 1.0000001 ** n;
        expectClose(y.value, exact, 1e-12, 0, 'value');
        tape.backward(y);
        expectClose(tape.adjoint(x), exact, 1e-12, 0, 'dy/dx');
        // What the tape holds, spare capacity included: wasm growth keeps it under a quarter, a JS
        // tape reserved right holds 25 B/node. (The JS tape grows by doubling; a wasm tape
        // reserved for 10⁶ rows holds one 2²⁵-byte block, 33.6 B/node.)
        const perNode = tape.stats.bytes / tape.stats.nodes;
        if (backend === 'wasm' && reserve === undefined) expect(perNode).toBeLessThanOrEqual(32);
        if (backend === 'js' && reserve !== undefined) expect(perNode).toBeLessThanOrEqual(25.1);
        tape.dispose();
      }
    });

    it('number operands after a handle reuse the constants of the last two; +0 and −0, NaN, a number first and a reset do not', () => {
      const tape = new Tape({ backend });
      const x = tape.input(3);
      // Rosenbrock's pattern: two numbers alternating, each recorded once.
      let y: Scalar = x;
      for (let k = 0; k < 10; k++) y = mul(add(y, 1), 0.5);
      expect(tape.stats.nodes).toBe(1 + 2 + 20);
      const before = tape.stats.nodes;
      expect(mul(x, 0).value).toBe(0);
      expect(Object.is(mul(x, -0).value, -0)).toBe(true);
      expect(mul(x, -0).value).toBe(-0);
      expect(tape.stats.nodes).toBe(before + 2 + 2 + 1); // 0 and −0 recorded, −0 reused
      expect(sub(-0, x).value).toBe(-3);
      expect(tape.stats.nodes).toBe(before + 7); // a number first is recorded anew
      expect(Number.isNaN(add(x, NaN).value)).toBe(true);
      expect(Number.isNaN(add(NaN, x).value)).toBe(true);
      expect(tape.stats.nodes).toBe(before + 7 + 4);
      tape.backward(y);
      expect(tape.adjoint(x)).toBe(0.5 ** 10);
      tape.reset();
      const z = tape.input(2);
      expect(mul(z, 0.5).value).toBe(1);
      expect(tape.stats.nodes).toBe(3);
      tape.dispose();
    });

    it('after reset() the same recording gives the same results and stats.bytes does not grow', () => {
      const tape = new Tape({ backend, reserve: 64 });
      const record = () => {
        const v = tape.input(Float64Array.from({ length: 500 }, (_, i) => i / 100));
        const y = total([...v].map((vi, i) => mul(exp(cos(vi)), i % 3))) as Scalar;
        tape.backward(y);
        return { value: tape.value(y), grad: tape.adjoints(v), nodes: tape.stats.nodes, bytes: tape.stats.bytes };
      };
      const first = record();
      for (let i = 0; i < 3; i++) {
        tape.reset();
        expect(tape.stats.nodes).toBe(0);
        expect(tape.stats.bytes).toBe(first.bytes);
        expect(record()).toEqual(first);
      }
      tape.dispose();
    });

    it('a tape reserved for n nodes records n nodes without growing', () => {
      const n = 1000;
      const tape = new Tape({ backend, reserve: n });
      const before = tape.stats.bytes;
      let y: Operand = tape.input(0.5);
      while (tape.stats.nodes < n) y = cos(y);
      expect(tape.stats.nodes).toBe(n);
      expect(tape.stats.bytes).toBe(before);
      tape.dispose();
    });
  });
});

describe('growth', () => {
  it('a wasm tape reserved right holds ≤ 26 bytes per node', () => {
    // A 4 MiB segment: the reserve that fits in 2²² bytes with the segment header and slack.
    const n = Math.floor((2 ** 22 - 132) / 25) & ~3;
    const tape = new Tape({ reserve: n });
    const before = tape.stats.bytes;
    let y: Operand = tape.input(0.5);
    while (tape.stats.nodes < n) y = cos(y);
    expect(tape.stats.nodes).toBe(n);
    expect(tape.stats.bytes).toBe(before);
    expect(tape.stats.bytes / n).toBeLessThanOrEqual(26);
    tape.backward(y as Scalar);
    expect(Number.isFinite(tape.adjoint(y as Scalar))).toBe(true);
    tape.dispose();
  });

  it('a wasm tape growing without reserve holds ≤ 32 B/node from 12 000 nodes to 3·10⁶', () => {
    const tape = new Tape();
    let y = tape.input(1);
    let worst = 0;
    let segments = 0;
    let held = tape.stats.bytes;
    for (let k = 0; k < 3_000_000; k++) {
      y = mul(y, 1.0000001);
      if ((k & 255) === 0 && k >= 12_000) {
        const { nodes, bytes } = tape.stats;
        worst = Math.max(worst, bytes / nodes);
        if (bytes !== held) segments++;
        held = bytes;
      }
    }
    expect(worst).toBeLessThanOrEqual(32);
    expect(worst).toBeGreaterThan(25); // the check saw spare capacity: right after a new segment
    // Each new segment is about a quarter of the tape: log₁.₂₅(75 MB ÷ 128 KiB) ≈ 28 and rounding.
    expect(segments).toBeGreaterThan(20);
    expect(segments).toBeLessThan(60);
    tape.backward(y);
    expect(tape.adjoint(y)).toBe(1);
    tape.dispose();
  });

  it('every kind of row interleaved with reads, across many segments: wasm equals the js tape to the bit', () => {
    // The wasm recording keeps its row and slot counts in JS while ops record and writes them to
    // the segment header only before the core reads it: vector rows (more slots than rows), where
    // (more rows than slots), constants and reads in between must all see the same counts.
    const record = (backend: 'wasm' | 'js') => {
      const tape = new Tape({ backend, reserve: 64 });
      const x = tape.input(Float64Array.from({ length: 40 }, (_, i) => 0.5 + i / 40));
      const reads: number[] = [];
      let acc: Operand = tape.constant(1);
      for (let k = 0; k < 3000; k++) {
        const xi = x.at(k % 40);
        // Exact IEEE ops only (no sin: Math.sin and the core's differ in the last bit).
        let term: Operand = mul(sqrt(xi), add(xi, k % 3));
        if (k % 7 === 0) term = where(gt(term, 0.5), term, square(xi));
        if (k % 11 === 0) term = add(term, dot(tape.data(Float64Array.from({ length: 5 }, (_, i) => i + k)), x.slice(0, 5)));
        if (k % 13 === 0) term = mul(term, tape.input(Float64Array.of(k / 3000, 1)).at(1));
        if (k % 19 === 0) term = sub(term, tape.input(Float64Array.of(k / 5000)).at(0));
        if (k % 17 === 0) term = add(term, tape.constant(k));
        acc = add(mul(acc, 0.999), term);
        if (k % 97 === 0) reads.push(tape.value(acc as Scalar), tape.stats.nodes, tape.stats.rows);
      }
      tape.backward(acc as Scalar);
      const result = { value: tape.value(acc as Scalar), grad: Array.from(tape.adjoints(x)), reads, ...tape.stats, bytes: 0 };
      tape.dispose();
      return result;
    };
    const wasm = record('wasm');
    expect(wasm.rows).toBeGreaterThan(20_000);
    expect(wasm).toEqual(record('js'));
  });

  it('from reserve 64 through many doublings: wasm equals the js tape, bytes ≤ 2 × 25 per row', () => {
    const SLACK = 16384;
    const record = (backend: 'wasm' | 'js') => {
      const tape = new Tape({ backend, reserve: 64 });
      const initial = tape.stats.bytes;
      const x = tape.input(Float64Array.from({ length: 100 }, (_, i) => 1 + i / 50));
      let acc: Operand = tape.constant(0);
      let worst = 0;
      for (let k = 0; tape.stats.nodes < 120_000; k++) {
        // Exact IEEE ops only (add, sub, mul, div, sqrt), so both backends agree to the bit;
        // a where() every few terms puts two-row instructions across segment boundaries.
        const xi = x.at(k % 100);
        const term = div(sqrt(add(mul(xi, xi), k % 7)), add(xi, 1));
        acc = k % 5 === 0 ? where(gt(term, 1), add(acc, term), sub(acc, term)) : add(acc, term);
        const { rows, bytes } = tape.stats;
        if (rows > (backend === 'wasm' ? 40_000 : 4096)) worst = Math.max(worst, (bytes - SLACK) / rows);
      }
      tape.backward(acc as Scalar);
      const result = { value: tape.value(acc as Scalar), grad: tape.adjoints(x), nodes: tape.stats.nodes, rows: tape.stats.rows };
      const grew = tape.stats.bytes / initial;
      tape.dispose();
      return { result, grew, worst };
    };
    const wasm = record('wasm');
    const js = record('js');
    expect(wasm.result.nodes).toBeGreaterThan(100_000);
    expect(wasm.result).toEqual(js.result);
    // 64 rows → 120k rows: about eleven doublings on the JS tape; a wasm segment is at least one
    // 64 KiB page (assembly/layout.ts), so the wasm tape starts there and doubles about six times.
    expect(wasm.grew).toBeGreaterThan(40);
    expect(js.grew).toBeGreaterThan(1000);
    // Doubling holds at most twice the 25 B a row needs, beyond a few KiB of segment headers,
    // rounding and the first small segments. Right after its j-th doubling a wasm tape that
    // started with one page holds 25·(1 + 2ʲ/(2ʲ − 1)) bytes a row (tending to 50; 50.6 B for
    // j = 5, at 81k rows): it is checked from 40k rows on.
    expect(wasm.worst).toBeLessThanOrEqual(51);
    expect(js.worst).toBeLessThanOrEqual(50);
  });
});
