/**
 * A stop under load (what SIGTERM runs, src/index.ts → bot.stop()): every acked command and click gets an
 * answer — the one it asked for if it finishes in time, else "bulkjob is restarting" — and never both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cardRefreshButton, shareButton } from '../../src/features/card/buttons.js';
import { RESTARTING_TEXT } from '../../src/slack/respond.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

let stack: Stack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('stopping with answers still being prepared', () => {
  it('answers every acked command: those Cloudflare holds up are told to try again, once', async () => {
    stack = await startStack({ app: { stopTiming: { receiverMs: 300, drainMs: 300, lateNoticeMs: 2_000 } } });
    const s = stack;
    const jobs = Array.from({ length: 30 }, () => s.cf.addJob({ total: 12 }).id);
    // Cloudflare answers nothing until released: these commands cannot finish before the stop's drain ends.
    const release = s.cf.hold();
    const held = await Promise.all(
      jobs.map((job) => s.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job })),
    );
    // Help needs no Cloudflare: answered at once, before the stop.
    const quick = await Promise.all(
      Array.from({ length: 5 }, () => s.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: 'help' })),
    );
    for (const ack of [...held, ...quick]) expect(ack.status).toBe(200);
    await s.slack.waitFor((sim) => quick.every((ack) => sim.answered(ack.responseUrl)));

    await s.stopBot();
    release();

    for (const ack of held) {
      const answers = s.slack.calls.filter((call) => call.url === ack.responseUrl);
      expect(answers).toHaveLength(1);
      expect(answers[0]!.args.text).toBe(RESTARTING_TEXT);
    }
    for (const ack of quick) {
      const answers = s.slack.calls.filter((call) => call.url === ack.responseUrl);
      expect(answers).toHaveLength(1);
      expect(String(answers[0]!.args.text)).not.toBe(RESTARTING_TEXT);
    }
    const lines = s.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((l) => String(l.msg).startsWith('stopped with work still in flight'))).toMatchObject({
      left: 30,
      told: 30,
    });
  });

  it('a click cut off by the stop is told too, and a later answer from it is dropped', async () => {
    stack = await startStack({ app: { stopTiming: { receiverMs: 300, drainMs: 300, lateNoticeMs: 2_000 } } });
    const s = stack;
    const job = s.cf.addJob({ total: 12 }).id;
    const view = await s.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    await s.slack.waitFor((sim) => sim.answered(view.responseUrl));
    const shown = s.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
    await s.slack.click({ userId: USER, message: shown, actionId: shareButton.actionId });
    await s.slack.waitFor((sim) => sim.channelMessages(CHANNEL).length === 1);
    const card = s.slack.channelMessages(CHANNEL)[0]!;

    const release = s.cf.hold();
    const refresh = await s.slack.click({ userId: USER, message: card, actionId: cardRefreshButton.actionId });
    expect(refresh.status).toBe(200);
    await s.stopBot();
    release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answers = s.slack.calls.filter((call) => call.url === refresh.responseUrl);
    expect(answers.map((call) => call.args.text)).toEqual([RESTARTING_TEXT]);
    expect(textOf(s.slack.ephemeralFor(USER, CHANNEL).at(-1))).toBe(RESTARTING_TEXT);
  });
});
