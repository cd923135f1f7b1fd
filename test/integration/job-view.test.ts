/**
 * The bot end to end, as a user meets it: signed slash commands and clicks from the Slack simulator to the
 * real Bolt app on loopback, Cloudflare answered by its simulator, and assertions on what Slack shows.
 */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimFault } from '../../dev/sim/cloudflare.js';
import type { SimMessage } from '../../dev/sim/slack.js';
import { InProcessBudget } from '../../src/cloudflare/budget.js';
import { cardRefreshButton, shareButton } from '../../src/features/card/buttons.js';
import { filterButton, nextButton, prevButton } from '../../src/features/job-view/buttons.js';
import { buttonLabels, buttonsOf, textOf } from '../helpers/slack-text.js';
import { CHANNEL, OTHER_USER, type Stack, startStack, USER } from '../helpers/stack.js';

let stack: Stack;
let clock = Date.parse('2026-11-29T10:00:00Z');
let doneJob: string;
let liveJob: string;
const faultJobs = new Map<string, string>();
/**
 * How far the bot's budget clock runs ahead: a 429 pauses the whole account (as Cloudflare's does), so the
 * 429 case moves it past the pause rather than leave every later test on this stack paused.
 */
let budgetAhead = 0;

const FAULTS: [string, SimFault, RegExp][] = [
  ['403 (code 10000)', { kind: 'forbidden' }, /Cloud Email Security: Read/],
  ['404 (code 7003)', { kind: 'not-found' }, /no such job.*\/bulkjob list/],
  [
    '429 beyond the retry budget',
    { kind: 'rate-limit', retryAfterSeconds: 600 },
    /rate limiting.*Try again in 10 minutes/,
  ],
  ['5xx', { kind: 'server-error', status: 503 }, /Cloudflare is having trouble right now/],
  ['reset connections', { kind: 'reset' }, /Cloudflare could not be reached/],
  ['non-JSON bodies', { kind: 'non-json' }, /answer bulkjob could not read/],
  ['wrong shapes', { kind: 'wrong-shape' }, /answer bulkjob could not read/],
];

beforeAll(async () => {
  stack = await startStack({
    cloudflare: { now: () => clock },
    app: {
      cloudflareOptions: {
        maxRetryTimeMs: 2_000,
        timeoutMs: 1_500,
        sleep: async () => {},
        budget: new InProcessBudget({ now: () => Date.now() + budgetAhead }),
      },
    },
  });
  doneJob = stack.cf.addJob({ total: 35, failureRate: 0.2, comment: 'Campaign <!here> & friends' }).id;
  liveJob = stack.cf.addJob({
    total: 200,
    failureRate: 0.1,
    progress: { kind: 'live', discoverMs: 1000, ratePerSecond: 5 },
  }).id;
  for (const [name, fault] of FAULTS) faultJobs.set(name, stack.cf.addJob({ total: 20, fault }).id);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  stack.slack.reset();
  stack.cf.clearRequests();
});

// Whatever a test did, nothing the bot sent may break Slack's limits (docs/design.md, "Slack limits").
afterEach(() => {
  expect(stack.slack.limitViolations).toEqual([]);
});

/** Send `/bulkjob <text>` as USER in CHANNEL and wait for the answer that user sees. */
async function command(text: string, user = USER, channel = CHANNEL): Promise<SimMessage> {
  const result = await stack.slack.sendCommand({ userId: user, channelId: channel, text });
  expect(result.status).toBe(200);
  await stack.slack.waitFor((s) => s.answered(result.responseUrl), { timeoutMs: 8000 });
  return stack.slack.ephemeralFor(user, channel).at(-1)!;
}

/** Click a button on `message` and wait for the bot's response_url answer. */
async function click(message: SimMessage, actionId: string, user = USER): Promise<SimMessage> {
  const result = await stack.slack.click({ userId: user, message, actionId });
  expect(result.status).toBe(200);
  await stack.slack.waitFor((s) => s.answered(result.responseUrl), { timeoutMs: 8000 });
  return stack.slack.ephemeralFor(user, message.channel).at(-1)!;
}

