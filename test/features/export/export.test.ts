/** The export's paging against a Cloudflare whose counts are wrong, and Slack's simulator for delivery. */
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackSim } from '../../../dev/sim/slack.js';
import type { CloudflareClient } from '../../../src/cloudflare/client.js';
import type { Message } from '../../../src/cloudflare/schema.js';
import { CloudflarePagingError } from '../../../src/errors.js';
import { EXPORT_LOOKAHEAD, ExportService } from '../../../src/features/export/export.js';
import { createLogger } from '../../../src/logger.js';
import { makeJob, makeMessage } from '../../helpers/block-factory.js';

const TOKEN = 'xoxb-export-test';
let sim: SlackSim;

beforeAll(async () => {
  sim = await SlackSim.start({ signingSecret: 'export-test-secret', botToken: TOKEN });
});
afterAll(async () => {
  await sim?.close();
});

/** A Cloudflare whose job claims `claimed` messages while `actual` exist; pages of `perPage`. */
function cloudflare(claimed: number, actual: number, options: { repeat?: boolean } = {}) {
  const pages: number[] = [];
  const fake = {
    budget: { limits: { limit: 400, backgroundLimit: 280, windowMs: 300_000 } },
    getJob: async () => makeJob({ total_messages_discovered: claimed, status: 'COMPLETED' }),
    readMessages: async <T>(_job: string, params: { page: number; perPage: number }, use: (m: Message[]) => T) => {
      pages.push(params.page);
      const page = options.repeat ? 1 : params.page;
      const start = (page - 1) * params.perPage;
      const messages: Message[] = [];
      for (let i = start; i < Math.min(actual, start + params.perPage); i++) messages.push(makeMessage(i));
      return { value: use(messages), perPage: params.perPage };
    },
  };
  return { client: fake as unknown as CloudflareClient, pages };
}

function service(cf: CloudflareClient) {
  return new ExportService({
    cloudflare: cf,
    client: new webApi.WebClient(TOKEN, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } }),
    logger: createLogger({ level: 'silent' }),
    now: () => new Date('2026-03-01T13:00:00Z'),
    perPage: 10,
  });
}

describe('paging an export', () => {
  it('reads exactly ceil(N / per page) pages when the counts are right', async () => {
    const cf = cloudflare(35, 35);
    const result = await service(cf.client).run({ userId: 'U0EXPORT', jobId: makeJob().job_id });
    expect(result.rows).toBe(35);
    expect(cf.pages.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
  });

  it('reads on past the counts when the last planned page is full, to a short page', async () => {
    const cf = cloudflare(15, 43);
    const result = await service(cf.client).run({ userId: 'U0EXPORT', jobId: makeJob().job_id });
    expect(result.rows).toBe(43);
    expect(cf.pages.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops at a short page when the counts are high', async () => {
    const cf = cloudflare(1_000, 12);
    const result = await service(cf.client).run({ userId: 'U0EXPORT', jobId: makeJob().job_id });
    expect(result.rows).toBe(12);
    // The short page 2 ends it: at most the pages asked for ahead of it (answers here come at once, so the
    // read-ahead runs to its limit).
    expect(Math.max(...cf.pages)).toBeLessThanOrEqual(2 + EXPORT_LOOKAHEAD - 1);
    expect(cf.pages.length).toBeLessThan(100);
  });

  it('a server that answers the same page twice is an error, not a loop', async () => {
    const cf = cloudflare(50, 50, { repeat: true });
    await expect(service(cf.client).run({ userId: 'U0EXPORT', jobId: makeJob().job_id })).rejects.toBeInstanceOf(
      CloudflarePagingError,
    );
  });

  it('plans a large export: pages, and how long the budget stretches them', () => {
    const exports = service(cloudflare(0, 0).client);
    // Pages of 10 here: 5,000 messages are 500 pages, past the 280 background requests a 5-minute window
    // allows, so two windows: about 10 minutes.
    expect(exports.plan(makeJob({ total_messages_discovered: 5_000 }), undefined)).toEqual({
      expected: 5_000,
      pages: 500,
      pacedMinutes: 10,
    });
    expect(exports.plan(makeJob({ total_messages_discovered: 500 }), undefined)).toEqual({
      expected: 500,
      pages: 50,
      pacedMinutes: undefined,
    });
    expect(exports.plan(makeJob({ messages_failed: -3 }), 'FAILED')).toEqual({
      expected: undefined,
      pages: undefined,
      pacedMinutes: undefined,
    });
  });

  it('zero messages: a header-only file, and no page asked for', async () => {
    const cf = cloudflare(0, 0);
    const result = await service(cf.client).run({ userId: 'U0EXPORT', jobId: makeJob().job_id });
    expect(result.rows).toBe(0);
    expect(cf.pages).toEqual([]);
  });
});
