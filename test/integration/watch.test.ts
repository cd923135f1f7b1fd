/**
 * Live cards for incident channels: watch to the end, exactly one completion notice (also across a
 * restart and a crash), stop, a deleted card, cancel, list, coalescing and the Cloudflare budget.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../dev/sim/slack.js';
import { InProcessBudget } from '../../src/cloudflare/budget.js';
import { BudgetExhaustedError } from '../../src/errors.js';
import { cancelButton } from '../../src/features/cancel/buttons.js';
import { cardRefreshButton, shareButton } from '../../src/features/card/buttons.js';
import { listNextButton, listViewButton } from '../../src/features/list/buttons.js';
import { stopWatchButton } from '../../src/features/watch/buttons.js';
import { openStore } from '../../src/store/store.js';
import { buttonLabels, textOf } from '../helpers/slack-text.js';
import { CHANNEL, OTHER_USER, type Stack, startStack, USER } from '../helpers/stack.js';

const FAST = { intervalMs: 100, tickMs: 50, leaseMs: 1_000, stuckNoticeMs: 300 };
/**
 * How long a test watches for something that must not happen (a second notice, an edit after the end): a few
 * refresh intervals, each a chance for a still-running watch to do it.
 */
const QUIET_MS = 3 * FAST.intervalMs;
const ENV = { BULKJOB_WRITE_USERS: USER };
/** The lease a crashed instance leaves behind. */
const CRASHED_LEASE_MS = 300;

/**
 * Tests run watches every 100 ms. The watch loop stretches its interval so watches fit in the budget's
 * background share (Watcher.intervalMs): even Cloudflare's whole limit, 1,200 per 5 minutes, would stretch
 * one watch to 715 ms. The same limit over 30 s leaves one or two watches at 100 ms.
 */
function roomyBudget(): InProcessBudget {
  return new InProcessBudget({ limit: 1_200, windowMs: 30_000 });
}

let clock = Date.parse('2026-11-29T10:00:00Z');
const stacks: Stack[] = [];

async function start(options: Parameters<typeof startStack>[0] = {}): Promise<Stack> {
  // A test that sets BULKJOB_CLOUDFLARE_BUDGET gets the budget the app builds from it, as in production.
  const budget = options.env?.BULKJOB_CLOUDFLARE_BUDGET === undefined ? { budget: roomyBudget() } : {};
  const stack = await startStack({
    cloudflare: { now: () => clock },
    env: ENV,
    ...options,
    app: { watchTiming: FAST, cloudflareOptions: { jobCacheMs: 0, ...budget }, ...options.app },
  });
  stacks.push(stack);
  return stack;
}

afterEach(async () => {
  const violations = stacks.flatMap((stack) => stack.slack.limitViolations);
  for (const stack of stacks.splice(0).reverse()) await stack.stop();
  // Whatever a test did, nothing the bot sent may break Slack's limits (docs/design.md, "Slack limits").
  expect(violations).toEqual([]);
});

/** A job that discovers 100 messages and processes 10 per simulated second, starting now. */
function addLiveJob(stack: Stack, total = 100): string {
  return stack.cf.addJob({
    total,
    failureRate: 0.1,
    createdAt: clock,
    progress: { kind: 'live', discoverMs: 1_000, ratePerSecond: 10 },
  }).id;
}

async function watchCommand(stack: Stack, jobId: string, user = USER): Promise<SimMessage> {
  const before = stack.slack.channelMessages(CHANNEL).length;
  const result = await stack.slack.sendCommand({ userId: user, channelId: CHANNEL, text: `watch ${jobId}` });
  expect(result.status).toBe(200);
  return stack.slack.waitFor((s) => s.channelMessages(CHANNEL).length > before && s.channelMessages(CHANNEL).at(-1));
}

/** Stop watching the card, then delete it in Slack: the bot hears nothing of that until it next edits it. */
async function stopThenDelete(stack: Stack, card: SimMessage): Promise<void> {
  await stack.slack.click({
    userId: USER,
    message: stack.slack.message(CHANNEL, card.ts)!,
    actionId: stopWatchButton.actionId,
  });
  await stack.slack.waitFor((s) => /Watch stopped by/.test(textOf(s.message(CHANNEL, card.ts))));
  stack.slack.deleteMessage(CHANNEL, card.ts);
}

function replies(stack: Stack, card: SimMessage): SimMessage[] {
  return stack.slack.threadReplies(CHANNEL, card.ts);
}

