/** @file The built wasm: sweeps dispatch by if-chains (DESIGN: V8 mispredicts Binaryen's
 *  br_table), and the embedded bytes are the built file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WASM_BASE64 } from '../src/wasm-bytes.js';

const wat = readFileSync(new URL('../build/wengert.wat', import.meta.url), 'utf8');

/** Function name → its text, from the .wat that scripts/build-wasm.mjs writes. */
function functions(text: string): Map<string, string> {
  const found = new Map<string, string>();
  const starts = [...text.matchAll(/^ \(func (\$\S+)/gm)];
  starts.forEach((m, i) => found.set(m[1], text.slice(m.index, i + 1 < starts.length ? starts[i + 1].index : undefined)));
  return found;
}

describe('the wasm build', () => {
  const all = functions(wat);

  it('has the sweeps and record paths it should', () => {
    for (const name of ['sweeps/flush', 'sweeps/forward', 'sweeps/reverseFrom', 'sweeps/forwardStoring', 'sweeps/reverseStored', 'sweeps/tangentForward', 'sweeps/secondOrderReverse']) {
      expect([...all.keys()].some((k) => k.endsWith(name)), name).toBe(true);
    }
  });

  it('uses br_table only inside AssemblyScript’s own Math (never in a sweep or kernel)', () => {
    const withTable = [...all].filter(([, body]) => body.includes('br_table')).map(([name]) => name);
    expect(withTable.length).toBeGreaterThan(0); // the check can see br_table at all
    for (const name of withTable) expect(name, `${name} dispatches with br_table`).toMatch(/^\$~lib\/math\//);
  });

  it('embeds exactly build/wengert.wasm', () => {
    const built = readFileSync(new URL('../build/wengert.wasm', import.meta.url));
    expect(Buffer.from(WASM_BASE64, 'base64').equals(built)).toBe(true);
  });
});
