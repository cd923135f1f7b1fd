import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CHANNEL, DEMO_USER, type DemoHandle, runDemo } from '../../dev/demo.js';
import {
  attachPlayground,
  FALLBACK_USAGE_HINT,
  type Playground,
  type PlaygroundChange,
  type PlaygroundHome,
  type PlaygroundSnapshot,
  readUsageHint,
} from '../../dev/playground/server.js';
import { SlackSim } from '../../dev/sim/slack.js';

const SECRET = 'playground-test-secret';
const TOKEN = 'xoxb-playground-test';
const USER = 'U0PLAYER';
const OTHER = 'U0OTHER';
const CHANNEL = 'C0PLAY';

/** A minimal SSE reader over fetch: waits for the next event matching a predicate. */
function openEvents(url: string) {
  const controller = new AbortController();
  const events: { event: string; data: unknown }[] = [];
  const waiters = new Set<() => void>();
  const done = (async () => {
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(raw)?.[1];
        const data = /^data: (.*)$/m.exec(raw)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
        for (const wake of waiters) wake();
      }
    }
  })().catch(() => {});
  return {
    events,
    async next<T>(event: string, predicate: (data: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
      const find = () => events.find((e) => e.event === event && predicate(e.data as T))?.data as T | undefined;
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = find();
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${event} event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** A raw GET with a chosen Host header (fetch forbids setting it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('playground routes', () => {
  let sim: SlackSim;
  let playground: Playground;
  let app: App;
  const commands: { user: string; channel: string; text: string }[] = [];
  const clicks: { user: string; action: string; value: string | undefined }[] = [];
  const opened: string[] = [];
  const homeOf = (text: string) => ({
    type: 'home' as const,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        elements: [{ type: 'button', action_id: 'home_go', text: { type: 'plain_text', text: 'Go' } }],
      },
    ],
  });

  beforeEach(async () => {
    commands.length = 0;
    clicks.length = 0;
    opened.length = 0;
    sim = await SlackSim.start({ signingSecret: SECRET, botToken: TOKEN });
    sim.setUser({ id: USER, name: 'pat.player' });
    sim.setChannel({ id: CHANNEL, name: 'incident-test' });
    playground = attachPlayground(sim, {
      userId: USER,
      channelId: CHANNEL,
      usageHint: '<job id> · help',
      suggestions: [{ label: 'help', command: '/bulkjob help' }],
    });
    // A tiny real Bolt app: it verifies the simulator's signatures exactly as the bot does.
    app = new App({
      token: TOKEN,
      signingSecret: SECRET,
      clientOptions: { slackApiUrl: sim.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    app.command('/bulkjob', async ({ ack, respond, command }) => {
      await ack();
      commands.push({ user: command.user_id, channel: command.channel_id, text: command.text });
      await respond({
        response_type: 'ephemeral',
        text: `you said ${command.text}`,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `you said *${command.text}*` } },
          {
            type: 'actions',
            block_id: 'acts',
            elements: [{ type: 'button', action_id: 'go', value: 'v1', text: { type: 'plain_text', text: 'Go' } }],
          },
        ],
      });
    });
    app.action('go', async ({ ack, body, action, client }) => {
      await ack();
      clicks.push({ user: body.user.id, action: 'go', value: (action as { value?: string }).value });
      await client.chat.postMessage({ channel: CHANNEL, text: `<@${body.user.id}> clicked` });
    });
    app.event('app_home_opened', async ({ event, client }) => {
      opened.push(event.user);
      await client.views.publish({ user_id: event.user, view: homeOf(`Home of <@${event.user}> in <#${CHANNEL}>`) });
    });
    app.action('home_go', async ({ ack, body, client }) => {
      await ack();
      clicks.push({ user: body.user.id, action: 'home_go', value: undefined });
      await client.views.publish({ user_id: body.user.id, view: homeOf('clicked on Home') });
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    sim.botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterEach(async () => {
    playground.close();
    await app.stop();
    await sim.close();
  });

  it('serves the page and its files, with a strict content security policy', async () => {
    const page = await fetch(`${sim.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await page.text();
    expect(html).toContain('data-testid="composer-input"');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);

    for (const [file, type] of [
      ['app.js', /^text\/javascript/],
      ['render.js', /^text\/javascript/],
      ['mrkdwn.js', /^text\/javascript/],
      ['emoji.js', /^text\/javascript/],
      ['playground.css', /^text\/css/],
      ['favicon.svg', /^image\/svg\+xml/],
    ] as const) {
      const res = await fetch(`${sim.url}/playground/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(type);
      // No CDN, no web font, no remote anything.
      expect(await res.text(), file).not.toMatch(/(?:src|href|url|fetch)\s*[=(]\s*['"]?https?:/);
    }
    expect((await fetch(`${sim.url}/playground/nope.js`)).status).toBe(404);
    expect((await fetch(`${sim.url}/playground/..%2Fpackage.json`)).status).toBe(404);
  });

  it('answers only on a loopback host name (no DNS rebinding)', async () => {
    expect(await getWithHost(`${sim.url}/`, 'evil.example:80')).toBe(403);
    expect(await getWithHost(`${sim.url}/`, `localhost:${new URL(sim.url).port}`)).toBe(200);
  });

  it('streams a snapshot of what the user sees, then every visible change', async () => {
    sim.postAsUser({ channel: CHANNEL, user: OTHER, text: 'before the page opened' });
    sim.state.add({
      channel: CHANNEL,
      user: 'UBOT',
      botId: 'B1',
      text: 'mine',
      blocks: [],
      ephemeralTo: USER,
      source: 'chat.postEphemeral',
    });
    sim.state.add({
      channel: CHANNEL,
      user: 'UBOT',
      botId: 'B1',
      text: 'theirs',
      blocks: [],
      ephemeralTo: OTHER,
      source: 'chat.postEphemeral',
    });
    sim.postAsUser({ channel: 'C0ELSEWHERE', user: OTHER, text: 'another channel' });

    const stream = openEvents(`${sim.url}/playground/events`);
    try {
      const snapshot = await stream.next<PlaygroundSnapshot>('snapshot');
      expect(snapshot.messages.map((m) => m.text)).toEqual(['before the page opened', 'mine']);
      expect(snapshot.me).toEqual({ id: USER, name: 'pat.player' });
      expect(snapshot.channel).toEqual({ id: CHANNEL, name: 'incident-test' });
      expect(snapshot.command).toBe('/bulkjob');
      expect(snapshot.usageHint).toBe('<job id> · help');
      expect(snapshot.suggestions).toEqual([{ label: 'help', command: '/bulkjob help' }]);
      expect(snapshot.users[OTHER]).toBe(sim.state.user(OTHER).name);

      sim.state.add({
        channel: CHANNEL,
        user: 'UBOT',
        botId: 'B1',
        text: 'not for you',
        blocks: [],
        ephemeralTo: OTHER,
        source: 'chat.postEphemeral',
      });
      const posted = sim.postAsUser({ channel: CHANNEL, user: OTHER, text: 'hi <@U0PLAYER>' });
      const change = await stream.next<PlaygroundChange>('change', (c) => c.message.ts === posted.ts);
      expect(change.kind).toBe('message_added');
      expect(change.users[USER]).toBe('pat.player');
      expect(stream.events.some((e) => JSON.stringify(e.data).includes('not for you'))).toBe(false);

      sim.deleteMessage(CHANNEL, posted.ts);
      const deleted = await stream.next<PlaygroundChange>('change', (c) => c.kind === 'message_deleted');
      expect(deleted.message.ts).toBe(posted.ts);
    } finally {
      await stream.close();
    }
  });

  it('sends a typed command to the bot, signed, as the demo user, and streams the answer', async () => {
    const stream = openEvents(`${sim.url}/playground/events`);
    try {
      await stream.next('snapshot');
      const res = await postJson(`${sim.url}/playground/command`, { text: 'help me' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, status: 200, timedOut: false });
      expect(commands).toEqual([{ user: USER, channel: CHANNEL, text: 'help me' }]);
      const change = await stream.next<PlaygroundChange>('change', (c) => c.message.text === 'you said help me');
      expect(change.message.ephemeralTo).toBe(USER);
      expect(change.message.blocks[0]).toMatchObject({ type: 'section' });
    } finally {
      await stream.close();
    }
  });

  it('clicks a button of a visible message and streams what the bot did', async () => {
    const stream = openEvents(`${sim.url}/playground/events`);
    try {
      await stream.next('snapshot');
      await postJson(`${sim.url}/playground/command`, { text: 'x' });
      const view = await stream.next<PlaygroundChange>('change', (c) => c.message.text === 'you said x');
      const res = await postJson(`${sim.url}/playground/click`, { messageRef: view.message.id, actionId: 'go' });
      expect(await res.json()).toMatchObject({ ok: true, status: 200 });
      expect(clicks).toEqual([{ user: USER, action: 'go', value: 'v1' }]);
      const posted = await stream.next<PlaygroundChange>('change', (c) => c.message.text.endsWith('clicked'));
      expect(posted.message.ephemeralTo).toBeUndefined();
      expect(posted.users[USER]).toBe('pat.player');

      // A tampered value goes through as Slack would send it: the bot must treat it as user input.
      await postJson(`${sim.url}/playground/click`, { messageRef: view.message.ts, actionId: 'go', value: 'forged' });
      expect(clicks.at(-1)).toEqual({ user: USER, action: 'go', value: 'forged' });
    } finally {
      await stream.close();
    }
  });

  it('refuses what a page could not send', async () => {
    const command = `${sim.url}/playground/command`;
    const click = `${sim.url}/playground/click`;
    const form = await fetch(command, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(form.status).toBe(415);
    expect((await postJson(command, { text: 'x' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await postJson(command, { text: 42 })).status).toBe(400);
    expect((await postJson(command, { text: 'x'.repeat(4001) })).status).toBe(400);
    const notJson = await fetch(command, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect((await postJson(click, { actionId: 'go' })).status).toBe(400);
    expect((await postJson(click, { messageRef: `${CHANNEL}/1.000001`, actionId: 'go' })).status).toBe(404);

    const theirs = sim.state.add({
      channel: CHANNEL,
      user: 'UBOT',
      botId: 'B1',
      text: 'theirs',
      blocks: [],
      ephemeralTo: OTHER,
      source: 'chat.postEphemeral',
    });
    expect((await postJson(click, { messageRef: theirs.id, actionId: 'go' })).status).toBe(404);
    const plain = sim.postAsUser({ channel: CHANNEL, user: OTHER, text: 'no buttons' });
    const noButton = await postJson(click, { messageRef: plain.id, actionId: 'go' });
    expect(noButton.status).toBe(400);
    expect(await noButton.json()).toMatchObject({ ok: false, error: expect.stringContaining('no button') });
    expect(commands).toEqual([]);
    expect(clicks).toEqual([]);
  });

  it("opens the demo user's Home tab, streams what the bot publishes, and clicks its buttons", async () => {
    const stream = openEvents(`${sim.url}/playground/events`);
    try {
      const snapshot = await stream.next<PlaygroundSnapshot>('snapshot');
      expect(snapshot.home).toBeNull();
      // No Home yet: a click has nothing to press.
      expect((await postJson(`${sim.url}/playground/home/click`, { actionId: 'home_go' })).status).toBe(400);

      const res = await postJson(`${sim.url}/playground/home/open`, {});
      expect(await res.json()).toMatchObject({ ok: true, status: 200 });
      expect(opened).toEqual([USER]);
      const home = await stream.next<PlaygroundHome>('home');
      expect(JSON.stringify(home.blocks)).toContain(`Home of <@${USER}>`);
      expect(home.users[USER]).toBe('pat.player');

      const click = await postJson(`${sim.url}/playground/home/click`, { actionId: 'home_go' });
      expect(await click.json()).toMatchObject({ ok: true, status: 200 });
      expect(clicks).toEqual([{ user: USER, action: 'home_go', value: undefined }]);
      await stream.next<PlaygroundHome>('home', (h) => JSON.stringify(h.blocks).includes('clicked on Home'));
      expect((await postJson(`${sim.url}/playground/home/click`, { actionId: 'nope' })).status).toBe(400);
      expect((await postJson(`${sim.url}/playground/home/click`, {})).status).toBe(400);

      // Another user's Home is not this page's, and a page opened later starts from the last Home.
      await sim.openHome({ userId: OTHER });
      const later = openEvents(`${sim.url}/playground/events`);
      try {
        const again = await later.next<PlaygroundSnapshot>('snapshot');
        expect(JSON.stringify(again.home?.blocks)).toContain('clicked on Home');
      } finally {
        await later.close();
      }
      expect(stream.events.filter((e) => e.event === 'home')).toHaveLength(2);
    } finally {
      await stream.close();
    }
  });

  it('reports a bot that does not answer', async () => {
    sim.botUrl = 'http://127.0.0.1:9/slack/events';
    const res = await postJson(`${sim.url}/playground/command`, { text: 'x' });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ ok: false });
  });
});

describe('readUsageHint', () => {
  it("is manifest.yml's slash command usage_hint", async () => {
    const manifest = await readFile(new URL('../../manifest.yml', import.meta.url), 'utf8');
    const hint = await readUsageHint();
    expect(manifest).toContain(`usage_hint: "${hint}"`);
    expect(hint).toContain('<job id>');
  });

  it('falls back when there is no manifest (a built image ships none)', async () => {
    expect(await readUsageHint(new URL('file:///nonexistent/manifest.yml'))).toBe(FALLBACK_USAGE_HINT);
  });
});

describe('runDemo', () => {
  let demo: DemoHandle | undefined;
  let blocker: Server | undefined;

  afterEach(async () => {
    await demo?.stop();
    demo = undefined;
    blocker?.close();
    blocker = undefined;
  });

  it('always has something live: when the live job ends, the next one starts and the chip follows it', async () => {
    const lines: string[] = [];
    let clock = Date.now();
    demo = await runDemo({
      port: 0,
      log: (line) => lines.push(line),
      logLevel: 'silent',
      handleSignals: false,
      cloudflareNow: () => clock,
      liveCheckMs: 20,
    });
    const first = demo.jobs.live.id;
    expect(demo.cloudflare.jobSnapshot(first)?.status).not.toBe('COMPLETED');
    clock += 10 * 60_000;
    await expect.poll(() => demo!.jobs.live.id, { timeout: 2_000 }).not.toBe(first);
    const next = demo.jobs.live;
    expect(demo.cloudflare.jobSnapshot(first)?.status).toBe('COMPLETED');
    expect(['PENDING', 'DISCOVERING', 'PROCESSING']).toContain(demo.cloudflare.jobSnapshot(next.id)?.status);
    expect(lines.at(-1)).toBe(`The live job ended; a new one is running: /bulkjob watch ${next.id}`);
    const page = await fetch(`${demo.url}playground/events`);
    const reader = page.body!.getReader();
    let stream = '';
    while (!stream.includes('event: snapshot')) stream += new TextDecoder().decode((await reader.read()).value);
    while (!stream.includes('\n\n', stream.indexOf('event: snapshot'))) {
      stream += new TextDecoder().decode((await reader.read()).value);
    }
    await reader.cancel();
    expect(stream).toContain(`/bulkjob watch ${next.id}`);
  });

  it('seeds realistic jobs, prints the URL and the commands to try, and answers through the real bot', async () => {
    const lines: string[] = [];
    demo = await runDemo({ port: 0, log: (line) => lines.push(line), logLevel: 'silent', handleSignals: false });
    const { jobs, cloudflare } = demo;
    const status = (id: string) => cloudflare.jobSnapshot(id) as Record<string, number | string>;
    expect(status(jobs.small.id)).toMatchObject({ status: 'COMPLETED', total_messages_discovered: 40 });
    expect(status(jobs.large.id)).toMatchObject({ status: 'COMPLETED', total_messages_discovered: 25_000 });
    const failures = status(jobs.failures.id);
    expect(Number(failures.messages_failed) / Number(failures.total_messages_discovered)).toBeGreaterThan(0.25);
    expect(['PENDING', 'DISCOVERING', 'PROCESSING']).toContain(status(jobs.live.id).status);
    expect(status(jobs.pending.id).status).toBe('PENDING');

    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const banner = lines.join('\n');
    expect(banner).toContain(demo.url);
    for (const job of Object.values(jobs)) expect(banner).toContain(job.command);
    // Each label says what the view will: a job with failures is not labelled a clean completion.
    expect(banner).toMatch(
      new RegExp(
        `${jobs.small.command} +# completed with ${status(jobs.small.id).messages_failed} failures · 40 messages`,
      ),
    );
    expect(banner).toMatch(/Home tab/);
    expect(banner).toContain(`/bulkjob export ${jobs.failures.id} failed`);
    expect(jobs.small.command).toBe(`/bulkjob ${jobs.small.id}`);
    expect(jobs.live.command).toBe(`/bulkjob watch ${jobs.live.id}`);

    const res = await postJson(`${demo.url}playground/command`, { text: jobs.small.id });
    expect(await res.json()).toMatchObject({ ok: true });
    const view = await demo.slack.waitFor((sim) =>
      sim.ephemeralFor(DEMO_USER.id, DEMO_CHANNEL.id).find((m) => m.text.includes(jobs.small.id)),
    );
    expect(view.text).toContain('COMPLETED');
    expect(demo.slack.limitViolations).toEqual([]);
  });

  it('falls back to a free port when PORT is taken, and stop() removes everything', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    const lines: string[] = [];
    demo = await runDemo({
      env: { PORT: String(taken) },
      log: (line) => lines.push(line),
      logLevel: 'silent',
      handleSignals: false,
    });
    expect(demo.url).not.toContain(`:${taken}/`);
    expect(lines.join('\n')).toContain(`Port ${taken} is busy`);
    expect(existsSync(demo.dataDir)).toBe(true);

    const { url, dataDir } = demo;
    await demo.stop();
    await demo.stop();
    demo = undefined;
    expect(existsSync(dataDir)).toBe(false);
    await expect(fetch(url)).rejects.toThrow();
  });
});
