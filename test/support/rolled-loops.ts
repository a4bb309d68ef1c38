/** @file Setup of the 'rolled' test project: the generator writes every repeated run of rows it
 *  finds, however short, as a wasm loop, so the compile tests also run through rolled loops
 *  (vitest.config.ts). */
import { setRollRows } from '../../src/codegen/generated-sweeps.js';

setRollRows(8);
