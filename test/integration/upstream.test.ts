/**
 * Distrust the upstream: an answer about another job, a huge error text, an answer that trickles in, and
 * invisible characters in what the user typed. Through the real app and the Cloudflare simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../dev/sim/slack.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

/** Short, so the test does not wait for the production 8 s. */
const USER_DEADLINE_MS = 1_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    app: {
      cloudflareOptions: { userDeadlineMs: USER_DEADLINE_MS, maxRetryTimeMs: 2_000, sleep: async () => {} },
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  stack.slack.reset();
  stack.cf.clearRequests();
});

async function command(text: string, timeoutMs = 8_000): Promise<SimMessage> {
  const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text });
  expect(result.status).toBe(200);
  await stack.slack.waitFor((s) => s.answered(result.responseUrl), { timeoutMs });
  return stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
}

function logLines(from: number): Record<string, unknown>[] {
  return stack.logs.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('what Cloudflare sends is checked before it is shown', () => {
  it('an answer about another job is an error, never shown as the job asked for', async () => {
    const job = stack.cf.addJob({ total: 10, fault: { kind: 'other-job' } }).id;
    const reply = await command(job);
    expect(textOf(reply)).toMatch(/answer bulkjob could not read/);
    expect(textOf(reply)).not.toContain('00000000-0000-4000-8000-000000000000');
    expect(reply.blocks.some((b) => b.type === 'header')).toBe(false);
  });

  it('a 5,000-character error is cut short and masked, on Slack and in the logs', async () => {
    const job = stack.cf.addJob({ total: 10, fault: { kind: 'long-error', length: 5_000 } }).id;
    const from = stack.logs.length;
    const reply = await command(job);
    const text = textOf(reply);
    expect(text).toMatch(/^Cloudflare refused: Invalid request from \[address\]: details/m);
    expect(text.length).toBeLessThan(1_000);
    expect(text).not.toContain('soc.lead@example-corp.com');
    await expect.poll(() => logLines(from).some((l) => l.msg === 'command handled')).toBe(true);
    const logged = stack.logs.slice(from).join('\n');
    expect(logged).not.toContain('soc.lead@example-corp.com');
    for (const line of stack.logs.slice(from)) expect(line.length).toBeLessThan(2_000);
  });

  it('an answer that trickles in: the user is told Cloudflare is slow, and not kept waiting for it', async () => {
    // 40 pieces, 250 ms apart: never idle long enough for a timeout, 10 s in all.
    const job = stack.cf.addJob({ total: 10, fault: { kind: 'trickle', chunkMs: 250, chunks: 40 } }).id;
    // Well before the trickle could end, the user has an answer.
    const reply = await command(job, 4_000);
    expect(textOf(reply)).toMatch(/Cloudflare is slow to answer right now/);
  });

  it.each([
    ['a zero-width space instead of a space', '\u200b'],
    ['a zero-width space after the space', ' \u200b'],
    ['a word joiner', '\u2060'],
  ])('%s before the status still filters', async (_name, gap) => {
    const job = stack.cf.addJob({ total: 30, failureRate: 0.3 }).id;
    const reply = await command(`${job}${gap}failed`);
    expect(textOf(reply)).toContain('failed only');
    expect(stack.cf.requests.some((r) => r.path.endsWith('/messages') && r.query.status === 'FAILED')).toBe(true);
  });

  it('an unknown word after the status is refused, not ignored', async () => {
    const job = stack.cf.addJob({ total: 30 }).id;
    const reply = await command(`${job} failed please`);
    expect(textOf(reply)).toMatch(/at most one status/);
    expect(stack.cf.countRequests()).toBe(0);
  });
});

describe('counts that cannot be right', () => {
  it('a negative count is flagged, never shown as if fine', async () => {
    const job = stack.cf.addJob({ total: 40, failureRate: 0.1, fault: { kind: 'negative-counts' } }).id;
    const reply = await command(job);
    const text = textOf(reply);
    expect(text).toContain('? failed');
    expect(text).toMatch(/Cloudflare sent a negative count; check the job in the dashboard/);
    expect(text).not.toMatch(/-5 failed|−5/);
  });
});

describe('a burst', () => {
  it('150 reads at once go out at once, not in waves of 16', async () => {
    const client = stack.bot.ctx.cloudflare;
    const jobs = Array.from({ length: 150 }, () => stack.cf.addJob({ total: 5 }).id);
    stack.cf.clearRequests();
    // Cloudflare answers nothing until all have arrived: on a slow machine a timed latency let the first
    // answers come back before the last reads went out. Background reads, so no user deadline cuts in.
    const release = stack.cf.hold();
    try {
      const reads = Promise.all(jobs.map((job) => client.getJob(job, { priority: 'background', fresh: true })));
      await expect.poll(() => stack.cf.maxConcurrent, { timeout: 5_000 }).toBe(150);
      release();
      await reads;
    } finally {
      release();
    }
  });
});