describe('/bulkjob help and bad input', () => {
  it('answers help with usage and examples', async () => {
    const reply = await command('help');
    expect(textOf(reply)).toMatch(/\/bulkjob list/);
    expect(textOf(reply)).toMatch(/\/bulkjob watch/);
    expect(reply.ephemeralTo).toBe(USER);
    expect(stack.cf.countRequests()).toBe(0);
  });

  it('says what a job id looks like, without calling Cloudflare', async () => {
    const before = stack.cf.countRequests();
    const reply = await command('abc');
    expect(textOf(reply)).toContain('`abc` is not a job ID; a job ID looks like 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e');
    expect(stack.cf.countRequests()).toBe(before);
  });

  it('lists the valid statuses for an unknown one', async () => {
    const reply = await command(`${doneJob} nonsense`);
    expect(textOf(reply)).toMatch(/`nonsense` is not a status\. Use one of: pending, discovering, processing/);
  });

  it('echoes <!channel> escaped, so nobody is pinged', async () => {
    const reply = await command('<!channel> please');
    const all = JSON.stringify(reply);
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).not.toContain('<!channel>');
  });
});

describe('the job view', () => {
  it('shows the summary, the first page and the buttons', async () => {
    const view = await command(doneJob);
    const text = textOf(view);
    expect(text).toContain(doneJob);
    expect(text).toMatch(/COMPLETED/);
    expect(text).toMatch(/Page 1 of 4/);
    expect(text).toContain('&lt;!here&gt; &amp; friends');
    // Recipients are shown to the analyst who asked (ephemeral), never in a channel post.
    expect(text).toMatch(/@example-corp\.com/);
    expect(buttonLabels(view)).toEqual(
      expect.arrayContaining(['Next ▶', 'Failed only', 'Refresh', 'Share to channel']),
    );
    expect(buttonLabels(view)).not.toContain('◀ Prev');
    expect(stack.slack.limitViolations).toEqual([]);
  });

  it('pages with Next to the last page and back with Prev', async () => {
    let view = await command(doneJob);
    for (const page of [2, 3, 4]) {
      view = await click(view, nextButton.actionId);
      expect(textOf(view)).toMatch(new RegExp(`Page ${page} of 4`));
    }
    expect(buttonLabels(view)).not.toContain('Next ▶');
    view = await click(view, prevButton.actionId);
    expect(textOf(view)).toMatch(/Page 3 of 4/);
    // The view was replaced in place each time, not stacked up.
    expect(stack.slack.ephemeralFor(USER, CHANNEL)).toHaveLength(1);
    const pages = stack.cf.requests.filter((r) => r.path.endsWith('/messages')).map((r) => r.query.page);
    expect(pages).toEqual(['1', '2', '3', '4', '3']);
  });

  it('switches to failed only and back', async () => {
    let view = await command(doneJob);
    view = await click(view, filterButton.actionId);
    expect(textOf(view)).toMatch(/failed only/);
    expect(buttonLabels(view)).toContain('All statuses');
    const failedRequest = stack.cf.requests.filter((r) => r.path.endsWith('/messages')).at(-1)!;
    expect(failedRequest.query.status).toBe('FAILED');
    view = await click(view, filterButton.actionId);
    expect(textOf(view)).toMatch(/all statuses/);
  });

  it('takes a status in the command', async () => {
    const view = await command(`${doneJob} FAILED`);
    expect(textOf(view)).toMatch(/failed only/);
    const request = stack.cf.requests.filter((r) => r.path.endsWith('/messages')).at(-1)!;
    expect(request.query).toMatchObject({ status: 'FAILED', page: '1', per_page: '10' });
  });

  it('reads the job, its first page and its failure reasons concurrently, and acks before any', async () => {
    // A job not read before, so no read is answered from a cache.
    const job = stack.cf.addJob({ total: 300, failureRate: 0.2 }).id;
    stack.cf.setLatency(300);
    try {
      const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
      expect(result.ackMs).toBeLessThan(300);
      await stack.slack.waitFor((s) => s.answered(result.responseUrl), { timeoutMs: 8000 });
      const reads = stack.cf.requests.slice(-3);
      expect(reads.map((r) => `${r.path.split('/').at(-1)} ${r.query.status ?? ''}`.trim()).sort()).toEqual(
        [job, 'messages', 'messages FAILED'].sort(),
      );
      const times = reads.map((r) => r.at);
      expect(Math.max(...times) - Math.min(...times)).toBeLessThan(250);
      // The view groups the failure reasons it read.
      expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toMatch(/\*Failure reasons\*\n• \d+ × /);

      // Seen once, and its failed count unchanged: the next view reads only the job and a page.
      stack.cf.clearRequests();
      const again = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
      await stack.slack.waitFor((s) => s.answered(again.responseUrl), { timeoutMs: 8000 });
      expect(stack.cf.requests.map((r) => r.query.status ?? '')).not.toContain('FAILED');
    } finally {
      stack.cf.setLatency(0);
    }
  });
});

