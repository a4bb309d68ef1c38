/** @file Every documented error: its class, and a message that names the fix. */
import { describe, expect, it } from 'vitest';
import {
  Tape, Scalar, Vector, valueAndGrad, grad, add, mul, sin, cos, where, setMemoryLimit, memoryLimit,
  WengertError, TapeMismatchError, StaleHandleError, ArgumentError, OutOfMemoryError, type Operand,
} from '../src/index.js';
import { core } from '../src/wasm/instance.js';
import { BACKENDS, thrown } from './helpers.js';

type ErrorClass = new (message: string) => WengertError;

/** Asserts that f throws an instance of `type` whose message matches every pattern. */
function expectError(f: () => unknown, type: ErrorClass, ...patterns: RegExp[]): Error {
  const error = thrown(f);
  expect(error, `${error.name}: ${error.message}`).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(WengertError);
  expect(error.name).toBe(type.name);
  for (const pattern of patterns) expect(error.message).toMatch(pattern);
  return error;
}

/** From y = start, records y ← cos(y) + x until `limit` steps or an error; returns the handles,
 *  their values, and the error. */
function recordUntilError(tape: Tape, x: Scalar, limit: number, start: Scalar = x) {
  const handles: Scalar[] = [];
  let y: Operand = start;
  try {
    while (handles.length < limit) {
      y = add(cos(y), x);
      handles.push(y as Scalar);
    }
  } catch (error) {
    return { handles, values: handles.map((h) => tape.value(h)), error: error as Error };
  }
  return { handles, values: handles.map((h) => tape.value(h)), error: undefined };
}

/** dy/dx of the chain above by forward accumulation in plain JS. */
function chainDerivative(x: number, steps: number): number {
  let y = x;
  let dy = 1;
  for (let k = 0; k < steps; k++) {
    dy = -Math.sin(y) * dy + 1;
    y = Math.cos(y) + x;
  }
  return dy;
}

