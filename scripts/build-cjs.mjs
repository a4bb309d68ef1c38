/** @file Builds the CommonJS entry (dist/cjs/) that `require('wengert')` loads.
 *
 * The ESM entry waits for the wasm compile with a top-level `await` where a synchronous compile
 * is refused (Chromium's main thread); CommonJS has no top-level await. Node ≥ 20 compiles the
 * embedded wasm synchronously, so the `await` is never reached there: this script bundles src/
 * with esbuild into one CommonJS file, dropping the `await` from src/wasm/instance.ts (the only
 * file allowed one), and copies the declarations under a `"type": "commonjs"` package.json so that
 * TypeScript reads them as CommonJS. */
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/cjs`;
const INSTANCE = /[\\/]src[\\/]wasm[\\/]instance\.ts$/;

/** Removes top-level `await`s from instance.ts; any other file with one fails the build. */
const synchronousWasm = {
  name: 'synchronous-wasm',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!INSTANCE.test(args.path)) return { contents: source, loader: 'ts' };
      // In Node, compileModule() returns a WebAssembly.Module, never a promise, so `await x` is x.
      // Every `await` is dropped, so the file must have no async function whose awaits matter.
      if (/\basync\b/.test(source)) throw new Error(`${args.path} has an async function: drop only its top-level awaits here`);
      return { contents: source.replace(/(^|[=(?:,\s])await\s+/gm, '$1'), loader: 'ts' };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}src/index.ts`],
  outfile: `${out}/index.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'neutral',
  target: 'es2022',
  // src/parallel/platform.ts finds its worker module beside itself (import.meta.url, which CommonJS
  // lacks): point it at the ES module build's copy, dist/src/parallel/, which the package ships.
  define: { 'import.meta.url': '__wengertPlatformUrl' },
  banner: { js: "const __wengertPlatformUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '../src/parallel/platform.js')).href;" },
  sourcemap: true, // with sourcesContent: the map needs no file outside the package
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [synchronousWasm],
});
// Declarations: the ESM ones, read as CommonJS because of the package.json beside them.
writeFileSync(`${out}/package.json`, '{ "type": "commonjs" }\n');
for (const dir of ['src', 'assembly']) {
  cpSync(`${root}dist/${dir}`, `${out}/types/${dir}`, { recursive: true, filter: (path) => !/\.js(\.map)?$/.test(path) });
}
console.log('built dist/cjs/index.cjs and its declarations');
