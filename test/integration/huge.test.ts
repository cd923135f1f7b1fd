/**
 * Huge answers: a 50 MB job answer once crashed the bot on the 8th view (heap limit), and uncapped it grew
 * RSS from 93 to 1,452 MB, which stayed. Bodies are capped while they stream, and caches by bytes and age.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/cloudflare/client.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ app: { cloudflareOptions: { jobCacheMs: 60_000 } } });
});

afterAll(async () => {
  await stack?.stop();
});

async function view(job: string) {
  const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
  await stack.slack.waitFor((s) => s.answered(result.responseUrl), { timeoutMs: 10_000 });
  return stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
}

describe('huge upstream answers', () => {
  it('a 50 MB answer is refused at the cap, without reading the rest, with a clear message', async () => {
    const job = stack.cf.addJob({ total: 10, fault: { kind: 'huge', bytes: 50 * 1024 * 1024 } }).id;
    const reply = await view(job);
    expect(textOf(reply)).toMatch(/Cloudflare sent an answer bulkjob could not read/);
    const reads = stack.cf.requests.filter((r) => r.bytesSent !== undefined && r.jobId === job);
    expect(reads.length).toBeGreaterThan(0);
    // Read to the cap and no further (the socket buffers hold a little more).
    for (const read of reads) expect(read.bytesSent!).toBeLessThan(MAX_BODY_BYTES + 4 * 1024 * 1024);
    await expect.poll(() => stack.logs.some((l) => l.includes('larger than 8 MB'))).toBe(true);
  });

  it('twelve views of 50 MB answers leave the heap where it was', async () => {
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 12; i++) {
      const job = stack.cf.addJob({ total: 10, fault: { kind: 'huge', bytes: 50 * 1024 * 1024 } }).id;
      await view(job);
    }
    // Uncapped, each answer was kept whole in the job cache: 12 × 50 MB (twice that as UTF-16).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024);
    expect(stack.bot.ctx.cloudflare.cacheStats().bytes).toBe(0);
  });

  it('answers under the cap are cached only up to the cache’s bytes', async () => {
    for (let i = 0; i < 6; i++) {
      const job = stack.cf.addJob({ total: 10, fault: { kind: 'huge', bytes: 5 * 1024 * 1024 } }).id;
      const reply = await view(job);
      expect(textOf(reply)).toContain(job);
    }
    const stats = stack.bot.ctx.cloudflare.cacheStats();
    expect(stats.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(stats.entries).toBeLessThan(6);
  });
});
