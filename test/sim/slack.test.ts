import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChangeEvent, type SimBlock, SlackSim } from '../../dev/sim/slack.js';
import { isValidSlackSignature, slackSignature } from '../helpers/slack-signing.js';

// The offline demo imports this simulator in the production image, where `ws` (a dev dependency) is pruned:
// an HTTP-only simulator must never load it. Every test in this file would fail if one did.
vi.mock('ws', () => {
  throw new Error('ws was loaded');
});

const SECRET = 'test-signing-secret';
const TOKEN = 'xoxb-test-token';

/** A stand-in bot: records what Slack sent and answers with a configurable ack. */
interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
}

async function startRecordingBot(
  ack: { status: number; body: string; contentType?: string } = { status: 200, body: '' },
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(ack.status, { 'content-type': ack.contentType ?? 'text/plain' });
      res.end(ack.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Bot = Awaited<ReturnType<typeof startRecordingBot>>;

function button(actionId: string, value: string, text = 'Go'): Record<string, unknown> {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value };
}

function actions(...elements: Record<string, unknown>[]): SimBlock {
  return { type: 'actions', block_id: 'acts', elements };
}

function section(text: string): SimBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

let sim: SlackSim;
let bot: Bot | undefined;

/** Calls the Web API with a form body, as @slack/web-api does. */
async function callForm(method: string, args: Record<string, unknown>, token: string | null = TOKEN) {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const response = await fetch(`${sim.apiUrl}${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: form.toString(),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

/** Calls the Web API with a JSON body. */
async function callJson(method: string, args: Record<string, unknown>, token = TOKEN) {
  const response = await fetch(`${sim.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
    body: JSON.stringify(args),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function postResponse(url: string, body: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

beforeEach(async () => {
  sim = await SlackSim.start({ signingSecret: SECRET, botToken: TOKEN });
});

afterEach(async () => {
  await bot?.close();
  bot = undefined;
  await sim.close();
});

describe('server', () => {
  it('listens on loopback, serves /healthz, and takes extra routes', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.apiUrl).toBe(`${sim.url}/api/`);
    const health = await fetch(`${sim.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);

    expect((await fetch(`${sim.url}/playground`)).status).toBe(404);
    sim.addRoute('GET', '/playground', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(sim.snapshot()));
    });
    const page = await fetch(`${sim.url}/playground`);
    expect(page.status).toBe(200);
    expect(await page.json()).toEqual({ channels: [], messages: [], seq: 0 });
  });

  it('loads the WebSocket code (and `ws`) only when given an app token', async () => {
    // This file's simulators run with `ws` unloadable (see vi.mock above); asking for Socket Mode is what loads it.
    await expect(SlackSim.start({ signingSecret: SECRET, botToken: TOKEN, appToken: 'xapp-1-test' })).rejects.toThrow(
      /error when mocking a module/,
    );
  });
});

describe('Web API', () => {
  it('accepts form bodies with blocks as a JSON string, and logs the call without the token', async () => {
    const blocks = [section('hello *world*')];
    const { json } = await callForm('chat.postMessage', { channel: 'C1', text: 'hello', blocks, token: TOKEN });
    expect(json).toMatchObject({ ok: true, channel: 'C1', message: { text: 'hello', blocks, bot_id: 'BBOT' } });
    expect(sim.channelMessages('C1')).toMatchObject([{ ts: json.ts, text: 'hello', blocks, user: 'UBOT' }]);
    const [call] = sim.callsTo('chat.postMessage');
    expect(call).toMatchObject({ kind: 'api', ok: true, args: { channel: 'C1', text: 'hello', blocks } });
    expect(call?.args).not.toHaveProperty('token');
  });

  it('accepts JSON bodies', async () => {
    const blocks = [section('json')];
    const { json } = await callJson('chat.postMessage', { channel: 'C1', text: 'j', blocks, unfurl_links: false });
    expect(json.ok).toBe(true);
    expect(sim.message('C1', String(json.ts))).toMatchObject({ text: 'j', blocks });
    expect(sim.callsTo('chat.postMessage')[0]?.args).toMatchObject({ unfurl_links: false });
  });

  it('rejects a missing or wrong token, and takes the token form field', async () => {
    expect((await callForm('auth.test', {}, null)).json).toEqual({ ok: false, error: 'not_authed' });
    expect((await callForm('auth.test', {}, 'xoxb-wrong')).json).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await callForm('auth.test', { token: 'xoxb-wrong' }, null)).json.error).toBe('invalid_auth');
    const viaField = await callForm('auth.test', { token: TOKEN }, null);
    expect(viaField.json).toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0SIM' });
    expect((await callForm('chat.postMessage', { channel: 'C1', text: 'x' }, 'xoxb-wrong')).json.ok).toBe(false);
    expect(sim.channelMessages('C1')).toEqual([]);
  });

  it('answers unknown_method', async () => {
    expect((await callForm('chat.scheduleMessage', { channel: 'C1' })).json).toEqual({
      ok: false,
      error: 'unknown_method',
    });
  });

  it('gives strictly increasing ts even under a frozen clock', async () => {
    sim.now = () => 1_700_000_000_000;
    const ts: string[] = [];
    for (let i = 0; i < 3; i++)
      ts.push(String((await callForm('chat.postMessage', { channel: 'C1', text: `${i}` })).json.ts));
    expect(ts).toEqual(['1700000000.000000', '1700000000.000001', '1700000000.000002']);
  });

  it('updates a bot message in place, keeping history, and refuses what chat.update cannot touch', async () => {
    const posted = await callForm('chat.postMessage', { channel: 'C1', text: 'v1', blocks: [section('v1')] });
    const ts = String(posted.json.ts);
    const updated = await callForm('chat.update', { channel: 'C1', ts, text: 'v2', blocks: [section('v2')] });
    expect(updated.json).toMatchObject({ ok: true, channel: 'C1', ts, text: 'v2' });
    expect(sim.message('C1', ts)).toMatchObject({
      text: 'v2',
      blocks: [section('v2')],
      edits: 1,
      history: [{ text: 'v1', blocks: [section('v1')] }],
    });
    expect(sim.channelMessages('C1')).toHaveLength(1);

    expect((await callForm('chat.update', { channel: 'C1', ts: '1.000001', text: 'x' })).json.error).toBe(
      'message_not_found',
    );
    const theirs = sim.postAsUser({ channel: 'C1', user: 'U1', text: 'mine' });
    expect((await callForm('chat.update', { channel: 'C1', ts: theirs.ts, text: 'x' })).json.error).toBe(
      'cant_update_message',
    );
    const eph = await callForm('chat.postEphemeral', { channel: 'C1', user: 'U1', text: 'psst' });
    expect((await callForm('chat.update', { channel: 'C1', ts: eph.json.message_ts, text: 'x' })).json.error).toBe(
      'message_not_found',
    );
  });

  it('deletes bot messages; a deleted message can be neither updated nor deleted again', async () => {
    const ts = String((await callForm('chat.postMessage', { channel: 'C1', text: 'bye' })).json.ts);
    expect((await callForm('chat.delete', { channel: 'C1', ts })).json).toEqual({ ok: true, channel: 'C1', ts });
    expect(sim.channelMessages('C1')).toEqual([]);
    expect(sim.message('C1', ts)?.deleted).toBe(true);
    expect((await callForm('chat.update', { channel: 'C1', ts, text: 'again' })).json.error).toBe('message_not_found');
    expect((await callForm('chat.delete', { channel: 'C1', ts })).json.error).toBe('message_not_found');
    const theirs = sim.postAsUser({ channel: 'C1', user: 'U1', text: 'mine' });
    expect((await callForm('chat.delete', { channel: 'C1', ts: theirs.ts })).json.error).toBe('cant_delete_message');
  });

  it('threads replies, broadcasts on request, and shows ephemeral messages to their user only', async () => {
    const parent = String((await callForm('chat.postMessage', { channel: 'C1', text: 'card' })).json.ts);
    await callForm('chat.postMessage', { channel: 'C1', text: 'reply', thread_ts: parent });
    await callForm('chat.postMessage', { channel: 'C1', text: 'loud', thread_ts: parent, reply_broadcast: true });
    const eph = await callForm('chat.postEphemeral', { channel: 'C1', user: 'U1', text: 'only you' });
    expect(eph.json).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d+\.\d{6}$/) });

    expect(sim.threadReplies('C1', parent).map((m) => m.text)).toEqual(['reply', 'loud']);
    expect(sim.message('C1', parent)?.replies).toHaveLength(2);
    expect(sim.channelMessages('C1').map((m) => m.text)).toEqual(['card', 'loud']);
    expect(sim.visibleTo('U1', 'C1').map((m) => m.text)).toEqual(['card', 'loud', 'only you']);
    expect(sim.visibleTo('U2', 'C1').map((m) => m.text)).toEqual(['card', 'loud']);
    expect(sim.ephemeralFor('U1', 'C1')).toMatchObject([{ text: 'only you', ephemeralTo: 'U1' }]);
    expect(sim.ephemeralFor('U2', 'C1')).toEqual([]);
    expect(sim.findMessage((m) => m.text === 'only you')?.ts).toBe(eph.json.message_ts);
  });

  it('answers getPermalink, conversations.info and users.info', async () => {
    const ts = String((await callForm('chat.postMessage', { channel: 'C1', text: 'x' })).json.ts);
    const link = await callForm('chat.getPermalink', { channel: 'C1', message_ts: ts });
    expect(link.json).toMatchObject({
      ok: true,
      channel: 'C1',
      permalink: `${sim.url}/archives/C1/p${ts.replace('.', '')}`,
    });
    sim.setChannel({ id: 'C1', name: 'incident-42' });
    expect((await callForm('conversations.info', { channel: 'C1' })).json).toMatchObject({
      ok: true,
      channel: { id: 'C1', name: 'incident-42', is_member: true, is_archived: false },
    });
    sim.setUser({ id: 'U1', name: 'alice', tz: 'Europe/Paris' });
    expect((await callForm('users.info', { user: 'U1' })).json).toMatchObject({
      ok: true,
      user: { id: 'U1', name: 'alice', tz: 'Europe/Paris' },
    });
  });
});

describe('limits', () => {
  it('rejects more than 50 blocks with invalid_blocks and text over 40000 with msg_too_long', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => section(`${i}`));
    expect((await callForm('chat.postMessage', { channel: 'C1', text: 'ok', blocks: fifty })).json.ok).toBe(true);
    const many = await callForm('chat.postMessage', { channel: 'C1', text: 'x', blocks: [...fifty, section('51')] });
    expect(many.json).toEqual({ ok: false, error: 'invalid_blocks' });
    const long = await callForm('chat.postMessage', { channel: 'C1', text: 'x'.repeat(40_001) });
    expect(long.json).toEqual({ ok: false, error: 'msg_too_long' });
    expect(sim.channelMessages('C1')).toHaveLength(1);
    expect(sim.limitViolations).toMatchObject([
      { method: 'chat.postMessage', rule: 'blocks_count', limit: 50, actual: 51, rejected: true },
      { method: 'chat.postMessage', rule: 'message_text', limit: 40_000, actual: 40_001, rejected: true },
    ]);
  });

  it('records every per-block breach without rejecting it', async () => {
    const blocks: SimBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
      section('s'.repeat(3001)),
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'f' },
        fields: Array.from({ length: 11 }, (_, i) => ({ type: 'mrkdwn', text: i === 0 ? 'f'.repeat(2001) : 'ok' })),
      },
      { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
      {
        type: 'actions',
        block_id: 'b'.repeat(256),
        elements: [
          ...Array.from({ length: 25 }, (_, i) => button(`a${i}`, 'v')),
          button('a'.repeat(256), 'v'.repeat(2001), 't'.repeat(76)),
        ],
      },
    ];
    const reply = await callForm('chat.postMessage', { channel: 'C1', text: 'z'.repeat(4001), blocks });
    expect(reply.json.ok).toBe(true);
    expect(sim.limitViolations.map((v) => [v.rule, v.path, v.rejected])).toEqual([
      ['fallback_text', 'text', false],
      ['header_text', 'blocks[0].text', false],
      ['section_text', 'blocks[1].text', false],
      ['section_fields', 'blocks[2].fields', false],
      ['section_field_text', 'blocks[2].fields[0]', false],
      ['context_elements', 'blocks[3].elements', false],
      ['block_id', 'blocks[4].block_id', false],
      ['actions_elements', 'blocks[4].elements', false],
      ['action_id', 'blocks[4].elements[25].action_id', false],
      ['button_text', 'blocks[4].elements[25].text', false],
      ['button_value', 'blocks[4].elements[25].value', false],
    ]);
  });

  it('flags blocks without fallback text and duplicate action ids; within limits leaves the list empty', async () => {
    await callForm('chat.postMessage', { channel: 'C1', text: 'fine', blocks: [section('s'.repeat(3000))] });
    expect(sim.limitViolations).toEqual([]);
    await callForm('chat.postMessage', { channel: 'C1', blocks: [actions(button('a', '1'), button('a', '2'))] });
    expect(sim.limitViolations.map((v) => v.rule)).toEqual(['text_missing', 'duplicate_action_id']);
  });

  it('rejects per-block breaches too when asked to be as strict as Slack', async () => {
    const strict = await SlackSim.start({ signingSecret: SECRET, botToken: TOKEN, rejectInvalidBlocks: true });
    try {
      const response = await fetch(`${strict.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ channel: 'C1', text: 't', blocks: [section('s'.repeat(3001))] }),
      });
      expect(await response.json()).toEqual({ ok: false, error: 'invalid_blocks' });
      expect(strict.limitViolations).toMatchObject([{ rule: 'section_text', rejected: true }]);
    } finally {
      await strict.close();
    }
  });
});

