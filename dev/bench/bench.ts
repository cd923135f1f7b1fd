/**
 * The benchmark as a function: run every scenario with one configuration and return the figures. `run.ts`
 * runs the full configuration and prints; the test runs the smoke one to check the bench itself works.
 */
import { availableParallelism, cpus } from 'node:os';
import { DEFAULT_CONNECTIONS } from '../../src/cloudflare/client.js';
import { type AckConfig, type AckResult, measureAck } from './ack.js';
import { type BurstConfig, type BurstResult, measureBurst } from './burst.js';
import { type CoalescingConfig, type CoalescingResult, measureCoalescing } from './coalescing.js';
import { type ExportBenchConfig, type ExportBenchResult, measureExport } from './export.js';
import { measureReplicas, type ReplicasConfig, type ReplicasResult } from './replicas.js';
import { measureTimeToView, type TimeToViewConfig, type TimeToViewResult } from './time-to-view.js';
import { measureWatchLoad, type WatchJobs, type WatchLoadConfig, type WatchLoadResult } from './watches.js';

export interface BenchConfig {
  name: string;
  ack: AckConfig;
  timeToView: TimeToViewConfig;
  coalescing: CoalescingConfig;
  /** One run per kind of job; the rest of the configuration is shared. */
  watches: Omit<WatchLoadConfig, 'jobs'> & { jobs: WatchJobs[] };
  burst: BurstConfig;
  export: ExportBenchConfig;
  replicas: ReplicasConfig;
}

/** What the README's figures come from: about a minute of wall time. */
export const FULL: BenchConfig = {
  name: 'full',
  ack: { commands: 50, upstreamMs: 1_000 },
  timeToView: { samples: 9, upstreamMs: 500 },
  coalescing: { clicks: 20, upstreamMs: 300 },
  burst: { views: 50, upstreamMs: 1_000 },
  export: { messages: 100_000, smallMessages: 10_000, upstreamMs: 100 },
  watches: {
    watches: 100,
    jobs: ['steady', 'growing'],
    scale: 60,
    warmupWindows: 1,
    measureWindows: 2,
    tickMs: 25,
    upstreamMs: 5,
  },
  replicas: {
    load: { watches: 100, scale: 60, warmupWindows: 1, measureWindows: 2, tickMs: 25, upstreamMs: 5 },
    takeover: { watches: 30, upstreamMs: 500, budgetWindowMs: 20_000 },
  },
};

/** A few iterations of everything, to check that the bench runs (tests). Its timings mean nothing. */
export const SMOKE: BenchConfig = {
  name: 'smoke',
  ack: { commands: 4, upstreamMs: 50 },
  timeToView: { samples: 2, upstreamMs: 50 },
  coalescing: { clicks: 4, upstreamMs: 300 },
  burst: { views: 8, upstreamMs: 50 },
  export: { messages: 3_000, smallMessages: 1_500, upstreamMs: 5 },
  watches: {
    watches: 6,
    jobs: ['steady', 'growing'],
    scale: 600,
    warmupWindows: 1,
    measureWindows: 1,
    tickMs: 10,
    upstreamMs: 1,
  },
  replicas: {
    load: { watches: 6, scale: 300, warmupWindows: 1, measureWindows: 1, tickMs: 10, upstreamMs: 1 },
    takeover: {
      watches: 3,
      upstreamMs: 50,
      budgetWindowMs: 20_000,
      watchTiming: { intervalMs: 300, tickMs: 50, leaseMs: 1_000 },
    },
  },
};

export interface BenchEnvironment {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  startedAt: string;
}

export interface BenchResult {
  config: BenchConfig;
  environment: BenchEnvironment;
  ack: AckResult;
  timeToView: TimeToViewResult;
  coalescing: CoalescingResult;
  watches: WatchLoadResult[];
  burst: BurstResult;
  export: ExportBenchResult;
  replicas: ReplicasResult;
  /** Real seconds for the whole run. */
  wallSeconds: number;
}

export function describeEnvironment(): BenchEnvironment {
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    startedAt: new Date().toISOString(),
  };
}

/** Run the scenarios one after another (each on its own stack, so no budget or cache carries over). */
export async function runBench(
  config: BenchConfig,
  onProgress: (step: string) => void = () => {},
): Promise<BenchResult> {
  const started = performance.now();
  const environment = describeEnvironment();
  onProgress('1/7 ack latency');
  const ack = await measureAck(config.ack);
  onProgress('2/7 time to view');
  const timeToView = await measureTimeToView(config.timeToView);
  onProgress('3/7 coalesced refreshes');
  const coalescing = await measureCoalescing(config.coalescing);
  const watches: WatchLoadResult[] = [];
  for (const jobs of config.watches.jobs) {
    onProgress(`4/7 watch load (${jobs} jobs)`);
    watches.push(await measureWatchLoad({ ...config.watches, jobs }));
  }
  onProgress(`5/7 a burst of ${config.burst.views} views`);
  const burst = await measureBurst(config.burst, DEFAULT_CONNECTIONS);
  onProgress(`6/7 a CSV export of ${config.export.messages} messages, beside the official SDK`);
  const exported = await measureExport(config.export);
  onProgress('7/7 replicas on one PostgreSQL: the watch load on one and three, and a takeover after a SIGKILL');
  const replicas = await measureReplicas(config.replicas);
  return {
    config,
    environment,
    ack,
    timeToView,
    coalescing,
    watches,
    burst,
    export: exported,
    replicas,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
