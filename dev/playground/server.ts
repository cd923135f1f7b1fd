/**
 * The playground: a Slack-like page served by the Slack simulator, so anyone can drive the bot from a
 * browser without Slack. It is a view of the simulator and nothing more: the page renders what the bot
 * sent (the simulator's state, pushed live over server-sent events), and typing a command or clicking a
 * button goes through `sim.sendCommand` / `sim.click`, which sign and deliver it exactly as Slack does.
 *
 * Routes (all on the simulator's own server, loopback only):
 * - `GET /` the page; `GET /playground/<file>` its static files (from `dev/playground/static/`)
 * - `GET /playground/events` SSE: `snapshot` first (channel, users, visible messages), then `change`
 * - `POST /playground/command` `{text}`: the text after `/bulkjob`, as the demo user in the demo channel
 * - `POST /playground/click` `{messageRef, actionId, value?, blockId?}`: a button click as the demo user
 * - `POST /playground/home/open` `{}`: the demo user opens the app's Home tab (`app_home_opened`)
 * - `POST /playground/home/click` `{actionId}`: a button click on the demo user's Home tab
 * - `GET /playground/files/<id>`: a file the bot sent the demo user's DM (a CSV export), as a download
 *
 * The event stream also carries `home` events: the Home tab the bot published for the demo user.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMAND } from '../../src/slack/ids.js';
import type { ChangeEvent, SimHomeView, SimMessage, SlackSim } from '../sim/slack.js';
import { SimIdentity } from '../sim/slack.js';

/** The `usage_hint` of manifest.yml, used when the manifest cannot be read (a built image ships no manifest). */
export const FALLBACK_USAGE_HINT =
  '<job id> [failed|pending|…] · list [status] · watch <job id> · export <job id> [status] · help';

/** A command line offered on the page (one click fills the composer). */
export interface PlaygroundSuggestion {
  /** What the chip says, e.g. "Completed · 40 messages". */
  label: string;
  /** The full command line, e.g. `/bulkjob 182bd5e5-…`. */
  command: string;
}

export interface PlaygroundOptions {
  /** The person at the keyboard: commands and clicks are theirs, and their ephemeral messages are shown. */
  userId: string;
  /** The channel the page shows. */
  channelId: string;
  /** Default `/bulkjob`. */
  command?: string;
  /** Default: manifest.yml's `usage_hint`, else {@link FALLBACK_USAGE_HINT}. */
  usageHint?: string;
  suggestions?: PlaygroundSuggestion[];
  /** Where the page's files are. Default `dev/playground/static/` in the repository. */
  assetsDir?: URL;
  /** SSE keep-alive comment interval (default 15 s). */
  keepAliveMs?: number;
}

export interface Playground {
  /** The page's URL. */
  url: string;
  /** Ends every open event stream (the simulator's `close()` also drops them). */
  close(): void;
}

/** Initial state sent on every (re)connection of the page. */
export interface PlaygroundSnapshot {
  seq: number;
  me: { id: string; name: string };
  bot: { id: string; name: string };
  channel: { id: string; name: string };
  command: string;
  usageHint: string;
  suggestions: PlaygroundSuggestion[];
  /** Display names for every user id mentioned in `messages` (and the demo user). */
  users: Record<string, string>;
  messages: SimMessage[];
  /** The demo user's Home tab as the bot last published it; null until it has been opened once. */
  home: PlaygroundHome | null;
  /** The demo user's direct messages with the bot: its messages are among `messages`. */
  dm: { id: string };
}

/** The demo user's Home tab, as the page receives it (snapshot and `home` events). */
export interface PlaygroundHome extends SimHomeView {
  users: Record<string, string>;
}

/** One change, as the page receives it: only changes the demo user can see. */
export interface PlaygroundChange extends ChangeEvent {
  users: Record<string, string>;
}

/**
 * The repository root: the nearest folder above this file that holds `manifest.yml`. The same code runs from
 * `dev/` under vitest and from the compiled `dist-dev/dev/`, one level deeper, so no fixed `../..` fits both.
 */
