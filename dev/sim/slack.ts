/**
 * A Slack stand-in: a real HTTP server on loopback serving the Web API (`/api/<method>`) and `response_url`s
 * (`/response/<id>`), holding what each user and channel sees (`SlackState`), and driving the bot the way
 * Slack does: signed slash commands and button clicks POSTed to the bot's events URL, or, in Socket Mode, the
 * same payloads as envelopes over a WebSocket (`slack-socket.ts`, loaded only when the simulator is given an
 * app token). Used by the integration tests, the benchmarks and the offline demo.
 *
 * Fidelity notes, where Slack's behaviour is not fully documented and the simulator picks one:
 * - A command's `response_url` has no clicked message, so `replace_original` / `delete_original` act on the
 *   last message posted through that same URL (or the ack body's message); with none yet it posts anew.
 * - `replace_original` keeps the original's visibility: an ephemeral message stays ephemeral to its user.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, fetch as undiciFetch } from 'undici';
import { checkMessageLimits } from './slack-limits.js';
import {
  buildBlockActionsPayload,
  buildCommandBody,
  findButton,
  SimIdentity,
  signSlackRequest,
  wireMessage,
} from './slack-payloads.js';
import type {
  EnvelopeType,
  SocketConnection,
  SocketDropMode,
  SocketEnvelope,
  SocketModeServer,
} from './slack-socket.js';
import { SlackState } from './slack-state.js';
import type {
  ChannelFault,
  LimitViolation,
  MessageSource,
  SimBlock,
  SimCall,
  SimChannel,
  SimHomeView,
  SimMessage,
  SimMetadata,
  SimUser,
  SlackOutage,
  SlackSnapshot,
} from './slack-types.js';

export { SimIdentity, signSlackRequest } from './slack-payloads.js';
// Types only: a value export would load `ws` with this module.
export type { EnvelopeType, SocketConnection, SocketDropMode, SocketEnvelope } from './slack-socket.js';
export type * from './slack-types.js';

/** How the driver reaches the bot: HTTP POSTs to `botUrl`, or envelopes over the Socket Mode WebSocket. */
export type Transport = 'http' | 'socket';

export interface SlackSimOptions {
  signingSecret: string;
  /** The only token the Web API accepts (`xoxb-…`). */
  botToken: string;
  /**
   * The app-level token (`xapp-…`): enables Socket Mode. `apps.connections.open` accepts this token only, and
   * no other method accepts it. Without it the WebSocket code (and `ws`) is never loaded.
   */
  appToken?: string;
  /**
   * How `sendCommand` and `click` reach the bot unless a call says otherwise. Default `http`; `socket` needs
   * `appToken`.
   */
  transport?: Transport;
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** The bot's events URL, if already known; else set `sim.botUrl` once the bot listens. */
  botUrl?: string;
  /** Clock in ms (message ts, request timestamps, response_url expiry). Default `Date.now`. */
  now?: () => number;
  /** Random ids (response_url ids, trigger ids). Default `crypto.randomUUID`. */
  randomId?: () => string;
  /**
   * Also reject (`invalid_blocks`) any message breaking a per-block limit, as real Slack does. Default false:
   * such breaches are only recorded in `limitViolations`.
   */
  rejectInvalidBlocks?: boolean;
  /**
   * How long Slack waits for the bot's ack before it gives up (`timedOut`). Default 3000, as Slack; tests
   * of the give-up itself shorten it.
   */
  ackDeadlineMs?: number;
  /**
   * The bot token's scopes. Default: the manifest's, history included. Without `channels:history` (public
   * channels) or `groups:history` (private ones), conversations.history and conversations.replies answer
   * `missing_scope`, as Slack does.
   */
  scopes?: readonly string[];
  /**
   * Keep the bytes of uploaded files (default true). The benchmark turns it off, so that the simulator's
   * own copy of a 25 MB export does not count as the bot's memory; `files()` then has empty contents.
   */
  retainUploads?: boolean;
}

/** The scopes manifest.yml asks for. */
export const MANIFEST_SCOPES: readonly string[] = [
  'commands',
  'chat:write',
  'chat:write.public',
  'channels:history',
  'groups:history',
  'files:write',
  'im:write',
];

/** A file the bot uploaded (files.getUploadURLExternal → upload → files.completeUploadExternal). */
export interface SimFile {
  id: string;
  filename: string;
  title: string | undefined;
  /** The bytes as uploaded. */
  content: Buffer;
  /** Where it was shared, once completed. */
  channel: string | undefined;
  /** The message that shares it. */
  ts: string | undefined;
}

/** A handler for an extra route (`addRoute`). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** How the driver signs a request: correctly, or wrongly in one of the ways the bot must reject. */
export type Signing = 'valid' | 'bad' | 'stale' | 'missing';

export interface SendCommandInput {
  userId: string;
  channelId: string;
  text?: string;
  /** Default `/bulkjob`. */
  command?: string;
  /** HTTP only: a socket envelope carries no signature. */
  signing?: Signing;
  /** Default: the simulator's `transport`. */
  transport?: Transport;
  /**
   * Deliver the same request this many times at once (default 1), as Slack does when it retries an unacked
   * envelope on another connection: the same trigger_id and response_url, each delivery to the next bot.
   */
  deliveries?: number;
}

export interface ClickInput {
  userId: string;
  /** Default: the message's channel. */
  channelId?: string;
  /** The message clicked: the object, its ts, or its id (`channel/ts`). */
  message: SimMessage | string;
  actionId: string;
  /** Override the button's value (a tampered or hand-made payload). */
  value?: string;
  /** Override the button's block_id. */
  blockId?: string;
  /** HTTP only: a socket envelope carries no signature. */
  signing?: Signing;
  /** Default: the simulator's `transport`. */
  transport?: Transport;
  /** Deliver the same click this many times at once (see `SendCommandInput.deliveries`). */
  deliveries?: number;
}

/** What the bot answered to a command or click. */
export interface DeliveryResult {
  /** The HTTP status; over the socket 200 once acked, 0 when no ack came within the deadline (3 s). */
  status: number;
  /** The response body; over the socket the ack's `payload` as JSON (empty when it has none). */
  body: string;
  /** Milliseconds until the bot answered (real time, not the injected clock). */
  ackMs: number;
  /**
   * Slack gives up after 3 s (`ackDeadlineMs`) and shows the user an error. Over HTTP the simulator still waits for the answer;
   * over the socket it stops waiting.
   */
  timedOut: boolean;
  /** The fresh response_url sent with the request. */
  responseUrl: string;
  triggerId: string;
}

export interface WaitForOptions {
  /** Default 5000. */
  timeoutMs?: number;
}

interface ApiReply {
  status?: number;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
}

interface ResponseUrlRecord {
  id: string;
  kind: 'command' | 'action';
  userId: string;
  channelId: string;
  /** The clicked message, or for a command the last message posted through this URL. */
  originalTs: string | undefined;
  uses: number;
  createdAtMs: number;
}

