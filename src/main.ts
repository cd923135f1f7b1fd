/**
 * Start-up as a function of the environment, so it can be tested: read the configuration (one line per
 * problem on failure, never a secret), build the logger and the app, and start it.
 */
import { type AppDeps, type BulkjobApp, createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, type Logger, scrub } from './logger.js';

/** The last line of every configuration failure: the way to try bulkjob with no credentials at all. */
export const DEMO_HINT =
  'To try bulkjob without Slack or Cloudflare credentials, `npm run demo` runs the offline demo.';

export interface StartIo {
  env: NodeJS.ProcessEnv;
  /** Where start-up problems go (one line each). */
  stderr: (line: string) => void;
  /** Log destination (tests capture it); default stdout. */
  logDestination?: { write(line: string): void };
  /** App options the environment does not set (tests: Socket Mode timing, watch timing). */
  app?: Partial<Pick<AppDeps, 'socketMode' | 'watchTiming' | 'homeRefreshDelayMs' | 'budgetWindowMs'>>;
  /** Bind one interface (tests: loopback); default all. */
  host?: string;
}

export type StartResult =
  | { ok: true; bot: BulkjobApp; logger: Logger; port: number | undefined }
  | { ok: false; exitCode: number };

export async function startFromEnv(io: StartIo): Promise<StartResult> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.problems) io.stderr(`config: ${line}`);
    io.stderr(DEMO_HINT);
    return { ok: false, exitCode: 1 };
  }
  const secrets = [
    config.slack.signingSecret,
    config.slack.botToken,
    config.slack.appToken,
    config.cloudflare.auth.kind === 'key' ? config.cloudflare.auth.key : config.cloudflare.auth.token,
  ].filter((s): s is string => typeof s === 'string');
  const logger = createLogger({
    level: config.logLevel,
    secrets,
    ...(io.logDestination ? { destination: io.logDestination } : {}),
  });
  let bot: BulkjobApp | undefined;
  try {
    bot = createApp({ config, logger, ...io.app });
    const { port } = await bot.start(undefined, io.host);
    logger.info(
      {
        mode: config.slack.appToken ? 'socket' : 'http',
        port,
        cloudflare: withoutCredentials(config.cloudflare.baseUrl),
        dataDir: config.dataDir,
      },
      'bulkjob is running',
    );
    return { ok: true, bot, logger, port };
  } catch (error) {
    await bot?.stop().catch(() => {});
    const why = error instanceof Error ? error.message : String(error);
    io.stderr(`bulkjob could not start: ${scrub(why, secrets)}`);
    return { ok: false, exitCode: 1 };
  }
}

/** A URL for the logs: any `user:password@` in it is dropped. */
function withoutCredentials(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return '[unparseable URL]';
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}
