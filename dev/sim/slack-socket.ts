/**
 * Socket Mode for the Slack simulator, as Slack does it (https://docs.slack.dev/apis/events-api/using-socket-mode):
 * `apps.connections.open` hands out a one-time `ws://…/link/?ticket=…` URL, the app connects, Slack says
 * `hello`, then sends envelopes and waits for each one's ack (`{envelope_id, payload}`). Slack may also ask
 * the app to reconnect (`{type: 'disconnect', reason: 'refresh_requested'}`) or simply drop the socket.
 *
 * Kept apart from `slack.ts`, which imports it lazily when a simulator is started with an app token: `ws` is
 * a dev dependency, and the offline demo (which also runs in the production image) must not load it.
 */
import type { IncomingMessage, Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

/** The envelope types the simulator sends: slash commands and `block_actions` clicks. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/**
 * How Slack ends a connection: `refresh_requested` sends `{type: 'disconnect', reason}` and leaves the close to
 * the app; `close` closes from Slack's side (code 1001); `terminate` cuts the TCP connection without a close frame.
 */
export type SocketDropMode = 'refresh_requested' | 'close' | 'terminate';

/** One WebSocket connection the app opened, as Slack saw it. */
export interface SocketConnection {
  /** 1, 2, 3… in the order the app connected. */
  id: number;
  /** Simulator clock (ms). */
  openedAtMs: number;
  closedAtMs: number | undefined;
  /** The close code (1000 when the app closed normally, 1006 when the connection was cut). */
  closeCode: number | undefined;
  /** Who closed it first: the app, or Slack (`dropSocket('close' | 'terminate')`). */
  closedBy: 'app' | 'slack' | undefined;
  /** The `disconnect` reason Slack sent on this connection, if any. */
  disconnectReason: string | undefined;
}

/** One envelope Slack sent, and the app's ack. */
export interface SocketEnvelope {
  envelopeId: string;
  type: EnvelopeType;
  connectionId: number;
  /** Simulator clock (ms). */
  sentAtMs: number;
  /** Real milliseconds until the ack arrived (also set for an ack after the deadline); undefined if none came. */
  ackMs: number | undefined;
  /** The ack's `payload`; for a slash command Slack shows it as the first response. */
  ackPayload: Record<string, unknown> | undefined;
}

/** What became of one delivery: acked in time, or not. */
export type SocketAck =
  | { acked: true; ackMs: number; payload: Record<string, unknown> | undefined }
  | { acked: false; ackMs: number };

export interface SocketModeServerOptions {
  /** The simulator's HTTP server: WebSocket upgrades arrive on it. */
  server: Server;
  /** `ws://host:port` of that server. */
  wsUrl: string;
  appId: string;
  now: () => number;
  randomId: () => string;
  /** Slack's 3 s: an envelope not acked by then counts as failed. */
  ackDeadlineMs: number;
}

interface OpenConnection {
  socket: WebSocket;
  record: SocketConnection;
}

interface PendingAck {
  connectionId: number;
  timer: NodeJS.Timeout;
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
}

/** Close code Slack's side sends when it drops a connection (RFC 6455: "going away"). */
const GOING_AWAY = 1001;
const LINK_PATH = '/link/';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses an upgrade with a plain HTTP answer, as a WebSocket server does before the handshake. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** The WebSocket side of the simulator: tickets, connections, envelopes and acks. */
export class SocketModeServer {
  readonly #options: SocketModeServerOptions;
  readonly #wss = new WebSocketServer({ noServer: true, clientTracking: false });
  readonly #tickets = new Set<string>();
  readonly #open = new Map<number, OpenConnection>();
  readonly #pending = new Map<string, PendingAck>();
  /** Each envelope by id, with when it was sent (real time), for acks that come in late. */
  readonly #envelopeIndex = new Map<string, { record: SocketEnvelope; started: number }>();
  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.#upgrade(req, socket, head);
  #connections: SocketConnection[] = [];
  #envelopes: SocketEnvelope[] = [];
  #connectionSeq = 0;

  constructor(options: SocketModeServerOptions) {
    this.#options = options;
    options.server.on('upgrade', this.#onUpgrade);
  }

  /** A fresh one-time URL for `apps.connections.open`. */
  issueUrl(): string {
    const ticket = this.#options.randomId();
    this.#tickets.add(ticket);
    const query = new URLSearchParams({ ticket, app_id: this.#options.appId });
    return `${this.#options.wsUrl}${LINK_PATH}?${query}`;
  }

  /** Every connection so far, oldest first. */
  get connections(): SocketConnection[] {
    return structuredClone(this.#connections);
  }

  /**
   * Which open connection gets an envelope: the newest (default: a reconnect test knows where it goes), or
   * one at random, as Slack does across several replicas' connections.
   */
  spread: 'newest' | 'random' = 'newest';

  /** Every envelope sent so far, oldest first. */
  get envelopes(): SocketEnvelope[] {
    return structuredClone(this.#envelopes);
  }

  /**
   * Sends an envelope on the newest open connection (or, with `spread = 'random'`, on any open one, as Slack
   * spreads envelopes over an app's connections) and waits for its ack, at most `ackDeadlineMs`. Throws
   * when no connection is open, or when the connection closes before the ack (Slack's delivery failed).
   */
  deliver(type: EnvelopeType, payload: Record<string, unknown>, acceptsResponsePayload: boolean): Promise<SocketAck> {
    const open = [...this.#open.values()];
    const connection = this.spread === 'random' ? open[Math.floor(Math.random() * open.length)] : open.at(-1);
    if (!connection) {
      return Promise.reject(new Error('no Socket Mode connection is open: is the app connected?'));
    }
    const envelopeId = this.#options.randomId();
    const record: SocketEnvelope = {
      envelopeId,
      type,
      connectionId: connection.record.id,
      sentAtMs: this.#options.now(),
      ackMs: undefined,
      ackPayload: undefined,
    };
    const started = performance.now();
    this.#envelopes.push(record);
    this.#envelopeIndex.set(envelopeId, { record, started });
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(envelopeId);
        resolve({ acked: false, ackMs: performance.now() - started });
      }, this.#options.ackDeadlineMs);
      this.#pending.set(envelopeId, { connectionId: connection.record.id, timer, resolve, reject });
      connection.socket.send(
        JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: acceptsResponsePayload }),
      );
    });
  }

  /** Ends every open connection the way `mode` says; returns how many there were. */
  drop(mode: SocketDropMode): number {
    const open = [...this.#open.values()];
    for (const { socket, record } of open) {
      if (mode === 'refresh_requested') {
        record.disconnectReason = mode;
        socket.send(JSON.stringify({ type: 'disconnect', reason: mode, debug_info: { host: 'sim-applink' } }));
      } else {
        record.closedBy = 'slack';
        if (mode === 'close') socket.close(GOING_AWAY, 'going away');
        else socket.terminate();
      }
    }
    return open.length;
  }

  /** Forgets closed connections, envelopes and unused tickets; open connections stay. */
  resetHistory(): void {
    this.#connections = this.#connections.filter((c) => c.closedAtMs === undefined);
    this.#envelopes = this.#envelopes.filter((e) => this.#pending.has(e.envelopeId));
    for (const id of this.#envelopeIndex.keys()) if (!this.#pending.has(id)) this.#envelopeIndex.delete(id);
    this.#tickets.clear();
  }

  /** Cuts every connection, fails pending deliveries and detaches from the HTTP server. */
  async close(): Promise<void> {
    this.#options.server.off('upgrade', this.#onUpgrade);
    for (const { socket, record } of this.#open.values()) {
      record.closedBy ??= 'slack';
      socket.terminate();
    }
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`the simulator closed before envelope ${id} was acked`));
    }
    this.#pending.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const ticket = url.searchParams.get('ticket');
    if (url.pathname !== LINK_PATH) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    // One ticket, one connection: a reused or made-up URL is refused, as Slack refuses it.
    if (ticket === null || !this.#tickets.delete(ticket)) {
      refuseUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws));
  }

  #connected(socket: WebSocket): void {
    const record: SocketConnection = {
      id: ++this.#connectionSeq,
      openedAtMs: this.#options.now(),
      closedAtMs: undefined,
      closeCode: undefined,
      closedBy: undefined,
      disconnectReason: undefined,
    };
    this.#connections.push(record);
    this.#open.set(record.id, { socket, record });
    socket.on('message', (data, isBinary) => this.#received(data, isBinary));
    // A cut connection reports an error, then closes: the close handler does the bookkeeping.
    socket.on('error', () => {});
    socket.on('close', (code) => this.#closed(record, code));
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.#open.size,
        debug_info: { host: 'sim-applink', build_number: 1, approximate_connection_time: 18_060 },
        connection_info: { app_id: this.#options.appId },
      }),
    );
  }

  #received(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    if (!isRecord(message) || typeof message.envelope_id !== 'string') return;
    const sent = this.#envelopeIndex.get(message.envelope_id);
    if (!sent || sent.record.ackMs !== undefined) return;
    const ackMs = performance.now() - sent.started;
    const payload = isRecord(message.payload) ? message.payload : undefined;
    sent.record.ackMs = ackMs;
    sent.record.ackPayload = payload;
    // A late ack: Slack has already given up (the caller got `acked: false`), but the latency is kept.
    const pending = this.#pending.get(message.envelope_id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(message.envelope_id);
    pending.resolve({ acked: true, ackMs, payload });
  }

  #closed(record: SocketConnection, code: number): void {
    record.closedAtMs = this.#options.now();
    record.closeCode = code;
    record.closedBy ??= 'app';
    this.#open.delete(record.id);
    for (const [id, pending] of this.#pending) {
      if (pending.connectionId !== record.id) continue;
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new Error(`the Socket Mode connection closed (code ${code}) before envelope ${id} was acked`));
    }
  }
}
