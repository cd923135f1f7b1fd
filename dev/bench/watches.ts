/**
 * Figure 4: Cloudflare requests per 5 minutes with many active watches, against the bot's budget.
 *
 * Five real minutes per window is too long for a benchmark, so the bot runs on a {@link ScaledClock}: its
 * clock, store, Cloudflare budget (production defaults: 400 per 5 minutes, 70% for background work) and
 * the Cloudflare simulator all read a clock running `scale` times faster than real time. Nothing else is
 * changed: the watch interval is the configured default (30 s), and the watcher stretches it by its own
 * arithmetic. So a run of a few real seconds is several 5-minute windows of the bot's life.
 *
 * - `steady`: jobs that never finish and never change (PROCESSING, frozen): a refresh reads the job detail
 *   only (the failure reasons are reused while the failed count stands still).
 * - `growing`: live jobs that keep processing and failing (100,000 messages, a few a second): every
 *   refresh also re-reads the failure reasons and edits the card, so the watches want more than their
 *   share; the budget holds them to it.
 *
 * The watches start evenly over a first window; then `warmupWindows` pass while intervals settle.
 * Figures: the rate the watches used, counted in the simulator's request log over whole windows; the rate
 * the watcher's own schedule implies (`Watcher.intervalMs()` with all watches active); the busiest sliding 5-minute window of the whole run (watch starts included) against the
 * budget; and a user's `/bulkjob <job>` sent in the middle of the load (ack and view time, real ms).
 */
import { performance } from 'node:perf_hooks';
import { CLOUDFLARE_LIMIT_PER_5_MIN } from '../../src/config.js';
import type { SimRequest } from '../sim/cloudflare.js';
import { countCalls } from './calls.js';
import { ScaledClock } from './clock.js';
import { BENCH_CHANNEL, BENCH_USER, type BenchStack, benchUser, startBenchStack } from './stack.js';
import { maxInWindow, median } from './stats.js';

export type WatchJobs = 'steady' | 'growing';

export interface WatchLoadConfig {
  watches: number;
  jobs: WatchJobs;
  /** The bot's clock runs this many times faster than real time. */
  scale: number;
  /** Whole 5-minute windows skipped before counting, after the window in which the watches start. */
  warmupWindows: number;
  /** Whole 5-minute windows counted. */
  measureWindows: number;
  /** The watch loop's tick, real ms (how often it looks for due watches). */
  tickMs: number;
  /** Cloudflare simulator latency, real ms (× scale in the bot's time). */
  upstreamMs: number;
}

export interface WatchProbe {
  ackMs: number;
  viewMs: number;
  /** The budget as the user's command found it. */
  budgetUsed: number;
  backgroundQueued: number;
  /** Cloudflare reads made for the user's view (2: it was served, not refused for want of budget). */
  upstreamReads: number;
}

export interface WatchLoadResult {
  watches: number;
  jobs: WatchJobs;
  scale: number;
  configuredIntervalSeconds: number;
  /** What the watcher schedules with all watches active. */
  scheduledIntervalSeconds: number;
  cloudflareLimitPer5Min: number;
  budgetPer5Min: number;
  backgroundBudgetPer5Min: number;
  /** Every watch refreshed at the configured interval, one request each: what a bot without a budget sends. */
  naivePer5Min: number;
  /** watches × 5 min ÷ the scheduled interval. */
  scheduledRefreshesPer5Min: number;
  /** Requests for watched jobs per 5 minutes, measured over `measureWindows` windows. */
  measuredPer5Min: number;
  /** Of which job-detail reads (one per refresh). */
  measuredRefreshesPer5Min: number;
  /** Median gap between two refreshes of the same watch, in the measured windows (bot seconds). */
  observedIntervalSeconds: number;
  /** The busiest sliding 5-minute window of the whole run, every request counted (users too). */
  busiestWindow: number;
  cardEditsPer5Min: number;
  probe: WatchProbe;
  /** Real seconds the run took. */
  realSeconds: number;
}

const WINDOW_MS = 5 * 60_000;

