/** @file Import + first gradient in a fresh process: `node [--import tsx] bench/startup.mjs <entry file>`. */
// Plain JS, so the pre-bundled variant runs without tsx in the process. The clock starts
// before the dynamic import and stops after the quickstart gradient; one JSON line out.
import { pathToFileURL } from 'node:url';

const entry = process.argv[2];
if (!entry) throw new Error('usage: node bench/startup.mjs <entry file>');

const scriptStartMs = performance.now(); // ms since process start: node (and tsx) boot
const { valueAndGrad, add, mul } = await import(pathToFileURL(entry).href);
const importedMs = performance.now();
const { value, grad } = valueAndGrad((x, y, z) => add(mul(x, y), z))(2, 3, 4);
const doneMs = performance.now();

if (value !== 10 || grad[0] !== 3 || grad[1] !== 2 || grad[2] !== 1) {
  throw new Error(`quickstart gave value ${value}, gradient ${grad}; expected 10 and [3, 2, 1]`);
}
process.stdout.write(
  `${JSON.stringify({
    scriptStartMs,
    importMs: importedMs - scriptStartMs,
    firstGradientMs: doneMs - importedMs,
    totalMs: doneMs - scriptStartMs,
  })}\n`,
);
