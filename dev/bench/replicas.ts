/**
 * Figure 7: several replicas on one PostgreSQL database, on a throw-away cluster of the bench's own
 * (dev/postgres-cluster.ts); skipped, with the command that installs PostgreSQL, where its programs are missing.
 *
 * - 7a. The watch load of figure 4 (`steady` jobs, default interval and budget, a {@link ScaledClock}) run
 *   twice on a fresh database each: one app, then three apps, all in this process, each with its own
 *   PostgreSQL store and its own view of the shared budget (src/cloudflare/shared-budget.ts) on that
 *   database. The Slack simulator sends each command to the next app in turn (a load balancer). Three
 *   replicas must send what one sends, within the one budget.
 * - 7b. Takeover after a SIGKILL: three replicas as real processes (dev/replica.ts, built), real clock,
 *   production defaults but a 5 s watch interval (the minimum; the lease is then its default, 10 s). The
 *   budget's window is shortened so the interval is not stretched (30 watches × 2 reads every 5 s need
 *   more than 280 per 5 minutes): the takeover is what is measured, not the budget. Upstream latency keeps
 *   each refresh, and so its lease, in flight long enough to be caught by a kill. Once every watch is
 *   refreshing, the replica holding the most leases is killed; each watch's takeover time is the time from
 *   the kill to the next read of its job in the Cloudflare simulator's log. Owners are per-process ids; a
 *   trigger added to the throw-away database notes which replica (its `application_name`) took each one.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type BulkjobApp, createApp } from '../../src/app.js';
import { createSharedBudget, type SharedBudget } from '../../src/cloudflare/shared-budget.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { findPostgresBin, startPostgresCluster } from '../postgres-cluster.js';
import { type Replica, spawnReplica } from '../replica-process.js';
import { CloudflareSim, type SimRequest } from '../sim/cloudflare.js';
import { SlackSim } from '../sim/slack.js';
import { ScaledClock } from './clock.js';
import { BENCH_CHANNEL, benchUser } from './stack.js';
import { maxInWindow, median } from './stats.js';

export interface ReplicaLoadConfig {
  watches: number;
  /** The apps' clock runs this many times faster than real time. */
  scale: number;
  /** Whole 5-minute windows skipped after the one in which the watches start. */
  warmupWindows: number;
  /** Whole 5-minute windows counted. */
  measureWindows: number;
  /** The watch loop's tick, real ms. */
  tickMs: number;
  /** Cloudflare simulator latency, real ms. */
  upstreamMs: number;
}

export interface TakeoverConfig {
  watches: number;
  /** Cloudflare simulator latency, real ms: how long a refresh holds its lease. */
  upstreamMs: number;
  /** The budget's window (see the module comment). */
  budgetWindowMs: number;
  /** Watch timing overrides (the smoke run); absent, production's defaults with a 5 s interval. */
  watchTiming?: { intervalMs: number; tickMs: number; leaseMs: number };
  /** The built replica entry; default dist-dev/dev/replica.js beside this file once built. */
  entry?: string;
}

export interface ReplicasConfig {
  load: ReplicaLoadConfig;
  takeover: TakeoverConfig;
}

export interface ReplicaLoadRun {
  replicas: number;
  /** Requests for watched jobs per 5 minutes, over the measured windows. */
  measuredPer5Min: number;
  /** Of which job-detail reads (one per refresh); the rest re-read failure reasons. */
  measuredRefreshesPer5Min: number;
  /** The busiest sliding 5 minutes of the whole run, every request counted (watch starts too). */
  busiestWindow: number;
  /** What the watchers schedule with every watch active. */
  scheduledIntervalSeconds: number;
}

export interface ReplicaLoadResult {
  watches: number;
  scale: number;
  budgetPer5Min: number;
  backgroundBudgetPer5Min: number;
  one: ReplicaLoadRun;
  three: ReplicaLoadRun;
}

export interface TakeoverGroup {
  watches: number;
  p50Seconds: number;
  maxSeconds: number;
}

