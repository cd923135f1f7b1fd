/**
 * Two bulkjob instances on one store, behind a load balancer without sticky sessions (the Slack simulator
 * sends each request to the next instance): what users see must be what one bot would do. One card and one
 * notice for a job watched from both at once, one card for a Share that Slack delivered twice, one answer
 * for a command delivered twice, a refresh slower than its lease keeps its watch, and a job's failure reasons
 * read from Cloudflare once, whichever instance draws the card.
 *
 * These instances share a SQLite file; the PostgreSQL suite (replicas-postgres.test.ts) runs separate
 * processes on one database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../dev/sim/slack.js';
import { InProcessBudget } from '../../src/cloudflare/budget.js';
import { cardRefreshButton, shareButton } from '../../src/features/card/buttons.js';
import { openStore } from '../../src/store/store.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, OTHER_USER, type Stack, startStack, USER } from '../helpers/stack.js';

const FAST = { intervalMs: 100, tickMs: 50, leaseMs: 1_000, stuckNoticeMs: 300 };

let clock = Date.parse('2026-12-01T09:00:00Z');
const stacks: Stack[] = [];
const dirs: string[] = [];

/** Two instances on one data directory and one pair of simulators; Slack alternates between them. */
async function twoInstances(watchTiming: Partial<typeof FAST> = {}): Promise<[Stack, Stack]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-replicas-'));
  dirs.push(dataDir);
  const app = {
    watchTiming: { ...FAST, ...watchTiming },
    // Home refreshes read jobs too; these tests count the watch loop's reads.
    homeRefreshDelayMs: 60_000,
    cloudflareOptions: { jobCacheMs: 0, budget: new InProcessBudget({ limit: 1_200, windowMs: 30_000 }) },
  };
  const a = await startStack({ cloudflare: { now: () => clock }, dataDir, app });
  stacks.push(a);
  const b = await startStack({
    dataDir,
    sims: a.sims,
    app: { ...app, cloudflareOptions: { ...app.cloudflareOptions } },
  });
  stacks.push(b);
  a.slack.botUrls = [a, b].map((stack) => `http://127.0.0.1:${stack.port}/slack/events`);
  return [a, b];
}

afterEach(async () => {
  const violations = stacks.flatMap((stack) => stack.slack.limitViolations);
  for (const stack of stacks.splice(0).reverse()) await stack.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  expect(violations).toEqual([]);
});

function addLiveJob(stack: Stack): string {
  return stack.cf.addJob({
    total: 100,
    failureRate: 0.1,
    createdAt: clock,
    progress: { kind: 'live', discoverMs: 1_000, ratePerSecond: 10 },
  }).id;
}

