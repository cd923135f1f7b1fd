/**
 * Slack failing under the bot: a response_url that fails once or has expired, a post whose answer is lost
 * after it landed, Slack answering 5xx, and a Slack that hangs. Through the real app and the Slack simulator's
 * outages.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../dev/sim/slack.js';
import { shareButton } from '../../src/features/card/buttons.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

let stack: Stack;
let job: string;

beforeAll(async () => {
  // A Slack call gives up after 500 ms here (4 s in production), so a hung Slack is quick to test.
  stack = await startStack({ app: { slackTimeoutMs: 500 } });
  job = stack.cf.addJob({ total: 25, failureRate: 0.2 }).id;
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  stack.slack.reset();
});

function lines(): Record<string, unknown>[] {
  return stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function view(): Promise<SimMessage> {
  const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
  await stack.slack.waitFor((s) => s.answered(result.responseUrl));
  return stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
}

/** Clicks Share on a fresh view and waits for the bot's answer on the click's response_url, if any. */
async function share(): Promise<SimMessage[]> {
  const opened = await view();
  const click = await stack.slack.click({ userId: USER, message: opened, actionId: shareButton.actionId });
  await stack.slack.waitFor((s) => s.answered(click.responseUrl), { timeoutMs: 9_000 });
  return stack.slack.ephemeralFor(USER, CHANNEL);
}

const cards = () => stack.slack.channelMessages(CHANNEL).filter((m) => m.threadTs === undefined || m.threadTs === m.ts);

describe('response_url', () => {
  it('fails once with 500: the answer is sent again and the view arrives', async () => {
    stack.slack.outage('response_url', { kind: 'http-error', status: 500 });
    const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).length > 0, { timeoutMs: 8_000 });
    const shown = stack.slack.ephemeralFor(USER, CHANNEL);
    expect(shown).toHaveLength(1);
    expect(textOf(shown[0])).toContain(job);
    expect(textOf(shown[0])).not.toMatch(/went wrong/);
    expect(stack.slack.calls.filter((c) => c.method === 'response_url').map((c) => c.status)).toEqual([500, 200]);
    expect(result.status).toBe(200);
  });

  it('expired (404): logged at info, and the answer goes out as chat.postEphemeral', async () => {
    const from = stack.logs.length;
    stack.slack.outage('response_url', { kind: 'http-error', status: 404 }, 5);
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    await stack.slack.waitFor((s) => s.callsTo('chat.postEphemeral').length > 0, { timeoutMs: 8_000 });
    const shown = stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
    expect(textOf(shown)).toContain(job);
    await expect
      .poll(() =>
        lines()
          .slice(from)
          .some((l) => l.msg === 'command handled'),
      )
      .toBe(true);
    const logged = lines().slice(from);
    expect(logged.find((l) => l.msg === 'response_url unusable; answering with chat.postEphemeral')).toMatchObject({
      level: 30,
    });
    expect(logged.find((l) => l.msg === 'command handled')).toMatchObject({ outcome: 'ok' });
    expect(logged.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});

describe('posting a card', () => {
  it("Slack's answer is lost after the card landed: the bot finds its card by its tag and keeps it", async () => {
    stack.slack.outage('chat.postMessage', { kind: 'lost-reply' });
    const opened = await view();
    await stack.slack.click({ userId: USER, message: opened, actionId: shareButton.actionId });
    await stack.slack.waitFor(() => cards().length === 1);
    await stack.slack.waitFor((s) => s.callsTo('conversations.history').length === 1);
    // The bot knows the card it never heard back about: watching the (ended) job redraws that card
    // rather than posting a second one.
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` });
    await stack.slack.waitFor(() =>
      stack.slack.ephemeralFor(USER, CHANNEL).some((m) => /already ended/.test(textOf(m))),
    );
    expect(cards()).toHaveLength(1);
    expect(stack.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(stack.slack.ephemeralFor(USER, CHANNEL).map(textOf).join('\n')).not.toMatch(/did not confirm|went wrong/);
  });

  it('Watch with a lost answer: one card, found by its tag and watched', async () => {
    const live = stack.cf.addJob({ total: 500, progress: { kind: 'live', discoverMs: 600_000, ratePerSecond: 1 } }).id;
    stack.slack.outage('chat.postMessage', { kind: 'lost-reply' });
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${live}` });
    await stack.slack.waitFor(() => cards().length === 1 && /Watching/.test(textOf(cards()[0])));
    await stack.slack.waitFor((s) => s.callsTo('conversations.history').length === 1);
    // Watching it again finds the watch already there: the bot knows the card it never heard back about.
    const again = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${live}` });
    await stack.slack.waitFor((s) => s.answered(again.responseUrl));
    expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toMatch(/already being watched/);
    expect(cards()).toHaveLength(1);
  });

  it('without the history scopes, a lost answer leaves one card and tells the user to look', async () => {
    stack.slack.scopes.delete('channels:history');
    try {
      stack.slack.outage('chat.postMessage', { kind: 'lost-reply' });
      const answers = await share();
      expect(cards()).toHaveLength(1);
      expect(stack.slack.callsTo('chat.postMessage')).toHaveLength(1);
      expect(textOf(answers.at(-1))).toMatch(/Slack did not confirm the post.*Look there before trying again/);
      expect(textOf(answers.at(-1))).not.toMatch(/went wrong|admin/);
    } finally {
      stack.slack.scopes.add('channels:history');
    }
  });

  it('Slack answers 503: no card, and Slack is named, not bulkjob', async () => {
    stack.slack.outage('chat.postMessage', { kind: 'http-error', status: 503 });
    const answers = await share();
    expect(cards()).toHaveLength(0);
    expect(textOf(answers.at(-1))).toMatch(/Slack did not confirm the post/);
    expect(textOf(answers.at(-1))).not.toMatch(/went wrong in bulkjob/);
  });

  it('a hung Slack does not keep the user waiting: they hear back within seconds', async () => {
    // Slack sits on the post for 1.5 s; each attempt gives up after 500 ms.
    stack.slack.outage('chat.postMessage', { kind: 'hang', ms: 1_500 });
    const answers = await share();
    expect(textOf(answers.at(-1))).toMatch(/Slack did not confirm the post/);
    // The post was tried once: a retry could have made a second card once Slack woke up.
    expect(stack.slack.callsTo('chat.postMessage').length).toBeLessThanOrEqual(1);
    // Slack wakes up and the post lands after all: once, not once per attempt.
    await stack.slack.waitFor(() => cards().length === 1, { timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cards()).toHaveLength(1);
  }, 30_000);
});
