/**
 * Figure 1: how fast the bot acks `/bulkjob <job>`, with Cloudflare slow and with Cloudflare instant.
 * `commands` signed slash commands are sent at once by the Slack simulator to the real app over HTTP, each
 * for a different job (so every one of them really reads Cloudflare: nothing is coalesced or cached);
 * `ackMs` is measured by the simulator from sending the request to the app's HTTP answer.
 *
 * The driver, both simulators and the app share one process, so a burst's acks also wait for the driver's
 * own `fetch` work. Two more figures keep that apart: the same burst against a bare HTTP server that
 * answers at once (the harness floor), and single commands sent one at a time.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { countCalls } from './calls.js';
import { BENCH_CHANNEL, BENCH_USER, type BenchStack, benchUser, startBenchStack } from './stack.js';
import { percentile } from './stats.js';

export interface AckConfig {
  commands: number;
  /** Upstream latency of the loaded phase (the baseline phase uses 0). */
  upstreamMs: number;
}

export interface AckPhase {
  upstreamMs: number;
  commands: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  /** Acks later than Slack's 3 s (the user would see an error). */
  ackTimeouts: number;
  /** Job views that reached Slack (response_url), of `commands`. */
  viewsDelivered: number;
  /** From sending the first command to the last view arriving. */
  lastViewMs: number;
  /** Cloudflare requests the phase made (2 per view: job detail and a page of messages). */
  upstreamRequests: number;
}

export interface AckResult {
  loaded: AckPhase;
  baseline: AckPhase;
  /** The same burst against a bare server that answers at once: what the driver alone costs. */
  harnessFloor: { ackP50Ms: number; ackP99Ms: number };
  /** One command at a time, upstream latency as `loaded`. */
  single: { commands: number; ackP50Ms: number; ackP99Ms: number };
}

/** Single commands sent one after the other. */
const SINGLE_COMMANDS = 10;

export async function measureAck(config: AckConfig): Promise<AckResult> {
  const stack = await startBenchStack();
  try {
    // Warm-up (JIT, connection pools): one burst, all for one job, so it costs Cloudflare two reads.
    await runPhase(stack, 0, config.commands, { oneJob: true });
    const harnessFloor = await measureHarnessFloor(stack, config.commands);
    const baseline = await runPhase(stack, 0, config.commands);
    const loaded = await runPhase(stack, config.upstreamMs, config.commands);
    const single = await measureSingle(stack, config.upstreamMs, Math.min(SINGLE_COMMANDS, config.commands));
    return { loaded, baseline, harnessFloor, single };
  } finally {
    await stack.stop();
  }
}

async function runPhase(
  stack: BenchStack,
  upstreamMs: number,
  commands: number,
  options: { oneJob?: boolean } = {},
): Promise<AckPhase> {
  stack.cf.setLatency(upstreamMs);
  stack.cf.clearRequests();
  const shared = options.oneJob ? stack.cf.addJob({ total: 200 }).id : undefined;
  const jobs = Array.from({ length: commands }, () => shared ?? stack.cf.addJob({ total: 200, failureRate: 0.05 }).id);
  const views = countCalls(stack.slack, 'response_url');
  try {
    const started = performance.now();
    const results = await Promise.all(
      jobs.map((job, i) => stack.slack.sendCommand({ userId: benchUser(i), channelId: BENCH_CHANNEL, text: job })),
    );
    const bad = results.find((r) => r.status !== 200);
    if (bad) throw new Error(`the app answered a command with HTTP ${bad.status}`);
    const lastView = await views.until(commands, 30_000 + upstreamMs * commands);
    const acks = results.map((r) => r.ackMs);
    return {
      upstreamMs,
      commands,
      ackP50Ms: percentile(acks, 50),
      ackP99Ms: percentile(acks, 99),
      ackMaxMs: Math.max(...acks),
      ackTimeouts: results.filter((r) => r.timedOut).length,
      viewsDelivered: views.arrivals.length,
      lastViewMs: lastView - started,
      upstreamRequests: stack.cf.countRequests(),
    };
  } finally {
    views.stop();
  }
}

/** The same burst of signed commands against a bare HTTP server that answers 200 at once. */
async function measureHarnessFloor(stack: BenchStack, commands: number): Promise<AckResult['harnessFloor']> {
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const botUrl = stack.slack.botUrl;
  stack.slack.botUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/slack/events`;
  try {
    const burst = () =>
      Promise.all(
        Array.from({ length: commands }, () =>
          stack.slack.sendCommand({ userId: BENCH_USER, channelId: BENCH_CHANNEL, text: 'floor' }),
        ),
      );
    await burst(); // warm-up: new connections to the bare server
    const acks = (await burst()).map((r) => r.ackMs);
    return { ackP50Ms: percentile(acks, 50), ackP99Ms: percentile(acks, 99) };
  } finally {
    stack.slack.botUrl = botUrl;
    bare.closeAllConnections();
    await new Promise((resolve) => bare.close(resolve));
  }
}

/** Commands one after the other (each for a new job); the views are awaited at the end, not in between. */
async function measureSingle(stack: BenchStack, upstreamMs: number, commands: number): Promise<AckResult['single']> {
  stack.cf.setLatency(upstreamMs);
  const views = countCalls(stack.slack, 'response_url');
  try {
    const acks: number[] = [];
    for (let i = 0; i < commands; i++) {
      const job = stack.cf.addJob({ total: 200, failureRate: 0.05 }).id;
      const result = await stack.slack.sendCommand({ userId: BENCH_USER, channelId: BENCH_CHANNEL, text: job });
      if (result.status !== 200) throw new Error(`the app answered a command with HTTP ${result.status}`);
      acks.push(result.ackMs);
    }
    await views.until(commands, 30_000 + upstreamMs * commands);
    return { commands, ackP50Ms: percentile(acks, 50), ackP99Ms: percentile(acks, 99) };
  } finally {
    views.stop();
  }
}