function quiet(): Promise<void> {
  return new Promise((r) => setTimeout(r, QUIET_MS));
}

/** How many times the job itself has been read (`GET …/bulk/{id}`, not its messages). */
function jobReads(stack: Stack, jobId: string): number {
  return stack.cf.countRequests({ method: 'GET', path: new RegExp(`/bulk/${jobId}$`) });
}

describe('watch', () => {
  it('keeps the card current to the end and posts exactly one completion notice', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    expect(textOf(card)).toMatch(/Watching/);
    expect(buttonLabels(stack.slack.message(CHANNEL, card.ts))).toContain('Stop watching');

    clock += 3_000;
    const edited = await stack.slack.waitFor((s) => {
      const m = s.message(CHANNEL, card.ts)!;
      return /PROCESSING/.test(textOf(m)) && m;
    });
    expect(edited.edits).toBeGreaterThan(0);

    // Nothing changes upstream: refreshes go on, but the card is not edited again. A watch's refreshes run
    // one after another, each reading the job twice (the loop's read, then the card's): the fifth read after
    // this point starts a third refresh, so two whole refreshes have run since, and edited nothing.
    const editsWhileStill = edited.edits;
    const readsWhileStill = jobReads(stack, job);
    await stack.slack.waitFor(() => jobReads(stack, job) >= readsWhileStill + 5);
    expect(stack.slack.message(CHANNEL, card.ts)!.edits).toBe(editsWhileStill);

    clock += 20_000;
    const notice = await stack.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts)[0], { timeoutMs: 10_000 });
    expect(textOf(notice)).toContain(`<@${USER}>`);
    expect(textOf(notice)).toMatch(/COMPLETED/);
    expect(JSON.stringify(notice)).not.toMatch(/@example-corp\.com/);
    const final = await stack.slack.waitFor((s) => {
      const m = s.message(CHANNEL, card.ts)!;
      return /Watch finished/.test(textOf(m)) && m;
    });
    expect(buttonLabels(final)).not.toContain('Stop watching');

    await quiet();
    expect(replies(stack, card)).toHaveLength(1);
    expect(stack.bot.ctx.cards).toBeDefined();
    expect(stack.slack.limitViolations).toEqual([]);
  });

  it('resumes after a restart on the same data directory and still posts one notice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-restart-'));
    try {
      const first = await start({ dataDir });
      const job = addLiveJob(first);
      const card = await watchCommand(first, job);
      await first.stopBot();

      clock += 30_000; // the job completes while the bot is down
      const second = await start({ dataDir, sims: first.sims });
      const notice = await second.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts)[0], { timeoutMs: 10_000 });
      expect(textOf(notice)).toContain(`<@${USER}>`);
      await quiet();
      expect(replies(second, card)).toHaveLength(1);
      expect(second.slack.channelMessages(CHANNEL)).toHaveLength(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('takes over a watch whose instance crashed holding its lease', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-crash-'));
    try {
      const first = await start({ dataDir, app: { runWatches: false } });
      const job = addLiveJob(first);
      const card = await watchCommand(first, job);
      // Another instance claims the watch and dies without releasing it.
      const crashed = openStore({ dataDir });
      await first.slack.waitFor(async () => (await crashed.countActiveWatches()) > 0);
      const [watch] = await crashed.listActiveWatches();
      // A short lease, so the takeover need not wait long for it to expire.
      expect(await crashed.claimWatch(watch!.id, 'crashed-instance', CRASHED_LEASE_MS, watch!.nextRunAt)).toBe(true);
      await crashed.close();
      await first.stopBot();

      clock += 30_000;
      const second = await start({ dataDir, sims: first.sims });
      const notice = await second.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts)[0], { timeoutMs: 10_000 });
      expect(textOf(notice)).toMatch(/COMPLETED/);
      await quiet();
      expect(replies(second, card)).toHaveLength(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("the notice's answer is lost after it landed: found by its tag, never posted twice", async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    stack.slack.outage('chat.postMessage', { kind: 'lost-reply' });
    clock += 30_000;
    await stack.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts).length === 1, { timeoutMs: 10_000 });
    // The recovery reads the thread, finds the tagged reply, and records it instead of posting again.
    await stack.slack.waitFor((s) => s.callsTo('conversations.replies').length > 0, { timeoutMs: 10_000 });
    await stack.slack.waitFor(async () => {
      const store = openStore({ dataDir: stack.dataDir });
      try {
        return (
          (await store.listActiveWatches()).length === 0 && (await store.listStuckNotices(new Date())).length === 0
        );
      } finally {
        await store.close();
      }
    });
    await quiet();
    expect(replies(stack, card)).toHaveLength(1);
    expect(stack.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts)).toHaveLength(1);
  });

  it('Slack down when the job ends: the notice is posted once Slack is back, exactly once', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    stack.slack.outage('chat.postMessage', { kind: 'http-error', status: 500 }, 3);
    clock += 30_000;
    const notice = await stack.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts)[0], { timeoutMs: 10_000 });
    expect(textOf(notice)).toMatch(/COMPLETED/);
    expect(stack.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 500).length).toBe(3);
    await quiet();
    expect(replies(stack, card)).toHaveLength(1);
  });

  it.each([
    ['before its post reached Slack', false],
    ['after its post landed', true],
  ])('kill -9 with the notice in flight, %s: the next instance settles it, one notice', async (_name, landed) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-kill-'));
    try {
      const first = await start({ dataDir });
      const job = addLiveJob(first);
      const card = await watchCommand(first, job);
      await first.stopBot();
      // The instance that owned the watch began the notice and died: `posting`, and maybe a reply in Slack.
      const crashed = openStore({ dataDir });
      const [watch] = await crashed.listActiveWatches();
      expect(await crashed.beginNotice(watch!.id, new Date(Date.now() - 10_000))).toBe(true);
      await crashed.close();
      if (landed) {
        first.slack.state.add({
          channel: CHANNEL,
          user: 'UBOT',
          botId: 'BBOT',
          text: 'notice from the instance that died',
          blocks: [],
          threadTs: card.ts,
          source: 'chat.postMessage',
          metadata: { event_type: 'bulkjob_notice', event_payload: { key: `watch-${watch!.id}` } },
        });
      }
      clock += 30_000;
      const second = await start({ dataDir, sims: first.sims });
      await second.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts).length === 1, { timeoutMs: 10_000 });
      await second.slack.waitFor((s) => s.callsTo('conversations.replies').length > 0, { timeoutMs: 10_000 });
      await quiet();
      expect(replies(second, card)).toHaveLength(1);
      expect(second.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts)).toHaveLength(landed ? 0 : 1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('without the history scopes, an interrupted notice is not posted again (at most once), and says why', async () => {
    const stack = await start();
    stack.slack.scopes.delete('channels:history');
    try {
      const job = addLiveJob(stack);
      const card = await watchCommand(stack, job);
      stack.slack.outage('chat.postMessage', { kind: 'lost-reply' });
      clock += 30_000;
      await stack.slack.waitFor(() => stack.logs.some((l) => l.includes('without the channels:history')), {
        timeoutMs: 10_000,
      });
      await quiet();
      expect(replies(stack, card)).toHaveLength(1);
      expect(stack.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts)).toHaveLength(1);
    } finally {
      stack.slack.scopes.add('channels:history');
    }
  });

  it('Stop watching ends it and says who stopped it', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    await stack.slack.click({
      userId: OTHER_USER,
      message: stack.slack.message(CHANNEL, card.ts)!,
      actionId: stopWatchButton.actionId,
    });
    const stopped = await stack.slack.waitFor((s) => {
      const m = s.message(CHANNEL, card.ts)!;
      return /Watch stopped by/.test(textOf(m)) && m;
    });
    expect(textOf(stopped)).toContain(`<@${OTHER_USER}>`);
    expect(buttonLabels(stopped)).toContain('Watch');
    const edits = stopped.edits;
    clock += 30_000;
    await quiet();
    expect(stack.slack.message(CHANNEL, card.ts)!.edits).toBe(edits);
    expect(replies(stack, card)).toHaveLength(0);
  });

  it('a card deleted in Slack ends its watch', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    stack.slack.deleteMessage(CHANNEL, card.ts);
    clock += 3_000;
    await stack.slack.waitFor((s) => s.callsTo('chat.update').some((c) => c.error === 'message_not_found'));
    // The watch has ended (not merely failed once and backed off).
    const store = openStore({ dataDir: stack.dataDir });
    try {
      await stack.slack.waitFor(async () => (await store.countActiveWatches()) === 0);
    } finally {
      await store.close();
    }
    const updates = stack.slack.callsTo('chat.update').length;
    clock += 30_000;
    await quiet();
    expect(stack.slack.callsTo('chat.update')).toHaveLength(updates);
    expect(stack.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts)).toHaveLength(0);
  });

  it('watching again after the card was deleted in Slack posts a new card and watches it', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    await stopThenDelete(stack, card);

    const again = await watchCommand(stack, job);
    expect(again.ts).not.toBe(card.ts);
    expect(textOf(again)).toMatch(/Watching/);
    expect(stack.slack.callsTo('chat.update').some((c) => c.error === 'message_not_found')).toBe(true);
    expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).not.toMatch(/went wrong|deleted/);
    // The new card is the one kept current, to the end and its one notice.
    clock += 30_000;
    const notice = await stack.slack.waitFor((s) => s.threadReplies(CHANNEL, again.ts)[0], { timeoutMs: 10_000 });
    expect(textOf(notice)).toMatch(/COMPLETED/);
    expect(stack.slack.channelMessages(CHANNEL).filter((m) => !m.threadTs || m.threadTs === m.ts)).toHaveLength(1);
  });

  it('a deleted card of a job that has since ended is replaced by its final card', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    await stopThenDelete(stack, card);
    clock += 60_000;

    const final = await watchCommand(stack, job);
    expect(final.ts).not.toBe(card.ts);
    expect(textOf(final)).toMatch(/COMPLETED/);
    const note = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    expect(textOf(note)).toMatch(/already ended/);
  });

  it('watching a job that already ended says so and does not watch', async () => {
    const stack = await start();
    const job = stack.cf.addJob({ total: 10 }).id;
    await watchCommand(stack, job);
    const note = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    expect(textOf(note)).toMatch(/already ended \(COMPLETED\)/);
  });

  it('says where to invite the bot when it cannot post', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    stack.slack.setChannelFault(CHANNEL, 'channel_not_found');
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` });
    const reply = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    expect(textOf(reply)).toMatch(/\/invite @bulkjob/);
  });
});

describe('cancel', () => {
  it('a write user cancels from the card, behind a confirm; the card records who', async () => {
    const stack = await start();
    const job = addLiveJob(stack, 1000);
    clock += 2_000;
    const card = await watchCommand(stack, job);
    const current = stack.slack.message(CHANNEL, card.ts)!;
    const cancel = current.blocks
      .flatMap((b) => (b.elements as Record<string, unknown>[] | undefined) ?? [])
      .find((e) => e.action_id === cancelButton.actionId);
    expect(cancel?.confirm).toBeDefined();
    await stack.slack.click({ userId: USER, message: current, actionId: cancelButton.actionId });
    const cancelled = await stack.slack.waitFor((s) => {
      const m = s.message(CHANNEL, card.ts)!;
      return /CANCELLED/.test(textOf(m)) && /Cancelled from Slack by/.test(textOf(m)) && m;
    });
    expect(textOf(cancelled)).toContain(`<@${USER}>`);
    expect(stack.cf.countRequests({ method: 'POST', jobId: job })).toBe(1);
    const notice = await stack.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts)[0]);
    expect(textOf(notice)).toMatch(/CANCELLED/);
  });

  it('anyone else gets one line and no Cloudflare call', async () => {
    const stack = await start();
    const job = addLiveJob(stack, 1000);
    const card = await watchCommand(stack, job);
    await stack.slack.click({
      userId: OTHER_USER,
      message: stack.slack.message(CHANNEL, card.ts)!,
      actionId: cancelButton.actionId,
    });
    const reply = await stack.slack.waitFor((s) => s.ephemeralFor(OTHER_USER, CHANNEL).at(-1));
    expect(textOf(reply)).toMatch(/You do not have cancel rights in bulkjob. Ask your bulkjob admin/);
    expect(textOf(reply)).not.toMatch(/BULKJOB_|HTTP/);
    expect(stack.cf.countRequests({ method: 'POST' })).toBe(0);
  });

  it('checks the button against its card before cancelling anything', async () => {
    const stack = await start();
    const job = addLiveJob(stack, 1000);
    const other = addLiveJob(stack, 1000);
    const card = await watchCommand(stack, job);
    // A write user's click whose value was edited to name another running job.
    await stack.slack.click({
      userId: USER,
      message: stack.slack.message(CHANNEL, card.ts)!,
      actionId: cancelButton.actionId,
      value: JSON.stringify({ kind: 'view', jobId: other, page: 1 }),
    });
    const reply = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    expect(textOf(reply)).toMatch(/does not match its card/);
    expect(stack.cf.countRequests({ method: 'POST' })).toBe(0);
  });

  it('the job view shows Cancel job only to write users', async () => {
    const stack = await start();
    const job = addLiveJob(stack, 1000);
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    const mine = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    await stack.slack.sendCommand({ userId: OTHER_USER, channelId: CHANNEL, text: job });
    const theirs = await stack.slack.waitFor((s) => s.ephemeralFor(OTHER_USER, CHANNEL).at(-1));
    expect(buttonLabels(mine)).toContain('Cancel job');
    expect(buttonLabels(theirs)).not.toContain('Cancel job');
  });
});

describe('/bulkjob list', () => {
  it('lists recent jobs newest first, pages, and opens a job with View', async () => {
    const stack = await start();
    const ids: string[] = [];
    for (let i = 0; i < 13; i++) ids.push(stack.cf.addJob({ total: 5, createdAt: clock - (13 - i) * 60_000 }).id);
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: 'list' });
    const page1 = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    const text1 = textOf(page1);
    expect(text1.indexOf(ids[12]!)).toBeGreaterThan(-1);
    expect(text1.indexOf(ids[12]!)).toBeLessThan(text1.indexOf(ids[11]!));
    expect(text1).not.toContain(ids[0]);
    expect(buttonLabels(page1)).toContain('Next ▶');

    const next = await stack.slack.click({ userId: USER, message: page1, actionId: listNextButton.actionId });
    await stack.slack.waitFor((s) => s.answered(next.responseUrl));
    const page2 = stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
    expect(textOf(page2)).toContain(ids[0]);
    expect(buttonLabels(page2)).not.toContain('Next ▶');
    expect(stack.cf.requests.filter((r) => r.path.endsWith('/bulk')).map((r) => r.query.page)).toEqual(['1', '2']);

    const viewButton = `${listViewButton.actionId}_0`;
    const opened = await stack.slack.click({ userId: USER, message: page2, actionId: viewButton });
    await stack.slack.waitFor((s) => s.answered(opened.responseUrl));
    expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toMatch(/Page 1 of 1/);
  });

  it('filters by status', async () => {
    const stack = await start();
    stack.cf.addJob({ total: 5 });
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: 'list failed' });
    const reply = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    expect(stack.cf.requests.at(-1)!.query.status).toBe('FAILED');
    expect(textOf(reply)).toMatch(/No jobs/i);
  });
});

describe('one Cloudflare budget', () => {
  it('20 concurrent identical refreshes cost at most one upstream read per endpoint', async () => {
    const stack = await start({ app: { watchTiming: FAST } });
    const job = stack.cf.addJob({ total: 300, failureRate: 0.2 }).id;
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    const view = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    await stack.slack.click({ userId: USER, message: view, actionId: shareButton.actionId });
    const card = await stack.slack.waitFor((s) => s.channelMessages(CHANNEL).at(-1));
    stack.cf.clearRequests();
    // Cloudflare answers nothing until all 20 clicks are in: they overlap whatever the machine's speed.
    const release = stack.cf.hold();
    const updates = stack.slack.callsTo('chat.update').length;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stack.slack.click({ userId: i % 2 ? USER : OTHER_USER, message: card, actionId: cardRefreshButton.actionId }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await stack.slack.waitFor((s) => s.callsTo('chat.update').length >= updates + 20, { timeoutMs: 10_000 });
    expect(stack.cf.countRequests({ path: new RegExp(`/bulk/${job}$`) })).toBe(1);
    // The failure reasons did not change, so they were not read again at all.
    expect(stack.cf.countRequests({ path: /\/messages$/ })).toBeLessThanOrEqual(1);
  });

  it('a burst of 500 reads never exceeds the configured budget', async () => {
    const stack = await start({ env: { ...ENV, BULKJOB_CLOUDFLARE_BUDGET: '40' }, app: { runWatches: false } });
    const job = stack.cf.addJob({ total: 5000 }).id;
    const client = stack.bot.ctx.cloudflare;
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_, i) =>
        client.listMessages(job, { page: i + 1, perPage: 10 }, { priority: 'user' }),
      ),
    );
    const served = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected');
    expect(stack.cf.countRequests()).toBeLessThanOrEqual(40);
    expect(served).toBeGreaterThan(0);
    expect(served + refused.length).toBe(500);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExhaustedError);

    // A user then gets a clear message saying when to try again, and still no request beyond the budget.
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    const reply = await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).at(-1));
    expect(textOf(reply)).toMatch(/pacing its Cloudflare requests.*Try again in/);
    expect(stack.cf.countRequests()).toBeLessThanOrEqual(40);
  });
});

beforeAll(() => {
  clock = Date.parse('2026-11-29T10:00:00Z');
});
afterAll(() => {});

describe('limits of a watch', () => {
  it('ends at the maximum watch time with a notice that says so', async () => {
    let appNow = Date.now();
    const stack = await start({ app: { now: () => new Date(appNow) } });
    const job = stack.cf.addJob({ total: 100, progress: { kind: 'static', status: 'PROCESSING', processed: 10 } }).id;
    const card = await watchCommand(stack, job);
    const store = openStore({ dataDir: stack.dataDir });
    await stack.slack.waitFor(async () => (await store.countActiveWatches()) > 0);
    await store.close();
    appNow += 13 * 3_600_000; // past the default 12 hours
    const notice = await stack.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts)[0], { timeoutMs: 10_000 });
    expect(textOf(notice)).toMatch(/after 13h/);
    expect(textOf(notice)).toMatch(/PROCESSING/);
    expect(textOf(notice)).toContain(`<@${USER}>`);
    const final = await stack.slack.waitFor((s) => {
      const m = s.message(CHANNEL, card.ts)!;
      return /Watch expired/.test(textOf(m)) && m;
    });
    expect(buttonLabels(final)).toContain('Watch');
  });

  it('backs off when Slack rate limits the card edits, then catches up', async () => {
    const stack = await start();
    const job = addLiveJob(stack);
    const card = await watchCommand(stack, job);
    stack.slack.rateLimit('chat.update', { calls: 1, retryAfterSeconds: 1 });
    clock += 3_000;
    await stack.slack.waitFor((s) => s.callsTo('chat.update').some((c) => c.status === 429));
    const edited = await stack.slack.waitFor(
      (s) => {
        const m = s.message(CHANNEL, card.ts)!;
        return /PROCESSING/.test(textOf(m)) && m;
      },
      { timeoutMs: 8_000 },
    );
    expect(edited.edits).toBeGreaterThan(0);
  });
});

describe('allow lists and stored watches', () => {
  it('a watch in a channel that is no longer allowed ends at its next refresh', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-allow-'));
    try {
      const first = await start({ dataDir });
      const job = addLiveJob(first);
      const card = await watchCommand(first, job);
      await first.stopBot();
      const edits = first.slack.message(CHANNEL, card.ts)!.edits;
      const second = await start({
        dataDir,
        sims: first.sims,
        env: { ...ENV, BULKJOB_ALLOWED_CHANNELS: 'C0ELSEWHERE' },
      });
      const store = openStore({ dataDir });
      await second.slack.waitFor(async () => (await store.countActiveWatches()) === 0);
      await store.close();
      clock += 30_000;
      await quiet();
      expect(second.slack.message(CHANNEL, card.ts)!.edits).toBe(edits);
      expect(replies(second, card)).toHaveLength(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('watch races and failures', () => {
  it('two Watch commands at once for one job post one card and one watch', async () => {
    const stack = await start({ app: { runWatches: false } });
    const job = addLiveJob(stack);
    await Promise.all([
      stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` }),
      stack.slack.sendCommand({ userId: OTHER_USER, channelId: CHANNEL, text: `watch ${job}` }),
    ]);
    await stack.slack.waitFor(
      (s) => s.ephemeralFor(OTHER_USER, CHANNEL).length + s.ephemeralFor(USER, CHANNEL).length > 0,
    );
    expect(stack.slack.channelMessages(CHANNEL)).toHaveLength(1);
    const store = openStore({ dataDir: stack.dataDir });
    expect(await store.countActiveWatches()).toBe(1);
    await store.close();
  });

  it('a watch whose refreshes keep failing still ends at its maximum time', async () => {
    let appNow = Date.now();
    const stack = await start({ app: { now: () => new Date(appNow) } });
    const job = addLiveJob(stack);
    await watchCommand(stack, job);
    const store = openStore({ dataDir: stack.dataDir });
    await stack.slack.waitFor(async () => (await store.countActiveWatches()) > 0);
    stack.cf.setFault(job, { kind: 'not-found' });
    appNow += 13 * 3_600_000;
    await stack.slack.waitFor(async () => (await store.countActiveWatches()) === 0, { timeoutMs: 8_000 });
    expect(await store.listActiveWatches()).toEqual([]);
    await store.close();
  });
});