export interface TakeoverResult {
  replicas: number;
  watches: number;
  upstreamMs: number;
  budgetWindowSeconds: number;
  intervalSeconds: number;
  /** Median gap between two reads of the same job before the kill. */
  observedIntervalSeconds: number;
  /** A claim's lease, as the database recorded it (lease_until − the time of the claim). */
  leaseSeconds: number;
  /** Leases each replica held at the kill, by name. */
  leasesAtKill: Record<string, number>;
  killed: string;
  /** Watches leased by the killed replica: they wait for the lease to expire. */
  orphaned: TakeoverGroup;
  /** Watches due but not yet claimed at the kill: any replica may take them. */
  due: TakeoverGroup;
  /** Every active watch. */
  all: TakeoverGroup;
  /** Watches with no read after the kill within the wait (2 intervals + the lease + 10 s). */
  notTakenOver: number;
}

export type ReplicasResult =
  | { status: 'skipped'; reason: string }
  | { status: 'measured'; load: ReplicaLoadResult; takeover: TakeoverResult; realSeconds: number };

export interface ReplicasDeps {
  /** Where PostgreSQL's server programs are (default `findPostgresBin`); undefined skips the figure. */
  findBin?: () => string | undefined;
}

export const REPLICAS_SKIPPED =
  "skipped: PostgreSQL's server programs (initdb, pg_ctl) were not found; install them with `apt-get install -y postgresql` to measure figure 7";

const WINDOW_MS = 5 * 60_000;
const CF_TOKEN = `cf-bench-${randomBytes(8).toString('hex')}`;
/** As src/shared-state.ts counts a grant: the window plus 2 s. */
const BUDGET_MARGIN_MS = 2_000;
const REPLICA_NAMES = ['r1', 'r2', 'r3'];

