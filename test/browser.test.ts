/**
 * @file The built library in headless Chromium: the demo page trains (loss falls, held-out
 * accuracy rises) on its own thread and, cross-origin isolated, on two worker threads sharing
 * memory; its wasm gives Node's gradient, and scripts/serve.mjs serves the right MIME types and
 * headers and stays inside its folders. Needs `npm run build` and /usr/bin/chromium.
 */

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_POINT, gradientOfFixedFunction } from '../examples/browser/fixed-function.js';
import type { DemoState } from '../examples/browser/main.js';
import { startServer, type RunningServer } from '../scripts/serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const BUILT = ['dist/src/index.js', 'dist/examples/browser/main.js', 'build/wengert.wasm'];
/** A small model keeps the tape and each step short; the page's defaults are for people. */
const SMALL = '?hidden=32&batch=16&epochs=2';

let server: RunningServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const missing = BUILT.filter((file) => !existsSync(root + file));
  if (missing.length > 0) throw new Error(`the browser test needs the build (${missing.join(', ')} missing): run \`npm run build\` first.`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Chromium with \`apt-get install -y chromium\`.`);
  server = await startServer({ port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the demo page, recording every page error and console error in `problems`. */
async function openDemo(query: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  await page.goto(new URL(query, server!.url).href);
  await page.waitForFunction(() => window.wengertDemo !== undefined, null, { timeout: 15_000 });
  return { page, problems };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The page's state once it has taken `steps` steps (or failed). */
async function trainUntil(page: Page, steps: number): Promise<DemoState> {
  await page.waitForFunction(
    (target) => {
      const s = window.wengertDemo.state();
      return s.phase === 'failed' || s.step >= target;
    },
    steps,
    { timeout: 45_000, polling: 250 },
  );
  return page.evaluate(() => window.wengertDemo.state());
}

describe('the demo page in Chromium', () => {
  it('trains on its own thread: the loss falls, held-out accuracy rises, no errors; saves a screenshot', async () => {
    const { page, problems } = await openDemo(`${SMALL}&workers=0`);
    const state = await trainUntil(page, 200);
    expect(state.error).toBeUndefined();
    expect(state.workers).toBe(0);
    expect(state.losses.length).toBe(state.step);
    expect(state.losses.every(Number.isFinite)).toBe(true);
    const first = mean(state.losses.slice(0, 10));
    const last = mean(state.losses.slice(-10));
    expect(first).toBeGreaterThan(1.5); // untrained: about ln 10 ≈ 2.3
    expect(last).toBeLessThan(0.6 * first);
    expect(state.accuracy).toBeGreaterThan(0.8); // measured at step 200; chance is 0.1
    mkdirSync(`${root}test-results`, { recursive: true });
    await page.screenshot({ path: `${root}test-results/browser.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('served cross-origin isolated, trains on two worker threads by default (shared memory)', async () => {
    const { page, problems } = await openDemo(SMALL);
    const state = await trainUntil(page, 100);
    expect(state.error).toBeUndefined();
    expect(state.crossOriginIsolated).toBe(true);
    expect(state.workers).toBe(2);
    expect(await page.locator('#model').textContent()).toContain('split across 2 worker threads (shared memory)');
    expect(state.losses.every(Number.isFinite)).toBe(true);
    expect(mean(state.losses.slice(-10))).toBeLessThan(0.75 * mean(state.losses.slice(0, 10)));
    expect(state.accuracy).toBeGreaterThan(0.6); // measured at step 100; chance is 0.1
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("gives Node's gradient of a fixed function to 1e-12", async () => {
    const { page, problems } = await openDemo('?hidden=1&batch=1&epochs=1');
    const inBrowser: number[] = await page.evaluate(() => window.wengertDemo.gradientOfFixedFunction());
    const inNode = gradientOfFixedFunction();
    // ∂/∂xᵢ [Σ sin(xᵢ)xᵢ₊₁ + exp(x₀)/(1 + x₁²)], by hand: guards against both sides being wrong alike.
    const x = FIXED_POINT;
    const q = 1 + x[1] * x[1];
    const byHand = x.map((xi, i) => (i + 1 < x.length ? Math.cos(xi) * x[i + 1] : 0) + (i > 0 ? Math.sin(x[i - 1]) : 0));
    byHand[0] += Math.exp(x[0]) / q;
    byHand[1] -= (2 * x[1] * Math.exp(x[0])) / (q * q);
    expect(inBrowser).toHaveLength(x.length);
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(inBrowser[i] - inNode[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(inNode[i])));
      expect(Math.abs(inNode[i] - byHand[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(byHand[i])));
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it('compiled functions replay through generated code on the main thread, to the bit; over the synchronous-compile limit they start on the interpreter and switch once WebAssembly.compile resolves', async () => {
    const { page, problems } = await openDemo('?hidden=1&batch=1&epochs=1');
    // A string, so that the test runner's transform leaves the page's dynamic import alone.
    const result = (await page.evaluate(`(async () => {
      const w = await import('/dist/src/index.js');
      const sweeps = await import('/dist/src/codegen/generated-sweeps.js');
      const rosenbrock = (v) => {
        let s = 0;
        for (let i = 0; i + 1 < v.length; i++) s = w.add(s, w.add(w.mul(100, w.square(w.sub(v.at(i + 1), w.square(v.at(i))))), w.square(w.sub(1, v.at(i)))));
        return s;
      };
      const n = 200; // 1 800 rows written out (loop not rolled): a module far over the 4 KB a main thread may compile synchronously
      const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
      const rollRows = sweeps.setRollRows(Infinity);
      const interpreted = w.compile(rosenbrock, n, { codegen: 'off' });
      const expected = interpreted.grad(x);
      const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
      // Under Chromium's limit (8 MB here): compiled synchronously, generated from the first replay.
      const direct = w.compile(rosenbrock, n, { codegen: 'auto' });
      const sameDirect = same(direct.grad(x), expected);
      const directStats = { ...direct.stats };
      // Over it (the limit lowered to 0 bytes): the interpreter until the background compile is done.
      sweeps.setAsyncCompileAbove(0);
      const generated = w.compile(rosenbrock, n, { codegen: 'auto' });
      sweeps.setAsyncCompileAbove(Infinity);
      sweeps.setRollRows(rollRows);
      const before = generated.grad(x);
      const first = { ...generated.stats };
      let after = before;
      for (let k = 0; k < 200 && generated.stats.engine !== 'generated'; k++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        after = generated.grad(x);
      }
      return { directStats, sameDirect, first, last: { ...generated.stats }, sameBefore: same(before, expected), sameAfter: same(after, expected) };
    })()`)) as { directStats: { engine: string }; sameDirect: boolean; first: { engine: string; engineReason?: string; moduleBytes: number }; last: { engine: string }; sameBefore: boolean; sameAfter: boolean };
    expect(result.directStats.engine).toBe('generated');
    expect(result.sameDirect).toBe(true);
    expect(result.first.engine).toBe('interpreter');
    expect(result.first.engineReason).toBe('compiling');
    expect(result.first.moduleBytes).toBeGreaterThan(4096);
    expect(result.last.engine).toBe('generated');
    expect(result.sameBefore).toBe(true);
    expect(result.sameAfter).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a long scalar tape's loop runs rolled into a wasm loop in Chromium, to the bit of the interpreter", async () => {
    const { page, problems } = await openDemo('?hidden=1&batch=1&epochs=1');
    const result = (await page.evaluate(`(async () => {
      const w = await import('/dist/src/index.js');
      const rosenbrock = (v) => {
        let s = 0;
        for (let i = 0; i + 1 < v.length; i++) s = w.add(s, w.add(w.mul(100, w.square(w.sub(v.at(i + 1), w.square(v.at(i))))), w.square(w.sub(1, v.at(i)))));
        return s;
      };
      const n = 3000; // about 30 000 rows, 1 KiB of module rolled (700 KiB written out)
      const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
      const interpreted = w.compile(rosenbrock, n, { codegen: 'off' });
      const rolled = w.compile(rosenbrock, n, { codegen: 'auto' });
      const a = rolled.valueAndGrad(x);
      const b = interpreted.valueAndGrad(x);
      const same = Object.is(a.value, b.value) && a.grad.every((v, i) => Object.is(v, b.grad[i]));
      return { same, stats: { ...rolled.stats } };
    })()`)) as { same: boolean; stats: { engine: string; rolledLoops: number; moduleBytes: number; rows: number } };
    expect(result.stats.rows).toBeGreaterThan(20_000);
    expect(result.stats.engine).toBe('generated');
    expect(result.stats.rolledLoops).toBe(1);
    expect(result.stats.moduleBytes).toBeLessThan(4096);
    expect(result.same).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('fused vector loops run by f64x2 lane pairs in Chromium, to the bit of the interpreter (odd and even lengths)', async () => {
    const { page, problems } = await openDemo('?hidden=1&batch=1&epochs=1');
    const result = (await page.evaluate(`(async () => {
      const w = await import('/dist/src/index.js');
      const rosenbrock = (v) => {
        const a = v.slice(0, -1), b = v.slice(1);
        return w.sum(w.add(w.mul(100, w.square(w.sub(b, w.square(a)))), w.square(w.sub(1, a))));
      };
      const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
      return [2, 7, 1000].map((n) => {
        const x = Float64Array.from({ length: n }, (_, i) => 1.5 * Math.cos(i));
        const expected = w.compile(rosenbrock, n, { codegen: 'off' }).valueAndGrad(x);
        const generated = w.compile(rosenbrock, n, { codegen: 'auto' });
        const got = generated.valueAndGrad(x);
        return { n, engine: generated.stats.engine, same: Object.is(got.value, expected.value) && same(got.grad, expected.grad) };
      });
    })()`)) as { n: number; engine: string; same: boolean }[];
    for (const r of result) expect(r, `n = ${r.n}`).toEqual({ n: r.n, engine: 'generated', same: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('gets the wasm as application/wasm (compileStreaming takes it): the bytes dist embeds, with the exports Node sees', async () => {
    const { page, problems } = await openDemo('?hidden=1&batch=1&epochs=1');
    const served = await page.evaluate(async () => {
      const type = async (url: string) => (await fetch(url)).headers.get('content-type');
      // Compiled, not instantiated: the module imports its (shared) memory from wengert's loader.
      const module = await WebAssembly.compileStreaming(fetch('/build/wengert.wasm'));
      const bytes = new Uint8Array(await (await fetch('/build/wengert.wasm')).arrayBuffer());
      return {
        base64: btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join('')),
        wasm: await type('/build/wengert.wasm'),
        js: await type('/dist/src/index.js'),
        json: await type('/digits/0.json'),
        html: await type('/'),
        exports: WebAssembly.Module.exports(module).map((e) => e.name).sort(),
      };
    });
    // The library the page imported runs the wasm embedded in dist/: it must be the served bytes.
    const { WASM_BASE64 } = (await import(`${root}dist/src/wasm-bytes.js`)) as { WASM_BASE64: string };
    expect(served.base64 === WASM_BASE64, 'dist/src/wasm-bytes.js does not embed build/wengert.wasm: run `npm run build`').toBe(true);
    expect(served.wasm).toBe('application/wasm');
    expect(served.js).toMatch(/^text\/javascript\b/);
    expect(served.json).toMatch(/^application\/json\b/);
    expect(served.html).toMatch(/^text\/html\b/);
    const inNode = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(`${root}build/wengert.wasm`)));
    expect(served.exports).toEqual(inNode.map((e) => e.name).sort());
    expect(problems).toEqual([]);
    await page.close();
  });
});

/** A raw GET, so that the path reaches the server exactly as written (no client-side normalization). */
function get(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server!.port, path, method }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('scripts/serve.mjs', () => {
  it('refuses paths that climb out of its folders, however they are spelled', async () => {
    const attempts = ['/../package.json', '/dist/../../package.json', '/dist/%2e%2e/package.json', '/dist/..%2f..%2fpackage.json', '/digits/..%5c..%5cpackage.json', '/%2e%2e/%2e%2e/etc/passwd', '/dist/%00.js'];
    for (const path of attempts) {
      const { status, body } = await get(path);
      expect([400, 403, 404], path).toContain(status);
      expect(body, path).not.toContain('"devDependencies"');
      expect(body, path).not.toContain('root:');
    }
  });

  it('makes every response cross-origin isolated (COOP same-origin, COEP require-corp)', async () => {
    for (const path of ['/', '/dist/src/parallel/worker.js', '/no-such-file']) {
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) =>
        request({ host: '127.0.0.1', port: server!.port, path, method: 'HEAD' }, (response) => resolve(response.headers)).on('error', reject).end(),
      );
      expect(headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(headers['cross-origin-embedder-policy'], path).toBe('require-corp');
    }
  });

  it('serves the page at /, answers 404 for missing files and 405 for other methods', async () => {
    expect((await get('/')).body).toContain('<canvas id="chart"');
    expect((await get('/dist/no-such-file.js')).status).toBe(404);
    expect((await get('/', 'POST')).status).toBe(405);
  });
});