describe.each(BACKENDS)('%s backend', (backend) => {
  describe('TapeMismatchError', () => {
    it('an op given handles from two tapes', () => {
      const t1 = new Tape({ backend });
      const t2 = new Tape({ backend });
      const a = t1.input(1);
      const b = t2.input(2);
      expectError(() => add(a, b), TapeMismatchError, /two different tapes/, /one tape/, /handle\.value/);
      expectError(() => where(a, a, b), TapeMismatchError, /one tape/);
      t1.dispose();
      t2.dispose();
    });

    it('a Tape method given another tape’s handle', () => {
      const t1 = new Tape({ backend });
      const t2 = new Tape({ backend });
      const a = t1.input(1);
      expectError(() => t2.backward(a), TapeMismatchError, /another tape/, /that tape's backward\(\)/);
      expectError(() => t2.adjoint(a), TapeMismatchError, /that tape's adjoint\(\)/);
      expectError(() => t2.value(a), TapeMismatchError, /that tape's value\(\)/);
      expectError(() => t2.adjoints(t1.input([1, 2])), TapeMismatchError, /another tape/);
      t1.dispose();
      t2.dispose();
    });

    it('a differentiated function returning a handle from an outer tape', () => {
      const outer = new Tape({ backend });
      const h = outer.input(3);
      expectError(() => valueAndGrad(() => h, { backend })(1), TapeMismatchError, /build the result from its own arguments/);
      outer.dispose();
    });
  });

  describe('StaleHandleError', () => {
    it('a handle from a disposed tape, in ops and in Tape methods', () => {
      const tape = new Tape({ backend });
      const x = tape.input(1);
      tape.dispose();
      expectError(() => sin(x), StaleHandleError, /disposed or reset/, /live tape|new Tape/);
      expectError(() => add(x, 1), StaleHandleError, /new Tape/);
      expectError(() => x.value, StaleHandleError, /new Tape/);
      expectError(() => tape.input(2), StaleHandleError, /create a new Tape/);
      expectError(() => tape.value(x), StaleHandleError, /create a new Tape/);
      expectError(() => tape.stats, StaleHandleError, /create a new Tape/);
    });

    it('a handle from before reset(), in ops and in Tape methods', () => {
      const tape = new Tape({ backend });
      const old = tape.input(1);
      const oldVector = tape.input([1, 2]);
      tape.reset();
      const fresh = tape.input(2);
      expectError(() => sin(old), StaleHandleError, /record again/);
      expectError(() => mul(old, 2), StaleHandleError, /record again/);
      expectError(() => old.value, StaleHandleError, /record again/);
      expectError(() => tape.value(old), StaleHandleError, /before a reset\(\)/, /record it again/);
      expectError(() => tape.backward(old), StaleHandleError, /record it again/);
      expectError(() => tape.adjoints(oldVector), StaleHandleError, /before a reset\(\)/);
      expect(tape.value(fresh)).toBe(2);
      tape.dispose();
    });

    it('a handle from before reset() meeting a live handle in one op is stale, not a mismatch', () => {
      const tape = new Tape({ backend });
      const old = tape.input(1);
      tape.reset();
      const fresh = tape.input(2);
      expectError(() => add(old, fresh), StaleHandleError, /record/);
      expectError(() => add(fresh, old), StaleHandleError, /record/);
      tape.dispose();
    });
  });

  describe('ArgumentError', () => {
    const f = valueAndGrad((x, y) => mul(x, y), { backend });

    it('wrong argument count', () => {
      expectError(() => f(1), ArgumentError, /takes 2 arguments but was called with 1/);
      expectError(() => f(1, 2, 3), ArgumentError, /takes 2 arguments but was called with 3/);
      expectError(() => f(), ArgumentError, /at least one argument/);
    });

    it.each([
      ['a string', 'a', /string "a"/],
      ['null', null, /null/],
      ['undefined', undefined, /undefined/],
      ['an object that is not a plain one', new Date(0), /object \(Date\)/],
      // An array holding a non-number is a tree node: its entry is named.
      ['an array of strings', ['1'], /string "1"/],
      ['a boolean', true, /boolean/],
    ])('a non-number, non-array argument: %s', (_, bad, named) => {
      expectError(() => f(1, bad as unknown as number), ArgumentError, /argument 1(\[0\])? must be a number, a Float64Array(, a number\[\] or a tree of those| or a number\[\])/, named);
    });

    it('f returning a string or a Vector instead of a scalar handle', () => {
      expectError(() => valueAndGrad((_x) => 'oops' as unknown as Operand, { backend })(1), ArgumentError, /must return a scalar handle or a number/, /string "oops"/);
      expectError(() => grad((v: Vector) => v as unknown as Operand, { backend })([1, 2]), ArgumentError, /must return a scalar handle/, /Vector/, /vjp|jacobian/);
    });

    it('JS operators on a handle (Symbol.toPrimitive)', () => {
      const tape = new Tape({ backend });
      const x = tape.input(2) as unknown as number;
      const v = tape.input([1, 2]) as unknown as number;
      expectError(() => x * 2, ArgumentError, /not a number/, /use the ops/, /handle\.value/);
      expectError(() => x + 1, ArgumentError, /use the ops/);
      expectError(() => `${x}`, ArgumentError, /use the ops/);
      expectError(() => x < 3, ArgumentError, /lt, where/);
      expectError(() => v + 1, ArgumentError, /\.at\(i\)/);
      tape.dispose();
    });

    it('ops given something other than a handle, a number or an array', () => {
      const tape = new Tape({ backend });
      const x = tape.input(1);
      expectError(() => sin('1' as unknown as number), ArgumentError, /sin takes handles, numbers or arrays, got string "1"/);
      expectError(() => mul(null as unknown as number, x), ArgumentError, /mul takes handles, numbers or arrays, got null/);
      expectError(() => add(x, {} as unknown as number), ArgumentError, /add takes handles, numbers or arrays, got an object/);
      expectError(() => where(x, {} as unknown as number, 2), ArgumentError, /where takes handles or numbers, got an object/);
      expectError(() => mul(x, undefined as unknown as number), ArgumentError, /mul takes two operands \(handles or numbers\), got a scalar handle and undefined/);
      expectError(() => add(undefined as unknown as number, x), ArgumentError, /add takes two operands .*got undefined and a scalar handle/);
      expectError(() => sin(undefined as unknown as number), ArgumentError, /sin takes handles, numbers or arrays, got undefined$/);
      tape.dispose();
    });

    it('grad of grad names the second-order functions', () => {
      const inner = grad((x: Operand) => mul(x, x), { backend });
      expectError(() => grad((x: Operand) => inner(x as never), { backend })(1), ArgumentError, /scalar handle/, /grad\(grad\(f\)\)/, /hvp\(f\)/, /hessian\(f\)/);
    });

    it('Vector.at out of range', () => {
      const tape = new Tape({ backend });
      const v = tape.input([1, 2, 3]);
      expectError(() => v.at(3), ArgumentError, /index 3 is out of range for a vector of length 3/);
      expectError(() => v.at(-4), ArgumentError, /index -4 is out of range/);
      expectError(() => v.at(1.5), ArgumentError, /out of range/);
      tape.dispose();
    });

    it('Tape methods given the wrong kind of value', () => {
      const tape = new Tape({ backend });
      const v = tape.input([1, 2]);
      expectError(() => tape.input('1' as unknown as number), ArgumentError, /takes a number, a Float64Array or a number\[\]/);
      expectError(() => tape.constant([1] as unknown as number), ArgumentError, /Tape\.constant takes a number/);
      expectError(() => tape.backward(v as unknown as Scalar), ArgumentError, /takes a scalar handle/, /Vector/);
      expectError(() => tape.adjoints(v, new Float64Array(3)), ArgumentError, /out has length 3 but 2 adjoints/);
      tape.dispose();
    });
  });

  describe('OutOfMemoryError: maxBytes', () => {
    it('a tape whose first segment is over maxBytes fails at construction', () => {
      expectError(() => new Tape({ backend, maxBytes: 1000 }), OutOfMemoryError, /maxBytes/);
    });

    it('exceeding maxBytes throws, keeps every node recorded so far, and the tape keeps working', () => {
      const maxBytes = 200_000;
      const tape = new Tape({ backend, reserve: 64, maxBytes });
      const x = tape.input(0.3);
      const { handles, values, error } = recordUntilError(tape, x, 100_000);
      expect(error, 'no error within 100k nodes').toBeDefined();
      expectError(() => { throw error; }, OutOfMemoryError, /maxBytes/, /reset\(\)/, /unchanged/);
      expect(handles.length).toBeGreaterThan(1000);
      expect(tape.stats.bytes).toBeLessThanOrEqual(maxBytes);
      // Nothing lost: every value is still there and the gradient through all of them is right.
      expect(handles.map((h) => tape.value(h))).toEqual(values);
      const last = handles[handles.length - 1];
      tape.backward(last);
      expect(tape.adjoint(x)).toBeCloseTo(chainDerivative(0.3, handles.length), 9);
      // It throws again rather than corrupting anything, and reset() makes room.
      expectError(() => add(cos(last), x), OutOfMemoryError, /maxBytes/);
      expect(tape.value(last)).toBe(values[values.length - 1]);
      tape.reset();
      const y = tape.input(0.3);
      const again = recordUntilError(tape, y, 1000);
      expect(again.error).toBeUndefined();
      expect(again.values).toEqual(values.slice(0, 1000));
      tape.dispose();
    });
  });

  describe('bad options', () => {
    it.each([
      [{ backend: 'gpu' }, /unknown backend "gpu": use 'wasm' \(default\) or 'js'/],
      [{ reserve: -1 }, /reserve must be a non-negative integer, got -1/],
      [{ reserve: 1.5 }, /reserve must be a non-negative integer/],
      [{ maxBytes: 0 }, /maxBytes must be a positive number of bytes, got 0/],
      [{ maxBytes: -5 }, /maxBytes must be a positive number of bytes/],
      [{ maxBytes: NaN }, /maxBytes must be a positive number of bytes/],
    ])('Tape %o', (options, message) => {
      expectError(() => new Tape({ backend, ...options } as never), ArgumentError, message);
      expectError(() => valueAndGrad((x) => x, { backend, ...options } as never)(1), ArgumentError, message);
    });
  });
});

describe('wasm memory exhausted (setMemoryLimit)', () => {
  it('throws OutOfMemoryError naming the 4 GiB wasm32 limit; after the limit is restored the same tape continues', () => {
    const oldLimit = memoryLimit();
    expect(oldLimit).toBe(4 * 1024 ** 3);
    const tape = new Tape({ reserve: 64 });
    const x = tape.input(0.3);
    const before = recordUntilError(tape, x, 1000);
    expect(before.error).toBeUndefined();
    let during: ReturnType<typeof recordUntilError>;
    try {
      setMemoryLimit(core.memory.buffer.byteLength + 65536); // one page above what memory holds now
      during = recordUntilError(tape, x, 5_000_000, before.handles[before.handles.length - 1]);
      expect(during.error, 'no error within 5M nodes').toBeDefined();
      expectError(() => { throw during.error; }, OutOfMemoryError, /WebAssembly memory is exhausted/, /4 GiB/, /dispose\(\)/, /backend: 'js'/);
      // A new tape cannot get its first segment either.
      expectError(() => new Tape({ reserve: 1_000_000 }), OutOfMemoryError, /4 GiB/);
    } finally {
      setMemoryLimit(oldLimit);
    }
    expect(memoryLimit()).toBe(oldLimit);
    // Same tape, more nodes: the chain continues from its last node; nothing was lost.
    const all = [...before.handles, ...during.handles];
    expect(all.map((h) => tape.value(h))).toEqual([...before.values, ...during.values]);
    const after = recordUntilError(tape, x, 50_000, all[all.length - 1]);
    expect(after.error).toBeUndefined();
    const last = after.handles[after.handles.length - 1];
    tape.backward(last);
    // y₀ = x and each step y ← cos(y) + x: the derivative follows the whole chain.
    const steps = all.length + after.handles.length;
    expect(tape.adjoint(x)).toBeCloseTo(chainDerivative(0.3, steps), 9);
    tape.dispose();
  });

  it('setMemoryLimit rejects a non-positive size', () => {
    expectError(() => setMemoryLimit(0), ArgumentError, /positive number of bytes/);
    expectError(() => setMemoryLimit(NaN), ArgumentError, /positive number of bytes/);
  });
});
