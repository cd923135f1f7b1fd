/**
 * Property-based tests (fast-check) where the inputs are unbounded: what users type, what comes back in
 * button values, what Cloudflare sends, and every message built from them.
 */
import fc from 'fast-check';
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { CloudflareClient } from '../src/cloudflare/client.js';
import type { Job, Message } from '../src/cloudflare/schema.js';
import { CloudflareApiError, CloudflareSchemaError, escapeMrkdwn, InputError } from '../src/errors.js';
import { renderStatusCard } from '../src/features/card/blocks.js';
import { renderJobView } from '../src/features/job-view/blocks.js';
import { renderJobList } from '../src/features/list/blocks.js';
import { renderCompletionNotice } from '../src/features/watch/notice-blocks.js';
import { findLimitViolations } from '../src/slack/blocks/limits.js';
import type { SlackMessage } from '../src/slack/blocks/types.js';
import {
  decodeQuery,
  echo,
  encodeQuery,
  type JobQuery,
  JobQuerySchema,
  parseCommandText,
  VALID_STATUS_WORDS,
} from '../src/slack/query.js';
import { collectTexts, NOW } from './helpers/block-factory.js';

const RUNS = { numRuns: 200 };
const uuid = fc.uuid({ version: [1, 2, 3, 4, 5] });
const status = fc.constantFrom(...VALID_STATUS_WORDS.map((s) => s.toUpperCase()));

/** Text as users and upstreams produce it: any Unicode, Slack's control syntax, invisible characters. */
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('<!channel>', '<!here>', '<@U0123>', '<#C0123|x>', '<https://evil.example|click>', '&lt;', '\u200b'),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

const jobQuery: fc.Arbitrary<JobQuery> = fc.oneof(
  fc.constant({ kind: 'help' } as const),
  fc.record({ kind: fc.constant('watch' as const), jobId: uuid }),
  fc.record(
    { kind: fc.constant('list' as const), status, page: fc.integer({ min: 1, max: 100_000 }) },
    { requiredKeys: ['kind', 'page'] },
  ),
  fc.record(
    {
      kind: fc.constant('view' as const),
      jobId: uuid,
      status,
      page: fc.integer({ min: 1, max: 100_000 }),
      back: fc.record({ status, page: fc.integer({ min: 1, max: 100_000 }) }, { requiredKeys: ['page'] }),
    },
    { requiredKeys: ['kind', 'jobId', 'page'] },
  ),
) as fc.Arbitrary<JobQuery>;