describe('share to channel', () => {
  it('posts a card without recipient addresses, and Refresh edits it in place', async () => {
    const view = await command(liveJob);
    const before = stack.slack.channelMessages(CHANNEL).length;
    await stack.slack.click({ userId: USER, message: view, actionId: shareButton.actionId });
    const card = await stack.slack.waitFor(
      (s) => s.channelMessages(CHANNEL).length > before && s.channelMessages(CHANNEL).at(-1),
    );
    const text = textOf(card);
    expect(text).toContain(liveJob);
    expect(text).toContain(`<@${USER}>`);
    expect(JSON.stringify(card)).not.toMatch(/@example-corp\.com/);
    expect(card.ephemeralTo).toBeUndefined();
    expect(buttonLabels(card)).toContain('Refresh');

    // The job moves on; another user refreshes the shared card.
    const countsBefore = stack.cf.jobSnapshot(liveJob);
    clock += 20_000;
    expect(stack.cf.jobSnapshot(liveJob)).not.toEqual(countsBefore);
    await stack.slack.click({ userId: OTHER_USER, message: card, actionId: cardRefreshButton.actionId });
    const edited = await stack.slack.waitFor((s) => {
      const m = s.message(CHANNEL, card.ts);
      return m && m.edits > 0 ? m : undefined;
    });
    expect(textOf(edited)).not.toEqual(text);
    const snap = stack.cf.jobSnapshot(liveJob) as { messages_successful: number };
    expect(textOf(edited)).toContain(String(snap.messages_successful));
    expect(stack.slack.channelMessages(CHANNEL)).toHaveLength(before + 1);
    expect(stack.slack.limitViolations).toEqual([]);
  });

  it('groups failure reasons with counts on the card', async () => {
    const view = await command(doneJob);
    await stack.slack.click({ userId: USER, message: view, actionId: shareButton.actionId });
    const card = await stack.slack.waitFor((s) => s.channelMessages(CHANNEL).at(-1));
    const job = stack.cf.jobSnapshot(doneJob) as { messages_failed: number };
    const counts = [...textOf(card).matchAll(/(\d+)\s*×|×\s*(\d+)|\((\d+)\)/g)].map((m) =>
      Number(m[1] ?? m[2] ?? m[3]),
    );
    expect(job.messages_failed).toBeGreaterThan(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(job.messages_failed);
  });

  it('explains not_in_channel with the fix', async () => {
    const view = await command(doneJob);
    stack.slack.setChannelFault(CHANNEL, 'not_in_channel');
    try {
      const reply = await click(view, shareButton.actionId);
      expect(textOf(reply)).toMatch(/Invite it with `\/invite @bulkjob`/);
    } finally {
      stack.slack.setChannelFault(CHANNEL, undefined);
    }
  });
});

describe('upstream faults', () => {
  it.each(FAULTS)('%s get a clear message', async (name, fault, message) => {
    const reply = await command(faultJobs.get(name)!);
    expect(textOf(reply)).toMatch(message);
    expect(reply.ephemeralTo).toBe(USER);
    if (fault.kind === 'rate-limit') budgetAhead += fault.retryAfterSeconds * 1000;
  });

  it('retries a transient 5xx and still shows the view', async () => {
    const job = stack.cf.addJob({ total: 5, fault: { kind: 'server-error', status: 502, times: 1 } }).id;
    const view = await command(job);
    expect(textOf(view)).toContain(job);
    expect(stack.cf.countRequests({ jobId: job })).toBeGreaterThanOrEqual(3);
  });

  it('renders unknown enum values as they are', async () => {
    const job = stack.cf.addJob({ total: 12, fault: { kind: 'unknown-enums' } }).id;
    const view = await command(job);
    expect(textOf(view)).toContain('QUARANTINED_FOREVER');
    expect(textOf(view)).toContain('Archive');
  });

  it('a slow Cloudflare does not delay the ack', async () => {
    const job = stack.cf.addJob({ total: 5, fault: { kind: 'slow', delayMs: 1200 } }).id;
    const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    expect(result.status).toBe(200);
    expect(result.timedOut).toBe(false);
    expect(result.ackMs).toBeLessThan(1000);
    // Wait for the answer, or it lands in a later test and is taken for that test's.
    await stack.slack.waitFor((s) => s.answered(result.responseUrl), { timeoutMs: 8000 });
  });
});

describe('access and signatures', () => {
  it('tampered button values are refused without a Cloudflare call', async () => {
    const view = await command(doneJob);
    const before = stack.cf.countRequests();
    const tampered = await stack.slack.click({
      userId: USER,
      message: view,
      actionId: nextButton.actionId,
      value: '{"kind":"view","jobId":"x"}',
    });
    await stack.slack.waitFor((s) => s.answered(tampered.responseUrl));
    expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toMatch(/older version of bulkjob/);
    expect(stack.cf.countRequests()).toBe(before);
  });

  it.each(['bad', 'stale', 'missing'] as const)('a %s signature gets 401 and reaches no handler', async (signing) => {
    const before = stack.cf.countRequests();
    const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: doneJob, signing });
    expect(result.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(stack.cf.countRequests()).toBe(before);
    expect(stack.slack.callsTo('response_url')).toHaveLength(0);
  });

  it('logs an expected error as one line with its outcome, and no stack', async () => {
    const faulty = faultJobs.get('404 (code 7003)')!;
    for (const text of ['abc', faulty]) {
      const from = stack.logs.length;
      await command(text);
      // The line is written once the answer has gone out, a moment after Slack shows it.
      await expect.poll(() => stack.logs.slice(from).some((l) => l.includes('"command handled"'))).toBe(true);
      const lines = stack.logs.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
      const handled = lines.filter((l) => l.msg === 'command handled');
      expect(handled).toHaveLength(1);
      expect(handled[0]).toMatchObject({ outcome: text === 'abc' ? 'bad_job_id' : 'cloudflare_not_found' });
      expect(handled[0]!.level).toBe(text === 'abc' ? 30 : 40);
      expect(lines.filter((l) => l.msg === 'request failed')).toEqual([]);
      expect(stack.logs.slice(from).join('\n')).not.toMatch(/"stack"|\n\s+at /);
    }
  });

  it('logs one line per command, and never a secret or a recipient', async () => {
    const from = stack.logs.length;
    await command(doneJob);
    await expect.poll(() => stack.logs.slice(from).some((l) => l.includes('"command handled"'))).toBe(true);
    const lines = stack.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const handled = lines.filter((l) => l.msg === 'command handled');
    expect(handled.at(-1)).toMatchObject({
      kind: 'command',
      user: USER,
      channel: CHANNEL,
      job: doneJob,
      outcome: 'ok',
    });
    expect(typeof handled.at(-1)!.ms).toBe('number');
    const all = stack.logs.join('\n');
    for (const secret of stack.secrets) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/@example-corp\.com/);
  });
});

