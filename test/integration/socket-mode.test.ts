/**
 * The bot in Socket Mode, started from the environment as in production (SLACK_APP_TOKEN, no signing
 * secret): it opens the WebSocket with the app-level token, answers commands and clicks that arrive as
 * envelopes, serves /healthz, /readyz and /metrics, reconnects when Slack drops the connection, and closes the
 * socket on stop.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareSim } from '../../dev/sim/cloudflare.js';
import { type SimMessage, SlackSim, type SocketDropMode } from '../../dev/sim/slack.js';
import { nextButton } from '../../src/features/job-view/buttons.js';
import { startFromEnv } from '../../src/main.js';
import { buttonLabels, textOf } from '../helpers/slack-text.js';
import { CF_TOKEN, CHANNEL, USER } from '../helpers/stack.js';

const botToken = `xoxb-sock-${randomBytes(6).toString('hex')}`;
const appToken = `xapp-1-A0SIM-1-${randomBytes(8).toString('hex')}`;
/**
 * The socket client waits its ping timeout (5 s by default) before it reconnects; the bot here gets 1 s,
 * so a reconnect takes about a second (and a pong may be at most that late on a loaded machine).
 */
const CLIENT_PING_TIMEOUT_MS = 1_000;
/** Bounds the wait for a reconnect. */
const RECONNECT_MS = 8_000;

let cf: CloudflareSim;
let slack: SlackSim;
let dataDir: string;
let bot: Extract<Awaited<ReturnType<typeof startFromEnv>>, { ok: true }>;
const logs: string[] = [];
const stderr: string[] = [];

beforeAll(async () => {
  cf = await CloudflareSim.start({ token: CF_TOKEN });
  // The simulator's signing secret is never given to the app: in Socket Mode nothing is signed.
  slack = await SlackSim.start({
    signingSecret: randomBytes(16).toString('hex'),
    botToken,
    appToken,
    transport: 'socket',
  });
  dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-socket-'));
  const result = await startFromEnv({
    env: {
      SLACK_BOT_TOKEN: botToken,
      SLACK_APP_TOKEN: appToken,
      SLACK_API_URL: slack.apiUrl,
      CLOUDFLARE_ACCOUNT_ID: cf.accountId,
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_BASE_URL: cf.baseUrl,
      BULKJOB_DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'debug',
    },
    stderr: (line) => void stderr.push(line),
    logDestination: { write: (line) => void logs.push(line) },
    app: { socketMode: { clientPingTimeout: CLIENT_PING_TIMEOUT_MS } },
  });
  if (!result.ok) throw new Error(`the bot did not start: ${stderr.join('\n')}`);
  bot = result;
});

