import { defineConfig } from 'vitest/config';

/** Files that mock modules need a module registry of their own; every other file shares one per worker. */
const ISOLATED = ['test/sim/slack.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The integration suites each start real servers on port 0; two cores are plenty for a few forks.
    pool: 'forks',
    maxWorkers: 2,
    restoreMocks: true,
    projects: [
      {
        extends: true,
        // Importing the bot and the simulators once per worker, not once per file, halves the suite's time.
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
    ],
  },
});