describe('the command grammar and the button-value codec', () => {
  it('any text parses to a valid query or an InputError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          nasty,
          fc.tuple(uuid, nasty).map(([id, rest]) => `${id} ${rest}`),
        ),
        (text) => {
          try {
            expect(JobQuerySchema.safeParse(parseCommandText(text)).success).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('every query survives a button value round trip, within Slack’s 2,000 characters', () => {
    fc.assert(
      fc.property(jobQuery, (query) => {
        const value = encodeQuery(query);
        expect(value.length).toBeLessThanOrEqual(2_000);
        expect(decodeQuery(value)).toEqual(query);
      }),
      RUNS,
    );
  });

  it('any button value decodes to a valid query or an InputError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), nasty, jobQuery.map(encodeQuery)), (value) => {
        try {
          expect(JobQuerySchema.safeParse(decodeQuery(value)).success).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('escaping', () => {
  it('no text comes out of escapeMrkdwn or echo as a live mention, link or broadcast', () => {
    fc.assert(
      fc.property(nasty, (text) => {
        for (const out of [escapeMrkdwn(text), echo(text)]) {
          expect(out).not.toMatch(/[<>]/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

const isoOrJunk = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom('not a date', '', '2026-13-45T99:99:99Z', '0000-00-00'),
  fc.constant(null),
);
const count = fc.oneof(fc.integer({ min: 0, max: 100_000_000 }), fc.integer({ min: -1_000, max: -1 }));

const job: fc.Arbitrary<Job> = fc
  .record({
    job_id: uuid,
    action_type: fc.constantFrom('MOVE', 'RELEASE', 'QUARANTINE_FOREVER'),
    destination: fc.option(nasty, { nil: undefined }),
    status: fc.constantFrom(
      'PENDING',
      'DISCOVERING',
      'PROCESSING',
      'COMPLETED',
      'FAILED',
      'CANCELLED',
      'SKIPPED',
      'WEIRD',
    ),
    status_message: fc.option(nasty, { nil: null }),
    comment: fc.option(fc.oneof(nasty, fc.string({ maxLength: 5_000 })), { nil: null }),
    total: count,
    pending: count,
    successful: count,
    failed: count,
    cancelled: fc.option(count, { nil: undefined }),
    created_at: isoOrJunk,
    started_at: isoOrJunk,
    completed_at: isoOrJunk,
  })
  .map((j) => ({
    job_id: j.job_id,
    action_type: j.action_type,
    action_params: { type: j.action_type, ...(j.destination === undefined ? {} : { destination: j.destination }) },
    status: j.status,
    status_message: j.status_message,
    comment: j.comment,
    total_messages_discovered: j.total,
    messages_pending: j.pending,
    messages_successful: j.successful,
    messages_failed: j.failed,
    ...(j.cancelled === undefined ? {} : { messages_cancelled: j.cancelled }),
    created_at: j.created_at ?? '2026-03-01T12:00:00Z',
    started_at: j.started_at,
    completed_at: j.completed_at,
  })) as fc.Arbitrary<Job>;

const message: fc.Arbitrary<Message> = fc
  .record({
    n: fc.nat(),
    recipient: nasty,
    status: fc.constantFrom('COMPLETED', 'FAILED', 'PENDING', 'ODD'),
    status_message: fc.option(fc.oneof(nasty, fc.string({ maxLength: 3_000 })), { nil: null }),
    retry_count: fc.integer({ min: -5, max: 1_000 }),
    retry_after: isoOrJunk,
    processed_at: isoOrJunk,
  })
  .map((m) => ({
    message_id: `msg-${m.n}`,
    postfix_id: `postfix-${m.n}`,
    action_type: 'MOVE',
    action_params: { type: 'MOVE', destination: 'DeletedItems', client_recipient: m.recipient },
    status: m.status,
    status_message: m.status_message,
    retry_count: m.retry_count,
    retry_after: m.retry_after,
    created_at: '2026-03-01T12:00:40Z',
    processed_at: m.processed_at,
    alert_id: null,
    email_message_id: null,
  })) as fc.Arbitrary<Message>;

const failures = fc.record({
  reasons: fc.array(
    fc.record(
      {
        reason: fc.oneof(nasty, fc.string({ maxLength: 600 })),
        count: fc.integer({ min: 1, max: 100_000 }),
        retryAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      },
      { requiredKeys: ['reason', 'count'] },
    ),
    { maxLength: 60 },
  ),
  scanned: fc.nat(5_000),
  complete: fc.boolean(),
});

/** What no message may ever show, whatever it was built from. */
function expectSane(message: SlackMessage, options: { maxBlocks?: number } = {}): void {
  expect(findLimitViolations(message, options)).toEqual([]);
  for (const text of collectTexts(message)) {
    expect(text).not.toMatch(/\bundefined\b|\bNaN\b|Invalid Date|\[object Object\]/);
  }
}

describe('the formatters, on any job Cloudflare could send', () => {
  it('the job view stays within Slack’s limits and shows nothing broken', () => {
    fc.assert(
      fc.property(job, fc.array(message, { maxLength: 10 }), failures, fc.boolean(), (j, messages, f, mayCancel) => {
        expectSane(
          renderJobView({
            job: j,
            failures: f,
            messages,
            query: { kind: 'view', jobId: j.job_id, page: 1 },
            pageSize: 10,
            totalPages: undefined,
            hasNext: messages.length === 10,
            requestedBy: 'U012ABCDEF',
            mayCancel,
            now: NOW,
          }),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('the card, the notice and the list too', () => {
    fc.assert(
      fc.property(fc.array(job, { minLength: 1, maxLength: 10 }), failures, (jobs, f) => {
        const j = jobs[0]!;
        expectSane(
          renderStatusCard({
            job: j,
            failures: f,
            sharedBy: 'U012ABCDEF',
            sharedAt: NOW,
            updatedAt: NOW,
            mayCancel: true,
            now: NOW,
          }),
        );
        expectSane(
          renderCompletionNotice({ job: j, failures: f, watcher: 'U012ABCDEF', reason: 'terminal', now: NOW }),
        );
        expectSane(renderJobList({ jobs, query: { kind: 'list', page: 1 }, pageSize: 10, hasNext: true, now: NOW }));
      }),
      { numRuns: 150 },
    );
  });
});

describe('the response parser', () => {
  it('any answer yields a job, or a schema or API error, and nothing else', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const origin = 'https://cf.test';
    const client = new CloudflareClient({
      baseUrl: `${origin}/client/v4`,
      accountId: '023e105f4ecef8ad9ca31a8372d0c353',
      auth: { kind: 'token', token: 'x' },
      dispatcher: agent,
      jobCacheMs: 0,
      maxRetries: 0,
      userDeadlineMs: 0,
    });
    const pool = agent.get(origin);
    const jobId = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
    const body = fc.oneof(
      fc.json(),
      fc.string({ maxLength: 200 }),
      job.map((j) => JSON.stringify({ success: true, errors: [], messages: [], result: { ...j, job_id: jobId } })),
      fc.anything().map((value) => JSON.stringify({ success: true, result: value }) ?? 'null'),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(200, 400, 404, 500), async (text, statusCode) => {
        pool.intercept({ path: /.*/, method: 'GET' }).reply(statusCode, text);
        try {
          const result = await client.getJob(jobId);
          expect(statusCode).toBe(200);
          expect(result.job_id).toBe(jobId);
        } catch (error) {
          expect(error instanceof CloudflareSchemaError || error instanceof CloudflareApiError).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
    await agent.close();
  });
});
