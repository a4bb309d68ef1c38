/** @file The built package as a consumer meets it: dist/ type-checks under strict settings with
 *  skipLibCheck off (the shared op table's AssemblyScript type names must not leak), and the
 *  README's quickstart runs from dist/ with no await. Needs `npm run build` (npm ci runs it). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = `${root}dist/src/index.js`;

const CONSUMER = `import { valueAndGrad, grad, compile, add, mul, sum, sin, Tape, Adam, type Vector } from '../../dist/src/index.js';
const r: { value: number } = valueAndGrad((x, y, z) => add(mul(x, y), z))(2, 3, 4);
const g = grad((x) => sum(mul(x, x)))(Float64Array.of(1, 2, 3));
const f = compile((x: Vector) => sum(sin(x)), 3);
const t = new Tape({ backend: 'js' });
const opt = new Adam(new Float64Array(3), { learningRate: 0.1 });
export const all = [r, g, f, t, opt];
`;

describe('the built package', () => {
  it('exists (run npm run build first)', () => {
    expect(existsSync(entry), `${entry} is missing: run npm run build`).toBe(true);
  });

  it('type-checks in a strict consumer with skipLibCheck off', () => {
    const dir = `${root}test-results/consumer`;
    mkdirSync(dir, { recursive: true });
    const file = `${dir}/main.ts`;
    writeFileSync(file, CONSUMER);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 60_000);

  it('bundles with esbuild with no warning, custom ops included (package.json names the one module with side effects)', async () => {
    const { build } = await import('esbuild');
    const dir = `${root}test-results/bundle`;
    mkdirSync(dir, { recursive: true });
    const app = `${dir}/app.mjs`;
    writeFileSync(app, [
      `import { defineOp, grad } from ${JSON.stringify(entry)};`,
      "const cube = defineOp('cube', { value: (x) => x * x * x, vjp: ([x], y, g) => [3 * x * x * g] });",
      'export const g = grad((x) => cube(x))(2);',
    ].join('\n'));
    const result = await build({ entryPoints: [app], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const out = `${dir}/out.mjs`;
    writeFileSync(out, result.outputFiles[0].contents);
    expect((await import(out)).g).toBe(12);
  });

  it('runs the quickstart from dist/ without an await', async () => {
    const wengert = await import(entry);
    expect(wengert.valueAndGrad((x: never, y: never, z: never) => wengert.add(wengert.mul(x, y), z))(2, 3, 4)).toEqual({ value: 10, grad: [3, 2, 1] });
  });
});
