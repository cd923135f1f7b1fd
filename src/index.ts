/**
 * The only file with side effects: config → logger → app → start; SIGTERM/SIGINT → graceful stop.
 * This is always the real bot: with no credentials it fails like any configuration error (the offline demo
 * is `npm run demo`, built from `dev/`, and never part of a production build).
 */
import { startFromEnv } from './main.js';

/** How long a graceful stop may take before we exit anyway: inside Docker's default 10 s grace period. */
const STOP_DEADLINE_MS = 9_500;

async function run(): Promise<void> {
  const started = await startFromEnv({ env: process.env, stderr: (line) => process.stderr.write(`${line}\n`) });
  if (!started.ok) {
    process.exitCode = started.exitCode;
    return;
  }
  const { bot, logger } = started;
  // Nothing a user types may crash the process; an escaped rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new work, finishing what is in flight');
    setTimeout(() => {
      logger.warn('graceful stop took too long; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    bot.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

run().catch((error: unknown) => {
  process.stderr.write(`bulkjob failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
