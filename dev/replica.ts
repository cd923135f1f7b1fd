/**
 * One bulkjob replica as its own process, for the multi-replica tests and the benchmark: the production start-up
 * (`startFromEnv`: configuration from the environment, DATABASE_URL selecting the shared store) with the
 * timing a test needs (`BULKJOB_TEST_APP`, JSON: watch timing, budget window). Prints
 * `bulkjob-replica-listening <port>` once it serves; stops gracefully on SIGTERM like src/index.ts.
 */
import { startFromEnv } from '../src/main.js';

const app = JSON.parse(process.env.BULKJOB_TEST_APP ?? '{}');
const started = await startFromEnv({
  env: process.env,
  stderr: (line) => process.stderr.write(`${line}\n`),
  app,
  host: '127.0.0.1',
});
if (!started.ok) process.exit(started.exitCode);
process.stdout.write(`bulkjob-replica-listening ${started.port}\n`);
process.on('SIGTERM', () => {
  started.bot.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
