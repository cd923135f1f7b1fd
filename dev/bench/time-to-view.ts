/**
 * Figure 2: time to view ÷ upstream latency. A view of a job not seen before needs three Cloudflare reads
 * (job detail, a page of messages, its failure reasons); the app reads them concurrently, so a view should
 * take about one upstream latency.
 *
 * - Measured: `/bulkjob <job>` through the Slack simulator, from sending the command to the view arriving
 *   at the simulator's response_url; one command at a time, each for a new job and with the job cache off,
 *   so every view really does all three reads.
 * - Baseline: the same three reads, one after the other, with the app's own Cloudflare client.
 */
import { performance } from 'node:perf_hooks';
import { VIEW_PAGE_SIZE } from '../../src/features/job-view/load.js';
import { countCalls } from './calls.js';
import { BENCH_CHANNEL, BENCH_USER, type BenchStack, startBenchStack } from './stack.js';
import { median } from './stats.js';

export interface TimeToViewConfig {
  samples: number;
  upstreamMs: number;
}

export interface TimeToViewResult {
  upstreamMs: number;
  samples: number;
  viewMedianMs: number;
  /** viewMedianMs ÷ upstreamMs. */
  viewRatio: number;
  sequentialMedianMs: number;
  sequentialRatio: number;
  /** Cloudflare requests per view (2 expected: nothing served from a cache). */
  upstreamReadsPerView: number;
  viewSamplesMs: number[];
  sequentialSamplesMs: number[];
}

export async function measureTimeToView(config: TimeToViewConfig): Promise<TimeToViewResult> {
  const stack = await startBenchStack({
    latencyMs: config.upstreamMs,
    app: { cloudflareOptions: { jobCacheMs: 0 } },
  });
  try {
    await viewOnce(stack); // warm-up
    stack.cf.clearRequests();
    const views: number[] = [];
    for (let i = 0; i < config.samples; i++) views.push(await viewOnce(stack));
    const readsPerView = stack.cf.countRequests() / config.samples;
    await readSequentially(stack); // warm-up
    const sequential: number[] = [];
    for (let i = 0; i < config.samples; i++) sequential.push(await readSequentially(stack));
    const viewMedianMs = median(views);
    const sequentialMedianMs = median(sequential);
    return {
      upstreamMs: config.upstreamMs,
      samples: config.samples,
      viewMedianMs,
      viewRatio: viewMedianMs / config.upstreamMs,
      sequentialMedianMs,
      sequentialRatio: sequentialMedianMs / config.upstreamMs,
      upstreamReadsPerView: readsPerView,
      viewSamplesMs: views,
      sequentialSamplesMs: sequential,
    };
  } finally {
    await stack.stop();
  }
}

/** One `/bulkjob <new job>`: ms from sending the command to the view arriving at Slack. */
async function viewOnce(stack: BenchStack): Promise<number> {
  const job = stack.cf.addJob({ total: 200, failureRate: 0.05 }).id;
  const views = countCalls(stack.slack, 'response_url');
  try {
    const started = performance.now();
    const result = await stack.slack.sendCommand({ userId: BENCH_USER, channelId: BENCH_CHANNEL, text: job });
    if (result.status !== 200) throw new Error(`the app answered a command with HTTP ${result.status}`);
    return (await views.until(1, 30_000)) - started;
  } finally {
    views.stop();
  }
}

/** The view's three reads, one after the other, with the app's client: the baseline. */
async function readSequentially(stack: BenchStack): Promise<number> {
  const job = stack.cf.addJob({ total: 200, failureRate: 0.05 }).id;
  const client = stack.bot.ctx.cloudflare;
  const started = performance.now();
  await client.getJob(job, { fresh: true });
  await client.listMessages(job, { page: 1, perPage: VIEW_PAGE_SIZE });
  await client.listMessages(job, { page: 1, perPage: 1000, status: 'FAILED' });
  return performance.now() - started;
}
