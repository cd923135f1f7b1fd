/**
 * Slack's failures are classified once, where the call is made: the real WebClient against the Slack
 * simulator (and a Slack that answers 503, and one that is not there), so the shapes are the SDK's own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackSim } from '../../dev/sim/slack.js';
import { SlackApiError } from '../../src/errors.js';
import { SlackMessages, toSlackApiError } from '../../src/slack/slack-api.js';

const TOKEN = 'xoxb-test-token';
const MESSAGE = { text: 'card', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'card' } }] };

let sim: SlackSim;

function messagesAt(url: string): SlackMessages {
  const client = new webApi.WebClient(TOKEN, {
    slackApiUrl: url,
    logLevel: webApi.LogLevel.ERROR,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 2_000,
  });
  return new SlackMessages({ post: client, edit: client });
}

async function failureOf(work: Promise<unknown>): Promise<SlackApiError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlackApiError);
  return error as SlackApiError;
}

beforeEach(async () => {
  sim = await SlackSim.start({ signingSecret: 'secret', botToken: TOKEN });
});

afterEach(async () => {
  await sim.close();
});

describe('SlackMessages', () => {
  it('posts and edits, returning the new message ts', async () => {
    const slack = messagesAt(sim.apiUrl);
    const ts = await slack.post('C1', MESSAGE);
    await slack.update('C1', ts, { ...MESSAGE, text: 'edited' });
    expect(sim.message('C1', ts)?.text).toBe('edited');
  });

  it('classifies a refusal: answered, and the message gone when Slack says so', async () => {
    const slack = messagesAt(sim.apiUrl);
    const ts = await slack.post('C1', MESSAGE);
    sim.deleteMessage('C1', ts);
    const gone = await failureOf(slack.update('C1', ts, MESSAGE));
    expect(gone).toMatchObject({ method: 'chat.update', failure: 'refused', slackError: 'message_not_found' });
    expect(gone.answered).toBe(true);
    expect(gone.messageGone).toBe(true);

    sim.failNext('chat.postMessage', 'msg_too_long');
    const refused = await failureOf(slack.post('C1', MESSAGE));
    expect(refused).toMatchObject({ failure: 'refused', slackError: 'msg_too_long', code: 'slack_msg_too_long' });
    expect(refused.messageGone).toBe(false);
  });

  it("classifies a 429 with Slack's Retry-After", async () => {
    sim.rateLimit('chat.postMessage', { calls: 1, retryAfterSeconds: 7 });
    const limited = await failureOf(messagesAt(sim.apiUrl).post('C1', MESSAGE));
    expect(limited).toMatchObject({ failure: 'rate_limited', slackError: 'ratelimited', retryAfterSeconds: 7 });
    expect(limited.answered).toBe(true);
  });

  describe('without a usable answer, the call may have happened', () => {
    let down: Server;
    beforeEach(async () => {
      down = createServer((_req, res) => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('unavailable');
      });
      await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      await new Promise((resolve) => down.close(resolve));
    });

    it('an HTTP 5xx', async () => {
      const url = `http://127.0.0.1:${(down.address() as AddressInfo).port}/api/`;
      const failed = await failureOf(messagesAt(url).post('C1', MESSAGE));
      expect(failed).toMatchObject({ failure: 'unreachable', slackError: 'http_503' });
      expect(failed.answered).toBe(false);
    });

    it('no connection at all', async () => {
      const port = (down.address() as AddressInfo).port;
      await new Promise((resolve) => down.close(resolve));
      down = createServer().listen(0, '127.0.0.1');
      const failed = await failureOf(messagesAt(`http://127.0.0.1:${port}/api/`).update('C1', '1.2', MESSAGE));
      expect(failed).toMatchObject({ failure: 'unreachable', slackError: 'request_failed', method: 'chat.update' });
    });
  });

  it('leaves errors that are not Slack failures as they are', () => {
    const bug = new TypeError('not a Slack failure');
    expect(toSlackApiError('chat.update', bug)).toBe(bug);
  });
});