describe('fault injection', () => {
  it('fails posting in a channel with not_in_channel, channel_not_found or is_archived', async () => {
    sim.setChannelFault('CPRIV', 'not_in_channel');
    expect((await callForm('chat.postMessage', { channel: 'CPRIV', text: 'x' })).json.error).toBe('not_in_channel');
    expect((await callForm('chat.postEphemeral', { channel: 'CPRIV', user: 'U1', text: 'x' })).json.error).toBe(
      'not_in_channel',
    );
    sim.setChannelFault('CGONE', 'channel_not_found');
    expect((await callForm('chat.postMessage', { channel: 'CGONE', text: 'x' })).json.error).toBe('channel_not_found');
    sim.setChannelFault('COLD', 'is_archived');
    expect((await callForm('chat.postMessage', { channel: 'COLD', text: 'x' })).json.error).toBe('is_archived');
    expect(sim.channelMessages('CPRIV')).toEqual([]);
    sim.setChannelFault('CPRIV', undefined);
    expect((await callForm('chat.postMessage', { channel: 'CPRIV', text: 'x' })).json.ok).toBe(true);
  });

  it('rate limits the next K calls of a method with 429 and Retry-After', async () => {
    sim.rateLimit('chat.update', { calls: 2, retryAfterSeconds: 7 });
    const ts = String((await callForm('chat.postMessage', { channel: 'C1', text: 'x' })).json.ts);
    for (let i = 0; i < 2; i++) {
      const limited = await callForm('chat.update', { channel: 'C1', ts, text: 'y' });
      expect([limited.status, limited.headers.get('retry-after'), limited.json]).toEqual([
        429,
        '7',
        { ok: false, error: 'ratelimited' },
      ]);
    }
    expect((await callForm('chat.update', { channel: 'C1', ts, text: 'y' })).status).toBe(200);
    expect(sim.callsTo('chat.update').map((c) => c.error ?? 'ok')).toEqual(['ratelimited', 'ratelimited', 'ok']);
  });

  it("is honoured by Slack's own WebClient, which waits Retry-After and retries", async () => {
    // No backoff of the client's own (its default adds 1-2 s), so the wait measured is Retry-After's alone.
    const client = new webApi.WebClient(TOKEN, {
      slackApiUrl: sim.apiUrl,
      logLevel: webApi.LogLevel.ERROR,
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
    });
    sim.rateLimit('chat.postMessage', { calls: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    const result = await client.chat.postMessage({ channel: 'C1', text: 'after a wait', blocks: [section('b')] });
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sim.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(sim.channelMessages('C1')).toMatchObject([{ text: 'after a wait', blocks: [section('b')] }]);
  });

  it('lets a user delete a message, after which chat.update gets message_not_found', async () => {
    const ts = String((await callForm('chat.postMessage', { channel: 'C1', text: 'card' })).json.ts);
    sim.deleteMessage('C1', ts);
    expect(sim.channelMessages('C1')).toEqual([]);
    expect((await callForm('chat.update', { channel: 'C1', ts, text: 'refresh' })).json).toEqual({
      ok: false,
      error: 'message_not_found',
    });
  });

  it('fails the next calls of a method with a given error', async () => {
    sim.failNext('users.info', 'user_not_found');
    expect((await callForm('users.info', { user: 'U1' })).json.error).toBe('user_not_found');
    expect((await callForm('users.info', { user: 'U1' })).json.ok).toBe(true);
  });
});

describe('response_url', () => {
  beforeEach(async () => {
    bot = await startRecordingBot();
    sim.botUrl = bot.url;
  });

  it('posts ephemeral to the invoker by default, and in_channel to everyone', async () => {
    const { responseUrl } = await sim.sendCommand({ userId: 'U1', channelId: 'C1', text: 'help' });
    expect(responseUrl).toMatch(new RegExp(`^${sim.url}/response/.+`));
    expect(await postResponse(responseUrl, { text: 'just you' })).toEqual({ status: 200, text: '{"ok":true}' });
    expect(sim.ephemeralFor('U1', 'C1')).toMatchObject([{ text: 'just you', source: 'response_url' }]);
    expect(sim.visibleTo('U2', 'C1')).toEqual([]);
    await postResponse(responseUrl, { text: 'everyone', response_type: 'in_channel' });
    expect(sim.visibleTo('U2', 'C1').map((m) => m.text)).toEqual(['everyone']);
    expect(sim.channelMessages('C1')).toMatchObject([{ text: 'everyone', ephemeralTo: undefined }]);
  });

  it('replaces the clicked ephemeral message with replace_original, keeping it ephemeral', async () => {
    const blocks = [section('page 1'), actions(button('next', 'p=2', 'Next'))];
    const { responseUrl } = await sim.sendCommand({ userId: 'U1', channelId: 'C1', text: 'job' });
    await postResponse(responseUrl, { text: 'page 1', blocks });
    const [view] = sim.ephemeralFor('U1', 'C1');
    if (!view) throw new Error('no view');
    const click = await sim.click({ userId: 'U1', message: view, actionId: 'next' });
    await postResponse(click.responseUrl, { replace_original: true, text: 'page 2', blocks: [section('page 2')] });
    expect(sim.ephemeralFor('U1', 'C1')).toMatchObject([
      { ts: view.ts, text: 'page 2', blocks: [section('page 2')], edits: 1, ephemeralTo: 'U1' },
    ]);
    expect(sim.channelMessages('C1')).toEqual([]);
  });

  it('replaces an in-channel message for everyone, and deletes the original with delete_original', async () => {
    const ts = String(
      (await callForm('chat.postMessage', { channel: 'C1', text: 'card', blocks: [actions(button('refresh', 'r'))] }))
        .json.ts,
    );
    const first = await sim.click({ userId: 'U2', message: ts, actionId: 'refresh' });
    await postResponse(first.responseUrl, {
      replace_original: true,
      text: 'card v2',
      blocks: [actions(button('refresh', 'r'))],
      response_type: 'in_channel',
    });
    expect(sim.visibleTo('U3', 'C1')).toMatchObject([{ ts, text: 'card v2' }]);
    const second = await sim.click({ userId: 'U2', message: ts, actionId: 'refresh' });
    expect(await postResponse(second.responseUrl, { delete_original: true })).toMatchObject({ status: 200 });
    expect(sim.channelMessages('C1')).toEqual([]);
    expect(sim.message('C1', ts)?.deleted).toBe(true);
  });

  it("replaces through a command's URL the message last posted through it", async () => {
    const { responseUrl } = await sim.sendCommand({ userId: 'U1', channelId: 'C1', text: 'job' });
    await postResponse(responseUrl, { text: 'Loading…' });
    await postResponse(responseUrl, { replace_original: true, text: 'The job' });
    expect(sim.ephemeralFor('U1', 'C1')).toMatchObject([{ text: 'The job', edits: 1 }]);
  });

  it('allows 5 uses, then answers 404 used_url', async () => {
    const { responseUrl } = await sim.sendCommand({ userId: 'U1', channelId: 'C1' });
    for (let i = 1; i <= 5; i++) expect((await postResponse(responseUrl, { text: `${i}` })).status).toBe(200);
    expect(await postResponse(responseUrl, { text: '6' })).toEqual({ status: 404, text: 'used_url' });
    expect(sim.ephemeralFor('U1', 'C1')).toHaveLength(5);
    expect(sim.callsTo('response_url').map((c) => c.ok)).toEqual([true, true, true, true, true, false]);
  });

  it('expires after 30 minutes on the injected clock', async () => {
    let now = 1_700_000_000_000;
    sim.now = () => now;
    const { responseUrl } = await sim.sendCommand({ userId: 'U1', channelId: 'C1' });
    now += 30 * 60 * 1000 + 1;
    expect(await postResponse(responseUrl, { text: 'late' })).toEqual({ status: 404, text: 'expired_url' });
    expect(sim.ephemeralFor('U1', 'C1')).toEqual([]);
  });

  it('checks limits on responses too', async () => {
    const { responseUrl } = await sim.sendCommand({ userId: 'U1', channelId: 'C1' });
    const blocks = Array.from({ length: 51 }, () => section('x'));
    expect(await postResponse(responseUrl, { text: 't', blocks })).toEqual({ status: 400, text: 'invalid_blocks' });
    expect(sim.limitViolations).toMatchObject([{ method: 'response_url', channel: 'C1', rule: 'blocks_count' }]);
  });
});

describe('driver', () => {
  it('sends a slash command form signed exactly as Slack does', async () => {
    bot = await startRecordingBot();
    sim.botUrl = bot.url;
    sim.setChannel({ id: 'C1', name: 'incident' });
    sim.setUser({ id: 'U1', name: 'alice' });
    const result = await sim.sendCommand({ userId: 'U1', channelId: 'C1', text: 'list <!channel> & more' });
    expect(result.status).toBe(200);
    expect(result.ackMs).toBeGreaterThanOrEqual(0);
    expect(result.timedOut).toBe(false);

    const [request] = bot.received;
    if (!request) throw new Error('nothing received');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const timestamp = String(request.headers['x-slack-request-timestamp']);
    const signature = String(request.headers['x-slack-signature']);
    expect(signature).toBe(slackSignature(SECRET, timestamp, request.rawBody));
    expect(isValidSlackSignature({ signingSecret: SECRET, timestamp, signature, rawBody: request.rawBody })).toBe(true);

    const form = Object.fromEntries(new URLSearchParams(request.rawBody));
    expect(Object.keys(form).sort()).toEqual(
      [
        'api_app_id',
        'channel_id',
        'channel_name',
        'command',
        'is_enterprise_install',
        'response_url',
        'team_domain',
        'team_id',
        'text',
        'token',
        'trigger_id',
        'user_id',
        'user_name',
      ].sort(),
    );
    expect(form).toMatchObject({
      team_id: 'T0SIM',
      channel_id: 'C1',
      channel_name: 'incident',
      user_id: 'U1',
      user_name: 'alice',
      command: '/bulkjob',
      text: 'list <!channel> & more',
      response_url: result.responseUrl,
      trigger_id: result.triggerId,
      is_enterprise_install: 'false',
    });
  });

  it('signs wrongly on request: bad signature, stale timestamp, no signature', async () => {
    bot = await startRecordingBot();
    sim.botUrl = bot.url;
    await sim.sendCommand({ userId: 'U1', channelId: 'C1', signing: 'bad' });
    await sim.sendCommand({ userId: 'U1', channelId: 'C1', signing: 'stale' });
    await sim.sendCommand({ userId: 'U1', channelId: 'C1', signing: 'missing' });
    const [bad, stale, missing] = bot.received;
    const check = (r: Received | undefined) =>
      isValidSlackSignature({
        signingSecret: SECRET,
        timestamp: r?.headers['x-slack-request-timestamp'] as string | undefined,
        signature: r?.headers['x-slack-signature'] as string | undefined,
        rawBody: r?.rawBody ?? '',
      });
    expect([check(bad), check(stale), check(missing)]).toEqual([false, false, false]);
    // Stale is correctly signed but over five minutes old.
    const staleTs = String(stale?.headers['x-slack-request-timestamp']);
    expect(stale?.headers['x-slack-signature']).toBe(slackSignature(SECRET, staleTs, stale?.rawBody ?? ''));
    expect(Math.floor(Date.now() / 1000) - Number(staleTs)).toBeGreaterThan(300);
    expect(missing?.headers).not.toHaveProperty('x-slack-signature');
  });

  it('builds block_actions for an in-channel message with the message and the button found by action_id', async () => {
    bot = await startRecordingBot();
    sim.botUrl = bot.url;
    const blocks = [
      section('card'),
      actions(button('other', 'o'), { ...button('refresh', 'job=1', 'Refresh'), style: 'primary' }),
    ];
    const ts = String((await callForm('chat.postMessage', { channel: 'C1', text: 'card', blocks })).json.ts);
    const click = await sim.click({ userId: 'U2', message: ts, actionId: 'refresh' });
    const request = bot.received[0];
    if (!request) throw new Error('nothing received');
    expect(request.headers['x-slack-signature']).toBe(
      slackSignature(SECRET, String(request.headers['x-slack-request-timestamp']), request.rawBody),
    );
    const payload = JSON.parse(new URLSearchParams(request.rawBody).get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U2', team_id: 'T0SIM' },
      api_app_id: expect.any(String),
      container: { type: 'message', message_ts: ts, channel_id: 'C1', is_ephemeral: false },
      trigger_id: click.triggerId,
      channel: { id: 'C1' },
      message: { ts, text: 'card', blocks },
      response_url: click.responseUrl,
      actions: [
        {
          type: 'button',
          action_id: 'refresh',
          block_id: 'acts',
          text: { type: 'plain_text', text: 'Refresh' },
          value: 'job=1',
          style: 'primary',
        },
      ],
    });
    expect(payload.actions[0].action_ts).toMatch(/^\d+\.\d{6}$/);
  });

  it('omits message on ephemeral clicks, takes value overrides, and refuses impossible clicks', async () => {
    bot = await startRecordingBot();
    sim.botUrl = bot.url;
    const eph = await callForm('chat.postEphemeral', {
      channel: 'C1',
      user: 'U1',
      text: 'view',
      blocks: [actions(button('next', 'p=2'))],
    });
    const ts = String(eph.json.message_ts);
    await sim.click({ userId: 'U1', message: ts, actionId: 'next', value: 'tampered' });
    const payload = JSON.parse(new URLSearchParams(bot.received[0]?.rawBody).get('payload') ?? '{}');
    expect(payload.container).toEqual({ type: 'message', message_ts: ts, channel_id: 'C1', is_ephemeral: true });
    expect(payload).not.toHaveProperty('message');
    expect(payload.actions[0]).toMatchObject({ action_id: 'next', value: 'tampered' });

    await expect(sim.click({ userId: 'U2', message: ts, actionId: 'next' })).rejects.toThrow(/ephemeral to U1/);
    await expect(sim.click({ userId: 'U1', message: ts, actionId: 'nope' })).rejects.toThrow(/no button/);
  });

  it('posts a command ack body as the first ephemeral response, as Slack does', async () => {
    bot = await startRecordingBot({ status: 200, body: '{"text":"Working on it"}', contentType: 'application/json' });
    sim.botUrl = bot.url;
    await sim.sendCommand({ userId: 'U1', channelId: 'C1' });
    expect(sim.ephemeralFor('U1', 'C1')).toMatchObject([{ text: 'Working on it', source: 'command_ack' }]);
  });

  it('signs with the injected clock', async () => {
    bot = await startRecordingBot();
    sim.botUrl = bot.url;
    sim.now = () => 1_600_000_000_000;
    await sim.sendCommand({ userId: 'U1', channelId: 'C1' });
    expect(bot.received[0]?.headers['x-slack-request-timestamp']).toBe('1600000000');
  });
});

describe('events and waitFor', () => {
  it("emits a serializable 'change' for each add, update and delete", async () => {
    const changes: ChangeEvent[] = [];
    sim.events.on('change', (event) => changes.push(event));
    const ts = String((await callForm('chat.postMessage', { channel: 'C1', text: 'a' })).json.ts);
    await callForm('chat.update', { channel: 'C1', ts, text: 'b' });
    await callForm('chat.delete', { channel: 'C1', ts });
    expect(changes.map((c) => [c.seq, c.kind, c.message.text, c.message.deleted])).toEqual([
      [1, 'message_added', 'a', false],
      [2, 'message_updated', 'b', false],
      [3, 'message_deleted', 'b', true],
    ]);
    expect(JSON.parse(JSON.stringify(changes))).toEqual(JSON.parse(JSON.stringify(structuredClone(changes))));
    expect(changes[0]?.message).toMatchObject({ id: `C1/${ts}`, channel: 'C1', ts });
  });

  it('waitFor resolves when a later change satisfies the predicate, and times out otherwise', async () => {
    const waiting = sim.waitFor((s) => s.channelMessages('C1').find((m) => m.text === 'late'), { timeoutMs: 2000 });
    setTimeout(() => void callForm('chat.postMessage', { channel: 'C1', text: 'late' }), 20);
    expect(await waiting).toMatchObject({ text: 'late' });
    await expect(sim.waitFor(() => false, { timeoutMs: 50 })).rejects.toThrow(/timed out after 50 ms/);
  });
});

describe('with a real Bolt app', () => {
  let app: App;
  let handled: string[];

  beforeEach(async () => {
    handled = [];
    app = new App({
      token: TOKEN,
      signingSecret: SECRET,
      clientOptions: { slackApiUrl: sim.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    app.command('/bulkjob', async ({ ack, respond, command }) => {
      await ack();
      handled.push(command.text);
      await respond({
        response_type: 'ephemeral',
        text: `You asked for ${command.text}`,
        blocks: [section(`You asked for ${command.text}`), actions(button('refresh', command.text, 'Refresh'))],
      });
    });
    app.action('refresh', async ({ ack, respond, body }) => {
      await ack();
      const value = body.type === 'block_actions' && body.actions[0]?.type === 'button' ? body.actions[0].value : '';
      await respond({ replace_original: true, text: `Refreshed ${value}` });
    });
    const server = await app.start(0);
    sim.botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterEach(async () => {
    await app.stop();
  });

  it('receives a driver-sent command, and its respond() lands as an ephemeral message', async () => {
    const result = await sim.sendCommand({ userId: 'U1', channelId: 'C1', text: 'abc' });
    expect(result.status).toBe(200);
    const view = await sim.waitFor((s) => s.ephemeralFor('U1', 'C1')[0]);
    expect(handled).toEqual(['abc']);
    expect(view).toMatchObject({ text: 'You asked for abc', ephemeralTo: 'U1' });
    expect(sim.callsTo('auth.test')).toHaveLength(1);

    await sim.click({ userId: 'U1', message: view, actionId: 'refresh' });
    await sim.waitFor((s) => s.ephemeralFor('U1', 'C1')[0]?.text === 'Refreshed abc');
    expect(sim.ephemeralFor('U1', 'C1')).toHaveLength(1);
  });

  it.each(['bad', 'stale', 'missing'] as const)(
    'answers 401 to a %s signature and never runs the handler',
    async (signing) => {
      const result = await sim.sendCommand({ userId: 'U1', channelId: 'C1', text: 'evil', signing });
      expect(result.status).toBe(401);
      expect(handled).toEqual([]);
      // A valid one right after does get through, so the 401 was about the signature.
      expect((await sim.sendCommand({ userId: 'U1', channelId: 'C1', text: 'good' })).status).toBe(200);
      expect(handled).toEqual(['good']);
    },
  );
});
