/**
 * What an analyst reads, end to end: counts that add up, honest outcomes, rate and time left, when a view
 * was read, and buttons on older messages of a job that has since ended.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../dev/sim/slack.js';
import { cancelButton } from '../../src/features/cancel/buttons.js';
import { shareButton } from '../../src/features/card/buttons.js';
import { filterButton, refreshButton } from '../../src/features/job-view/buttons.js';
import { backToListButton, listNextButton, listViewButton } from '../../src/features/list/buttons.js';
import { watchButton } from '../../src/features/watch/buttons.js';
import { buttonLabels, textOf } from '../helpers/slack-text.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

let stack: Stack;
let clock = Date.parse('2026-11-29T10:00:00Z');

beforeAll(async () => {
  stack = await startStack({
    cloudflare: { now: () => clock },
    env: { BULKJOB_WRITE_USERS: USER },
    app: { now: () => new Date(clock), cloudflareOptions: { jobCacheMs: 0 }, runWatches: false },
  });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  stack.slack.reset();
  stack.cf.clearRequests();
});

afterEach(() => {
  expect(stack.slack.limitViolations).toEqual([]);
});

async function view(text: string): Promise<SimMessage> {
  const { responseUrl } = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text });
  await stack.slack.waitFor((s) => s.answered(responseUrl));
  return stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
}

/** Click, and wait for `replies` answers through the click's response_url. */
async function click(message: SimMessage, actionId: string, replies = 1): Promise<SimMessage[]> {
  const { responseUrl } = await stack.slack.click({ userId: USER, message, actionId });
  await stack.slack.waitFor((s) => s.answered(responseUrl, replies));
  return stack.slack.ephemeralFor(USER, CHANNEL).slice(-replies);
}

describe('counts that add up', () => {
  it.each([
    ['sends messages_cancelled', true],
    ['leaves cancelled messages uncounted', false],
  ])('a cancelled job whose API %s shows them as cancelled', async (_name, reportsCancelled) => {
    const job = stack.cf.addJob({
      total: 797,
      progress: { kind: 'static', status: 'CANCELLED', processed: 97 },
      failureRate: 0,
      reportsCancelled,
      createdAt: clock - 3_600_000,
    }).id;
    const text = textOf(await view(job));
    expect(text).toContain('797 discovered · 97 successful · 0 failed · 0 pending · 700 cancelled');
  });

  it('a skipped job shows what was not processed', async () => {
    const job = stack.cf.addJob({ total: 40, progress: { kind: 'static', status: 'SKIPPED' } }).id;
    expect(textOf(await view(job))).toContain('40 discovered · 0 successful · 0 failed · 0 pending · 40 not processed');
  });
});

