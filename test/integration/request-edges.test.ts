/**
 * The HTTP edge: signed requests that are not what Slack sends. Each is refused with a 4xx and one log line,
 * reaches no handler and no Cloudflare, and never becomes an unhandled rejection.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCommandBody, SimIdentity } from '../../dev/sim/slack-payloads.js';
import { slackSignature } from '../helpers/slack-signing.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

let stack: Stack;
let doneJob: string;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  stack = await startStack();
  doneJob = stack.cf.addJob({ total: 12 }).id;
});

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await stack?.stop();
});

beforeEach(() => {
  stack.slack.reset();
  stack.cf.clearRequests();
});

interface Sent {
  status: number;
}

/** POSTs `body` to the bot, signed with its secret at `nowMs` (or with `signature` as given). */
async function post(
  body: string,
  options: { contentType?: string; nowMs?: number; signature?: string; timestamp?: string } = {},
): Promise<Sent> {
  const timestamp = options.timestamp ?? String(Math.floor((options.nowMs ?? Date.now()) / 1000));
  const response = await fetch(`http://127.0.0.1:${stack.port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': options.signature ?? slackSignature(stack.sims.signingSecret, timestamp, body),
    },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status };
}

function command(text: string, fields: { team?: string; responseUrl?: string } = {}): string {
  const body = new URLSearchParams(
    buildCommandBody({
      userId: USER,
      userName: 'analyst',
      channelId: CHANNEL,
      channelName: 'incident',
      command: '/bulkjob',
      text,
      responseUrl: fields.responseUrl ?? `${stack.slack.url}/response/edge-${Math.random().toString(36).slice(2)}`,
      // Slack gives every request a trigger id of its own (bulkjob drops a second delivery of one).
      triggerId: `trigger-${randomUUID()}`,
    }),
  );
  if (fields.team) body.set('team_id', fields.team);
  return body.toString();
}

function refusals(): Record<string, unknown>[] {
  return stack.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'slack request refused');
}

/** Enough time for a request that slipped through to have reached Cloudflare or Slack. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('signed requests Slack would never send', () => {
  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['an array', '[{"type":"event_callback"}]'],
    ['an object with no type', '{"event":{"type":"app_home_opened"}}'],
    ['not JSON', '{"type":'],
  ])('a JSON body that is %s gets 400, and no unhandled rejection', async (_name, body) => {
    const before = refusals().length;
    expect((await post(body, { contentType: 'application/json' })).status).toBe(400);
    await settle();
    expect(rejections).toEqual([]);
    expect(refusals().length).toBe(before + 1);
    expect(stack.slack.calls).toEqual([]);
  });

  it('a form with neither a command nor a payload gets 400', async () => {
    expect((await post('text=hello&user_id=U1')).status).toBe(400);
    expect((await post(`payload=${encodeURIComponent('null')}`)).status).toBe(400);
  });

  it.each([
    ['10 minutes ahead', 10 * 60_000],
    ['a day ahead', 24 * 3_600_000],
    ['10 minutes old', -10 * 60_000],
  ])('a timestamp %s is refused, though correctly signed', async (_name, offsetMs) => {
    expect((await post(command(doneJob), { nowMs: Date.now() + offsetMs })).status).toBe(401);
    await settle();
    expect(stack.cf.countRequests()).toBe(0);
    expect(stack.slack.calls).toEqual([]);
    expect(refusals().at(-1)).toMatchObject({ status: 401, reason: expect.stringMatching(/5 minutes/) });
  });

  it('a timestamp that is not a number is refused', async () => {
    expect((await post(command(doneJob), { timestamp: '1e9' })).status).toBe(401);
    expect((await post(command(doneJob), { timestamp: '' })).status).toBe(401);
  });

  it('the same signed request sent twice is answered once', async () => {
    const responseUrl = `${stack.slack.url}/response/replayed`;
    const body = command(doneJob, { responseUrl });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = slackSignature(stack.sims.signingSecret, timestamp, body);
    expect((await post(body, { timestamp, signature })).status).toBe(200);
    await stack.slack.waitFor((s) => s.answered(responseUrl));
    await settle();
    const reads = stack.cf.countRequests();
    const answers = stack.slack.calls.filter((call) => call.url === responseUrl).length;
    expect(reads).toBeGreaterThan(0);

    expect((await post(body, { timestamp, signature })).status).toBe(409);
    await settle();
    expect(stack.cf.countRequests()).toBe(reads);
    expect(stack.slack.calls.filter((call) => call.url === responseUrl)).toHaveLength(answers);
    expect(refusals().at(-1)).toMatchObject({ status: 409, reason: 'replayed request ignored' });
    // A new request with the same text (a new timestamp, so a new signature) is served as usual.
    const again = `${stack.slack.url}/response/again`;
    expect((await post(command(doneJob, { responseUrl: again }), { nowMs: Date.now() + 1_000 })).status).toBe(200);
    await stack.slack.waitFor((s) => s.answered(again));
  });

  it('a request from another workspace is refused with a log line', async () => {
    expect(SimIdentity.teamId).not.toBe('T0ELSEWHERE');
    const responseUrl = `${stack.slack.url}/response/elsewhere`;
    expect((await post(command(doneJob, { team: 'T0ELSEWHERE', responseUrl }))).status).toBe(403);
    const payload = JSON.stringify({
      type: 'block_actions',
      team: { id: 'T0ELSEWHERE' },
      user: { id: USER, team_id: 'T0ELSEWHERE' },
      actions: [],
    });
    expect((await post(`payload=${encodeURIComponent(payload)}`)).status).toBe(403);
    await settle();
    expect(stack.cf.countRequests()).toBe(0);
    expect(stack.slack.answered(responseUrl)).toBe(false);
    expect(refusals().at(-1)).toMatchObject({ status: 403, reason: expect.stringMatching(/not installed/) });
    // The installed workspace is served.
    const ours = `${stack.slack.url}/response/ours`;
    expect((await post(command(doneJob, { team: SimIdentity.teamId, responseUrl: ours }))).status).toBe(200);
    await stack.slack.waitFor((s) => s.answered(ours));
  });

  it('an oversized body gets 413 without being read whole', async () => {
    expect((await post(`command=%2Fbulkjob&text=${'x'.repeat(1_100_000)}`)).status).toBe(413);
  });

  it('logs no secret while refusing', () => {
    const all = stack.logs.join('\n');
    for (const secret of stack.secrets) expect(all).not.toContain(secret);
  });
});