export async function measureReplicas(config: ReplicasConfig, deps: ReplicasDeps = {}): Promise<ReplicasResult> {
  const bin = (deps.findBin ?? findPostgresBin)();
  if (!bin) return { status: 'skipped', reason: REPLICAS_SKIPPED };
  const started = performance.now();
  const cluster = await startPostgresCluster(bin);
  try {
    const one = await measureLoadRun(config.load, 1, await createDatabase(cluster.url, 'bench_load_one'));
    const three = await measureLoadRun(config.load, 3, await createDatabase(cluster.url, 'bench_load_three'));
    const takeover = await measureTakeover(config.takeover, await createDatabase(cluster.url, 'bench_takeover'));
    return {
      status: 'measured',
      load: {
        watches: config.load.watches,
        scale: config.load.scale,
        budgetPer5Min: one.budget.limit,
        backgroundBudgetPer5Min: one.budget.backgroundLimit,
        one: one.run,
        three: three.run,
      },
      takeover,
      realSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await cluster.stop();
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface InProcessReplica {
  bot: BulkjobApp;
  store: PostgresStore;
  budget: SharedBudget;
  pool: pg.Pool;
  url: string;
}

/** 7a: `replicas` apps in this process on one database, on a scaled clock, with figure 4's steady watches. */
async function measureLoadRun(
  config: ReplicaLoadConfig,
  replicas: number,
  databaseUrl: string,
): Promise<{ run: ReplicaLoadRun; budget: SharedBudget['limits'] }> {
  const clock = new ScaledClock(config.scale);
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = `xoxb-bench-${randomBytes(8).toString('hex')}`;
  const cf = await CloudflareSim.start({ token: CF_TOKEN, latencyMs: config.upstreamMs, now: clock.now });
  const slack = await SlackSim.start({ signingSecret, botToken, retainUploads: false });
  const apps: InProcessReplica[] = [];
  try {
    const appConfig = loadConfig({
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      CLOUDFLARE_ACCOUNT_ID: cf.accountId,
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_BASE_URL: cf.baseUrl,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
    });
    const logger = createLogger({ level: 'silent', secrets: [signingSecret] });
    for (let i = 0; i < replicas; i++) {
      // What src/shared-state.ts opens for DATABASE_URL, on the clock: a store, and a budget on a pool of its own.
      const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
      pool.on('error', () => {});
      const budget = createSharedBudget({
        pool,
        limit: appConfig.cloudflare.budgetPer5Min,
        marginMs: BUDGET_MARGIN_MS,
        // Whole milliseconds, as `Date.now()` gives: grant times are stored as bigint.
        now: () => Math.floor(clock.now()),
        // Its look at the database while requests wait is a real-time timer: scaled, so a waiting refresh
        // looks as often in the bot's time as in production (else it outwaits its lease, 30 s of bot time).
        pollMs: Math.max(2, Math.round(200 / config.scale)),
      });
      const store = openPostgresStore({ url: databaseUrl, now: clock.date });
      await store.ready();
      const bot = createApp({
        config: appConfig,
        logger,
        store,
        now: clock.date,
        watchTiming: { tickMs: config.tickMs },
        cloudflareOptions: { budget, now: clock.now, sleep: clock.sleep },
      });
      const { port } = await bot.start(0, '127.0.0.1');
      apps.push({ bot, store, budget, pool, url: `http://127.0.0.1:${port}/slack/events` });
    }
    slack.botUrls = apps.map((app) => app.url);
    const first = apps[0]!;

    const jobs = Array.from({ length: config.watches }, () => addSteadyJob(cf));
    const watched = new Set(jobs);
    await startWatchesOverWindow(slack, clock, jobs, () => first.store.countActiveWatches());
    const from = clock.now() + config.warmupWindows * WINDOW_MS;
    const to = from + config.measureWindows * WINDOW_MS;
    await clock.until(to);
    const inWindow = cf.requests.filter((r) => r.at >= from && r.at < to && watched.has(r.jobId ?? ''));
    return {
      run: {
        replicas,
        measuredPer5Min: inWindow.length / config.measureWindows,
        measuredRefreshesPer5Min: inWindow.filter((r) => !r.path.endsWith('/messages')).length / config.measureWindows,
        busiestWindow: maxInWindow(
          cf.requests.map((r) => r.at),
          WINDOW_MS,
        ),
        scheduledIntervalSeconds: (await first.bot.watcher.intervalMs()) / 1000,
      },
      budget: first.budget.limits,
    };
  } finally {
    // Each app closes the store it was given; the budgets and their pools are ours.
    await Promise.all(apps.map((app) => app.bot.stop()));
    for (const app of apps) {
      await app.budget.close();
      await app.pool.end();
    }
    await slack.close();
    await cf.close();
  }
}

/** As figure 4: jobs that never finish and never change (one read a refresh). */
function addSteadyJob(cf: CloudflareSim): string {
  return cf.addJob({
    total: 5_000,
    failureRate: 0.02,
    progress: { kind: 'static', status: 'PROCESSING', processed: 1_000 },
  }).id;
}

/** `/bulkjob watch <job>` for every job, spread evenly over one window as figure 4 does; then all active. */
async function startWatchesOverWindow(
  slack: SlackSim,
  clock: ScaledClock,
  jobs: readonly string[],
  countActive: () => Promise<number>,
): Promise<void> {
  const start = clock.now();
  for (const [i, job] of jobs.entries()) {
    await clock.until(start + (i * WINDOW_MS) / jobs.length);
    const result = await slack.sendCommand({ userId: benchUser(i), channelId: BENCH_CHANNEL, text: `watch ${job}` });
    if (result.status !== 200) throw new Error(`an app answered a watch command with HTTP ${result.status}`);
  }
  await waitUntil(async () => (await countActive()) >= jobs.length, 30_000, 'every watch active');
}

/** Notes, for each lease owner, the replica (`application_name`) that first claimed with it, and the lease. */
const OWNER_TRIGGER = `
  CREATE TABLE bench_lease_owners (owner text PRIMARY KEY, replica text NOT NULL, lease_ms bigint NOT NULL);
  CREATE FUNCTION bench_note_lease_owner() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO bench_lease_owners
      VALUES (NEW.lease_owner, current_setting('application_name'),
              NEW.lease_until - (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
      ON CONFLICT DO NOTHING;
    RETURN NEW;
  END $$;
  CREATE TRIGGER bench_note_lease_owner AFTER UPDATE OF lease_owner ON watches
    FOR EACH ROW WHEN (NEW.lease_owner IS NOT NULL) EXECUTE FUNCTION bench_note_lease_owner();`;

interface WatchRow {
  id: number;
  job: string;
  owner: string | null;
  replica: string | null;
  nextRunAt: number;
}

/** 7b: three replica processes, one SIGKILLed while it holds leases; time until each watch is read again. */
async function measureTakeover(config: TakeoverConfig, databaseUrl: string): Promise<TakeoverResult> {
  const entry = config.entry ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'replica.js');
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = `xoxb-bench-${randomBytes(8).toString('hex')}`;
  // The simulator's quota counts over the same shortened window, so Cloudflare's own count agrees with the budget's.
  const cf = await CloudflareSim.start({
    token: CF_TOKEN,
    latencyMs: config.upstreamMs,
    quotaWindowMs: config.budgetWindowMs,
  });
  const slack = await SlackSim.start({ signingSecret, botToken, retainUploads: false });
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  sql.on('error', () => {});
  const replicas: Replica[] = [];
  try {
    const env = {
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      CLOUDFLARE_ACCOUNT_ID: cf.accountId,
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_BASE_URL: cf.baseUrl,
      DATABASE_URL: databaseUrl,
      BULKJOB_WATCH_INTERVAL: '5',
      PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const app = {
      budgetWindowMs: config.budgetWindowMs,
      // Home refreshes read jobs too; this figure counts the watches' reads.
      homeRefreshDelayMs: 600_000,
      ...(config.watchTiming ? { watchTiming: config.watchTiming } : {}),
    };
    replicas.push(
      ...(await Promise.all(
        // The URL's `application_name` wins over the store's own: the trigger names the replica with it.
        REPLICA_NAMES.map((name) =>
          spawnReplica(entry, name, { ...env, DATABASE_URL: withApplicationName(databaseUrl, name) }, app),
        ),
      )),
    );
    await waitUntil(
      async () => (await Promise.all(replicas.map((r) => isReady(r.port)))).every(Boolean),
      30_000,
      'every replica ready (migrated)',
    );
    await sql.query(OWNER_TRIGGER);
    slack.botUrls = replicas.map((r) => r.url);
    const intervalMs = config.watchTiming?.intervalMs ?? 5_000;

    const jobs = Array.from({ length: config.watches }, () => addSteadyJob(cf).toLowerCase());
    const sent = await Promise.all(
      jobs.map((job, i) => slack.sendCommand({ userId: benchUser(i), channelId: BENCH_CHANNEL, text: `watch ${job}` })),
    );
    if (sent.some((r) => r.status !== 200)) throw new Error('a replica refused a watch command');
    await waitUntil(
      async () =>
        Number((await sql.query("SELECT count(*) AS n FROM watches WHERE state = 'active'")).rows[0].n) === jobs.length,
      20_000,
      'every watch active',
    );
    const activeAt = Date.now();
    // Refreshing: every job read since, and long enough for the gaps between reads to show the interval.
    await waitUntil(
      () => {
        const read = new Set(jobReads(cf, activeAt).map((r) => r.jobId));
        return jobs.every((job) => read.has(job)) && Date.now() - activeAt >= 1.5 * intervalMs;
      },
      10 * intervalMs + 20_000,
      'every watch refreshing',
    );

    // Kill the replica holding the most leases, at a moment it holds at least two (one for a handful of
    // watches), or at the last look.
    const wanted = Math.min(2, Math.ceil(jobs.length / 10));
    const lookUntil = Date.now() + Math.max(3_000, intervalMs);
    let rows = await snapshot(sql);
    while (Date.now() < lookUntil && Math.max(...Object.values(leaseCounts(rows))) < wanted) {
      await sleep(20);
      rows = await snapshot(sql);
    }
    const snapshotAt = Date.now();
    const counts = leaseCounts(rows);
    const killedName = REPLICA_NAMES.reduce((best, name) => (counts[name]! > counts[best]! ? name : best));
    const killed = replicas[REPLICA_NAMES.indexOf(killedName)]!;
    const killAt = Date.now();
    await killed.kill('SIGKILL');
    const exitedAt = Date.now();
    slack.botUrls = replicas.filter((r) => r !== killed).map((r) => r.url);

    const leaseMs = await measuredLeaseMs(sql);
    const waitMs = 2 * intervalMs + leaseMs + 10_000;
    const firstReadAfter = (job: string) => jobReads(cf, exitedAt).find((r) => r.jobId === job)?.at;
    await waitUntil(() => jobs.every((job) => firstReadAfter(job) !== undefined), waitMs, 'every watch taken over', {
      orElse: 'return',
    });
    const takeover = (group: readonly WatchRow[]): TakeoverGroup => {
      const seconds = group
        .map((row) => firstReadAfter(row.job))
        .filter((at): at is number => at !== undefined)
        .map((at) => (at - killAt) / 1000);
      return {
        watches: group.length,
        p50Seconds: median(seconds),
        maxSeconds: seconds.length > 0 ? Math.max(...seconds) : Number.NaN,
      };
    };
    const orphaned = rows.filter((row) => row.replica === killedName);
    const due = rows.filter((row) => row.owner === null && row.nextRunAt <= snapshotAt);
    return {
      replicas: replicas.length,
      watches: jobs.length,
      upstreamMs: config.upstreamMs,
      budgetWindowSeconds: config.budgetWindowMs / 1000,
      intervalSeconds: intervalMs / 1000,
      observedIntervalSeconds: medianGapMs(jobReads(cf, 0).filter((r) => r.at < killAt)) / 1000,
      leaseSeconds: leaseMs / 1000,
      leasesAtKill: counts,
      killed: killedName,
      orphaned: takeover(orphaned),
      due: takeover(due),
      all: takeover(rows),
      notTakenOver: rows.filter((row) => firstReadAfter(row.job) === undefined).length,
    };
  } finally {
    await Promise.all(replicas.map((r) => stopReplica(r)));
    await sql.end();
    await slack.close();
    await cf.close();
  }
}

function withApplicationName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', name);
  return url.toString();
}

async function snapshot(sql: pg.Pool): Promise<WatchRow[]> {
  const { rows } = await sql.query(
    `SELECT w.id, c.job_id, w.lease_owner, w.next_run_at, o.replica
     FROM watches w JOIN cards c ON c.id = w.card_id LEFT JOIN bench_lease_owners o ON o.owner = w.lease_owner
     WHERE w.state = 'active'`,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    job: String(row.job_id).toLowerCase(),
    owner: row.lease_owner ?? null,
    replica: row.replica ?? null,
    nextRunAt: Number(row.next_run_at),
  }));
}