function repositoryRoot(): URL {
  let dir = new URL('./', import.meta.url);
  for (let i = 0; i < 6; i++) {
    if (existsSync(new URL('manifest.yml', dir))) return dir;
    dir = new URL('../', dir);
  }
  throw new Error('playground: manifest.yml not found above dev/playground/');
}
const ROOT = repositoryRoot();
const DEFAULT_ASSETS = new URL('dev/playground/static/', ROOT);
const MANIFEST = new URL('manifest.yml', ROOT);
const MAX_BODY_BYTES = 64 * 1024;
/** Slack caps a slash command's text well below this; anything longer is not typing. */
const MAX_COMMAND_TEXT = 4000;
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(?:html|css|js|svg)$/;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};
/** The page loads nothing from anywhere else, and nothing may frame it. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Reads manifest.yml's slash command `usage_hint`, so the page shows exactly what Slack would. */
export async function readUsageHint(manifest: URL = MANIFEST): Promise<string> {
  try {
    const text = await readFile(manifest, 'utf8');
    const match = /^\s*usage_hint:\s*"((?:[^"\\]|\\.)*)"\s*$/m.exec(text);
    return match?.[1]?.replace(/\\(.)/g, '$1') ?? FALLBACK_USAGE_HINT;
  } catch {
    return FALLBACK_USAGE_HINT;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Only a page served from loopback may drive the bot: the Host must be a loopback name (no DNS rebinding),
 * and a POST must be JSON (so a cross-site form or no-cors fetch cannot send one) from our own origin.
 */
function checkRequest(req: IncomingMessage, post: boolean): void {
  const host = req.headers.host ?? '';
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  if (!LOOPBACK_HOSTS.has(hostname ?? '')) throw new HttpError(403, 'the playground only answers on loopback');
  if (!post) return;
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, 'send JSON (content-type: application/json)');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) throw new HttpError(403, 'cross-origin request refused');
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${key} must be a string`);
  return value;
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined || value === '') throw new HttpError(400, `${key} is required`);
  return value;
}

/** Wraps a route so that any failure becomes a JSON error the page can show. */
function route(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = error instanceof HttpError ? error.status : 502;
      sendJson(res, status, { ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  };
}

/** Registers the playground's routes on the simulator. */
export function attachPlayground(sim: SlackSim, options: PlaygroundOptions): Playground {
  const { userId, channelId } = options;
  const command = options.command ?? COMMAND;
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const usageHint = options.usageHint === undefined ? readUsageHint() : Promise.resolve(options.usageHint);
  const streams = new Set<ServerResponse>();

  /** What the demo user sees in the demo channel: public messages and threads, and their own ephemerals. */
  /** The demo user's direct messages with the bot (where CSV exports arrive). */
  const dmId = `D${userId.slice(1)}`;
  const visible = (message: SimMessage): boolean =>
    (message.channel === channelId || message.channel === dmId) &&
    (message.ephemeralTo === undefined || message.ephemeralTo === userId);

  /** Display names for the demo user and everyone mentioned in `texts`. */
  const namesIn = (texts: string[]): Record<string, string> => {
    const users: Record<string, string> = { [userId]: sim.state.user(userId).name };
    for (const text of texts) {
      for (const match of text.matchAll(MENTION)) {
        const id = match[1]!;
        users[id] ??= sim.state.user(id).name;
      }
    }
    return users;
  };

  const namesFor = (messages: SimMessage[]): Record<string, string> => {
    const users = namesIn(messages.flatMap((message) => [message.text, JSON.stringify(message.blocks)]));
    for (const message of messages) {
      if (message.botId === undefined) users[message.user] ??= sim.state.user(message.user).name;
    }
    return users;
  };

  const homeFor = (view: SimHomeView | undefined): PlaygroundHome | null =>
    view ? { ...view, users: namesIn([JSON.stringify(view.blocks)]) } : null;

  const serveAsset = async (res: ServerResponse, name: string): Promise<void> => {
    if (!ASSET_NAME.test(name)) throw new HttpError(404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(new URL(name, assetsDir));
    } catch {
      throw new HttpError(
        name === 'index.html' ? 500 : 404,
        `playground file ${name} not found in ${fileURLToPath(assetsDir)}`,
      );
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      ...SECURITY_HEADERS,
    });
    res.end(body);
  };

  sim.addRoute(
    'GET',
    '/',
    route(async (req, res) => {
      checkRequest(req, false);
      await serveAsset(res, 'index.html');
    }),
  );

  const events = route(async (req, res) => {
    checkRequest(req, false);
    const hint = await usageHint;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // Snapshot and subscription in one synchronous step: no change can fall between them.
    const snapshot = sim.snapshot();
    const messages = snapshot.messages.filter((m) => !m.deleted && visible(m));
    const channel = sim.state.channel(channelId);
    const body: PlaygroundSnapshot = {
      seq: snapshot.seq,
      me: { id: userId, name: sim.state.user(userId).name },
      bot: { id: SimIdentity.botUserId, name: 'bulkjob' },
      channel: { id: channelId, name: channel.name },
      command,
      usageHint: hint,
      suggestions: options.suggestions ?? [],
      users: namesFor(messages),
      messages,
      home: homeFor(sim.homeView(userId)),
      dm: { id: dmId },
    };
    const onChange = (change: ChangeEvent): void => {
      if (!visible(change.message)) return;
      const out: PlaygroundChange = { ...change, users: namesFor([change.message]) };
      send('change', out);
    };
    // A retry hint for EventSource: reconnect quickly after a restart of the demo.
    const onHome = (event: { userId: string; view: SimHomeView }): void => {
      if (event.userId === userId) send('home', homeFor(event.view));
    };
    res.write('retry: 1000\n\n');
    send('snapshot', body);
    sim.events.on('change', onChange);
    sim.events.on('home', onHome);
    streams.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
    keepAlive.unref();
    res.on('close', () => {
      clearInterval(keepAlive);
      sim.events.off('change', onChange);
      sim.events.off('home', onHome);
      streams.delete(res);
    });
  });
  sim.addRoute('GET', '/playground/events', events);

  sim.addRoute(
    'POST',
    '/playground/command',
    route(async (req, res) => {
      checkRequest(req, true);
      const body = await readJson(req);
      const text = optionalString(body, 'text') ?? '';
      if (text.length > MAX_COMMAND_TEXT)
        throw new HttpError(400, `text is longer than ${MAX_COMMAND_TEXT} characters`);
      const result = await sim.sendCommand({ userId, channelId, text, command });
      sendJson(res, 200, { ok: result.status === 200 && !result.timedOut, ...delivery(result) });
    }),
  );

  sim.addRoute(
    'POST',
    '/playground/click',
    route(async (req, res) => {
      checkRequest(req, true);
      const body = await readJson(req);
      const messageRef = requiredString(body, 'messageRef');
      const actionId = requiredString(body, 'actionId');
      const value = optionalString(body, 'value');
      const blockId = optionalString(body, 'blockId');
      const message = messageRef.includes('/')
        ? sim.findMessage((m) => m.id === messageRef)
        : sim.findMessage((m) => m.ts === messageRef && m.channel === channelId);
      if (!message || message.deleted || !visible(message)) throw new HttpError(404, 'no such message on this page');
      let result: Awaited<ReturnType<SlackSim['click']>>;
      try {
        result = await sim.click({
          userId,
          message: message.id,
          actionId,
          ...(value === undefined ? {} : { value }),
          ...(blockId === undefined ? {} : { blockId }),
        });
      } catch (error) {
        // The simulator refuses clicks Slack could not send (no such button): the page's fault, not the bot's.
        if (error instanceof Error && error.message.startsWith('no button')) throw new HttpError(400, error.message);
        throw error;
      }
      sendJson(res, 200, { ok: result.status === 200 && !result.timedOut, ...delivery(result) });
    }),
  );

  sim.addRoute(
    'POST',
    '/playground/home/open',
    route(async (req, res) => {
      checkRequest(req, true);
      await readJson(req);
      const result = await sim.openHome({ userId });
      sendJson(res, 200, { ok: result.status === 200 && !result.timedOut, ...delivery(result) });
    }),
  );

  sim.addRoute(
    'POST',
    '/playground/home/click',
    route(async (req, res) => {
      checkRequest(req, true);
      const actionId = requiredString(await readJson(req), 'actionId');
      let result: Awaited<ReturnType<SlackSim['clickHome']>>;
      try {
        result = await sim.clickHome({ userId, actionId });
      } catch (error) {
        // No Home tab yet, or no such button on it: the page's fault, not the bot's.
        if (error instanceof Error && /no button|no Home tab/.test(error.message)) {
          throw new HttpError(400, error.message);
        }
        throw error;
      }
      sendJson(res, 200, { ok: result.status === 200 && !result.timedOut, ...delivery(result) });
    }),
  );

  // A file the bot sent the demo user (a CSV export), as a download.
  sim.addPrefixRoute(
    'GET',
    '/playground/files/',
    route(async (req, res) => {
      checkRequest(req, false);
      const id = new URL(req.url ?? '/', sim.url).pathname.slice('/playground/files/'.length);
      const file = sim.files().find((f) => f.id === id && f.channel === dmId);
      if (!file) throw new HttpError(404, 'no such file');
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${file.filename.replace(/[^\w.-]/g, '_')}"`,
        ...SECURITY_HEADERS,
      });
      res.end(file.content);
    }),
  );

  const handler = route(async (req, res) => {
    checkRequest(req, false);
    const url = new URL(req.url ?? '/', sim.url);
    await serveAsset(res, url.pathname.slice('/playground/'.length));
  });
  for (const name of ['playground.css', 'app.js', 'render.js', 'mrkdwn.js', 'emoji.js', 'favicon.svg']) {
    sim.addRoute('GET', `/playground/${name}`, handler);
  }

  return {
    url: `${sim.url}/`,
    close() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

/** What the page is told about a delivery: Slack shows the user an error when the bot fails to answer. */
function delivery(result: { status: number; ackMs: number; timedOut: boolean }): Record<string, unknown> {
  return {
    status: result.status,
    ackMs: Math.round(result.ackMs),
    timedOut: result.timedOut,
    ...(result.timedOut ? { error: 'operation_timeout' } : result.status === 200 ? {} : { error: 'dispatch_failed' }),
  };
}
