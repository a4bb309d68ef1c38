/** @file A compiled function's two engines side by side: the generated code against the
 *  interpreter (`codegen: 'off'`), to the bit. */
import { expect } from 'vitest';
import { compile } from '../../src/index.js';

/** Every number in a result (a number, an array, nested arrays, an object of them), in order. */
export const flat = (x: unknown): number[] =>
  typeof x === 'number' ? [x] : x instanceof Float64Array ? Array.from(x) : Array.isArray(x) ? x.flatMap(flat) : Object.values(x as object).flatMap(flat);

/** Every number of `actual` has the bits of `expected`'s (NaNs of any payload agree). */
export function expectSameBits(actual: unknown, expected: unknown, what: string): void {
  const a = flat(actual), e = flat(expected);
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Object.is(a[i], e[i]) || (Number.isNaN(a[i]) && Number.isNaN(e[i])))) expect.fail(`${what}[${i}]: generated ${a[i]} ≠ interpreter ${e[i]}`);
  }
}

type AnyCompiled = ReturnType<typeof compile> & { valueAndGrad(...args: unknown[]): { value: unknown; grad: unknown } };

/** Compiles `f` for `shapes` on both engines (with `options`), runs `inspect` on the generated
 *  one, and checks that value and gradient agree to the bit at every point, the generated code
 *  running; disposes both. */
export function expectEnginesAgree(
  f: (...args: never[]) => unknown, shapes: unknown[], options: object, points: unknown[][], inspect: (generated: AnyCompiled) => void = () => {},
): void {
  const compileWith = compile as unknown as (f: unknown, ...rest: unknown[]) => AnyCompiled;
  const g = compileWith(f, ...shapes, options);
  const i = compileWith(f, ...shapes, { ...options, codegen: 'off' });
  try {
    inspect(g);
    for (const p of points) {
      const gv = g.valueAndGrad(...p);
      const iv = i.valueAndGrad(...p);
      expect(g.stats.engine, g.stats.engineReason).toBe('generated');
      expectSameBits(gv.value, iv.value, 'value');
      expectSameBits(gv.grad, iv.grad, 'gradient');
    }
  } finally {
    g.dispose();
    i.dispose();
  }
}
