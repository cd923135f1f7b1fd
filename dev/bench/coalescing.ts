/**
 * Figure 3: Cloudflare reads for N concurrent identical refreshes. Identical in-flight reads share one
 * upstream request in the client, so N people pressing Refresh at once should cost one read per endpoint.
 *
 * - Card: a job is shared to the channel, then N users click the card's Refresh at once. A card refresh
 *   reads the job detail afresh; the failure reasons come from the share (the failed count has not
 *   moved), so it reads no messages at all.
 * - Job view: N concurrent Refresh clicks on the (ephemeral) job view, which reads job detail and a page
 *   of messages.
 * - Baseline: the same reads issued through N separate `CloudflareClient` instances (nothing shared
 *   between them, as N bot processes or a client without coalescing would do).
 */
import { performance } from 'node:perf_hooks';
import { CloudflareClient } from '../../src/cloudflare/client.js';
import { cardRefreshButton, shareButton } from '../../src/features/card/buttons.js';
import { refreshButton } from '../../src/features/job-view/buttons.js';
import { VIEW_PAGE_SIZE } from '../../src/features/job-view/load.js';
import type { SimMessage } from '../sim/slack.js';
import { countCalls } from './calls.js';
import { BENCH_CHANNEL, BENCH_USER, type BenchStack, startBenchStack } from './stack.js';

export interface CoalescingConfig {
  clicks: number;
  upstreamMs: number;
}

/** Cloudflare requests per endpoint. */
export interface Reads {
  job: number;
  messages: number;
}

export interface CoalescingCase {
  reads: Reads;
  /** The same reads through `clicks` separate clients. */
  baselineReads: Reads;
  /** From the first click to the last answer reaching Slack. */
  wallMs: number;
  baselineWallMs: number;
  /** Answers that reached Slack (card edits or views), of `clicks`. */
  answers: number;
}

export interface CoalescingResult {
  clicks: number;
  upstreamMs: number;
  card: CoalescingCase;
  view: CoalescingCase;
}

const JOB_PATH = /\/bulk\/[0-9a-f-]{36}$/i;
const MESSAGES_PATH = /\/bulk\/[0-9a-f-]{36}\/messages$/i;

function readsOf(stack: BenchStack): Reads {
  return {
    job: stack.cf.countRequests({ method: 'GET', path: JOB_PATH }),
    messages: stack.cf.countRequests({ method: 'GET', path: MESSAGES_PATH }),
  };
}

export async function measureCoalescing(config: CoalescingConfig): Promise<CoalescingResult> {
  const stack = await startBenchStack({ latencyMs: config.upstreamMs });
  try {
    // A running job with failures, so the card shows failure reasons.
    const job = stack.cf.addJob({
      total: 2_000,
      failureRate: 0.1,
      progress: { kind: 'static', status: 'PROCESSING', processed: 800 },
    }).id;
    const view = await openView(stack, job);
    const card = await share(stack, view);
    const users = Array.from({ length: config.clicks }, (_, i) => `U0BENCH${String(i).padStart(3, '0')}`);

    const cardCase = await clickAtOnce(stack, 'chat.update', config.clicks, () =>
      Promise.all(
        users.map((userId) => stack.slack.click({ userId, message: card, actionId: cardRefreshButton.actionId })),
      ),
    );
    const cardBaseline = await throughSeparateClients(stack, config.clicks, (client) =>
      client.getJob(job, { fresh: true }).then(() => undefined),
    );

    const viewCase = await clickAtOnce(stack, 'response_url', config.clicks, () =>
      Promise.all(
        users.map(() => stack.slack.click({ userId: BENCH_USER, message: view, actionId: refreshButton.actionId })),
      ),
    );
    const viewBaseline = await throughSeparateClients(stack, config.clicks, async (client) => {
      await Promise.all([
        client.getJob(job, { fresh: true }),
        client.listMessages(job, { page: 1, perPage: VIEW_PAGE_SIZE }),
      ]);
    });

    return {
      clicks: config.clicks,
      upstreamMs: config.upstreamMs,
      card: { ...cardCase, baselineReads: cardBaseline.reads, baselineWallMs: cardBaseline.wallMs },
      view: { ...viewCase, baselineReads: viewBaseline.reads, baselineWallMs: viewBaseline.wallMs },
    };
  } finally {
    await stack.stop();
  }
}

async function openView(stack: BenchStack, job: string): Promise<SimMessage> {
  const views = countCalls(stack.slack, 'response_url');
  try {
    await stack.slack.sendCommand({ userId: BENCH_USER, channelId: BENCH_CHANNEL, text: job });
    await views.until(1, 30_000);
  } finally {
    views.stop();
  }
  const view = stack.slack.ephemeralFor(BENCH_USER, BENCH_CHANNEL).at(-1);
  if (!view) throw new Error('no job view reached Slack');
  return view;
}

async function share(stack: BenchStack, view: SimMessage): Promise<SimMessage> {
  const posts = countCalls(stack.slack, 'chat.postMessage');
  try {
    await stack.slack.click({ userId: BENCH_USER, message: view, actionId: shareButton.actionId });
    await posts.until(1, 30_000);
  } finally {
    posts.stop();
  }
  const card = stack.slack.channelMessages(BENCH_CHANNEL).at(-1);
  if (!card) throw new Error('no status card reached the channel');
  return card;
}

/** Clear the request log, run `click` (N clicks at once), wait for N answers of `method`, count reads. */
async function clickAtOnce(
  stack: BenchStack,
  method: string,
  clicks: number,
  click: () => Promise<{ status: number }[]>,
): Promise<Omit<CoalescingCase, 'baselineReads' | 'baselineWallMs'>> {
  stack.cf.clearRequests();
  const answers = countCalls(stack.slack, method);
  try {
    const started = performance.now();
    const results = await click();
    const bad = results.find((r) => r.status !== 200);
    if (bad) throw new Error(`the app answered a click with HTTP ${bad.status}`);
    const last = await answers.until(clicks, 30_000);
    return { reads: readsOf(stack), wallMs: last - started, answers: answers.arrivals.length };
  } finally {
    answers.stop();
  }
}

/** The baseline: `count` separate clients (same server, same credentials) each doing `read` at once. */
async function throughSeparateClients(
  stack: BenchStack,
  count: number,
  read: (client: CloudflareClient) => Promise<void>,
): Promise<{ reads: Reads; wallMs: number }> {
  const { baseUrl, accountId, auth } = stack.config.cloudflare;
  const clients = Array.from({ length: count }, () => new CloudflareClient({ baseUrl, accountId, auth }));
  stack.cf.clearRequests();
  try {
    const started = performance.now();
    await Promise.all(clients.map(read));
    return { reads: readsOf(stack), wallMs: performance.now() - started };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
