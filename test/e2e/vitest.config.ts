import { defineConfig } from 'vitest/config';

// The console's tests: pure helpers beside the code in web/src, and browser
// tests that start their own devnet and drive Debian's chromium. One file at a
// time: the browser tests start four validator processes on a 2-core machine.
export default defineConfig({
  test: {
    include: ['web/src/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 330_000,
  },
});