describe('honest outcomes', () => {
  it('a job that completed with failures says so in the view, the list and the card', async () => {
    const job = stack.cf.addJob({ total: 1_840, failureRate: 0.31, createdAt: clock - 60_000 }).id;
    const shown = await view(job);
    const failed = /COMPLETED with ([\d,]+) failures \((\d+)%\)/;
    expect(textOf(shown)).toMatch(failed);
    expect(textOf(shown)).toMatch(/:warning: Bulk MOVE/);
    expect(textOf(shown)).not.toMatch(/:white_check_mark: (Bulk|COMPLETED)/);
    expect(textOf(await view('list'))).toMatch(failed);
    await stack.slack.click({ userId: USER, message: shown, actionId: shareButton.actionId });
    const card = await stack.slack.waitFor((s) => s.channelMessages(CHANNEL).at(-1));
    expect(textOf(card)).toMatch(failed);
  });

  it('a clean completion keeps its check mark', async () => {
    const job = stack.cf.addJob({ total: 50, failureRate: 0 }).id;
    const text = textOf(await view(job));
    expect(text).toMatch(/:white_check_mark: Bulk MOVE/);
    expect(text).not.toMatch(/failures \(/);
  });
});

describe('rate, time left and freshness', () => {
  it('a steady running job shows its rate and time left; a finished one shows none', async () => {
    // 10 messages a second once discovered: after 61 s, 600 of 1,000 are done.
    const job = stack.cf.addJob({
      total: 1_000,
      failureRate: 0,
      createdAt: clock - 61_000,
      progress: { kind: 'live', startAfterMs: 0, discoverMs: 1_000, ratePerSecond: 10 },
    }).id;
    const running = textOf(await view(job));
    const [, rate] = running.match(/([\d,.]+)\/min · about (\S+(?: \S+)?) left/) ?? [];
    expect(Number(rate?.replace(',', ''))).toBeGreaterThan(500);
    expect(Number(rate?.replace(',', ''))).toBeLessThan(650);
    clock += 120_000;
    const finished = textOf(await view(job));
    expect(finished).toMatch(/COMPLETED/);
    expect(finished).not.toMatch(/\/min|left/);
    clock -= 120_000;
  });

  it('every view says when it was read, and Refresh moves it', async () => {
    const job = stack.cf.addJob({ total: 30 }).id;
    const first = await view(job);
    const asOf = (m: SimMessage) => textOf(m).match(/as of <!date\^(\d+)\^\{time_secs\}/)?.[1];
    expect(asOf(first)).toBe(String(Math.floor(clock / 1000)));
    clock += 7_000;
    const [refreshed] = await click(first, refreshButton.actionId);
    expect(asOf(refreshed!)).toBe(String(Math.floor(clock / 1000)));
  });
});

describe('buttons on older messages of a job that has ended', () => {
  function liveJob(): string {
    return stack.cf.addJob({
      total: 100,
      failureRate: 0,
      createdAt: clock,
      progress: { kind: 'live', startAfterMs: 0, discoverMs: 1_000, ratePerSecond: 10 },
    }).id;
  }

  it('Cancel re-reads the job, shows its final state, says so in one line, and cancels nothing', async () => {
    const job = liveJob();
    const stale = await view(job);
    expect(buttonLabels(stale)).toEqual(expect.arrayContaining(['Watch', 'Cancel job']));
    clock += 60_000;
    const [final, note] = await click(stale, cancelButton.actionId, 2);
    expect(textOf(final!)).toMatch(/COMPLETED/);
    expect(buttonLabels(final!)).not.toContain('Cancel job');
    expect(buttonLabels(final!)).not.toContain('Watch');
    expect(textOf(note!)).toMatch(/already ended \(COMPLETED\); there is nothing to cancel/);
    expect(textOf(note!)).not.toMatch(/HTTP|\b400\b/);
    expect(stack.cf.countRequests({ method: 'POST' })).toBe(0);
  });

  it('Watch re-reads the job, shows its final state and says so', async () => {
    const job = liveJob();
    const stale = await view(job);
    clock += 60_000;
    const [final, note] = await click(stale, watchButton.actionId, 2);
    expect(textOf(final!)).toMatch(/COMPLETED/);
    expect(buttonLabels(final!)).not.toContain('Watch');
    expect(textOf(note!)).toMatch(/already ended/);
  });
});

describe('navigation', () => {
  it('a job opened from the list goes back to the same page and filter, even after paging the view', async () => {
    for (let i = 0; i < 12; i++) stack.cf.addJob({ total: 25, createdAt: clock - (i + 1) * 60_000 });
    const page1 = await view('list completed');
    const [page2] = await click(page1, listNextButton.actionId);
    expect(textOf(page2!)).toMatch(/Page 2 · completed/);
    const [opened] = await click(page2!, `${listViewButton.actionId}_0`);
    expect(buttonLabels(opened!)).toContain('◀ Back to list');
    const [filtered] = await click(opened!, filterButton.actionId);
    expect(buttonLabels(filtered!)).toContain('◀ Back to list');
    const [back] = await click(filtered!, backToListButton.actionId);
    expect(textOf(back!)).toMatch(/Recent bulk jobs · completed/);
    expect(textOf(back!)).toMatch(/Page 2 · completed/);
  });

  it('a job opened by command has no way back to a list it never came from', async () => {
    const job = stack.cf.addJob({ total: 5 }).id;
    expect(buttonLabels(await view(job))).not.toContain('◀ Back to list');
  });
});