const cards = (stack: Stack): SimMessage[] => stack.slack.channelMessages(CHANNEL).filter((m) => !m.ephemeralTo);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two instances on one store', () => {
  it('asked at the same moment to watch one job in one channel, they post one card and one notice', async () => {
    const [a] = await twoInstances();
    const job = addLiveJob(a);
    // Both requests reach the bot before either has read the job: both decide at the same time.
    const release = a.cf.hold();
    const sent = Promise.all(
      [USER, OTHER_USER].map((userId) => a.slack.sendCommand({ userId, channelId: CHANNEL, text: `watch ${job}` })),
    );
    await a.slack.waitFor(() => a.cf.countRequests() >= 1);
    await pause(200);
    release();
    const results = await sent;
    for (const result of results) expect(result.status).toBe(200);
    // The second to decide finds the first's card and watch, and says so (the first says nothing: its card speaks).
    await a.slack.waitFor((s) => results.some((result) => s.answered(result.responseUrl)), { timeoutMs: 10_000 });
    const answer = a.slack.calls.find((call) => results.some((result) => call.url === result.responseUrl));
    expect(JSON.stringify(answer?.args)).toContain('already being watched in this channel');
    await a.slack.waitFor(async () => {
      const store = openStore({ dataDir: a.dataDir });
      try {
        return (await store.countActiveWatches()) === 1;
      } finally {
        await store.close();
      }
    });
    expect(cards(a)).toHaveLength(1);

    clock += 30_000; // the job completes
    const card = cards(a)[0]!;
    await a.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts).length > 0, { timeoutMs: 10_000 });
    await pause(5 * FAST.intervalMs);
    expect(a.slack.threadReplies(CHANNEL, card.ts)).toHaveLength(1);
    expect(textOf(a.slack.threadReplies(CHANNEL, card.ts)[0])).toMatch(/COMPLETED/);
    expect(cards(a)).toHaveLength(1);
  });

  it('a Share click Slack delivers twice, once to each instance, posts one card', async () => {
    const [a] = await twoInstances();
    const job = a.cf.addJob({ total: 20, createdAt: clock }).id;
    const view = await a.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    const shown = await a.slack.waitFor((s) => s.answered(view.responseUrl) && s.ephemeralFor(USER, CHANNEL).at(-1));
    const result = await a.slack.click({ userId: USER, message: shown, actionId: shareButton.actionId, deliveries: 2 });
    expect(result.status).toBe(200);
    await a.slack.waitFor(() => cards(a).length > 0);
    await pause(500);
    expect(cards(a)).toHaveLength(1);
    expect(a.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('a command Slack delivers twice is answered once, by one instance', async () => {
    const [a, b] = await twoInstances();
    const job = a.cf.addJob({ total: 20, createdAt: clock }).id;
    const result = await a.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job, deliveries: 2 });
    await a.slack.waitFor((s) => s.answered(result.responseUrl));
    await pause(300);
    expect(a.slack.calls.filter((call) => call.url === result.responseUrl)).toHaveLength(1);
    const dropped = [...a.logs, ...b.logs].filter((line) => line.includes('duplicate delivery from Slack ignored'));
    expect(dropped).toHaveLength(1);
  });

  it('a refresh slower than its lease keeps its watch: the other instance does not refresh it too', async () => {
    const lease = 300;
    const [a] = await twoInstances({ leaseMs: lease });
    const job = addLiveJob(a);
    await a.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` });
    await a.slack.waitFor(() => cards(a).length === 1);
    const jobPath = new RegExp(`/bulk/${job}$`);
    await a.slack.waitFor(() => a.cf.countRequests({ path: jobPath }) >= 2);
    // The next refresh's read hangs for ten leases; without renewal the other instance would take the watch
    // after one lease and read the job again.
    const release = a.cf.hold();
    const before = a.cf.countRequests({ path: jobPath });
    await a.slack.waitFor(() => a.cf.countRequests({ path: jobPath }) > before);
    const held = a.cf.countRequests({ path: jobPath });
    await pause(10 * lease);
    expect(a.cf.countRequests({ path: jobPath })).toBe(held);
    release();
  });

  it("reads a job's failure reasons from Cloudflare once, whichever instance draws its view and card", async () => {
    const [a, b] = await twoInstances();
    const job = a.cf.addJob({ total: 200, failureRate: 0.2, createdAt: clock }).id;
    const failureScans = () => a.cf.requests.filter((r) => r.jobId === job && r.query.status === 'FAILED').length;
    // The view (one instance), the Share (the other), then a Refresh on each: one scan of the failures in all.
    const view = await a.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    const shown = await a.slack.waitFor((s) => s.answered(view.responseUrl) && s.ephemeralFor(USER, CHANNEL).at(-1));
    expect(textOf(shown)).toMatch(/fail/i);
    await a.slack.click({ userId: USER, message: shown, actionId: shareButton.actionId });
    const card = await a.slack.waitFor(() => cards(a)[0]);
    for (let i = 0; i < 2; i++) {
      const before = a.slack.callsTo('chat.update').length;
      await a.slack.click({ userId: USER, message: card, actionId: cardRefreshButton.actionId });
      await a.slack.waitFor(
        () =>
          a.cf.countRequests({ path: new RegExp(`/bulk/${job}$`) }) >= 3 + i &&
          a.slack.callsTo('chat.update').length >= before,
      );
    }
    await pause(300);
    // Both instances drew the job: each answered at least one of the four requests.
    const handled = (stack: Stack) => stack.logs.filter((line) => line.includes(job)).length;
    expect(handled(a)).toBeGreaterThan(0);
    expect(handled(b)).toBeGreaterThan(0);
    expect(textOf(cards(a)[0])).toMatch(/fail/i);
    expect(failureScans()).toBe(1);
  });
});
