import { statSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Files that mock modules need a module registry of their own; every other file shares one per worker. */
const ISOLATED = ['test/sim/slack.test.ts'];

/**
 * The slow files first, whatever vitest's cache says (a fresh clone has none): the browser suite, then the
 * suites that start whole stacks, each group largest first. Started last, the browser suite ran alone on
 * one worker for its 8 s while the other sat idle.
 */
const SLOW_FIRST = [/\/test\/browser\//, /\/test\/(integration|bench)\//, /\/test\/(sim|build)\//];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification): number => {
      const group = SLOW_FIRST.findIndex((pattern) => pattern.test(file.moduleId));
      return group === -1 ? SLOW_FIRST.length : group;
    };
    const size = (file: TestSpecification): number => statSync(file.moduleId).size;
    return [...files].sort((a, b) => rank(a) - rank(b) || size(b) - size(a));
  }
}

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The integration suites each start real servers on port 0; two cores are plenty for a few forks.
    pool: 'forks',
    maxWorkers: 2,
    restoreMocks: true,
    // One throw-away PostgreSQL cluster for the run (skipped with a hint where PostgreSQL is missing, except in CI).
    globalSetup: ['test/global-setup.ts'],
    sequence: { sequencer: SlowFirstSequencer },
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
