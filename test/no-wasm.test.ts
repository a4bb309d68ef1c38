/** @file Where WebAssembly is unavailable, wengert still imports and the pure-JS tape is the
 *  fallback (DESIGN); the wasm backend fails with a message naming { backend: 'js' }. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('imports and differentiates with the pure-JS tape under node --no-expose-wasm', () => {
  const script = fileURLToPath(new URL('./fixtures/scripts/without-wasm.ts', import.meta.url));
  const child = spawnSync(process.execPath, ['--no-expose-wasm', '--import', 'tsx', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!);
  expect(result.webAssembly).toBe('undefined');
  expect(result.js).toEqual({ value: 6, grad: [3, 2] });
  expect(result.wasmError).toMatch(/^WengertError: WebAssembly is not available.*backend: 'js'/);
}, 60_000);
