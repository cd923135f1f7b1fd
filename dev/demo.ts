/**
 * The offline demo (`npm run demo`, or `npm start` with no credentials): the real bot, wired to the
 * Cloudflare simulator and the Slack simulator, driven from the playground page in a browser. Nothing
 * leaves the machine: every server listens on loopback, the tokens are made up on the spot, and the data
 * directory is a fresh temporary one that is removed on stop.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp } from '../src/app.js';
import { type Config, DEFAULT_BUDGET_PER_5_MIN } from '../src/config.js';
import { createLogger, type Logger } from '../src/logger.js';
import { ENDED_STATUSES } from '../src/rules.js';
import { COMMAND } from '../src/slack/ids.js';
import { attachPlayground } from './playground/server.js';
import { CloudflareSim, type SimJobSpec, type SimProgress } from './sim/cloudflare.js';
import { SlackSim } from './sim/slack.js';

export interface DemoOptions {
  /**
   * The playground's port. Default: `PORT` from `env`, else 3000, falling back to a free port when that one
   * is taken. An explicit number is used as is (0: any free port).
   */
  port?: number;
  /** Default `127.0.0.1`. Keep it on loopback: the playground drives the bot as the demo user. */
  host?: string;
  /** Where the banner (URL, job ids) goes. Default: stdout. */
  log?: (line: string) => void;
  /** The bot's logger. Default: pino at `logLevel` to stderr. */
  logger?: Logger;
  /** Default `warn`, so the console stays readable. */
  logLevel?: string;
  /** How long the live job takes from start to COMPLETED (default 150 s). */
  liveJobDurationMs?: number;
  /**
   * The simulated Cloudflare's clock, which every job's progress follows (default `Date.now`). Tests move it
   * forward to end the live job on cue instead of waiting for it.
   */
  cloudflareNow?: () => number;
  /** How often a watched card is refreshed (default 5 s). */
  watchIntervalMs?: number;
  /** How often the demo checks whether its live job has ended, to start the next one (default 5 s). */
  liveCheckMs?: number;
  /** Stop everything on SIGINT / SIGTERM (default true; tests pass false). */
  handleSignals?: boolean;
  /** Read for `PORT` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** A job the demo seeds, with the command to try it. */
export interface DemoJob {
  id: string;
  /** A short name, for the page's suggestion chips: "small job". */
  name: string;
  /** What it shows, for the banner: "completed with 3 failures · 40 messages". */
  label: string;
  /** `/bulkjob <id>` (or `/bulkjob watch <id>` for the live job). */
  command: string;
}

export interface DemoJobs {
  small: DemoJob;
  large: DemoJob;
  failures: DemoJob;
  live: DemoJob;
  pending: DemoJob;
}

