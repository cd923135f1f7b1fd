/**
 * The Slack simulator's Socket Mode: `apps.connections.open` (app-level token only), the one-time WebSocket
 * URL, `hello`, envelopes and acks, and Slack dropping the connection. A bare `ws` client stands in for the app.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SlackSim } from '../../dev/sim/slack.js';

const SECRET = 'test-signing-secret';
const BOT_TOKEN = 'xoxb-test-token';
const APP_TOKEN = 'xapp-1-A0SIM-1-test';
const USER = 'U0ANALYST';
const CHANNEL = 'C0INCIDENT';

let sim: SlackSim;
const clients: WebSocket[] = [];

beforeEach(async () => {
  sim = await SlackSim.start({ signingSecret: SECRET, botToken: BOT_TOKEN, appToken: APP_TOKEN, transport: 'socket' });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await sim.close();
});

/** POSTs a Web API call as @slack/web-api does: the token in the Authorization header. */
async function callApi(method: string, token: string | undefined, args: Record<string, string> = {}) {
  const response = await fetch(`${sim.apiUrl}${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: new URLSearchParams(args).toString(),
  });
  return (await response.json()) as { ok: boolean; error?: string; url?: string };
}

/** A client whose received messages are parsed and queued, so a test can await the next one. */
interface TestClient {
  socket: WebSocket;
  next(): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number }>;
}

function connect(url: string): Promise<TestClient> {
  const socket = new WebSocket(url);
  clients.push(socket);
  const queue: Record<string, unknown>[] = [];
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closed = new Promise<{ code: number }>((resolve) => socket.on('close', (code) => resolve({ code })));
  return new Promise((resolve, reject) => {
    socket.once('open', () =>
      resolve({
        socket,
        closed,
        next: () => {
          const queued = queue.shift();
          return queued ? Promise.resolve(queued) : new Promise((r) => waiting.push(r));
        },
      }),
    );
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Opens a connection as the app does and reads the `hello`. */
async function connectApp(): Promise<{ client: TestClient; hello: Record<string, unknown> }> {
  const opened = await callApi('apps.connections.open', APP_TOKEN);
  const client = await connect(opened.url!);
  return { client, hello: await client.next() };
}

describe('apps.connections.open', () => {
  it('returns a one-time ws:// URL on the simulator for the app-level token', async () => {
    const opened = await callApi('apps.connections.open', APP_TOKEN);
    expect(opened).toEqual({ ok: true, url: expect.any(String) });
    const url = new URL(opened.url!);
    expect(url.protocol).toBe('ws:');
    expect(url.host).toBe(new URL(sim.url).host);
    expect(url.pathname).toBe('/link/');
    expect(url.searchParams.get('ticket')).toMatch(/.+/);
    expect(sim.callsTo('apps.connections.open')).toMatchObject([{ ok: true, status: 200 }]);
  });

  it.each([
    ['the bot token', BOT_TOKEN, 'invalid_auth'],
    ['another app token', 'xapp-1-A0SIM-1-wrong', 'invalid_auth'],
    ['no token', undefined, 'not_authed'],
  ])('refuses %s', async (_name, token, error) => {
    expect(await callApi('apps.connections.open', token)).toEqual({ ok: false, error });
    expect(sim.socketConnections).toEqual([]);
  });

  it('is the only method the app-level token opens', async () => {
    expect(await callApi('auth.test', APP_TOKEN)).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await callApi('chat.postMessage', APP_TOKEN, { channel: CHANNEL, text: 'hi' })).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
    expect(await callApi('auth.test', BOT_TOKEN)).toMatchObject({ ok: true });
  });

  it('refuses every token when the simulator has no app token, and loads no WebSocket code', async () => {
    const httpOnly = await SlackSim.start({ signingSecret: SECRET, botToken: BOT_TOKEN });
    try {
      const response = await fetch(`${httpOnly.apiUrl}apps.connections.open`, {
        method: 'POST',
        headers: { authorization: `Bearer ${APP_TOKEN}` },
      });
      expect(await response.json()).toEqual({ ok: false, error: 'invalid_auth' });
      expect(httpOnly.transport).toBe('http');
      expect(() => httpOnly.dropSocket()).toThrow(/Socket Mode is off/);
      await expect(httpOnly.sendCommand({ userId: USER, channelId: CHANNEL, transport: 'socket' })).rejects.toThrow(
        /Socket Mode is off/,
      );
    } finally {
      await httpOnly.close();
    }
  });

  it('will not drive over a socket it cannot open', async () => {
    await expect(SlackSim.start({ signingSecret: SECRET, botToken: BOT_TOKEN, transport: 'socket' })).rejects.toThrow(
      /needs an appToken/,
    );
  });
});

describe('the WebSocket', () => {
  it('says hello as Slack does, and takes each URL once', async () => {
    const opened = await callApi('apps.connections.open', APP_TOKEN);
    const client = await connect(opened.url!);
    expect(await client.next()).toEqual({
      type: 'hello',
      num_connections: 1,
      debug_info: expect.objectContaining({ host: expect.any(String) }),
      connection_info: { app_id: 'A0SIM' },
    });
    await expect(connect(opened.url!)).rejects.toThrow('refused: HTTP 401');
    const forged = new URL(opened.url!);
    forged.searchParams.set('ticket', 'made-up');
    await expect(connect(forged.toString())).rejects.toThrow('refused: HTTP 401');
    expect(sim.openSocketConnections).toHaveLength(1);
  });

  it('delivers a slash command envelope and takes the ack payload as the first response', async () => {
    const { client } = await connectApp();
    const delivery = sim.sendCommand({ userId: USER, channelId: CHANNEL, text: 'help me' });
    const envelope = await client.next();
    expect(envelope).toMatchObject({
      envelope_id: expect.any(String),
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        command: '/bulkjob',
        text: 'help me',
        user_id: USER,
        channel_id: CHANNEL,
        team_id: 'T0SIM',
        api_app_id: 'A0SIM',
        response_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/response\//),
        trigger_id: expect.any(String),
      },
    });
    client.socket.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { text: 'Working on it' } }));
    const result = await delivery;
    expect(result).toMatchObject({ status: 200, timedOut: false, body: JSON.stringify({ text: 'Working on it' }) });
    expect(result.ackMs).toBeGreaterThanOrEqual(0);
    expect((envelope.payload as Record<string, unknown>).response_url).toBe(result.responseUrl);
    expect(sim.ephemeralFor(USER, CHANNEL).map((m) => [m.text, m.source])).toEqual([['Working on it', 'command_ack']]);
    expect(sim.socketEnvelopes).toEqual([
      {
        envelopeId: envelope.envelope_id,
        type: 'slash_commands',
        connectionId: 1,
        sentAtMs: expect.any(Number),
        ackMs: result.ackMs,
        ackPayload: { text: 'Working on it' },
      },
    ]);
  });

  it('delivers a click as an interactive envelope that takes no response payload', async () => {
    const { client } = await connectApp();
    const message = sim.postAsUser({ channel: CHANNEL, user: USER, text: 'x' });
    // A message with a button, as the bot would have posted it.
    sim.state.edit(CHANNEL, message.ts, {
      text: 'x',
      blocks: [
        {
          type: 'actions',
          block_id: 'b1',
          elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' }, value: 'v1' }],
        },
      ],
    });
    const delivery = sim.click({ userId: USER, message: message.id, actionId: 'go' });
    const envelope = await client.next();
    expect(envelope).toMatchObject({
      type: 'interactive',
      accepts_response_payload: false,
      payload: { type: 'block_actions', actions: [{ action_id: 'go', value: 'v1', block_id: 'b1' }] },
    });
    client.socket.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: {} }));
    expect(await delivery).toMatchObject({ status: 200, body: '', timedOut: false });
  });

  it("stops waiting without an ack after Slack's 3 s (shortened here)", async () => {
    expect(sim.ackDeadlineMs).toBe(3_000);
    await sim.close();
    sim = await SlackSim.start({
      signingSecret: SECRET,
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      transport: 'socket',
      ackDeadlineMs: 300,
    });
    const { client } = await connectApp();
    const delivery = sim.sendCommand({ userId: USER, channelId: CHANNEL, text: 'slow' });
    expect(await client.next()).toMatchObject({ type: 'slash_commands' });
    const result = await delivery;
    expect(result).toMatchObject({ status: 0, timedOut: true, body: '' });
    expect(result.ackMs).toBeGreaterThanOrEqual(290);
    expect(sim.socketEnvelopes[0]?.ackMs).toBeUndefined();
  });

  it('fails a delivery when no app is connected, or the connection closes before the ack', async () => {
    await expect(sim.sendCommand({ userId: USER, channelId: CHANNEL })).rejects.toThrow(/no Socket Mode connection/);
    const { client } = await connectApp();
    const delivery = sim.sendCommand({ userId: USER, channelId: CHANNEL });
    await client.next();
    client.socket.close(1000);
    await expect(delivery).rejects.toThrow(/closed \(code 1000\) before envelope/);
  });

  it('carries no signature, so a signing fault is refused rather than silently ignored', async () => {
    await connectApp();
    await expect(sim.sendCommand({ userId: USER, channelId: CHANNEL, signing: 'bad' })).rejects.toThrow(
      /means nothing over Socket Mode/,
    );
  });

  it('asks the app to reconnect with a disconnect message', async () => {
    const { client } = await connectApp();
    expect(sim.dropSocket()).toBe(1);
    expect(await client.next()).toMatchObject({ type: 'disconnect', reason: 'refresh_requested' });
    client.socket.close(1000);
    await sim.waitFor((s) => s.openSocketConnections.length === 0);
    expect(sim.socketConnections).toEqual([
      expect.objectContaining({ id: 1, closeCode: 1000, closedBy: 'app', disconnectReason: 'refresh_requested' }),
    ]);
  });

  it.each([
    ['close', 1001],
    ['terminate', 1006],
  ] as const)('drops the connection from its side (%s)', async (mode, code) => {
    const { client } = await connectApp();
    sim.dropSocket(mode);
    expect(await client.closed).toEqual({ code });
    await sim.waitFor((s) => s.openSocketConnections.length === 0);
    expect(sim.socketConnections[0]).toMatchObject({ closedBy: 'slack', closedAtMs: expect.any(Number) });
  });

  it('keeps open connections across reset(), and forgets closed ones and envelopes', async () => {
    const first = await connectApp();
    first.client.socket.close(1000);
    await sim.waitFor((s) => s.openSocketConnections.length === 0);
    const second = await connectApp();
    expect(second.hello.num_connections).toBe(1);
    sim.reset();
    expect(sim.socketConnections.map((c) => c.id)).toEqual([2]);
    expect(sim.socketEnvelopes).toEqual([]);
  });
});
