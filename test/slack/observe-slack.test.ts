/**
 * The Web API clients' observed fetch: each failed attempt is reported once, classified exactly as the
 * error the SDK then throws to the caller is (`toSlackApiError`).
 */
import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { SlackApiError } from '../../src/errors.js';
import { observeSlackApi } from '../../src/slack/observe-slack.js';
import { toSlackApiError } from '../../src/slack/slack-api.js';

type Fetch = NonNullable<webApi.WebClientOptions['fetch']>;

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Fetch {
  return async () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    }) as unknown as Awaited<ReturnType<Fetch>>;
}

/** One call through a real WebClient over `fetch`: what the observer saw, and what the caller got. */
async function call(fetch: Fetch): Promise<{ seen: SlackApiError[]; thrown: unknown }> {
  const seen: SlackApiError[] = [];
  const client = new webApi.WebClient('xoxb-test', {
    fetch: observeSlackApi((error) => void seen.push(error), fetch),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: webApi.LogLevel.ERROR,
  });
  let thrown: unknown;
  try {
    await client.chat.postMessage({ channel: 'C1', text: 'hi' });
  } catch (error) {
    thrown = toSlackApiError('chat.postMessage', error);
  }
  return { seen, thrown };
}

describe('observeSlackApi', () => {
  it.each<[string, Fetch, string]>([
    ['ok: false', answer(200, { ok: false, error: 'not_in_channel' }), 'not_in_channel'],
    ['429', answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '3' }), 'ratelimited'],
    ['503', answer(503, 'down'), 'http_503'],
    [
      'no answer',
      async () => {
        throw new TypeError('fetch failed');
      },
      'request_failed',
    ],
  ])('%s: reported as %s, the same as the caller’s error', async (_name, fetch, slackError) => {
    const { seen, thrown } = await call(fetch);
    expect(seen.map((e) => [e.method, e.slackError, e.failure])).toEqual([
      ['chat.postMessage', slackError, (thrown as SlackApiError).failure],
    ]);
    expect((thrown as SlackApiError).slackError).toBe(slackError);
  });

  it('passes anything that is not a Web API call through unobserved (a response_url)', async () => {
    const seen: SlackApiError[] = [];
    const fetch = observeSlackApi((error) => void seen.push(error), answer(404, 'expired'));
    const response = await fetch('https://hooks.slack.com/actions/T0SIM/123/AbCdEf0123', { method: 'POST' });
    expect(response.status).toBe(404);
    expect(seen).toEqual([]);
  });

  it('reports nothing for an answer that is ok, and hands it on whole', async () => {
    const seen: SlackApiError[] = [];
    const client = new webApi.WebClient('xoxb-test', {
      fetch: observeSlackApi((error) => void seen.push(error), answer(200, { ok: true, ts: '1.2' })),
      logLevel: webApi.LogLevel.ERROR,
    });
    const result = await client.chat.postMessage({ channel: 'C1', text: 'hi' });
    expect(result.ts).toBe('1.2');
    expect(seen).toEqual([]);
  });
});
