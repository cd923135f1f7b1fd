/**
 * The only file with side effects: config → logger → app → start; SIGTERM/SIGINT → graceful stop.
 * With no Slack or Cloudflare credentials at all, it runs the offline demo instead of failing.
 */
import { createApp } from './app.js';
import { ConfigError, hasNoCredentials, loadConfig } from './config.js';
import { createLogger } from './logger.js';

/** How long a graceful stop may take before we exit anyway. */
const STOP_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  if (hasNoCredentials()) {
    process.stderr.write('No Slack or Cloudflare credentials set: starting the offline demo (npm run demo).\n');
    const { runDemo } = await import('./demo.js');
    await runDemo();
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.problems) process.stderr.write(`config: ${line}\n`);
      process.exit(1);
    }
    throw error;
  }
  const secrets = [
    config.slack.signingSecret,
    config.cloudflare.auth.kind === 'key' ? config.cloudflare.auth.key : undefined,
  ].filter((s): s is string => typeof s === 'string');
  const logger = createLogger({ level: config.logLevel, secrets });
  const bot = createApp({ config, logger });
  const { port } = await bot.start();
  logger.info(
    { mode: config.slack.appToken ? 'socket' : 'http', port, cloudflare: config.cloudflare.baseUrl },
    'bulkjob is running',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new work, finishing what is in flight');
    const deadline = setTimeout(() => {
      logger.warn('graceful stop took too long; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    bot
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Nothing a user types may crash the process; an escaped rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
}

main().catch((error: unknown) => {
  process.stderr.write(`bulkjob failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