afterAll(async () => {
  await bot?.bot.stop();
  await slack?.close();
  await cf?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** `/bulkjob <text>` over the socket; resolves with the ack and the answer USER then sees. */
async function command(text: string): Promise<{ ackMs: number; view: SimMessage }> {
  const ack = await slack.sendCommand({ userId: USER, channelId: CHANNEL, text });
  expect(ack).toMatchObject({ status: 200, timedOut: false });
  await slack.waitFor((s) => s.answered(ack.responseUrl), { timeoutMs: 8_000 });
  return { ackMs: ack.ackMs, view: slack.ephemeralFor(USER, CHANNEL).at(-1)! };
}

/** Slack drops the connection; resolves once the app has opened a new one. */
async function dropAndAwaitReconnect(mode: SocketDropMode): Promise<void> {
  const [current] = slack.openSocketConnections;
  expect(current).toBeDefined();
  expect(slack.dropSocket(mode)).toBe(1);
  await slack.waitFor((s) => s.openSocketConnections.some((c) => c.id > current!.id), { timeoutMs: RECONNECT_MS });
  expect(slack.socketConnections.find((c) => c.id === current!.id)?.closedAtMs).toBeDefined();
  // The client waited the ping timeout it was given, not its 5 s default.
  expect(logs.join('\n')).toContain(`will wait for ${CLIENT_PING_TIMEOUT_MS} milliseconds`);
}

describe('a bot in Socket Mode', () => {
  it('connects with the app-level token, and serves /healthz on the port it returned', async () => {
    // The simulator opens sockets for the app-level token only, so an ok call proves which token was sent.
    expect(slack.callsTo('apps.connections.open').map((c) => c.ok)).toEqual([true]);
    expect(slack.openSocketConnections).toEqual([expect.objectContaining({ id: 1 })]);
    expect(slack.callsTo('auth.test').map((c) => c.ok)).toEqual([true]);
    const health = await fetch(`http://127.0.0.1:${bot.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    expect(logs.some((l) => l.includes('"mode":"socket"') && l.includes('bulkjob is running'))).toBe(true);
  });

  it('acks /bulkjob over the socket at once, and answers through response_url, to the user only', async () => {
    const job = cf.addJob({ total: 35 }).id;
    const { ackMs, view } = await command(job);
    expect(ackMs).toBeLessThan(1_000);
    expect(slack.socketEnvelopes.at(-1)).toMatchObject({ type: 'slash_commands', ackMs: expect.any(Number) });
    expect(textOf(view)).toContain(job);
    expect(textOf(view)).toMatch(/Page 1 of 4/);
    expect(view).toMatchObject({ source: 'response_url', ephemeralTo: USER });
    expect(buttonLabels(view)).toContain('Next ▶');
    expect(slack.channelMessages(CHANNEL)).toEqual([]);
  });

  it('serves /metrics and /readyz on the same port: the command above counted, no user or channel in it', async () => {
    const ready = await fetch(`http://127.0.0.1:${bot.port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    const metrics = await fetch(`http://127.0.0.1:${bot.port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await metrics.text();
    expect(body).toMatch(/^bulkjob_requests_total\{type="command",kind="view",outcome="ok"\} 1$/m);
    expect(body).toMatch(/^bulkjob_ack_duration_seconds_count\{type="command"\} 1$/m);
    expect(body).not.toContain(USER);
    expect(body).not.toContain(CHANNEL);
  });
  it('publishes the Home tab when app_home_opened arrives over the socket', async () => {
    const before = slack.callsTo('views.publish').length;
    const delivered = await slack.openHome({ userId: USER });
    expect(delivered.status).toBe(200);
    await slack.waitFor((s) => s.callsTo('views.publish').length > before);
    expect(JSON.stringify(slack.homeView(USER)?.blocks)).toContain('Your watches');
  });

  it('replaces the view when Next ▶ is clicked over the socket', async () => {
    const job = cf.addJob({ total: 35 }).id;
    const { view } = await command(job);
    const clicked = await slack.click({ userId: USER, message: view, actionId: nextButton.actionId });
    expect(clicked).toMatchObject({ status: 200, timedOut: false });
    expect(clicked.ackMs).toBeLessThan(1_000);
    expect(slack.socketEnvelopes.at(-1)).toMatchObject({ type: 'interactive', ackMs: expect.any(Number) });
    const next = await slack.waitFor((s) => {
      const current = s.message(view.channel, view.ts);
      return current && /Page 2 of 4/.test(textOf(current)) ? current : undefined;
    });
    expect(next.edits).toBe(1);
    expect(buttonLabels(next)).toContain('◀ Prev');
    // Replaced in place, not posted anew.
    expect(slack.ephemeralFor(USER, CHANNEL).filter((m) => textOf(m).includes(job))).toHaveLength(1);
  });

  it.each<SocketDropMode>(['refresh_requested', 'close'])(
    'reconnects when Slack drops the connection (%s) and still answers',
    async (mode) => {
      const opens = slack.callsTo('apps.connections.open').length;
      await dropAndAwaitReconnect(mode);
      expect(slack.callsTo('apps.connections.open').length).toBe(opens + 1);
      expect(slack.openSocketConnections).toHaveLength(1);
      const { view } = await command('help');
      expect(textOf(view)).toMatch(/\/bulkjob list/);
      expect(slack.socketEnvelopes.at(-1)?.connectionId).toBe(slack.openSocketConnections[0]?.id);
    },
    20_000,
  );

  it('closes the socket on stop(), and does not reconnect', async () => {
    const opens = slack.callsTo('apps.connections.open').length;
    const [open] = slack.openSocketConnections;
    const logsBefore = logs.length;
    await bot.bot.stop();
    // stop() waited for the close handshake (the SDK logs Slack's close frame) rather than leaving it to the
    // process's exit; Slack then saw a normal close from the app, and the client scheduled no reconnect (the
    // SDK logs "Before trying to reconnect…" the moment it does).
    const afterStop = logs.slice(logsBefore).join('\n');
    expect(afterStop).toContain('WebSocket close frame received (code: 1000');
    await slack.waitFor((s) => s.openSocketConnections.length === 0, { timeoutMs: 1_000 });
    expect(slack.socketConnections.find((c) => c.id === open?.id)).toMatchObject({ closedBy: 'app', closeCode: 1000 });
    expect(slack.openSocketConnections).toEqual([]);
    expect(logs.slice(logsBefore).join('\n')).not.toMatch(/reconnect/i);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(opens);
    await expect(fetch(`http://127.0.0.1:${bot.port}/healthz`)).rejects.toThrow();
  });

  it('logged no error and no token', () => {
    const lines = logs.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(logs.join('\n')).not.toContain(appToken);
    expect(logs.join('\n')).not.toContain(botToken);
    expect(stderr).toEqual([]);
  });
});
