/**
 * Figure 5: a burst of users. `views` analysts run `/bulkjob <job>` at the same moment, each for a different
 * job, with Cloudflare taking `upstreamMs` to answer each read. Every view needs three reads at once (job,
 * page, failure reasons), so the burst is 3 × `views` concurrent requests. Time to view is measured per
 * command, from sending it to its view arriving at its response_url, and also from its ack: the driver,
 * both simulators and the bot share one process, so sending 50 signed commands at once itself takes a
 * few hundred ms of the same CPU, which real Slack would not take from the bot. Target: p99 from the ack
 * ≤ 1.5 × the upstream latency (one round trip, plus scheduling). Baseline, in the same run: the client's
 * former 16-connection pool, where the reads go out in waves.
 */
import { performance } from 'node:perf_hooks';
import type { SimCall } from '../sim/slack.js';
import { BENCH_CHANNEL, BENCH_USER, type BenchStack, benchUser, startBenchStack } from './stack.js';
import { percentile } from './stats.js';

export interface BurstConfig {
  views: number;
  upstreamMs: number;
}

export interface BurstPhase {
  connections: number;
  /** From sending each command to its view. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From each command's ack (the bot has it) to its view. */
  fromAckP50Ms: number;
  fromAckP99Ms: number;
  /** From the first command sent to the last ack: what sending the burst cost in this one process. */
  lastAckMs: number;
  viewsDelivered: number;
  upstreamRequests: number;
}

export interface BurstResult {
  views: number;
  upstreamMs: number;
  pooled: BurstPhase;
  baseline: BurstPhase;
}

/** The pool size before the burst fix: the baseline. */
export const BASELINE_CONNECTIONS = 16;

export async function measureBurst(config: BurstConfig, connections: number): Promise<BurstResult> {
  const pooled = await runBurst(config, connections);
  const baseline = await runBurst(config, BASELINE_CONNECTIONS);
  return { views: config.views, upstreamMs: config.upstreamMs, pooled, baseline };
}

async function runBurst(config: BurstConfig, connections: number): Promise<BurstPhase> {
  const stack = await startBenchStack({
    latencyMs: config.upstreamMs,
    app: { cloudflareOptions: { jobCacheMs: 0, connections } },
  });
  try {
    await warmUp(stack);
    stack.cf.clearRequests();
    const jobs = Array.from({ length: config.views }, () => stack.cf.addJob({ total: 200, failureRate: 0.05 }).id);
    const arrivals = new Map<string, number>();
    const onCall = (call: SimCall) => {
      if (call.method === 'response_url' && call.url && !arrivals.has(call.url))
        arrivals.set(call.url, performance.now());
    };
    stack.slack.events.on('call', onCall);
    try {
      const started = performance.now();
      const acked = new Map<string, number>();
      const sent = await Promise.all(
        jobs.map(async (job, i) => {
          const result = await stack.slack.sendCommand({ userId: benchUser(i), channelId: BENCH_CHANNEL, text: job });
          acked.set(result.responseUrl, performance.now());
          return result;
        }),
      );
      const bad = sent.find((r) => r.status !== 200);
      if (bad) throw new Error(`the app answered a command with HTTP ${bad.status}`);
      await stack.slack.waitFor(() => sent.every((r) => arrivals.has(r.responseUrl)), {
        timeoutMs: 30_000 + config.upstreamMs * config.views,
      });
      const times = sent.map((r) => arrivals.get(r.responseUrl)! - started);
      const fromAck = sent.map((r) => arrivals.get(r.responseUrl)! - acked.get(r.responseUrl)!);
      return {
        connections,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        maxMs: Math.max(...times),
        fromAckP50Ms: percentile(fromAck, 50),
        fromAckP99Ms: percentile(fromAck, 99),
        lastAckMs: Math.max(...acked.values()) - started,
        viewsDelivered: times.length,
        upstreamRequests: stack.cf.countRequests(),
      };
    } finally {
      stack.slack.events.off('call', onCall);
    }
  } finally {
    await stack.stop();
  }
}

/** One view first (JIT, the first connections), so the burst measures the pool, not a cold start. */
async function warmUp(stack: BenchStack): Promise<void> {
  const job = stack.cf.addJob({ total: 20 }).id;
  const sent = await stack.slack.sendCommand({ userId: BENCH_USER, channelId: BENCH_CHANNEL, text: job });
  await stack.slack.waitFor((s) => s.answered(sent.responseUrl), { timeoutMs: 30_000 });
}