export async function measureWatchLoad(config: WatchLoadConfig): Promise<WatchLoadResult> {
  const realStart = performance.now();
  const clock = new ScaledClock(config.scale);
  const stack = await startBenchStack({
    clock,
    latencyMs: config.upstreamMs,
    app: { watchTiming: { tickMs: config.tickMs } },
  });
  try {
    const jobs = Array.from({ length: config.watches }, () => addWatchedJob(stack, config.jobs));
    const watched = new Set(jobs);
    await startWatches(stack, clock, jobs);
    const t0 = clock.now();
    const from = t0 + config.warmupWindows * WINDOW_MS;
    const to = from + config.measureWindows * WINDOW_MS;
    const edits = countCalls(stack.slack, 'chat.update');
    let editsBefore = 0;
    let probe: WatchProbe;
    try {
      await clock.until(from);
      editsBefore = edits.arrivals.length;
      await clock.until(from + (to - from) / 2);
      probe = await probeUser(stack);
      await clock.until(to);
    } finally {
      edits.stop();
    }
    const scheduledMs = await stack.bot.watcher.intervalMs();
    const inWindow = stack.cf.requests.filter((r) => r.at >= from && r.at < to && watched.has(r.jobId ?? ''));
    const budget = stack.bot.ctx.cloudflare.budget;
    const configuredIntervalSeconds = stack.config.watch.intervalSeconds;
    return {
      watches: config.watches,
      jobs: config.jobs,
      scale: config.scale,
      configuredIntervalSeconds,
      scheduledIntervalSeconds: scheduledMs / 1000,
      cloudflareLimitPer5Min: CLOUDFLARE_LIMIT_PER_5_MIN,
      budgetPer5Min: budget.limits.limit,
      backgroundBudgetPer5Min: budget.limits.backgroundLimit,
      naivePer5Min: (config.watches * WINDOW_MS) / (configuredIntervalSeconds * 1000),
      scheduledRefreshesPer5Min: (config.watches * WINDOW_MS) / scheduledMs,
      measuredPer5Min: inWindow.length / config.measureWindows,
      measuredRefreshesPer5Min: inWindow.filter((r) => !r.path.endsWith('/messages')).length / config.measureWindows,
      observedIntervalSeconds: medianGapMs(inWindow.filter((r) => !r.path.endsWith('/messages'))) / 1000,
      busiestWindow: maxInWindow(
        stack.cf.requests.map((r) => r.at),
        WINDOW_MS,
      ),
      cardEditsPer5Min: (edits.arrivals.length - editsBefore) / config.measureWindows,
      probe,
      realSeconds: (performance.now() - realStart) / 1000,
    };
  } finally {
    await stack.stop();
  }
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

function addWatchedJob(stack: BenchStack, jobs: WatchJobs): string {
  if (jobs === 'steady') {
    return stack.cf.addJob({
      total: 5_000,
      failureRate: 0.02,
      progress: { kind: 'static', status: 'PROCESSING', processed: 1_000 },
    }).id;
  }
  // Hours from done at this rate, and a failure every ten seconds or so: the card changes at every refresh.
  return stack.cf.addJob({
    total: 100_000,
    failureRate: 0.05,
    progress: { kind: 'live', discoverMs: 1_000, ratePerSecond: 2 },
  }).id;
}

/**
 * `/bulkjob watch <job>` for every job, spread evenly over one window (as watches start in an incident:
 * not all in the same second, and a burst would make whole-window counts depend on where the bursts fall),
 * then wait until the store holds them all as active.
 */
async function startWatches(stack: BenchStack, clock: ScaledClock, jobs: string[]): Promise<void> {
  const start = clock.now();
  for (const [i, job] of jobs.entries()) {
    await clock.until(start + (i * WINDOW_MS) / jobs.length);
    const result = await stack.slack.sendCommand({
      userId: benchUser(i),
      channelId: BENCH_CHANNEL,
      text: `watch ${job}`,
    });
    if (result.status !== 200) throw new Error(`the app answered a watch command with HTTP ${result.status}`);
  }
  const deadline = performance.now() + 30_000;
  while ((await stack.store.countActiveWatches()) < jobs.length) {
    if (performance.now() > deadline) {
      throw new Error(`only ${await stack.store.countActiveWatches()} of ${jobs.length} watches started`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A user's `/bulkjob <job>` in the middle of the load: served at once, ahead of any queued watch work. */
async function probeUser(stack: BenchStack): Promise<WatchProbe> {
  const job = stack.cf.addJob({ total: 200, failureRate: 0.05 }).id;
  const stats = await stack.bot.ctx.cloudflare.budget.stats();
  const views = countCalls(stack.slack, 'response_url');
  try {
    const started = performance.now();
    const result = await stack.slack.sendCommand({ userId: BENCH_USER, channelId: BENCH_CHANNEL, text: job });
    if (result.status !== 200) throw new Error(`the app answered a command with HTTP ${result.status}`);
    const viewAt = await views.until(1, 30_000);
    return {
      ackMs: result.ackMs,
      viewMs: viewAt - started,
      budgetUsed: stats.used,
      backgroundQueued: stats.queued.background,
      upstreamReads: stack.cf.countRequests({ jobId: job }),
    };
  } finally {
    views.stop();
  }
}
