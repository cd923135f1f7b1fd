/**
 * The whole bot on loopback for the benchmarks, wired as production wires it: the Cloudflare simulator,
 * the Slack simulator, and the real Bolt app in HTTP mode on port 0, configured by `loadConfig` from an
 * environment. Signed requests go from the Slack simulator to the app; the app's Cloudflare calls go to
 * the Cloudflare simulator, which adds the injected latency. Logs are silenced (pino level `silent`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppDeps, type BulkjobApp, createApp } from '../../src/app.js';
import { InProcessBudget } from '../../src/cloudflare/budget.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Store } from '../../src/store/store.js';
import { CloudflareSim } from '../sim/cloudflare.js';
import { SlackSim } from '../sim/slack.js';
import type { ScaledClock } from './clock.js';

export const BENCH_USER = 'U0BENCHUSER';
export const BENCH_CHANNEL = 'C0BENCHROOM';

/**
 * The analyst sending the `i`-th request of a load: fifty of them in turn. A load is a team's, not one
 * person's: one user may take only a quarter of the Cloudflare budget (a view reads three times, a watch
 * start twice), so one user alone could not send a burst of 50 views or start 100 watches.
 */
export function benchUser(i: number): string {
  return `${BENCH_USER}${i % 50}`;
}
const CF_TOKEN = `cf-bench-${randomBytes(8).toString('hex')}`;

export interface BenchStackOptions {
  /** Added by the Cloudflare simulator to every reply (real milliseconds). */
  latencyMs?: number;
  /**
   * Run the app, its store, its Cloudflare budget and the Cloudflare simulator on this faster clock. The
   * Slack simulator stays on real time: Bolt checks request signatures against the real clock.
   */
  clock?: ScaledClock;
  /** Extra environment (e.g. `BULKJOB_CLOUDFLARE_BUDGET`); defaults are production's. */
  env?: Record<string, string>;
  app?: Partial<AppDeps>;
}

export interface BenchStack {
  cf: CloudflareSim;
  /** The simulator's API token (for clients other than the bot's, e.g. the official SDK). */
  cfToken: string;
  slack: SlackSim;
  bot: BulkjobApp;
  store: Store;
  config: Config;
  stop(): Promise<void>;
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = `xoxb-bench-${randomBytes(8).toString('hex')}`;
  const clock = options.clock;
  const cf = await CloudflareSim.start({
    token: CF_TOKEN,
    latencyMs: options.latencyMs ?? 0,
    ...(clock ? { now: clock.now } : {}),
  });
  // Uploaded files are counted, not kept: the simulator's copy would otherwise count as the bot's memory.
  const slack = await SlackSim.start({ signingSecret, botToken, retainUploads: false });
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-bench-'));
  const cleanup: (() => Promise<void> | void)[] = [
    () => slack.close(),
    () => cf.close(),
    () => rmSync(dataDir, { recursive: true, force: true }),
  ];
  try {
    const config = loadConfig({
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      CLOUDFLARE_ACCOUNT_ID: cf.accountId,
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_BASE_URL: cf.baseUrl,
      BULKJOB_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...options.env,
    });
    const logger = createLogger({ level: 'silent', secrets: [signingSecret] });
    const store = openStore({ dataDir, ...(clock ? { now: clock.date } : {}) });
    const clocked: Partial<AppDeps> = clock
      ? {
          now: clock.date,
          cloudflareOptions: {
            now: clock.now,
            sleep: clock.sleep,
            // The production budget (limit from the config, 5-minute window, 70% background share), on the clock.
            budget: new InProcessBudget({
              limit: config.cloudflare.budgetPer5Min,
              now: clock.now,
              setTimer: clock.setTimer,
            }),
          },
        }
      : {};
    const bot = createApp({
      config,
      logger,
      store,
      ...clocked,
      ...options.app,
      cloudflareOptions: { ...clocked.cloudflareOptions, ...options.app?.cloudflareOptions },
    });
    const { port } = await bot.start(0, '127.0.0.1');
    slack.botUrl = `http://127.0.0.1:${port}/slack/events`;
    let stopped = false;
    return {
      cf,
      cfToken: CF_TOKEN,
      slack,
      bot,
      store,
      config,
      async stop() {
        if (stopped) return;
        stopped = true;
        // The app closes the store it was given.
        await bot.stop();
        for (const step of cleanup) await step();
      },
    };
  } catch (error) {
    for (const step of cleanup) await step();
    throw error;
  }
}