export interface DemoHandle {
  /** The playground page. */
  url: string;
  jobs: DemoJobs;
  userId: string;
  channelId: string;
  /** The bot's temporary data directory (removed by `stop`). */
  dataDir: string;
  /** The simulators, for tests that want to look behind the page. */
  slack: SlackSim;
  cloudflare: CloudflareSim;
  /** Stops the bot, closes both simulators and removes the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The person at the keyboard: allowed to cancel jobs, so every button of the bot can be tried. */
export const DEMO_USER = { id: 'U0DEMOSOC1', name: 'alex.rivera', realName: 'Alex Rivera (SOC)' } as const;
export const DEMO_CHANNEL = { id: 'C0INCIDENT1', name: 'incident-phish' } as const;

const DEFAULT_PORT = 3000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The live job: PENDING briefly, DISCOVERING, then PROCESSING at a rate that ends it on time. */
function liveProgress(total: number, durationMs: number): SimProgress {
  const startAfterMs = Math.round(durationMs * 0.04);
  const discoverMs = Math.round(durationMs * 0.08);
  const processMs = Math.max(1000, durationMs - startAfterMs - discoverMs);
  return { kind: 'live', startAfterMs, discoverMs, ratePerSecond: (total * 1000) / processMs };
}

/** The demo's jobs: realistic sizes and outcomes of a phishing clean-up, created over the last day. */
function seedJobs(sim: CloudflareSim, now: number, liveJobDurationMs: number): DemoJobs {
  const add = (spec: SimJobSpec, name: string, label: string, verb = ''): DemoJob => {
    const { id } = sim.addJob(spec);
    return { id, name, label, command: `${COMMAND} ${verb}${id}` };
  };
  /** "completed with 3 failures · 40 messages": the label says what the view will, failures included. */
  const completed = (spec: SimJobSpec, name: string): DemoJob => {
    const job = add(spec, name, '');
    const snapshot = sim.jobSnapshot(job.id);
    const failed = Number(snapshot?.messages_failed ?? 0);
    const total = Number(snapshot?.total_messages_discovered ?? 0);
    const outcome = failed === 0 ? 'completed' : `completed with ${failed.toLocaleString('en-US')} failures`;
    return { ...job, label: `${outcome} · ${total.toLocaleString('en-US')} messages` };
  };
  const large = completed(
    {
      total: 25_000,
      failureRate: 0.012,
      createdAt: now - 26 * HOUR,
      comment: 'INC-4198: tenant-wide sweep for the "DocuSign: document pending" campaign',
    },
    'large job',
  );
  const failures = completed(
    {
      total: 1_840,
      actionType: 'RELEASE',
      failureRate: 0.3,
      createdAt: now - 5 * HOUR,
      comment: 'Release false positives from the finance quarantine (INC-4207)',
    },
    'many failures',
  );
  const small = completed(
    {
      total: 40,
      failureRate: 0.05,
      createdAt: now - 95 * MINUTE,
      comment: 'INC-4211: "Invoice overdue" lure sent to the AP team',
    },
    'small job',
  );
  const pending = add(
    {
      total: 6_500,
      destination: 'Junk',
      failureRate: 0.02,
      createdAt: now - 2 * MINUTE,
      progress: { kind: 'static', status: 'PENDING' },
      comment: 'Queued: move the "MFA reset" wave to Junk',
    },
    'pending job',
    'pending · not started',
  );
  const live = addLiveJob(sim, now, liveJobDurationMs);
  return { small, large, failures, live, pending };
}

/** A job that runs now and ends in `durationMs`; the demo starts another whenever one ends. */
function addLiveJob(sim: CloudflareSim, now: number, durationMs: number): DemoJob {
  const { id } = sim.addJob({
    total: 2_400,
    failureRate: 0.04,
    createdAt: now,
    progress: liveProgress(2_400, durationMs),
    comment: 'INC-4215: "Payroll update" credential phish, running now',
  });
  return {
    id,
    name: 'live job (watch)',
    label: `live · completes in about ${Math.max(1, Math.round(durationMs / 1000))} s, then a new one starts`,
    command: `${COMMAND} watch ${id}`,
  };
}

async function listenSlackSim(
  port: number,
  host: string,
  fallback: boolean,
  secrets: { signingSecret: string; botToken: string },
): Promise<SlackSim> {
  try {
    return await SlackSim.start({ ...secrets, port, host });
  } catch (error) {
    if (!fallback || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return SlackSim.start({ ...secrets, port: 0, host });
  }
}

function resolvePort(options: DemoOptions): { port: number; fallback: boolean } {
  if (options.port !== undefined) return { port: options.port, fallback: false };
  const fromEnv = Number((options.env ?? process.env).PORT);
  const port = Number.isInteger(fromEnv) && fromEnv > 0 && fromEnv < 65_536 ? fromEnv : DEFAULT_PORT;
  return { port, fallback: true };
}

/** Starts the simulators, the bot and the playground; prints the URL and the jobs to try. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoHandle> {
  const host = options.host ?? '127.0.0.1';
  const print = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const liveJobDurationMs = options.liveJobDurationMs ?? 150_000;
  const watchIntervalMs = options.watchIntervalMs ?? 5_000;
  const signingSecret = randomBytes(32).toString('hex');
  const botToken = `xoxb-demo-${randomBytes(12).toString('hex')}`;
  const cloudflareToken = `demo-${randomBytes(16).toString('hex')}`;
  const logger =
    options.logger ??
    createLogger({
      level: options.logLevel ?? 'warn',
      secrets: [signingSecret, cloudflareToken],
      destination: process.stderr,
    });

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error }, 'demo: a stop step failed');
      }
    }
    cleanups.length = 0;
  };

  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulkjob-demo-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    const cloudflareNow = options.cloudflareNow ?? Date.now;
    const cloudflare = await CloudflareSim.start({ token: cloudflareToken, now: cloudflareNow });
    cleanups.push(() => cloudflare.close());
    const jobs = seedJobs(cloudflare, cloudflareNow(), liveJobDurationMs);

    const { port, fallback } = resolvePort(options);
    const slack = await listenSlackSim(port, host, fallback, { signingSecret, botToken });
    cleanups.push(() => slack.close());
    slack.setUser({ id: DEMO_USER.id, name: DEMO_USER.name, realName: DEMO_USER.realName });
    slack.setChannel({ id: DEMO_CHANNEL.id, name: DEMO_CHANNEL.name });

    const config: Config = {
      slack: {
        botToken,
        signingSecret,
        appToken: undefined,
        // Without the trailing slash, as loadConfig would have it.
        apiUrl: slack.apiUrl.replace(/\/+$/, ''),
        port: 0,
      },
      cloudflare: {
        accountId: cloudflare.accountId,
        auth: { kind: 'token', token: cloudflareToken },
        baseUrl: cloudflare.baseUrl,
        budgetPer5Min: DEFAULT_BUDGET_PER_5_MIN,
      },
      access: { allowedUsers: null, allowedChannels: null, writeUsers: new Set([DEMO_USER.id]) },
      watch: { intervalSeconds: Math.max(1, Math.round(watchIntervalMs / 1000)), maxHours: 12 },
      dataDir,
      databaseUrl: undefined,
      logLevel: options.logLevel ?? 'warn',
    };
    const bot = createApp({ config, logger, watchTiming: { intervalMs: watchIntervalMs } });
    const { port: botPort } = await bot.start(0, host);
    cleanups.push(() => bot.stop());
    slack.botUrl = `http://${host}:${botPort}/slack/events`;

    const suggestions = [
      { label: 'help', command: `${COMMAND} help` },
      { label: 'list', command: `${COMMAND} list` },
      ...[jobs.small, jobs.large, jobs.failures, jobs.live, jobs.pending].map((job) => ({
        label: job.name,
        command: job.command,
      })),
    ];
    const playground = attachPlayground(slack, { userId: DEMO_USER.id, channelId: DEMO_CHANNEL.id, suggestions });
    // Before the servers close, so open event streams end cleanly.
    cleanups.push(() => playground.close());

    // Always something live to watch: when the live job ends, the next one starts.
    const liveChip = suggestions.find((chip) => chip.command === jobs.live.command)!;
    const nextLive = setInterval(() => {
      const status = cloudflare.jobSnapshot(jobs.live.id)?.status;
      if (typeof status !== 'string' || !ENDED_STATUSES.has(status)) return;
      jobs.live = addLiveJob(cloudflare, cloudflareNow(), liveJobDurationMs);
      liveChip.command = jobs.live.command;
      print(`The live job ended; a new one is running: ${jobs.live.command}`);
    }, options.liveCheckMs ?? 5_000);
    nextLive.unref();
    cleanups.push(() => clearInterval(nextLive));

    let stopping: Promise<void> | undefined;
    const onSignal = (): void => {
      print('\nStopping the demo…');
      void stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await cleanup();
      })();
      return stopping;
    };
    if (options.handleSignals ?? true) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }

    printBanner(print, playground.url, jobs, fallback && !slack.url.endsWith(`:${port}`) ? port : undefined);
    return {
      url: playground.url,
      jobs,
      userId: DEMO_USER.id,
      channelId: DEMO_CHANNEL.id,
      dataDir,
      slack,
      cloudflare,
      stop,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function printBanner(print: (line: string) => void, url: string, jobs: DemoJobs, busyPort: number | undefined): void {
  const rows = [jobs.small, jobs.large, jobs.failures, jobs.live, jobs.pending];
  const width = Math.max(...rows.map((job) => job.command.length));
  print('');
  print('bulkjob demo: the real bot, with simulated Slack and Cloudflare (nothing leaves this machine).');
  if (busyPort !== undefined) print(`Port ${busyPort} is busy; using a free one.`);
  print('');
  print(`  Open ${url}`);
  print('');
  print('  Then type one of these in the message box:');
  for (const job of rows) print(`    ${job.command.padEnd(width)}   # ${job.label}`);
  print(`    ${COMMAND} list`);
  print(
    `    ${`${COMMAND} export ${jobs.failures.id} failed`.padEnd(width)}   # its failed messages as CSV, in your DMs`,
  );
  print('');
  print('  bulkjob under Apps in the sidebar opens your Home tab (watches, cards, recent jobs) and its Messages');
  print('  tab, where CSV exports arrive.');
  print('  Ctrl-C stops the demo.');
  print('');
}

/** `node dist/demo.js` runs the demo; importing this module (src/index.ts, tests) does not. */
function isMain(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href;
}

if (isMain()) {
  runDemo().catch((error: unknown) => {
    process.stderr.write(`bulkjob demo failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
