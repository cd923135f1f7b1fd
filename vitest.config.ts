import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The integration suites each start real servers on port 0; two cores are plenty for a few forks.
    pool: 'forks',
    maxWorkers: 2,
    restoreMocks: true,
  },
});
