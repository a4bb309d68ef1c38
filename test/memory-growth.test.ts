/** @file wengert's memory grows without detaching an ArrayBuffer where the platform has shared
 *  memory (V8 slows every typed-array loop of the process after any detach: DESIGN), and works
 *  with a plain memory where it has none. Each case runs in a fresh process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withPlainMemoryImport } from '../src/wasm/memory-import.js';
import { WASM_BASE64 } from '../src/wasm-bytes.js';

const script = fileURLToPath(new URL('./fixtures/scripts/memory-growth.ts', import.meta.url));

function run(...args: string[]): { sharedMemory: boolean; grew: boolean; oldViewLength: number; bytesBefore: number; gradientRight: boolean } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

describe('wasm memory growth', () => {
  it('in Node the memory is shared: a large tape grows it and a view taken before still sees all of it', () => {
    const result = run();
    expect(result.sharedMemory).toBe(true);
    expect(result.grew).toBe(true);
    expect(result.oldViewLength).toBe(result.bytesBefore); // not detached (a detached view has length 0)
    expect(result.gradientRight).toBe(true);
  }, 60_000);

  it('without SharedArrayBuffer it falls back to a plain memory reserved up front, and still differentiates', () => {
    const result = run('plain');
    expect(result.sharedMemory).toBe(false);
    expect(result.grew).toBe(true);
    expect(result.oldViewLength).toBe(0); // a plain memory's grow detaches: why the shared one is preferred
    expect(result.gradientRight).toBe(true);
  }, 60_000);

  it('the plain fallback clears exactly the shared flag of the module\'s memory import', () => {
    const bytes = Buffer.from(WASM_BASE64, 'base64');
    const plain = withPlainMemoryImport(bytes);
    const differing = [...bytes.keys()].filter((i) => bytes[i] !== plain[i]);
    expect(differing).toHaveLength(1);
    expect([bytes[differing[0]], plain[differing[0]]]).toEqual([0x03, 0x01]);
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
    const hostRow = () => {};
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, hostRow } })).toThrow(WebAssembly.LinkError);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(plain as Uint8Array<ArrayBuffer>), { env: { memory, hostRow } });
    expect(typeof instance.exports.tapeCreate).toBe('function');
  });
});