describe('allow lists', () => {
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({
      sims: stack.sims,
      env: { BULKJOB_ALLOWED_USERS: USER, BULKJOB_ALLOWED_CHANNELS: CHANNEL },
    });
  });
  afterAll(async () => {
    await limited?.stopBot();
    stack.slack.botUrl = `http://127.0.0.1:${stack.port}/slack/events`;
  });

  it('a user not allowed gets one line and no Cloudflare call', async () => {
    stack.slack.botUrl = `http://127.0.0.1:${limited.port}/slack/events`;
    const before = stack.cf.countRequests();
    const reply = await command(doneJob, OTHER_USER);
    expect(textOf(reply)).toMatch(/not on bulkjob’s list of users/);
    expect(stack.cf.countRequests()).toBe(before);
  });

  it('a channel not allowed gets one line and no Cloudflare call', async () => {
    stack.slack.botUrl = `http://127.0.0.1:${limited.port}/slack/events`;
    const before = stack.cf.countRequests();
    const reply = await command(doneJob, USER, 'C0ELSEWHERE');
    expect(textOf(reply)).toMatch(/does not answer in this channel/);
    expect(stack.cf.countRequests()).toBe(before);
  });

  it('a click by a user not allowed is refused too', async () => {
    stack.slack.botUrl = `http://127.0.0.1:${limited.port}/slack/events`;
    const view = await command(doneJob);
    await stack.slack.click({ userId: USER, message: view, actionId: shareButton.actionId });
    const card = await stack.slack.waitFor((s) => s.channelMessages(CHANNEL).at(-1));
    const before = stack.cf.countRequests();
    const refused = await stack.slack.click({
      userId: OTHER_USER,
      message: card,
      actionId: cardRefreshButton.actionId,
    });
    await stack.slack.waitFor((s) => s.answered(refused.responseUrl));
    expect(textOf(stack.slack.ephemeralFor(OTHER_USER, CHANNEL).at(-1))).toMatch(/not on bulkjob’s list of users/);
    expect(stack.cf.countRequests()).toBe(before);
    expect(buttonsOf(card).length).toBeGreaterThan(0);
  });
});
