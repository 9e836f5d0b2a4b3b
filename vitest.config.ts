import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    pool: 'forks',
    // Vitest's default is one worker fewer than the CPUs: one on a 2-core CI
    // machine. Two test files at a time take the suite from about 600 s to
    // 400-450 s there, all green in repeated runs.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_DEV: 'false',
      // Handlers log through Powertools; tests that inspect logs raise the level themselves.
      LOG_LEVEL: 'SILENT',
    },
  },
});
