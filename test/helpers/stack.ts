/**
 * The whole bot on loopback: the Cloudflare simulator, the Slack simulator, and the real Bolt app in HTTP
 * mode on port 0, configured through `loadConfig` from an environment (as in production). Logs are
 * captured line by line so tests can assert on them (and that no secret is in them).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudflareSim, type SimStartOptions } from '../../dev/sim/cloudflare.js';
import { SlackSim } from '../../dev/sim/slack.js';
import { type AppDeps, type BulkjobApp, createApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

export const CF_TOKEN = 'cf-test-token-0123456789abcdef';
export const USER = 'U0ANALYST';
export const OTHER_USER = 'U0OTHER';
export const CHANNEL = 'C0INCIDENT';

export interface StackOptions {
  env?: Record<string, string>;
  cloudflare?: SimStartOptions;
  /** Reuse a data directory (restart tests). */
  dataDir?: string;
  /** Reuse running simulators (restart tests). */
  sims?: { cf: CloudflareSim; slack: SlackSim; signingSecret: string; botToken: string };
  app?: Partial<AppDeps>;
}

export interface Stack {
  cf: CloudflareSim;
  slack: SlackSim;
  bot: BulkjobApp;
  config: Config;
  port: number;
  logs: string[];
  dataDir: string;
  secrets: string[];
  /** What a second bot needs to reuse these simulators. */
  sims: { cf: CloudflareSim; slack: SlackSim; signingSecret: string; botToken: string };
  /** Stop the bot only (keep simulators and data). */
  stopBot(): Promise<void>;
  /** Stop everything and remove the data directory. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = `xoxb-test-${randomBytes(8).toString('hex')}`;
  const ownsSims = !options.sims;
  const cf = options.sims?.cf ?? (await CloudflareSim.start({ token: CF_TOKEN, ...options.cloudflare }));
  const slack = options.sims?.slack ?? (await SlackSim.start({ signingSecret, botToken }));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'bulkjob-test-'));
  const secretValues = options.sims ?? { signingSecret, botToken };
  const env = {
    SLACK_BOT_TOKEN: secretValues.botToken,
    SLACK_SIGNING_SECRET: secretValues.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    CLOUDFLARE_ACCOUNT_ID: cf.accountId,
    CLOUDFLARE_API_TOKEN: CF_TOKEN,
    CLOUDFLARE_BASE_URL: cf.baseUrl,
    BULKJOB_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const config = loadConfig(env);
  const logs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    secrets: [secretValues.signingSecret],
    destination: { write: (line: string) => void logs.push(line) },
  });
  const bot = createApp({ config, logger, ...options.app });
  const { port } = await bot.start(0);
  slack.botUrl = `http://127.0.0.1:${port}/slack/events`;
  let botStopped = false;
  const stopBot = async () => {
    if (botStopped) return;
    botStopped = true;
    await bot.stop();
  };
  return {
    cf,
    slack,
    bot,
    config,
    port: port!,
    logs,
    dataDir,
    secrets: [secretValues.signingSecret, secretValues.botToken, CF_TOKEN],
    sims: { cf, slack, signingSecret: secretValues.signingSecret, botToken: secretValues.botToken },
    stopBot,
    async stop() {
      await stopBot();
      if (ownsSims) {
        await slack.close();
        await cf.close();
      }
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
