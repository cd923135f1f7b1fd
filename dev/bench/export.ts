/**
 * Figure 6: a CSV export of a large job. `messages` messages, Cloudflare answering each page in
 * `upstreamMs`: the bot's export (pages of 1,000, four in flight, rows streamed to a temporary file, then
 * Slack's upload flow to the simulator) beside, in the same run and against the same simulator, the
 * official `cloudflare` SDK's `for await` over `emailSecurity.investigate.bulk.messages.list(job,
 * { per_page: 1000 })` (one page after another, rows only counted, nothing written or uploaded).
 * Wall time, Cloudflare requests, and peak RSS (sampled every 20 ms) for the bot's export at
 * `smallMessages` and at `messages`: memory must not grow with the job.
 */
import { performance } from 'node:perf_hooks';
import Cloudflare from 'cloudflare';
import { BENCH_USER, startBenchStack } from './stack.js';

export interface ExportBenchConfig {
  messages: number;
  /** A smaller export, for how peak RSS grows with size. */
  smallMessages: number;
  upstreamMs: number;
}

export interface ExportRun {
  messages: number;
  rows: number;
  wallMs: number;
  requests: number;
  peakRssMb: number;
  /** RSS just before the run: peak − this is what the run itself took. */
  startRssMb: number;
}

export interface ExportBenchResult {
  upstreamMs: number;
  small: ExportRun;
  large: ExportRun;
  sdk: ExportRun;
}

const MB = 1024 * 1024;

/** Peak RSS while `work` runs, sampled every 20 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number; startRssMb: number }> {
  globalThis.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakRssMb: peak / MB, startRssMb: start / MB };
  } finally {
    clearInterval(timer);
  }
}

export async function measureExport(config: ExportBenchConfig): Promise<ExportBenchResult> {
  const stack = await startBenchStack({ latencyMs: config.upstreamMs });
  try {
    const listRequests = (job: string) =>
      stack.cf.requests.filter((r) => r.jobId === job && r.path.endsWith('/messages')).length;

    const ours = async (messages: number): Promise<ExportRun> => {
      const job = stack.cf.addJob({ total: messages, failureRate: 0.05 }).id;
      const started = performance.now();
      const { value, peakRssMb, startRssMb } = await withPeakRss(() =>
        stack.bot.ctx.exports.run({ userId: BENCH_USER, jobId: job }),
      );
      return {
        messages,
        rows: value.rows,
        wallMs: performance.now() - started,
        requests: listRequests(job),
        peakRssMb,
        startRssMb,
      };
    };

    const sdk = async (messages: number): Promise<ExportRun> => {
      const job = stack.cf.addJob({ total: messages, failureRate: 0.05 }).id;
      const client = new Cloudflare({ apiToken: stack.cfToken, baseURL: stack.cf.baseUrl, maxRetries: 0 });
      const started = performance.now();
      const { value, peakRssMb, startRssMb } = await withPeakRss(async () => {
        let rows = 0;
        for await (const _message of client.emailSecurity.investigate.bulk.messages.list(job, {
          account_id: stack.cf.accountId,
          per_page: 1000,
        })) {
          rows += 1;
        }
        return rows;
      });
      return {
        messages,
        rows: value,
        wallMs: performance.now() - started,
        requests: listRequests(job),
        peakRssMb,
        startRssMb,
      };
    };

    await ours(1_000); // warm-up: JIT, connections, the temporary directory
    const small = await ours(config.smallMessages);
    const large = await ours(config.messages);
    const sdkRun = await sdk(config.messages);
    return { upstreamMs: config.upstreamMs, small, large, sdk: sdkRun };
  } finally {
    await stack.stop();
  }
}
