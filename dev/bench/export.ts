/**
 * Figure 6: a CSV export of a large job. `messages` messages, Cloudflare answering each page in
 * `upstreamMs`: the bot's export (pages of 1,000, five requests in flight, rows streamed to a temporary file, then
 * Slack's upload flow to the simulator) beside, in the same run and against the same simulator, the
 * official `cloudflare` SDK's `for await` over `emailSecurity.investigate.bulk.messages.list(job,
 * { per_page: 1000 })` (one page after another, rows only counted, nothing written or uploaded).
 * Wall time, Cloudflare requests, and peak RSS (sampled every 20 ms) for the bot's export at
 * `smallMessages` and at `messages`: memory must not grow with the job. From `npm run bench`, both
 * simulators run in a process of their own (`sims-child.ts`), so their work is not counted as the bot's.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { webApi } from '@slack/bolt';
import Cloudflare from 'cloudflare';
import { CloudflareClient } from '../../src/cloudflare/client.js';
import { ExportService } from '../../src/features/export/export.js';
import { createLogger } from '../../src/logger.js';
import type { SimJobSpec } from '../sim/cloudflare.js';
import { BENCH_USER, type BenchStack, startBenchStack } from './stack.js';

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
  /** Where the Cloudflare simulator ran: its own process (`npm run bench`), or the bot's (the smoke test). */
  simulator: 'own process' | 'bot process';
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

/** What the scenario needs of the simulators, wherever they run. */
interface ExportUpstream {
  baseUrl: string;
  accountId: string;
  /** Where the export's Slack calls and upload go. */
  slack: webApi.WebClient;
  addJob(spec: SimJobSpec): Promise<string>;
  listRequests(jobId: string): Promise<number>;
  stop(): Promise<void>;
}

/** The simulator in the bot's process: what the stack already runs (the smoke test, from TypeScript). */
function inProcess(stack: BenchStack): ExportUpstream {
  return {
    baseUrl: stack.cf.baseUrl,
    accountId: stack.cf.accountId,
    slack: stack.bot.app.client,
    addJob: async (spec) => stack.cf.addJob(spec).id,
    listRequests: async (jobId) =>
      stack.cf.requests.filter((r) => r.jobId === jobId && r.path.endsWith('/messages')).length,
    stop: async () => {},
  };
}

/** The simulators in a child process (`sims-child.js`, built beside this file by `npm run bench`). */
async function ownProcess(childPath: string, token: string, latencyMs: number): Promise<ExportUpstream> {
  const slackToken = 'xoxb-bench-export';
  const child: ChildProcess = fork(childPath, [], {
    env: { ...process.env, BENCH_CF_TOKEN: token, BENCH_SLACK_TOKEN: slackToken, BENCH_LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let seq = 0;
  const waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  type Ready = { baseUrl: string; accountId: string; slackApiUrl: string };
  const ready = new Promise<Ready>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (reply: Record<string, unknown>) => {
      if (reply.ready) resolve(reply as Ready);
      else waiting.get(Number(reply.seq))?.(reply);
    });
  });
  const ask = (message: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve) => {
      seq += 1;
      waiting.set(seq, resolve);
      child.send({ seq, ...message });
    });
  const { baseUrl, accountId, slackApiUrl } = await ready;
  return {
    baseUrl,
    accountId,
    slack: new webApi.WebClient(slackToken, { slackApiUrl, retryConfig: { retries: 0 } }),
    addJob: async (spec) => String((await ask({ addJob: spec })).id),
    listRequests: async (jobId) => Number((await ask({ count: jobId })).requests),
    stop: async () => {
      child.send({ seq: 0, stop: true });
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

export async function measureExport(config: ExportBenchConfig): Promise<ExportBenchResult> {
  const stack = await startBenchStack({ latencyMs: config.upstreamMs });
  const childPath = fileURLToPath(new URL('./sims-child.js', import.meta.url));
  const separate = import.meta.url.endsWith('.js') && existsSync(childPath);
  const upstream = separate ? await ownProcess(childPath, stack.cfToken, config.upstreamMs) : inProcess(stack);
  try {
    // The bot's export service, as app.ts builds it, against this upstream (the production client defaults).
    const exports = separate
      ? new ExportService({
          cloudflare: new CloudflareClient({
            baseUrl: upstream.baseUrl,
            accountId: upstream.accountId,
            auth: { kind: 'token', token: stack.cfToken },
          }),
          client: upstream.slack,
          logger: createLogger({ level: 'silent' }),
          now: () => new Date(),
        })
      : stack.bot.ctx.exports;

    const ours = async (messages: number): Promise<ExportRun> => {
      const job = await upstream.addJob({ total: messages, failureRate: 0.05 });
      const started = performance.now();
      const { value, peakRssMb, startRssMb } = await withPeakRss(() => exports.run({ userId: BENCH_USER, jobId: job }));
      return {
        messages,
        rows: value.rows,
        wallMs: performance.now() - started,
        requests: await upstream.listRequests(job),
        peakRssMb,
        startRssMb,
      };
    };

    const sdk = async (messages: number): Promise<ExportRun> => {
      const job = await upstream.addJob({ total: messages, failureRate: 0.05 });
      const client = new Cloudflare({ apiToken: stack.cfToken, baseURL: upstream.baseUrl, maxRetries: 0 });
      const started = performance.now();
      const { value, peakRssMb, startRssMb } = await withPeakRss(async () => {
        let rows = 0;
        for await (const _message of client.emailSecurity.investigate.bulk.messages.list(job, {
          account_id: upstream.accountId,
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
        requests: await upstream.listRequests(job),
        peakRssMb,
        startRssMb,
      };
    };

    await ours(1_000); // warm-up: JIT, connections, the temporary directory
    const small = await ours(config.smallMessages);
    const large = await ours(config.messages);
    const sdkRun = await sdk(config.messages);
    return {
      upstreamMs: config.upstreamMs,
      simulator: separate ? 'own process' : 'bot process',
      small,
      large,
      sdk: sdkRun,
    };
  } finally {
    await upstream.stop();
    await stack.stop();
  }
}