function leaseCounts(rows: readonly WatchRow[]): Record<string, number> {
  const counts = Object.fromEntries(REPLICA_NAMES.map((name) => [name, 0]));
  for (const row of rows) if (row.replica) counts[row.replica] = (counts[row.replica] ?? 0) + 1;
  return counts;
}

/** The longest lease any replica took (all take the same; rounding to the claim's transaction time aside). */
async function measuredLeaseMs(sql: pg.Pool): Promise<number> {
  const { rows } = await sql.query('SELECT max(lease_ms) AS ms FROM bench_lease_owners');
  return Math.round(Number(rows[0].ms) / 100) * 100;
}

/** Job-detail reads (a refresh's one read of a steady job) logged at or after `since`. */
function jobReads(cf: CloudflareSim, since: number): SimRequest[] {
  return cf.requests.filter((r) => r.at >= since && r.jobId !== undefined && !r.path.endsWith('/messages'));
}

/** The median time between consecutive reads of the same job. */
function medianGapMs(requests: readonly SimRequest[]): number {
  const last = new Map<string, number>();
  const gaps: number[] = [];
  for (const r of [...requests].sort((a, b) => a.at - b.at)) {
    const previous = last.get(r.jobId ?? '');
    if (previous !== undefined) gaps.push(r.at - previous);
    last.set(r.jobId ?? '', r.at);
  }
  return median(gaps);
}

async function isReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** SIGTERM, and SIGKILL if the graceful stop takes longer than Docker's grace period would allow. */
async function stopReplica(replica: Replica): Promise<void> {
  const timer = setTimeout(() => replica.process.kill('SIGKILL'), 10_000);
  try {
    await replica.kill('SIGTERM');
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  options: { orElse?: 'throw' | 'return' } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      if (options.orElse === 'return') return;
      throw new Error(`figure 7: timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(25);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
