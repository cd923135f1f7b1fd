import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KNOWN_STATUSES } from '../src/cloudflare/schema.js';
import { loadConfig } from '../src/config.js';
import { hasEnded, jobButtons, mayCancel, outcomeOf, readCounts, someoneMayCancel } from '../src/rules.js';

const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'];
const access = (writeUsers?: string) =>
  loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 's',
    CLOUDFLARE_ACCOUNT_ID: 'a',
    CLOUDFLARE_API_TOKEN: 't',
    ...(writeUsers === undefined ? {} : { BULKJOB_WRITE_USERS: writeUsers }),
  }).access;

describe('the domain rules', () => {
  it('a job has ended in COMPLETED, FAILED, CANCELLED and SKIPPED only; unknown statuses still run', () => {
    for (const status of KNOWN_STATUSES) expect(hasEnded({ status })).toBe(ENDED.includes(status));
    expect(hasEnded({ status: 'SOMETHING_NEW' })).toBe(false);
  });

  it('only BULKJOB_WRITE_USERS may cancel; nobody when it is empty', () => {
    expect(mayCancel(access('U1111,U2222'), 'U1111')).toBe(true);
    expect(mayCancel(access('U1111,U2222'), 'U3333')).toBe(false);
    expect(mayCancel(access(), 'U1111')).toBe(false);
    expect(someoneMayCancel(access('U1111'))).toBe(true);
    expect(someoneMayCancel(access())).toBe(false);
  });

  it('offers Stop watching while watched, Watch while running and unwatched, Cancel while running to who may', () => {
    for (const status of [...KNOWN_STATUSES, 'SOMETHING_NEW']) {
      for (const may of [false, true]) {
        for (const watching of [false, true]) {
          const running = !ENDED.includes(status);
          expect(jobButtons({ status }, { mayCancel: may, watching }), `${status} ${may} ${watching}`).toEqual({
            stopWatching: watching,
            watch: running && !watching,
            cancel: running && may,
          });
        }
      }
    }
  });
});

describe('readCounts: counts that add up', () => {
  const job = (overrides: Partial<Parameters<typeof readCounts>[0]>) => ({
    status: 'COMPLETED',
    total_messages_discovered: 797,
    messages_successful: 0,
    messages_failed: 0,
    messages_pending: 0,
    ...overrides,
  });

  it('counts what a cancelled job leaves as cancelled when Cloudflare does not say', () => {
    expect(readCounts(job({ status: 'CANCELLED' }))).toMatchObject({ remainder: 797, remainderLabel: 'cancelled' });
  });

  it("uses Cloudflare's messages_cancelled, and calls any rest not processed", () => {
    expect(readCounts(job({ status: 'CANCELLED', messages_cancelled: 790 }))).toMatchObject({
      cancelled: 790,
      remainder: 7,
      remainderLabel: 'not processed',
    });
  });

  it('calls the rest of a running job not yet counted', () => {
    expect(readCounts(job({ status: 'PROCESSING', messages_pending: 700 }))).toMatchObject({
      remainder: 97,
      remainderLabel: 'not yet counted',
    });
  });

  it('flags negative counts and parts above the total', () => {
    expect(readCounts(job({ messages_failed: -1 })).problem).toBe('negative');
    expect(readCounts(job({ messages_successful: 800 })).problem).toBe('over_total');
  });

  it('always adds up to the total, or says why it cannot (any counts, any status)', () => {
    const count = fc.integer({ min: -5, max: 1_000_000 });
    fc.assert(
      fc.property(
        fc.constantFrom(...KNOWN_STATUSES, 'NEW_STATUS'),
        count,
        count,
        count,
        count,
        fc.option(count, { nil: undefined }),
        (status, total, successful, failed, pending, cancelled) => {
          const counts = readCounts({
            status,
            total_messages_discovered: total,
            messages_successful: successful,
            messages_failed: failed,
            messages_pending: pending,
            messages_cancelled: cancelled,
          });
          if (counts.problem) return;
          expect(counts.remainder).toBeGreaterThanOrEqual(0);
          expect(counts.successful + counts.failed + counts.pending + counts.cancelled + counts.remainder).toBe(total);
        },
      ),
    );
  });
});

describe('outcomeOf', () => {
  it('tells a clean completion from one with failures, and each ending from the others', () => {
    expect(outcomeOf({ status: 'COMPLETED', messages_failed: 0 })).toBe('completed');
    expect(outcomeOf({ status: 'COMPLETED', messages_failed: 574 })).toBe('completed_with_failures');
    expect(outcomeOf({ status: 'FAILED', messages_failed: 3 })).toBe('failed');
    expect(outcomeOf({ status: 'CANCELLED', messages_failed: 0 })).toBe('cancelled');
    expect(outcomeOf({ status: 'SKIPPED', messages_failed: 0 })).toBe('skipped');
    expect(outcomeOf({ status: 'PROCESSING', messages_failed: 9 })).toBe('running');
  });
});
