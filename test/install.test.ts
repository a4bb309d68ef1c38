/** @file The packed tarball installed into a new project, as a user meets it: no install-script
 *  warning, a LICENSE, source maps that need no file outside the package, `require('wengert')`
 *  from a .cjs file, TypeScript projects compiled to CommonJS and to ESM, and every README snippet
 *  type-checked under --strict against the installed package. Needs `npm run build`. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeSnippets } from './readme-snippets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let project: string;
let installLog: string;

/** Runs a file with node in the project; returns its stdout. */
function run(file: string): string {
  const result = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8' });
  expect(result.stderr, `node ${file}`).toBe('');
  expect(result.status, `node ${file}`).toBe(0);
  return result.stdout.trim();
}

/** Type-checks (and emits, when outDir is set) `files` in the project; returns the diagnostics. */
function compileProject(files: string[], options: ts.CompilerOptions): string[] {
  const program = ts.createProgram(files, { strict: true, skipLibCheck: false, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [], ...options });
  const emitted = options.noEmit ? undefined : program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...(emitted?.diagnostics ?? [])].map((d) => {
    const where = d.file ? `${d.file.fileName.slice(project.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

function write(path: string, text: string): string {
  const file = join(project, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const EXPECTED = '{"value":10,"grad":[3,2,1]}';
const USE = `const r = valueAndGrad((x: Scalar, y: Scalar, z: Scalar) => add(mul(x, y), z))(2, 3, 4);
const t = new Tape();
const x = t.input(1);
t.backward(mul(x, x));
const adjoint: number = t.adjoint(x);
if (adjoint !== 2) throw new Error('adjoint ' + adjoint);
console.log(JSON.stringify(r));
`;

describe('the packed tarball in a new project', () => {
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'wengert-user-'));
    // --ignore-scripts: dist/ is built already (prepack would build it again).
    const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: root, encoding: 'utf8' }));
    const tarball = join(project, packed[0].filename);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
    const install = spawnSync(npm, ['install', tarball, '--no-audit', '--no-fund', '--offline'], { cwd: project, encoding: 'utf8' });
    installLog = install.stdout + install.stderr;
    expect(install.status, installLog).toBe(0);
  }, 180_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('installs without an install-script warning, with a LICENSE and no stray files', () => {
    expect(installLog).not.toMatch(/install-scripts|install script/i);
    const installed = join(project, 'node_modules/wengert');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts?.[script], script).toBeUndefined();
    expect(existsSync(join(installed, 'src')), 'TypeScript sources are not shipped').toBe(false);
  });

  it('ships source maps whose sources are embedded or in the package', () => {
    const installed = join(project, 'node_modules/wengert');
    const maps: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.map')) maps.push(path);
      }
    };
    walk(join(installed, 'dist'));
    expect(maps.length).toBeGreaterThan(10);
    for (const path of maps) {
      const map = JSON.parse(readFileSync(path, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((source, i) => {
        const embedded = typeof map.sourcesContent?.[i] === 'string';
        expect(embedded || existsSync(join(path, '..', source)), `${path.slice(installed.length)}: ${source}`).toBe(true);
      });
    }
  });

  it("require('wengert') works from a .cjs file", () => {
    write('main.cjs', `const { valueAndGrad, add, mul, WengertError, ArgumentError } = require('wengert');
let named = false;
try { add(undefined, 1); } catch (e) { named = e instanceof ArgumentError && e instanceof WengertError; }
if (!named) throw new Error('not an ArgumentError');
console.log(JSON.stringify(valueAndGrad((x, y, z) => add(mul(x, y), z))(2, 3, 4)));
`);
    expect(run('main.cjs')).toBe(EXPECTED);
  });

  it('import works from an ES module, with no await', () => {
    write('main.mjs', `import { valueAndGrad, add, mul } from 'wengert';
console.log(JSON.stringify(valueAndGrad((x, y, z) => add(mul(x, y), z))(2, 3, 4)));
`);
    expect(run('main.mjs')).toBe(EXPECTED);
  });

  it('a TypeScript project compiled to CommonJS (module commonjs, and node16 with a .cts file) type-checks and runs', () => {
    const source = `import { valueAndGrad, add, mul, Tape, type Scalar } from 'wengert';\n${USE}`;
    const classic = write('cjs-classic/main.ts', source);
    expect(compileProject([classic], { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, outDir: join(project, 'cjs-classic/out') })).toEqual([]);
    write('cjs-classic/out/package.json', '{ "type": "commonjs" }');
    expect(readFileSync(join(project, 'cjs-classic/out/main.js'), 'utf8')).toMatch(/require\("wengert"\)/);
    expect(run('cjs-classic/out/main.js')).toBe(EXPECTED);
    const modern = write('cjs-node16/main.cts', source);
    expect(compileProject([modern], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, outDir: join(project, 'cjs-node16/out') })).toEqual([]);
    expect(run('cjs-node16/out/main.cjs')).toBe(EXPECTED);
  });

  it('a TypeScript ESM project type-checks and runs', () => {
    const file = write('esm/main.mts', `import { valueAndGrad, add, mul, Tape, type Scalar } from 'wengert';\n${USE}`);
    expect(compileProject([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, outDir: join(project, 'esm/out') })).toEqual([]);
    expect(run('esm/out/main.mjs')).toBe(EXPECTED);
  });

  it('every README snippet, and the result types it promises, type-check under --strict against the installed package', () => {
    const snippets = readmeSnippets(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    const files = snippets.map((s, i) => write(`readme/snippet-${i + 1}-line-${s.line}.mts`, s.code));
    // Beside them, the result types the README promises, checked one assignment at a time.
    files.push(write('readme/typed-results.mts', readFileSync(join(root, 'test/fixtures/consumer/typed-results.mts'), 'utf8')));
    expect(compileProject(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, noUnusedLocals: false })).toEqual([]);
  });
});
