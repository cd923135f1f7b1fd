import { describe, expect, it } from 'vitest';
import {
  AccountRateLimitedError,
  BotError,
  BudgetExhaustedError,
  CloudflareApiError,
  CloudflareNetworkError,
  CloudflarePagingError,
  CloudflareSchemaError,
  escapeMrkdwn,
  InputError,
  NotAllowedError,
  SlackApiError,
  UserShareExhaustedError,
  userMessageFor,
} from '../src/errors.js';

const GET = { method: 'GET', path: '/client/v4/accounts/abc/email-security/investigate/bulk/x' };
const POST = { method: 'POST', path: '/client/v4/accounts/abc/email-security/investigate/bulk/x/cancel' };

describe('userMessageFor: one short line with the fix', () => {
  it.each<[string, unknown, RegExp]>([
    ['input, verbatim', new InputError('`abc` is not a job ID'), /^`abc` is not a job ID$/],
    ['user not allowed', new NotAllowedError('user'), /Ask your bulkjob admin to add you/],
    ['channel not allowed', new NotAllowedError('channel'), /incident channel, or ask your bulkjob admin/],
    ['may not write', new NotAllowedError('write'), /cancel rights.*bulkjob admin.*Cloudflare One/],
    [
      'read refused',
      new CloudflareApiError(403, [{ code: 10000, message: 'Authentication error' }], GET),
      /Cloud Email Security: Read/,
    ],
    [
      'cancel refused',
      new CloudflareApiError(403, [{ code: 10000, message: 'Authentication error' }], POST),
      /Cloud Email Security: Write/,
    ],
    [
      'not found',
      new CloudflareApiError(404, [{ code: 7003, message: 'Could not route' }], GET),
      /no such job.*\/bulkjob list/,
    ],
    ['bad route on 400', new CloudflareApiError(400, [{ code: 7003, message: 'Could not route' }], GET), /no such job/],
    ['rate limited, seconds', new CloudflareApiError(429, [], GET, 30), /Try again in 30 seconds/],
    ['rate limited, minutes', new CloudflareApiError(429, [], GET, 300), /Try again in 5 minutes/],
    ['rate limited, unknown', new CloudflareApiError(429, [], GET), /Try again in a minute/],
    ['5xx', new CloudflareApiError(502, [], GET), /having trouble right now\. Try again/],
    [
      'other 4xx, escaped',
      new CloudflareApiError(400, [{ code: 1001, message: 'not <cancellable>' }], POST),
      /not &lt;cancellable&gt;/,
    ],
    ['unreachable', new CloudflareNetworkError(GET, new Error('ECONNREFUSED')), /could not be reached/],
    ['bad data', new CloudflareSchemaError(GET, []), /could not read/],
    ['paging loop', new CloudflarePagingError(GET, 2), /could not read/],
    ['own budget', new BudgetExhaustedError(12), /pacing.*Try again in 12 seconds/],
    ['own share', new UserShareExhaustedError(40, 100), /your share.*100 per 5 minutes.*Try again in 40 seconds/],
    [
      'account paused',
      new AccountRateLimitedError(120, 'paused'),
      /Cloudflare is rate limiting.*Try again in 2 minutes/,
    ],
    ['account low', new AccountRateLimitedError(20, 'quota_low'), /shared with the dashboard.*in 20 seconds/],
    ['not in channel', new SlackApiError('chat.postMessage', 'refused', 'not_in_channel'), /\/invite @bulkjob/],
    ['archived', new SlackApiError('chat.postMessage', 'refused', 'is_archived'), /archived/],
    [
      'slack rate limit',
      new SlackApiError('chat.postMessage', 'rate_limited', 'ratelimited'),
      /Slack is rate limiting.*Try again/,
    ],
    ['store', new BotError('store_card_lost', 'lost'), /could not save this in its database/],
    ['sqlite', Object.assign(new Error('database is locked'), { name: 'SqliteError' }), /could not save/],
    ['anything else', new Error('boom'), /Something went wrong/],
  ])('%s', (_name, error, expected) => {
    expect(userMessageFor(error)).toMatch(expected);
  });

  it('never names an environment variable or an HTTP status: analysts cannot act on either', () => {
    const errors = [
      new NotAllowedError('user'),
      new NotAllowedError('channel'),
      new NotAllowedError('write'),
      ...[400, 401, 403, 404, 409, 429, 500, 502, 503].map(
        (status) => new CloudflareApiError(status, [{ code: 1, message: 'Job is not cancellable' }], POST),
      ),
    ];
    for (const error of errors) expect(userMessageFor(error)).not.toMatch(/[A-Z]{3,}_[A-Z_]+|HTTP|\b[45]\d\d\b/);
  });

  it('never carries the request or the token', () => {
    const error = new CloudflareNetworkError(GET, new Error('connect failed Bearer abc'));
    expect(userMessageFor(error)).not.toMatch(/Bearer|\/client\/v4/);
  });

  it('escapes &, < and >', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
});
