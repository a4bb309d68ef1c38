/** @file The API reference: TypeDoc (typedoc.json) must build it from the TSDoc comments with no
 *  warning — every export documented, no broken {@link}, no public type that names an unexported one. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('npm run docs', () => {
  it('builds the API reference with no warning (treatWarningsAsErrors)', () => {
    const typedoc = `${root}node_modules/typedoc/bin/typedoc`;
    const result = spawnSync(process.execPath, [typedoc, '--emit', 'none', '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8' });
    const log = result.stdout + result.stderr;
    expect(log).not.toMatch(/warning|error/i);
    expect(result.status, log).toBe(0);
  }, 120_000);
});
