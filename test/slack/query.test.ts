import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { decodeQuery, echo, encodeQuery, type JobQuery, parseCommandText } from '../../src/slack/query.js';

const JOB = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
// A version-1 UUID: z.uuid() would reject it, the API's ids need not be v4.
const JOB_V1 = 'c232ab00-9414-11ec-b3c8-9f68deced846';

describe('parseCommandText', () => {
  it.each<[string, JobQuery]>([
    ['', { kind: 'help' }],
    ['   ', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    [JOB, { kind: 'view', jobId: JOB, page: 1 }],
    [JOB.toUpperCase(), { kind: 'view', jobId: JOB, page: 1 }],
    [JOB_V1, { kind: 'view', jobId: JOB_V1, page: 1 }],
    [`${JOB} failed`, { kind: 'view', jobId: JOB, status: 'FAILED', page: 1 }],
    [`  ${JOB}   Pending `, { kind: 'view', jobId: JOB, status: 'PENDING', page: 1 }],
    [
      `https://one.dash.cloudflare.com/abc/email-security/investigation/bulk/${JOB}?x=1`,
      { kind: 'view', jobId: JOB, page: 1 },
    ],
    [`<https://example.com/jobs/${JOB}|job ${JOB}> failed`, { kind: 'view', jobId: JOB, status: 'FAILED', page: 1 }],
    ['list', { kind: 'list', page: 1 }],
    ['LIST Processing', { kind: 'list', status: 'PROCESSING', page: 1 }],
    [`watch ${JOB}`, { kind: 'watch', jobId: JOB }],
    [`Watch <https://x.test/${JOB}>`, { kind: 'watch', jobId: JOB }],
  ])('%j → %j', (text, expected) => {
    expect(parseCommandText(text)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['abc', /`abc` is not a job ID; a job ID looks like 182bd5e5-/],
    [`${JOB} bogus`, /`bogus` is not a status\. Use one of: pending, discovering, processing, completed, failed/],
    ['list bogus', /`bogus` is not a status/],
    ['list failed extra', /Usage: `\/bulkjob list \[status\]`/],
    ['watch', /Usage: `\/bulkjob watch &lt;job ID&gt;`/],
    ['watch nope', /`nope` is not a job ID/],
    [`${JOB} ${JOB_V1}`, /contains 2 job IDs/],
  ])('%j is refused with a message that says what to do', (text, message) => {
    expect(() => parseCommandText(text)).toThrow(InputError);
    expect(() => parseCommandText(text)).toThrow(message);
  });

  it.each<[string, string, JobQuery]>([
    ['a zero-width space for the gap', `${JOB}\u200bfailed`, { kind: 'view', jobId: JOB, status: 'FAILED', page: 1 }],
    [
      'a zero-width space before the status',
      `${JOB} \u200bfailed`,
      { kind: 'view', jobId: JOB, status: 'FAILED', page: 1 },
    ],
    ['a word joiner and a BOM', `\ufeff${JOB}\u2060pending`, { kind: 'view', jobId: JOB, status: 'PENDING', page: 1 }],
    ['bidi controls', `\u202e${JOB}\u202c failed`, { kind: 'view', jobId: JOB, status: 'FAILED', page: 1 }],
    ['a zero-width keyword', `li\u200bst`, { kind: 'view', jobId: '', page: 1 }],
    ['a soft hyphen inside watch', `watch\u00ad${JOB}`, { kind: 'watch', jobId: JOB }],
  ])('treats invisible characters as spaces: %s', (_name, text, expected) => {
    if (expected.kind === 'view' && expected.jobId === '') {
      // "li st" is two words and no job: an error, not a silent list.
      expect(() => parseCommandText(text)).toThrow(InputError);
      return;
    }
    expect(parseCommandText(text)).toEqual(expected);
  });

  it.each([
    [`${JOB} failed extra`, /at most one status/],
    [`${JOB} failed pending`, /at most one status/],
    [`watch ${JOB} now`, /no place after the job/],
    ['help me', /Usage: `\/bulkjob help`/],
  ])('refuses a word it has no place for: %s', (text, message) => {
    expect(() => parseCommandText(text)).toThrow(message);
  });

  it('escapes what it echoes, so <!channel> never pings anyone', () => {
    const error = (() => {
      try {
        parseCommandText('<!channel> & <@U123>');
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected a throw');
    })();
    expect(error.message).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(error.message).not.toMatch(/<!channel>|<@U123>/);
  });

  it('shortens a long echo', () => {
    expect(echo('x'.repeat(500)).length).toBeLessThan(90);
    expect(echo('a`b')).toBe('`aˋb`');
  });
});

describe('button values', () => {
  it.each<JobQuery>([
    { kind: 'view', jobId: JOB, page: 3 },
    { kind: 'view', jobId: JOB, status: 'FAILED', page: 1 },
    { kind: 'list', page: 2 },
    { kind: 'watch', jobId: JOB },
  ])('round-trips %j well within the 2,000-character value limit', (query) => {
    const value = encodeQuery(query);
    expect(value.length).toBeLessThan(200);
    expect(decodeQuery(value)).toEqual(query);
  });

  it.each([
    ['not json', 'nope'],
    ['missing', undefined],
    ['bad job id', JSON.stringify({ kind: 'view', jobId: 'x', page: 1 })],
    ['bad status', JSON.stringify({ kind: 'view', jobId: JOB, status: 'EVIL', page: 1 })],
    ['page 0', JSON.stringify({ kind: 'view', jobId: JOB, page: 0 })],
    ['huge page', JSON.stringify({ kind: 'view', jobId: JOB, page: 1e9 })],
    ['extra keys', JSON.stringify({ kind: 'list', page: 1, admin: true })],
    ['unknown kind', JSON.stringify({ kind: 'delete', jobId: JOB })],
  ])('a tampered value (%s) is an InputError, not a crash', (_name, value) => {
    expect(() => decodeQuery(value)).toThrow(InputError);
  });
});