/** https://docs.slack.dev/interactivity/handling-user-interaction#message_responses */
const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;
/** Slack's: a request not acked within 3 s has failed (the user sees an error). */
const ACK_DEADLINE_MS = 3000;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Form fields the Web API clients send as JSON strings. */
const JSON_FIELDS = ['blocks', 'attachments', 'metadata', 'view', 'files'];
/** Channel faults that only bite when the bot posts; `channel_not_found` and `is_archived` bite on edits too. */
const POSTING_METHODS = new Set(['chat.postMessage', 'chat.postEphemeral']);
/** Methods that take the app-level token (`xapp-…`) and nothing else. */
const APP_TOKEN_METHODS = new Set(['apps.connections.open']);

/**
 * Slack's deliveries to the bot. Connections are kept alive for 1 s only, under Node's 5 s server default:
 * a client that reuses a connection just as the server times it out gets a reset (a harness artefact, not a
 * fault of the bot's), which a burst after a pause of about 5 s would otherwise hit now and then.
 */
const deliveryAgent = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });

type ApiHandler = (args: Record<string, unknown>) => ApiReply;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function bool(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

function fail(error: string, status = 200): ApiReply {
  return { status, body: { ok: false, error } };
}

function blocksOf(value: unknown): SimBlock[] {
  return Array.isArray(value) ? (value as SimBlock[]) : [];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

export class SlackSim {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `${url}/api/`: give it to Bolt as `clientOptions.slackApiUrl`. */
  readonly apiUrl: string;
  readonly state: SlackState;
  /** The bot's events URL (`http://127.0.0.1:<port>/slack/events`); set it once the bot listens. */
  botUrl: string | undefined;
  /**
   * Several replicas behind a load balancer without sticky sessions: when set, each HTTP delivery goes to
   * the next of these URLs in turn (`botUrl` is then unused).
   */
  botUrls: string[] = [];
  #nextBot = 0;
  #deliveryResets = 0;

  /** How many deliveries to the bot met a connection reset and were sent again. */
  get deliveryResets(): number {
    return this.#deliveryResets;
  }
  now: () => number;
  /** How `sendCommand` and `click` reach the bot unless a call says otherwise. */
  transport: Transport;
  /** How long Slack waits for an ack (ms): 3000 unless the simulator was started with another. */
  readonly ackDeadlineMs: number;
  /** The bot token's scopes (tests may change them while running). */
  scopes: Set<string>;

  readonly #server: Server;
  readonly #signingSecret: string;
  readonly #botToken: string;
  readonly #appToken: string | undefined;
  /** Set by `start()` when there is an app token. */
  #socket: SocketModeServer | undefined;
  readonly #randomId: () => string;
  readonly #rejectInvalidBlocks: boolean;
  readonly #routes = new Map<string, RouteHandler>();
  readonly #prefixRoutes: { method: string; prefix: string; handler: RouteHandler }[] = [];
  readonly #responseUrls = new Map<string, ResponseUrlRecord>();
  readonly #channelFaults = new Map<string, ChannelFault>();
  readonly #rateLimits = new Map<string, { remaining: number; retryAfterSeconds: number }>();
  readonly #methodFaults = new Map<string, { remaining: number; error: string }>();
  readonly #outages = new Map<string, { remaining: number; outage: SlackOutage }>();
  #calls: SimCall[] = [];
  #violations: LimitViolation[] = [];
  #callSeq = 0;
  readonly #api: Record<string, ApiHandler> = {
    'apps.connections.open': () => this.#appsConnectionsOpen(),
    'auth.test': () => this.#authTest(),
    'chat.postMessage': (args) => this.#postMessage(args),
    'chat.postEphemeral': (args) => this.#postEphemeral(args),
    'chat.update': (args) => this.#update(args),
    'chat.delete': (args) => this.#delete(args),
    'chat.getPermalink': (args) => this.#getPermalink(args),
    'conversations.info': (args) => this.#conversationsInfo(args),
    'conversations.history': (args) => this.#conversationsHistory(args),
    'conversations.open': (args) => this.#conversationsOpen(args),
    'files.getUploadURLExternal': (args) => this.#getUploadUrl(args),
    'files.completeUploadExternal': (args) => this.#completeUpload(args),
    'conversations.replies': (args) => this.#conversationsReplies(args),
    'users.info': (args) => this.#usersInfo(args),
    'views.publish': (args) => this.#viewsPublish(args),
  };
  /** The Home tab each user sees: the last view the bot published for them. */
  readonly #homeViews = new Map<string, SimHomeView>();
  readonly #files = new Map<string, SimFile & { expectedLength: number; uploaded: boolean }>();
  readonly #retainUploads: boolean;

  private constructor(server: Server, options: SlackSimOptions) {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
    this.apiUrl = `${this.url}/api/`;
    this.#server = server;
    this.#signingSecret = options.signingSecret;
    this.#botToken = options.botToken;
    this.#appToken = options.appToken;
    this.transport = options.transport ?? 'http';
    this.botUrl = options.botUrl;
    this.now = options.now ?? Date.now;
    this.#randomId = options.randomId ?? randomUUID;
    this.#rejectInvalidBlocks = options.rejectInvalidBlocks ?? false;
    this.ackDeadlineMs = options.ackDeadlineMs ?? ACK_DEADLINE_MS;
    this.scopes = new Set(options.scopes ?? MANIFEST_SCOPES);
    this.#retainUploads = options.retainUploads ?? true;
    this.state = new SlackState(() => this.now());
  }

  /** Starts the simulator on loopback (port 0 unless given); with an app token, Socket Mode too. */
  static async start(options: SlackSimOptions): Promise<SlackSim> {
    if (options.transport === 'socket' && options.appToken === undefined) {
      throw new Error('SlackSim: transport "socket" needs an appToken (xapp-…) for apps.connections.open');
    }
    // Loaded here only: `ws` is a dev dependency, and the demo in the production image never gives a token.
    const socketModule = options.appToken === undefined ? undefined : await import('./slack-socket.js');
    let sim: SlackSim | undefined;
    const server = createServer((req, res) => {
      // Requests cannot arrive before listen() resolves, so `sim` is set by then.
      if (!sim) return;
      sim.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendText(res, 500, error instanceof Error ? error.message : String(error));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    sim = new SlackSim(server, options);
    if (socketModule) {
      sim.#socket = new socketModule.SocketModeServer({
        server,
        wsUrl: sim.url.replace(/^http/, 'ws'),
        appId: SimIdentity.appId,
        now: () => sim!.now(),
        randomId: sim.#randomId,
        ackDeadlineMs: sim.ackDeadlineMs,
      });
    }
    return sim;
  }

  async close(): Promise<void> {
    this.state.events.removeAllListeners();
    await this.#socket?.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
    });
  }

  get events(): SlackState['events'] {
    return this.state.events;
  }

  /** Every Web API and response_url request the bot made, in order. */
  get calls(): SimCall[] {
    return structuredClone(this.#calls);
  }

  /** Whether the bot has posted `times` answers on `responseUrl` (a command's or a click's), accepted or not. */
  answered(responseUrl: string, times = 1): boolean {
    return this.#calls.filter((call) => call.url === responseUrl).length >= times;
  }

  /** Calls of one method (`chat.update`, or `response_url`). */
  callsTo(method: string): SimCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Every limit breach in what the bot sent (rejected or not). A healthy run leaves this empty. */
  get limitViolations(): LimitViolation[] {
    return structuredClone(this.#violations);
  }

  /**
   * Extra routes for later (the playground page, an SSE stream of `events`). Exact path match; checked
   * after the built-in routes.
   */
  addRoute(method: string, path: string, handler: RouteHandler): void {
    this.#routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  /** An extra route for every path under `prefix` (checked after the exact routes). */
  addPrefixRoute(method: string, prefix: string, handler: RouteHandler): void {
    this.#prefixRoutes.push({ method: method.toUpperCase(), prefix, handler });
  }

  /**
   * Forgets messages, calls, violations, faults, response_urls and closed Socket Mode connections and their
   * envelopes; keeps the server, routes, botUrl and open connections.
   */
  reset(): void {
    this.state.reset();
    this.#homeViews.clear();
    this.#socket?.resetHistory();
    this.#responseUrls.clear();
    this.#channelFaults.clear();
    this.#rateLimits.clear();
    this.#methodFaults.clear();
    this.#outages.clear();
    this.#files.clear();
    this.#calls = [];
    this.#violations = [];
    this.#callSeq = 0;
  }

  snapshot(): SlackSnapshot {
    return this.state.snapshot();
  }

  // ---- state shortcuts ----

  channelMessages(channel: string): SimMessage[] {
    return this.state.channelMessages(channel);
  }

  threadReplies(channel: string, ts: string, user?: string): SimMessage[] {
    return this.state.threadReplies(channel, ts, user);
  }

  ephemeralFor(user: string, channel: string): SimMessage[] {
    return this.state.ephemeralFor(user, channel);
  }

  visibleTo(user: string, channel: string): SimMessage[] {
    return this.state.visibleTo(user, channel);
  }

  message(channel: string, ts: string): SimMessage | undefined {
    return this.state.message(channel, ts);
  }

  findMessage(predicate: (message: SimMessage) => boolean): SimMessage | undefined {
    return this.state.findMessage(predicate);
  }

  setChannel(channel: Partial<SimChannel> & { id: string }): SimChannel {
    return this.state.setChannel(channel);
  }

  setUser(user: Partial<SimUser> & { id: string }): SimUser {
    return this.state.setUser(user);
  }

  // ---- Socket Mode ----

  /** Every Socket Mode connection the app opened, oldest first (empty without an app token). */
  get socketConnections(): SocketConnection[] {
    return this.#socket?.connections ?? [];
  }

  /** Spread envelopes over every open connection at random, as Slack does with several replicas. */
  set socketSpread(spread: 'newest' | 'random') {
    if (this.#socket) this.#socket.spread = spread;
  }

  /** The Socket Mode connections open now. */
  get openSocketConnections(): SocketConnection[] {
    return this.socketConnections.filter((connection) => connection.closedAtMs === undefined);
  }

  /** Every envelope sent over Socket Mode, with its ack latency and payload. */
  get socketEnvelopes(): SocketEnvelope[] {
    return this.#socket?.envelopes ?? [];
  }

  /**
   * Slack ends the app's open connections: `refresh_requested` (default) asks the app to reconnect
   * (`{type: 'disconnect', reason: 'refresh_requested'}`), `close` closes from Slack's side, `terminate` cuts
   * the connection. Returns how many connections there were.
   */
  dropSocket(mode: SocketDropMode = 'refresh_requested'): number {
    if (!this.#socket) throw new Error('SlackSim: Socket Mode is off (start the simulator with an appToken)');
    return this.#socket.drop(mode);
  }

  // ---- faults and user actions ----

  /** Make the bot's posting calls in `channel` fail with `fault`; `undefined` clears it. */
  setChannelFault(channel: string, fault: ChannelFault | undefined): void {
    if (fault === undefined) this.#channelFaults.delete(channel);
    else this.#channelFaults.set(channel, fault);
  }

  /** The next `calls` calls of `method` get HTTP 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(method: string, options: { calls?: number; retryAfterSeconds?: number } = {}): void {
    this.#rateLimits.set(method, { remaining: options.calls ?? 1, retryAfterSeconds: options.retryAfterSeconds ?? 1 });
  }

  /** The next `calls` calls of `method` answer `{ok:false, error}` (HTTP 200, as Slack does). */
  failNext(method: string, error: string, calls = 1): void {
    this.#methodFaults.set(method, { remaining: calls, error });
  }

  /**
   * The next `calls` requests to `method` (a Web API method, or `response_url` for every response URL) meet
   * `outage`. Each is still recorded in `calls`, with status 0 when the bot got no answer.
   */
  outage(method: string, outage: SlackOutage, calls = 1): void {
    this.#outages.set(method, { remaining: calls, outage });
  }

  /** The outage the next request to `method` meets, counting it. */
  #takeOutage(method: string): SlackOutage | undefined {
    const slot = this.#outages.get(method);
    if (!slot || slot.remaining <= 0) return undefined;
    slot.remaining -= 1;
    return slot.outage;
  }

  /**
   * Applies an outage to one request: answers for Slack when it does nothing (`http-error`, `reset`), else
   * lets `work` run and then answers (after a `hang`) or drops the answer (`lost-reply`).
   */
  async #withOutage(method: string, res: ServerResponse, work: () => Promise<{ send: () => void }>): Promise<void> {
    const outage = this.#takeOutage(method);
    if (outage?.kind === 'http-error') {
      this.#recordOutage(method, outage.status ?? 500);
      sendText(res, outage.status ?? 500, 'Internal Server Error');
      return;
    }
    if (outage?.kind === 'reset') {
      this.#recordOutage(method, 0);
      res.socket?.destroy();
      return;
    }
    if (outage?.kind === 'hang') await new Promise((resolve) => setTimeout(resolve, outage.ms));
    const { send } = await work();
    if (outage?.kind === 'lost-reply') {
      res.socket?.destroy();
      return;
    }
    if (!res.destroyed) send();
  }

  #recordOutage(method: string, status: number): void {
    const call: SimCall = {
      seq: ++this.#callSeq,
      kind: method === 'response_url' ? 'response_url' : 'api',
      method,
      args: {},
      status,
      ok: false,
      error: status === 0 ? 'connection_reset' : `http_${status}`,
      atMs: this.now(),
    };
    this.#calls.push(call);
    this.events.emit('call', structuredClone(call));
  }

  /** A user deletes a message in Slack: later `chat.update` on it gets `message_not_found`. */
  deleteMessage(channel: string, ts: string): SimMessage | undefined {
    return this.state.remove(channel, ts);
  }

  /** A user writes in a channel (or thread): a message the bot did not post and cannot edit. */
  postAsUser(input: { channel: string; user: string; text: string; threadTs?: string }): SimMessage {
    return this.state.add({
      channel: input.channel,
      user: input.user,
      text: input.text,
      blocks: [],
      threadTs: input.threadTs,
      source: 'user',
    });
  }

  /**
   * Resolves with the predicate's first truthy result, re-checking after every change and call (and on a
   * short poll, for predicates that look elsewhere). Rejects after `timeoutMs`.
   */
  waitFor<T>(
    predicate: (sim: SlackSim) => T | undefined | null | false | Promise<T | undefined | null | false>,
    options: WaitForOptions = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        this.events.off('change', check);
        this.events.off('call', check);
      };
      const check = (): void => {
        // Async predicates (a store read) may resolve after another check already settled the wait.
        Promise.resolve()
          .then(() => predicate(this))
          .then(
            (result) => {
              if (result && !settled) {
                cleanup();
                resolve(result);
              }
            },
            (error: unknown) => {
              if (settled) return;
              cleanup();
              reject(error);
            },
          );
      };
      const timer = setTimeout(() => {
        cleanup();
        const recent = this.#calls
          .slice(-5)
          .map((c) => `${c.method}→${c.ok ? 'ok' : c.error}`)
          .join(', ');
        reject(new Error(`waitFor timed out after ${timeoutMs} ms (last calls: ${recent || 'none'})`));
      }, timeoutMs);
      const poll = setInterval(check, 50);
      this.events.on('change', check);
      this.events.on('call', check);
      check();
    });
  }

  // ---- driver: Slack → bot ----

  /** Sends a slash command to the bot exactly as Slack does, with a fresh response_url. */
  async sendCommand(input: SendCommandInput): Promise<DeliveryResult> {
    const responseUrl = this.#createResponseUrl('command', input.userId, input.channelId, undefined);
    const triggerId = this.#triggerId();
    const body = buildCommandBody({
      userId: input.userId,
      userName: this.state.user(input.userId).name,
      channelId: input.channelId,
      channelName: this.state.channel(input.channelId).name,
      command: input.command ?? '/bulkjob',
      text: input.text ?? '',
      responseUrl: responseUrl.url,
      triggerId,
    });
    const result = await this.#deliverTimes(input.deliveries, () =>
      (input.transport ?? this.transport) === 'socket'
        ? // Over the socket the payload is the same fields as an object; Slack shows the ack's payload.
          this.#deliverOverSocket('slash_commands', Object.fromEntries(new URLSearchParams(body)), input.signing)
        : this.#deliver(body, input.signing ?? 'valid'),
    );
    if (result.status === 200) this.#postAckBody(result.body, responseUrl.record);
    return { ...result, responseUrl: responseUrl.url, triggerId };
  }

  /** The Home tab the bot last published for `userId`, if any. */
  homeView(userId: string): SimHomeView | undefined {
    const view = this.#homeViews.get(userId);
    return view && structuredClone(view);
  }

  /**
   * The user opens the app's Home tab: an `app_home_opened` event, over HTTP as a signed JSON Events API
   * request or over the socket as an `events_api` envelope, exactly as Slack sends it.
   */
  async openHome(input: { userId: string; transport?: Transport; signing?: Signing }): Promise<DeliveryResult> {
    const eventTs = this.state.nextTs();
    const payload = {
      token: SimIdentity.verificationToken,
      team_id: SimIdentity.teamId,
      api_app_id: SimIdentity.appId,
      event: {
        type: 'app_home_opened',
        user: input.userId,
        channel: `D${input.userId.slice(1)}`,
        tab: 'home',
        event_ts: eventTs,
      },
      type: 'event_callback',
      event_id: `Ev${this.#randomId()}`,
      event_time: Math.floor(this.now() / 1000),
    };
    const result =
      (input.transport ?? this.transport) === 'socket'
        ? await this.#deliverOverSocket('events_api', payload, input.signing)
        : await this.#deliver(JSON.stringify(payload), input.signing ?? 'valid', 'application/json');
    return { ...result, responseUrl: '', triggerId: '' };
  }

  /** Clicks a button on `userId`'s Home tab: `block_actions` from a `view` container, with no response_url. */
  async clickHome(input: { userId: string; actionId: string; transport?: Transport }): Promise<DeliveryResult> {
    const view = this.#homeViews.get(input.userId);
    if (!view) throw new Error(`${input.userId} has no Home tab published`);
    const found = findButton(view.blocks, input.actionId);
    if (!found) throw new Error(`no button with action_id ${input.actionId} on ${input.userId}'s Home tab`);
    const triggerId = this.#triggerId();
    const payload = {
      type: 'block_actions',
      user: { id: input.userId, username: this.state.user(input.userId).name, team_id: SimIdentity.teamId },
      api_app_id: SimIdentity.appId,
      token: SimIdentity.verificationToken,
      container: { type: 'view', view_id: `V${input.userId}` },
      trigger_id: triggerId,
      team: { id: SimIdentity.teamId, domain: SimIdentity.teamDomain },
      view: { id: `V${input.userId}`, type: 'home', blocks: view.blocks },
      actions: [
        {
          type: 'button',
          action_id: found.actionId,
          block_id: found.blockId,
          text: { type: 'plain_text', text: found.text, emoji: true },
          ...(found.value !== undefined ? { value: found.value } : {}),
          action_ts: this.state.nextTs(),
        },
      ],
    };
    const result =
      (input.transport ?? this.transport) === 'socket'
        ? await this.#deliverOverSocket('interactive', payload, undefined)
        : await this.#deliver(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'valid');
    return { ...result, responseUrl: '', triggerId };
  }

  /** Clicks a button of a message as `userId`, sending a `block_actions` payload exactly as Slack does. */
  async click(input: ClickInput): Promise<DeliveryResult> {
    const message = this.#resolveMessage(input.message, input.channelId);
    if (message.deleted) throw new Error(`message ${message.id} is deleted: nobody can click it`);
    if (message.ephemeralTo !== undefined && message.ephemeralTo !== input.userId) {
      throw new Error(`message ${message.id} is ephemeral to ${message.ephemeralTo}; ${input.userId} cannot see it`);
    }
    const found = findButton(message.blocks, input.actionId);
    if (!found) throw new Error(`no button with action_id ${input.actionId} in message ${message.id}`);
    const button = {
      ...found,
      ...(input.value !== undefined ? { value: input.value } : {}),
      ...(input.blockId !== undefined ? { blockId: input.blockId } : {}),
    };
    const channelId = input.channelId ?? message.channel;
    const responseUrl = this.#createResponseUrl('action', input.userId, channelId, message.ts);
    const triggerId = this.#triggerId();
    const payload = buildBlockActionsPayload({
      user: { id: input.userId, name: this.state.user(input.userId).name },
      channel: { id: channelId, name: this.state.channel(channelId).name },
      message,
      button,
      responseUrl: responseUrl.url,
      triggerId,
      actionTs: this.state.nextTs(),
    });
    const result = await this.#deliverTimes(input.deliveries, () =>
      (input.transport ?? this.transport) === 'socket'
        ? this.#deliverOverSocket('interactive', payload, input.signing)
        : this.#deliver(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), input.signing ?? 'valid'),
    );
    return { ...result, responseUrl: responseUrl.url, triggerId };
  }

  #resolveMessage(ref: SimMessage | string, channelId: string | undefined): SimMessage {
    let found: SimMessage | undefined;
    if (typeof ref !== 'string') found = this.state.message(ref.channel, ref.ts);
    else if (ref.includes('/')) found = this.state.findMessage((m) => m.id === ref);
    else found = this.state.findMessage((m) => m.ts === ref && (channelId === undefined || m.channel === channelId));
    if (!found) throw new Error(`no message ${typeof ref === 'string' ? ref : ref.id} in the simulator`);
    return found;
  }

  #triggerId(): string {
    return `${Math.floor(this.now() / 1000)}.${this.#randomId()}`;
  }

  /** One request delivered `times` times at once; the first delivery's result. */
  async #deliverTimes<T>(times: number | undefined, deliver: () => Promise<T>): Promise<T> {
    const results = await Promise.all(Array.from({ length: Math.max(1, times ?? 1) }, deliver));
    return results[0]!;
  }

  #targetUrl(): string {
    if (this.botUrls.length > 0) return this.botUrls[this.#nextBot++ % this.botUrls.length]!;
    if (this.botUrl === undefined) throw new Error('SlackSim.botUrl is not set: where should Slack send this?');
    return this.botUrl;
  }

  async #deliver(
    body: string,
    signing: Signing,
    contentType = 'application/x-www-form-urlencoded',
  ): Promise<Omit<DeliveryResult, 'responseUrl' | 'triggerId'>> {
    const url = this.#targetUrl();
    const nowSeconds = Math.floor(this.now() / 1000);
    // Stale: correctly signed, but six minutes old, so only the timestamp check can catch it.
    const timestamp = signing === 'stale' ? nowSeconds - 6 * 60 : nowSeconds;
    const secret = signing === 'bad' ? `${this.#signingSecret}-wrong` : this.#signingSecret;
    const headers: Record<string, string> = {
      'content-type': contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-request-timestamp': String(timestamp),
    };
    if (signing !== 'missing') headers['x-slack-signature'] = signSlackRequest(secret, timestamp, body);
    const started = performance.now();
    const send = () =>
      undiciFetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(30_000),
        dispatcher: deliveryAgent,
      });
    // A connection reset before any answer is retried once, as Slack's delivery does: on a loaded test machine
    // loopback connections are now and then reset under the bot. The bot drops a second delivery of a request
    // it already took (by its trigger_id), so a retry never doubles the work.
    const response = await send().catch((error: unknown) => {
      if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
      this.#deliveryResets++;
      return send();
    });
    const text = await response.text();
    const ackMs = performance.now() - started;
    return { status: response.status, body: text, ackMs, timedOut: ackMs > this.ackDeadlineMs };
  }

  /**
   * One envelope over the socket, as Slack sends it: only slash commands accept a response payload.
   * https://docs.slack.dev/apis/events-api/using-socket-mode#acknowledge
   */
  async #deliverOverSocket(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    signing: Signing | undefined,
  ): Promise<Omit<DeliveryResult, 'responseUrl' | 'triggerId'>> {
    if (!this.#socket) throw new Error('SlackSim: Socket Mode is off (start the simulator with an appToken)');
    if (signing !== undefined && signing !== 'valid') {
      throw new Error(`SlackSim: signing "${signing}" means nothing over Socket Mode, which carries no signature`);
    }
    const ack = await this.#socket.deliver(type, payload, type === 'slash_commands');
    if (!ack.acked) return { status: 0, body: '', ackMs: ack.ackMs, timedOut: true };
    const hasPayload = ack.payload !== undefined && Object.keys(ack.payload).length > 0;
    return { status: 200, body: hasPayload ? JSON.stringify(ack.payload) : '', ackMs: ack.ackMs, timedOut: false };
  }

  /** Slack shows a command's ack body (text, or JSON with text/blocks) as the first response. */
  #postAckBody(body: string, record: ResponseUrlRecord): void {
    if (body.trim() === '') return;
    let parsed: Record<string, unknown>;
    try {
      const json: unknown = JSON.parse(body);
      parsed = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : { text: String(json) };
    } catch {
      parsed = { text: body };
    }
    if (str(parsed.text) === undefined && blocksOf(parsed.blocks).length === 0) return;
    if (this.#checkContent('command_ack', record.channelId, parsed.text, parsed.blocks)) return;
    const message = this.#postResponse(parsed, record, 'command_ack');
    record.originalTs = message.ts;
  }

  #createResponseUrl(
    kind: ResponseUrlRecord['kind'],
    userId: string,
    channelId: string,
    originalTs: string | undefined,
  ): { url: string; record: ResponseUrlRecord } {
    const record: ResponseUrlRecord = {
      id: this.#randomId(),
      kind,
      userId,
      channelId,
      originalTs,
      uses: 0,
      createdAtMs: this.now(),
    };
    this.#responseUrls.set(record.id, record);
    return { url: `${this.url}/response/${record.id}`, record };
  }

  // ---- HTTP ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/healthz') return sendText(res, 200, 'ok');
    if (url.pathname.startsWith('/api/')) return this.#handleApiWithOutage(req, res, url);
    if (method === 'POST' && url.pathname.startsWith('/upload/')) return this.#handleUpload(req, res, url);
    if (method === 'POST' && url.pathname.startsWith('/response/')) {
      const outage = this.#outages.get('response_url');
      if (!outage || outage.remaining <= 0) return this.#handleResponseUrl(req, res, url);
      const raw = await readBody(req);
      return this.#withOutage('response_url', res, async () => {
        const held = heldResponse();
        await this.#handleResponseUrl(req, held.res, url, raw);
        return { send: () => held.replay(res) };
      });
    }
    const route =
      this.#routes.get(`${method} ${url.pathname}`) ??
      this.#prefixRoutes.find((r) => r.method === method && url.pathname.startsWith(r.prefix))?.handler;
    if (route) return route(req, res, url);
    sendText(res, 404, 'not found');
  }

  async #handleApi(req: IncomingMessage, res: ServerResponse, url: URL, body?: string): Promise<void> {
    const apiMethod = decodeURIComponent(url.pathname.slice('/api/'.length));
    const raw = body ?? (await readBody(req));
    const contentType = req.headers['content-type'] ?? '';
    const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
    let reply: ApiReply;
    try {
      if (contentType.startsWith('application/json')) {
        Object.assign(args, raw.trim() === '' ? {} : (JSON.parse(raw) as Record<string, unknown>));
      } else {
        Object.assign(args, Object.fromEntries(new URLSearchParams(raw)));
      }
      for (const field of JSON_FIELDS) {
        if (typeof args[field] === 'string') args[field] = JSON.parse(args[field]);
      }
      reply = this.#callApi(apiMethod, req.headers.authorization, args);
    } catch {
      reply = fail(contentType.startsWith('application/json') ? 'invalid_json' : 'invalid_arguments');
    }
    const { token: _token, ...logged } = args;
    this.#record('api', apiMethod, logged, reply);
    sendJson(res, reply.status ?? 200, reply.body, reply.headers);
  }

  async #handleApiWithOutage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const apiMethod = decodeURIComponent(url.pathname.slice('/api/'.length));
    const outage = this.#outages.get(apiMethod);
    if (!outage || outage.remaining <= 0) return this.#handleApi(req, res, url);
    // Slack has the request as soon as it is sent, even if it answers late or never.
    const raw = await readBody(req);
    await this.#withOutage(apiMethod, res, async () => {
      // The work happens; what the bot is sent is held until the outage says whether it gets it.
      const held = heldResponse();
      await this.#handleApi(req, held.res, url, raw);
      return { send: () => held.replay(res) };
    });
  }

  #callApi(apiMethod: string, authorization: string | undefined, args: Record<string, unknown>): ApiReply {
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const token = bearer ?? str(args.token);
    if (token === undefined) return fail('not_authed');
    // The app-level token opens sockets and nothing else; the bot token does everything else.
    const expected = APP_TOKEN_METHODS.has(apiMethod) ? this.#appToken : this.#botToken;
    if (expected === undefined || token !== expected) return fail('invalid_auth');
    const handler = this.#api[apiMethod];
    if (!handler) return fail('unknown_method');
    const limit = this.#rateLimits.get(apiMethod);
    if (limit && limit.remaining > 0) {
      limit.remaining -= 1;
      // https://docs.slack.dev/apis/web-api/rate-limits: HTTP 429 with Retry-After in seconds.
      return {
        status: 429,
        headers: { 'retry-after': String(limit.retryAfterSeconds) },
        body: { ok: false, error: 'ratelimited' },
      };
    }
    const fault = this.#methodFaults.get(apiMethod);
    if (fault && fault.remaining > 0) {
      fault.remaining -= 1;
      return fail(fault.error);
    }
    return handler(args);
  }

  #record(kind: SimCall['kind'], method: string, args: Record<string, unknown>, reply: ApiReply, url?: string): void {
    const ok = reply.body.ok === true;
    const call: SimCall = {
      ...(url === undefined ? {} : { url }),
      seq: ++this.#callSeq,
      kind,
      method,
      args: structuredClone(args),
      status: reply.status ?? 200,
      ok,
      error: ok ? undefined : String(reply.body.error),
      atMs: this.now(),
    };
    this.#calls.push(call);
    this.events.emit('call', structuredClone(call));
  }

  /**
   * Checks limits, records breaches, and returns the Slack error when the message must be refused.
   * https://docs.slack.dev/reference/methods/chat.postMessage#errors
   */
  #checkContent(method: string, channel: string | undefined, text: unknown, blocks: unknown): string | undefined {
    const check = checkMessageLimits(text, blocks);
    const strict = this.#rejectInvalidBlocks && check.findings.some((f) => f.rule !== 'text_missing');
    const reject = check.reject ?? (strict ? 'invalid_blocks' : undefined);
    for (const finding of check.findings) {
      this.#violations.push({ method, channel, ...finding, rejected: finding.rejected || reject !== undefined });
    }
    return reject;
  }

  #channelError(apiMethod: string, channel: string): string | undefined {
    const fault = this.#channelFaults.get(channel);
    if (fault === 'channel_not_found') return fault;
    if (fault === 'is_archived' || this.state.channel(channel).isArchived) return 'is_archived';
    if (fault === 'not_in_channel' && POSTING_METHODS.has(apiMethod)) return fault;
    return undefined;
  }

  // ---- Web API methods ----

  /** https://docs.slack.dev/reference/methods/apps.connections.open */
  #appsConnectionsOpen(): ApiReply {
    if (!this.#socket) return fail('invalid_auth');
    return { body: { ok: true, url: this.#socket.issueUrl() } };
  }

  #authTest(): ApiReply {
    return {
      body: {
        ok: true,
        url: `${this.url}/`,
        team: SimIdentity.teamDomain,
        user: 'bulkjob',
        team_id: SimIdentity.teamId,
        user_id: SimIdentity.botUserId,
        bot_id: SimIdentity.botId,
        is_enterprise_install: false,
      },
    };
  }

  #postMessage(args: Record<string, unknown>): ApiReply {
    const posted = this.#addBotMessage('chat.postMessage', args, undefined);
    if ('body' in posted) return posted;
    return { body: { ok: true, channel: posted.channel, ts: posted.ts, message: wireMessage(posted) } };
  }

  #postEphemeral(args: Record<string, unknown>): ApiReply {
    const user = str(args.user);
    if (str(args.channel) !== undefined && user === undefined) return fail('user_not_in_channel');
    const posted = this.#addBotMessage('chat.postEphemeral', args, user);
    if ('body' in posted) return posted;
    return { body: { ok: true, message_ts: posted.ts } };
  }

  /** What chat.postMessage and chat.postEphemeral share: Slack's checks, then the new message. */
  #addBotMessage(
    method: 'chat.postMessage' | 'chat.postEphemeral',
    args: Record<string, unknown>,
    ephemeralTo: string | undefined,
  ): SimMessage | ApiReply {
    const channel = str(args.channel);
    if (channel === undefined) return fail('channel_not_found');
    const channelError = this.#channelError(method, channel);
    if (channelError) return fail(channelError);
    const blocks = blocksOf(args.blocks);
    if (str(args.text) === undefined && blocks.length === 0) return fail('no_text');
    const rejected = this.#checkContent(method, channel, args.text, args.blocks);
    if (rejected) return fail(rejected);
    const threadTs = str(args.thread_ts);
    const metadata = metadataOf(args.metadata);
    return this.state.add({
      ...(metadata ? { metadata } : {}),
      channel,
      user: SimIdentity.botUserId,
      botId: SimIdentity.botId,
      text: str(args.text) ?? '',
      blocks,
      threadTs,
      ...(ephemeralTo === undefined
        ? { replyBroadcast: threadTs !== undefined && bool(args.reply_broadcast) }
        : { ephemeralTo }),
      source: method,
    });
  }

  /** Every file the bot uploaded (completed or not), oldest first. */
  files(): SimFile[] {
    return [...this.#files.values()].map(({ expectedLength: _l, uploaded: _u, content, ...file }) => ({
      ...structuredClone(file),
      content: Buffer.from(content),
    }));
  }

  #scopeError(scope: string): ApiReply | undefined {
    if (this.scopes.has(scope)) return undefined;
    return { body: { ok: false, error: 'missing_scope', needed: scope, provided: [...this.scopes].join(',') } };
  }

  /** https://docs.slack.dev/reference/methods/conversations.open: the bot's DM with one user. */
  #conversationsOpen(args: Record<string, unknown>): ApiReply {
    const scopeError = this.#scopeError('im:write');
    if (scopeError) return scopeError;
    const users = str(args.users)?.split(',') ?? [];
    if (users.length !== 1 || !/^[UW][A-Z0-9]+$/.test(users[0]!)) return fail('user_not_found');
    const id = `D${users[0]!.slice(1)}`;
    this.state.setChannel({ id, name: `dm-${users[0]!.toLowerCase()}`, isPrivate: true, isArchived: false });
    return { body: { ok: true, channel: { id, is_im: true, user: users[0] } } };
  }

  /** https://docs.slack.dev/reference/methods/files.getUploadURLExternal */
  #getUploadUrl(args: Record<string, unknown>): ApiReply {
    const scopeError = this.#scopeError('files:write');
    if (scopeError) return scopeError;
    const filename = str(args.filename);
    const length = Number(args.length);
    if (filename === undefined || !Number.isInteger(length) || length < 0) return fail('invalid_arguments');
    const id = `F${this.#randomId().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
    this.#files.set(id, {
      id,
      filename,
      title: undefined,
      content: Buffer.alloc(0),
      channel: undefined,
      ts: undefined,
      expectedLength: length,
      uploaded: false,
    });
    return { body: { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id } };
  }

  /** The upload URL: Slack takes the file's bytes as the POST body (or a multipart form). */
  async #handleUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const file = this.#files.get(url.pathname.slice('/upload/'.length));
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of req) {
      length += (chunk as Buffer).length;
      if (this.#retainUploads) chunks.push(chunk as Buffer);
    }
    if (!file || file.uploaded) return sendText(res, 404, 'not found');
    if (length !== file.expectedLength) return sendText(res, 400, 'length does not match');
    file.content = Buffer.concat(chunks);
    file.uploaded = true;
    sendText(res, 200, `OK - ${length}`);
  }

  /** https://docs.slack.dev/reference/methods/files.completeUploadExternal: share uploaded files in a channel. */
  #completeUpload(args: Record<string, unknown>): ApiReply {
    const scopeError = this.#scopeError('files:write');
    if (scopeError) return scopeError;
    const list = Array.isArray(args.files) ? (args.files as { id?: unknown; title?: unknown }[]) : [];
    if (list.length === 0) return fail('invalid_arguments');
    const files = list.map((f) => this.#files.get(String(f.id)));
    if (files.some((f) => !f?.uploaded)) return fail('file_not_found');
    const channel = str(args.channel_id);
    let ts: string | undefined;
    if (channel !== undefined) {
      const channelError = this.#channelError('files.completeUploadExternal', channel);
      if (channelError) return fail(channelError);
      const names = files.map((f) => f!.filename).join(', ');
      const posted = this.state.add({
        channel,
        user: SimIdentity.botUserId,
        botId: SimIdentity.botId,
        text: str(args.initial_comment) ?? `📎 ${names}`,
        blocks: [],
        source: 'chat.postMessage',
        files: files.map((f, i) => ({ id: f!.id, name: f!.filename, title: str(list[i]!.title) ?? f!.filename })),
      });
      ts = posted.ts;
    }
    for (const [i, f] of files.entries()) {
      f!.title = str(list[i]!.title) ?? f!.filename;
      f!.channel = channel;
      f!.ts = ts;
    }
    return { body: { ok: true, files: files.map((f) => ({ id: f!.id, title: f!.title, name: f!.filename })) } };
  }

  /** The history scope a channel needs: `groups:history` for private ones, else `channels:history`. */
  #historyScopeError(channel: string): ApiReply | undefined {
    const needed = this.state.channel(channel).isPrivate ? 'groups:history' : 'channels:history';
    if (this.scopes.has(needed)) return undefined;
    return { body: { ok: false, error: 'missing_scope', needed, provided: [...this.scopes].join(',') } };
  }

  /** https://docs.slack.dev/reference/methods/conversations.history: top-level messages, newest first. */
  #conversationsHistory(args: Record<string, unknown>): ApiReply {
    const channel = str(args.channel);
    if (channel === undefined) return fail('channel_not_found');
    const scopeError = this.#historyScopeError(channel);
    if (scopeError) return scopeError;
    const limit = Math.min(999, Math.max(1, Number(args.limit) || 100));
    const metadata = bool(args.include_all_metadata);
    const messages = this.state
      .channelMessages(channel)
      .filter((m) => m.threadTs === undefined || m.threadTs === m.ts || m.replyBroadcast)
      .reverse()
      .slice(0, limit)
      .map((m) => wireMessage(m, { metadata }));
    return { body: { ok: true, messages, has_more: false } };
  }

  /** https://docs.slack.dev/reference/methods/conversations.replies: a thread, its parent first. */
  #conversationsReplies(args: Record<string, unknown>): ApiReply {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (channel === undefined) return fail('channel_not_found');
    const scopeError = this.#historyScopeError(channel);
    if (scopeError) return scopeError;
    const parent = ts === undefined ? undefined : this.state.message(channel, ts);
    if (!parent || parent.deleted) return fail('thread_not_found');
    const metadata = bool(args.include_all_metadata);
    const replies = this.state.threadReplies(channel, parent.ts);
    return {
      body: { ok: true, messages: [parent, ...replies].map((m) => wireMessage(m, { metadata })), has_more: false },
    };
  }

  /** https://docs.slack.dev/reference/methods/views.publish: a Home tab of up to 100 blocks for one user. */
  #viewsPublish(args: Record<string, unknown>): ApiReply {
    const userId = str(args.user_id);
    if (userId === undefined) return fail('invalid_arguments');
    const view = args.view as { type?: unknown; blocks?: unknown } | undefined;
    if (typeof view !== 'object' || view === null || view.type !== 'home') return fail('invalid_arguments');
    const check = checkMessageLimits(undefined, view.blocks, { maxBlocks: 100, requireText: false });
    for (const finding of check.findings) {
      this.#violations.push({
        method: 'views.publish',
        channel: undefined,
        ...finding,
        rejected: finding.rejected || check.reject !== undefined,
      });
    }
    if (check.reject) return fail('invalid_blocks');
    const published: SimHomeView = { type: 'home', blocks: blocksOf(view.blocks), publishedAtMs: this.now() };
    this.#homeViews.set(userId, published);
    this.events.emit('home', { userId, view: structuredClone(published) });
    return { body: { ok: true, view: { id: `V${userId}`, type: 'home' } } };
  }

  #update(args: Record<string, unknown>): ApiReply {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (channel === undefined) return fail('channel_not_found');
    const channelError = this.#channelError('chat.update', channel);
    if (channelError) return fail(channelError);
    const current = ts === undefined ? undefined : this.state.message(channel, ts);
    // Ephemeral messages are out of chat.update's reach (only a click's response_url can replace them).
    if (!current || ts === undefined || current.deleted || current.ephemeralTo !== undefined) {
      return fail('message_not_found');
    }
    if (current.botId !== SimIdentity.botId) return fail('cant_update_message');
    if (args.text === undefined && args.blocks === undefined) return fail('no_text');
    // Slack keeps whatever the update leaves out.
    const text = typeof args.text === 'string' ? args.text : current.text;
    const blocks = args.blocks === undefined ? current.blocks : blocksOf(args.blocks);
    const rejected = this.#checkContent('chat.update', channel, text, blocks);
    if (rejected) return fail(rejected);
    const message = this.state.edit(channel, ts, { text, blocks });
    if (!message) return fail('message_not_found');
    return { body: { ok: true, channel, ts, text, message: wireMessage(message) } };
  }

  #delete(args: Record<string, unknown>): ApiReply {
    const channel = str(args.channel);
    const ts = str(args.ts);
    if (channel === undefined) return fail('channel_not_found');
    const channelError = this.#channelError('chat.delete', channel);
    if (channelError) return fail(channelError);
    const current = ts === undefined ? undefined : this.state.message(channel, ts);
    if (!current || ts === undefined || current.deleted || current.ephemeralTo !== undefined) {
      return fail('message_not_found');
    }
    if (current.botId !== SimIdentity.botId) return fail('cant_delete_message');
    this.state.remove(channel, ts);
    return { body: { ok: true, channel, ts } };
  }

  #getPermalink(args: Record<string, unknown>): ApiReply {
    const channel = str(args.channel);
    const ts = str(args.message_ts);
    if (channel === undefined || this.#channelFaults.get(channel) === 'channel_not_found') {
      return fail('channel_not_found');
    }
    const current = ts === undefined ? undefined : this.state.message(channel, ts);
    if (!current || current.deleted || current.ephemeralTo !== undefined) return fail('message_not_found');
    const permalink = `${this.url}/archives/${channel}/p${current.ts.replace('.', '')}`;
    return { body: { ok: true, channel, permalink } };
  }

  #conversationsInfo(args: Record<string, unknown>): ApiReply {
    const id = str(args.channel);
    const fault = id === undefined ? 'channel_not_found' : this.#channelFaults.get(id);
    if (id === undefined || fault === 'channel_not_found') return fail('channel_not_found');
    const channel = this.state.channel(id);
    return {
      body: {
        ok: true,
        channel: {
          id,
          name: channel.name,
          is_channel: !channel.isPrivate,
          is_group: false,
          is_im: false,
          is_private: channel.isPrivate,
          is_archived: channel.isArchived || fault === 'is_archived',
          is_member: fault !== 'not_in_channel',
        },
      },
    };
  }

  #usersInfo(args: Record<string, unknown>): ApiReply {
    const id = str(args.user);
    if (id === undefined) return fail('user_not_found');
    const user = this.state.user(id);
    return {
      body: {
        ok: true,
        user: {
          id,
          team_id: SimIdentity.teamId,
          name: user.name,
          real_name: user.realName,
          tz: user.tz,
          tz_offset: user.tzOffset,
          is_bot: user.isBot,
          profile: { real_name: user.realName, display_name: user.name },
        },
      },
    };
  }

  // ---- response_url ----

  async #handleResponseUrl(req: IncomingMessage, res: ServerResponse, url: URL, body?: string): Promise<void> {
    const raw = body ?? (await readBody(req));
    const record = this.#responseUrls.get(url.pathname.slice('/response/'.length));
    let args: Record<string, unknown> = {};
    let reply: ApiReply;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      args = parsed as Record<string, unknown>;
      reply = this.#useResponseUrl(record, args);
    } catch {
      reply = fail('invalid_payload', 400);
    }
    this.#record('response_url', 'response_url', args, reply, `${this.url}${url.pathname}`);
    if (reply.body.ok === true) sendJson(res, 200, { ok: true });
    else sendText(res, reply.status ?? 400, String(reply.body.error));
  }

  #useResponseUrl(record: ResponseUrlRecord | undefined, args: Record<string, unknown>): ApiReply {
    if (!record) return fail('no_service', 404);
    if (this.now() - record.createdAtMs > RESPONSE_URL_TTL_MS) return fail('expired_url', 404);
    if (record.uses >= RESPONSE_URL_MAX_USES) return fail('used_url', 404);
    const original =
      record.originalTs === undefined ? undefined : this.state.message(record.channelId, record.originalTs);

    if (bool(args.delete_original)) {
      if (!original || original.deleted) return fail('message_not_found', 404);
      record.uses += 1;
      this.state.remove(original.channel, original.ts);
      return { body: { ok: true } };
    }
    const blocks = blocksOf(args.blocks);
    if (str(args.text) === undefined && blocks.length === 0) return fail('no_text', 400);
    const rejected = this.#checkContent('response_url', record.channelId, args.text, args.blocks);
    if (rejected) return fail(rejected, 400);

    if (bool(args.replace_original) && original) {
      if (original.deleted) return fail('message_not_found', 404);
      record.uses += 1;
      this.state.edit(original.channel, original.ts, { text: str(args.text) ?? '', blocks });
      return { body: { ok: true } };
    }
    record.uses += 1;
    const message = this.#postResponse(args, record, 'response_url');
    if (record.kind === 'command') record.originalTs = message.ts;
    return { body: { ok: true } };
  }

  /** A new message from a response: in the channel for `in_channel`, else ephemeral to the invoking user. */
  #postResponse(args: Record<string, unknown>, record: ResponseUrlRecord, source: MessageSource): SimMessage {
    const inChannel = args.response_type === 'in_channel';
    return this.state.add({
      channel: record.channelId,
      user: SimIdentity.botUserId,
      botId: SimIdentity.botId,
      text: str(args.text) ?? '',
      blocks: blocksOf(args.blocks),
      threadTs: str(args.thread_ts),
      ephemeralTo: inChannel ? undefined : record.userId,
      source,
    });
  }
}

/** A stand-in response that records what a handler sent, to be replayed (or dropped) later. */
function heldResponse(): { res: ServerResponse; replay: (to: ServerResponse) => void } {
  let status = 200;
  let headers: Record<string, string> = {};
  let body = '';
  const fake = {
    headersSent: false,
    destroyed: false,
    writeHead(code: number, h?: Record<string, string>) {
      status = code;
      headers = { ...headers, ...(h ?? {}) };
      return fake;
    },
    setHeader(name: string, value: string) {
      headers[name] = value;
    },
    end(chunk?: string) {
      if (chunk !== undefined) body += chunk;
      return fake;
    },
  };
  return {
    res: fake as unknown as ServerResponse,
    replay(to) {
      to.writeHead(status, headers);
      to.end(body);
    },
  };
}

/** `metadata` as chat.postMessage takes it: an object with `event_type` and `event_payload`. */
function metadataOf(value: unknown): SimMetadata | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { event_type, event_payload } = value as Record<string, unknown>;
  if (typeof event_type !== 'string' || typeof event_payload !== 'object' || event_payload === null) return undefined;
  return { event_type, event_payload: event_payload as Record<string, unknown> };
}
