import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      // Compiled functions replay through generated code where the generator handles the tape.
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      // The compile tests again with the interpreter as the default engine: both engines see
      // every compile, higher-order and fuzz test.
      {
        extends: true,
        test: {
          name: 'interpreter',
          include: ['test/codegen.test.ts', 'test/compile.test.ts', 'test/higher.test.ts', 'test/custom-ops.test.ts', 'test/format-fuzz.test.ts', 'test/properties.test.ts', 'test/stop-gradient.test.ts'],
          setupFiles: ['test/support/interpreter-engine.ts'],
        },
      },
      // The compile tests again with every repeated run of rows, however short, rolled into a
      // wasm loop by the generator (long tapes only roll runs of 256 rows and more).
      {
        extends: true,
        test: {
          name: 'rolled',
          include: ['test/codegen.test.ts', 'test/compile.test.ts', 'test/higher.test.ts', 'test/custom-ops.test.ts', 'test/properties.test.ts', 'test/stop-gradient.test.ts'],
          setupFiles: ['test/support/rolled-loops.ts'],
        },
      },
    ],
  },
});
