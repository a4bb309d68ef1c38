/** @file After tsc: the declarations emitted from assembly/shared/ name AssemblyScript's types
 *  (i32, f64, …), which a TypeScript consumer does not have. Give each such file module-local
 *  aliases, so `skipLibCheck: false` projects type-check (test/package.test.ts checks it). */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../dist/assembly/shared/', import.meta.url);
const ALIASES = 'type i32 = number;\ntype u8 = number;\ntype f64 = number;\ntype bool = boolean;\n';
for (const name of readdirSync(dir).filter((n) => n.endsWith('.d.ts'))) {
  const file = new URL(name, dir);
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(ALIASES)) writeFileSync(file, ALIASES + text);
}
