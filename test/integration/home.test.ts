/**
 * The Home tab end to end: `app_home_opened` as a signed Events API request, views.publish at the Slack
 * simulator, clicks on the published view, and the tab kept current as the user's watches change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBudget } from '../../src/cloudflare/budget.js';
import { homeStopButton, homeViewButton } from '../../src/features/home/buttons.js';
import { findLimitViolations, LIMITS } from '../../src/slack/blocks/limits.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, OTHER_USER, type Stack, startStack, USER } from '../helpers/stack.js';

let clock = Date.parse('2026-11-29T10:00:00Z');
const stacks: Stack[] = [];

async function start(homeRefreshDelayMs = 50): Promise<Stack> {
  const stack = await startStack({
    cloudflare: { now: () => clock },
    env: { BULKJOB_WRITE_USERS: USER },
    app: {
      watchTiming: { intervalMs: 100, tickMs: 50, leaseMs: 1_000 },
      cloudflareOptions: { jobCacheMs: 0, budget: new InProcessBudget({ limit: 1_200, windowMs: 30_000 }) },
      homeRefreshDelayMs,
    },
  });
  stacks.push(stack);
  return stack;
}

afterEach(async () => {
  const violations = stacks.flatMap((stack) => stack.slack.limitViolations);
  for (const stack of stacks.splice(0)) await stack.stop();
  expect(violations).toEqual([]);
});

/** A job that starts now and processes one message a simulated second: running until the clock moves. */
function addLiveJob(stack: Stack, total: number): string {
  return stack.cf.addJob({
    total,
    failureRate: 0,
    createdAt: clock,
    progress: { kind: 'live', startAfterMs: 0, discoverMs: 1_000, ratePerSecond: 1 },
  }).id;
}

const homeText = (stack: Stack, user = USER) => textOf({ text: '', blocks: stack.slack.homeView(user)?.blocks ?? [] });

async function publishes(stack: Stack, open: () => Promise<unknown>): Promise<string> {
  const before = stack.slack.callsTo('views.publish').length;
  await open();
  await stack.slack.waitFor((s) => s.callsTo('views.publish').length > before);
  return homeText(stack);
}

describe('the Home tab', () => {
  it('opens with friendly empty states and the recent jobs, each with View', async () => {
    const stack = await start();
    const job = stack.cf.addJob({ total: 40, failureRate: 0.1, createdAt: clock - 60_000 }).id;
    const text = await publishes(stack, () => stack.slack.openHome({ userId: USER }));
    expect(text).toContain('You are not watching any job');
    expect(text).toContain('None yet');
    expect(text).toContain(job);
    expect(text).toMatch(/COMPLETED with 4 failures/);
    const view = { text: 'home', blocks: stack.slack.homeView(USER)!.blocks } as Parameters<
      typeof findLimitViolations
    >[0];
    expect(findLimitViolations(view, { maxBlocks: LIMITS.homeBlocks })).toEqual([]);
  });

  it('shows a watch as soon as it starts, stops it from Home, and the card says who stopped it', async () => {
    const stack = await start();
    const job = addLiveJob(stack, 100);
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` });
    // Started by the command: the user's Home tab is published with it, unasked.
    await stack.slack.waitFor(() => homeText(stack).includes(job) && homeText(stack).includes('Your watches* (1 job)'));
    expect(homeText(stack)).toContain(`<#${CHANNEL}>`);
    const card = stack.slack.channelMessages(CHANNEL).at(-1)!;

    await stack.slack.clickHome({ userId: USER, actionId: `${homeStopButton.actionId}_0` });
    // Home says what the click did (it has no response_url for a reply).
    await stack.slack.waitFor(() => homeText(stack).includes('Watch stopped'));
    expect(homeText(stack)).toContain('You are not watching any job');
    await stack.slack.waitFor((s) => /Watch stopped by/.test(textOf(s.message(CHANNEL, card.ts)!)));
  });

  it('drops a watch from Home when its job ends', async () => {
    const stack = await start();
    const job = addLiveJob(stack, 20);
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` });
    await stack.slack.waitFor(() => homeText(stack).includes('Your watches* (1 job)'));
    clock += 60_000;
    await stack.slack.waitFor(() => homeText(stack).includes('Your watches* (0 jobs)'), { timeoutMs: 8_000 });
    expect(homeText(stack)).toContain('Cards you shared recently');
    expect(homeText(stack)).toContain(job);
  });

  it("a click's note is not wiped by a background refresh that was waiting", async () => {
    const stack = await start(600);
    const job = addLiveJob(stack, 100);
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` });
    await stack.slack.waitFor((s) => s.channelMessages(CHANNEL).length === 1);
    // The watch start asked for a background refresh; the user opens Home and stops the watch before it runs.
    await publishes(stack, () => stack.slack.openHome({ userId: USER }));
    await stack.slack.clickHome({ userId: USER, actionId: `${homeStopButton.actionId}_0` });
    await stack.slack.waitFor(() => homeText(stack).includes('Watch stopped'));
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(homeText(stack)).toContain('Watch stopped');
  });

  it('gathers a burst of watch changes into a few background publishes', async () => {
    // A delay far longer than the burst takes, so the count does not depend on the machine's speed.
    const stack = await start(1_000);
    const jobs = Array.from({ length: 8 }, () => addLiveJob(stack, 1_000));
    const before = stack.slack.callsTo('views.publish').length;
    await Promise.all(
      jobs.map((job) => stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` })),
    );
    await stack.slack.waitFor(() => homeText(stack).includes('Your watches* (8 jobs)'), { timeoutMs: 8_000 });
    // Eight watch starts within the refresh delay: one publish, not eight.
    expect(stack.slack.callsTo('views.publish').length - before).toBeLessThanOrEqual(2);
  });

  it('View shows the job on Home; another user never sees my watches', async () => {
    const stack = await start();
    const job = stack.cf.addJob({ total: 30, createdAt: clock - 60_000, comment: 'Hostile <!channel> & co' }).id;
    await publishes(stack, () => stack.slack.openHome({ userId: USER }));
    const text = await publishes(stack, () =>
      stack.slack.clickHome({ userId: USER, actionId: `${homeViewButton.actionId}_0` }),
    );
    expect(text).toContain(`*Job*\n\`${job}\``);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    await publishes(stack, () => stack.slack.openHome({ userId: OTHER_USER }));
    expect(homeText(stack, OTHER_USER)).toContain('You are not watching any job');
  });
});
