/** @file Setup of the 'interpreter' test project: compiled functions replay on the interpreter
 *  unless a test names an engine, so the compile tests run once per engine (vitest.config.ts). */
import { setDefaultCodegen } from '../../src/codegen/generated-sweeps.js';

setDefaultCodegen('off');
