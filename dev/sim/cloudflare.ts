/**
 * A Cloudflare Email Security bulk-job API simulator: a real `node:http` server on 127.0.0.1 (port 0 by
 * default) for the tests, the benchmarks and the offline demo. It speaks the four bulk-job operations of
 * Cloudflare's OpenAPI schema under `/client/v4/accounts/{account_id}/email-security/investigate/bulk`:
 *
 * - `GET  …/bulk?page&per_page&status&action_type` (list jobs, newest first)
 * - `GET  …/bulk/{job_id}` (job detail)
 * - `GET  …/bulk/{job_id}/messages?page&per_page&status`
 * - `POST …/bulk/{job_id}/cancel`
 *
 * Behaviour, as the live API: the envelope `{success, errors, messages, result, result_info}`;
 * `result_info.page` and `total_count` always 0 (deprecated), `next` / `previous` opaque base64 cursors or
 * null. Errors: 403 code 10000 "Authentication error" (missing or bad credentials, or a read-only token on
 * cancel), 403 code 9109 (another account), 404 code 7003 "Could not route…" (bad account or job id,
 * unknown job, unknown path), 400 code 1004 (bad `page`, `per_page`, `status`, `action_type`), 400 code
 * 1001 (cancel of a job in a terminal state), 405 code 10405 (method), 429 code 971, 5xx code 1000.
 *
 * Usage:
 * ```ts
 * const sim = await CloudflareSim.start({ token: 't', now: () => clock });
 * const job = sim.addJob({ total: 5000, failureRate: 0.1, progress: { kind: 'live', ratePerSecond: 100 } });
 * sim.setFault(job.id, { kind: 'rate-limit', retryAfterSeconds: 2, times: 1 });
 * // … point the client at sim.baseUrl with sim.accountId …
 * sim.countRequests({ method: 'GET', jobId: job.id });
 * await sim.close();
 * ```
 *
 * Jobs are generated deterministically (see `cloudflare-data.ts`); their state follows the injectable clock.
 * Faults ({@link SimFault}) can be set per job (`addJob({ fault })`, `setFault`) or for every request
 * (`start({ fault })`, `setGlobalFault`); a fault with `times: K` affects only the next K requests it sees.
 * Every request is logged ({@link SimRequest}) with the auth scheme used, never the credential values.
 *
 * The account's quota, as Cloudflare counts it: every request (and `spend(n)`, the dashboard's use) falls
 * in a sliding window of `quotaWindowMs`; every answer says `Ratelimit: "default";r=<left>;t=<s>` and
 * `Ratelimit-Policy: "default";q=<quota>;w=<s>`, and past the quota the answer is 429 code 971 with
 * `retry-after` (the request not counted).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  cancelAt,
  jobDetail,
  messageDetail,
  pageIndices,
  resolveJob,
  SIM_ACTION_TYPES,
  SIM_STATUSES,
  SIM_TERMINAL,
  type SimJob,
  type SimJobSpec,
  stateAt,
  uuidFrom,
} from './cloudflare-data.js';

export type { SimJobSpec, SimProgress, SimStatus } from './cloudflare-data.js';
export { FAILURE_REASONS, MAX_SIM_MESSAGES, recipientFor } from './cloudflare-data.js';

/** What a fault does to the requests it affects. `times`: only the next K such requests (default: all). */
export type SimFault = (
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  | { kind: 'server-error'; status?: number }
  | { kind: 'reset' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'non-json' }
  | { kind: 'wrong-shape' }
  /** Valid data with values outside today's enums: status `QUARANTINED_FOREVER`, destination `Archive`. */
  | { kind: 'unknown-enums' }
  | { kind: 'forbidden' }
  | { kind: 'not-found' }
  /** The server ignores `page` and always answers page 1 (what the client's same-page guard is for). */
  | { kind: 'ignores-page' }
  /** A job read answers about another job (a proxy or cache mixing answers up). */
  | { kind: 'other-job' }
  /** A job read with counts that cannot be right: a negative failed count. */
  | { kind: 'negative-counts' }
  /** A 400 whose error message is `length` characters long and carries an e-mail address. */
  | { kind: 'long-error'; length: number }
  /** The answer arrives in `chunks` pieces, `chunkMs` apart: never idle long, but slow as a whole. */
  | { kind: 'trickle'; chunkMs: number; chunks: number }
  /**
   * A job read whose `comment` is `bytes` long: valid JSON, streamed in 64 KB pieces (the simulator never
   * holds it), and `bytesSent` on the request's log entry says how much went out before the client hung up.
   */
  | { kind: 'huge'; bytes: number }
) & { times?: number };
export type SimFaultKind = SimFault['kind'];

export interface SimStartOptions {
  /** Default `023e105f4ecef8ad9ca31a8372d0c353` (the OpenAPI example). */
  accountId?: string;
  /** Bearer token with read and write access. Default `sim-token`. */
  token?: string;
  /** A bearer token accepted for reads only: cancel answers 403 code 10000. */
  readOnlyToken?: string;
  /** Legacy key auth: `X-Auth-Email` + `X-Auth-Key`. Defaults `soc@example-corp.com` / `sim-global-key`. */
  email?: string;
  key?: string;
  /** Clock in epoch ms (default `Date.now`). Job progress and the request log follow it. */
  now?: () => number;
  /** Added to every reply (benchmarks). */
  latencyMs?: number;
  /** A fault for every request. */
  fault?: SimFault;
  /** Jobs to add at start. */
  jobs?: (SimJobSpec & { fault?: SimFault })[];
  /** Seed for generated job ids (default 1). */
  seed?: number;
  /** Default 0 (any free port). */
  port?: number;
  /** The account's requests per `quotaWindowMs` (default 1,200, Cloudflare's), counted as a sliding window. */
  quota?: number;
  /** Default 5 minutes. */
  quotaWindowMs?: number;
}

export type SimAuthScheme = 'token' | 'key' | 'none';

/** One request as the simulator saw it. `query` holds the raw query parameters; credentials never. */
export interface SimRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  auth: SimAuthScheme;
  at: number;
  /** Body bytes written, for a `huge` answer (the client may hang up before the end). */
  bytesSent?: number;
  /** The job the path names, when it names one. */
  jobId: string | undefined;
}

export interface SimRequestFilter {
  method?: string;
  /** Exact path, or a pattern. */
  path?: string | RegExp;
  jobId?: string;
}

interface FaultSlot {
  fault: SimFault;
  hits: number;
}

interface Route {
  kind: 'list' | 'job' | 'messages' | 'cancel';
  accountId: string;
  jobId: string | undefined;
}

const API_PREFIX = '/client/v4';
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACCOUNT_SHAPE = /^[A-Za-z0-9]{1,32}$/;

class HttpReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, body: unknown, headers: Record<string, string> = {}) {
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const failure = (status: number, code: number, message: string, headers?: Record<string, string>) =>
  new HttpReply(status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers);

const couldNotRoute = (path: string) =>
  failure(404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);

const authError = () => failure(403, 10000, 'Authentication error');

const cursor = (data: Record<string, unknown>) => Buffer.from(JSON.stringify(data)).toString('base64');

export class CloudflareSim {
  /** `http://127.0.0.1:PORT/client/v4`: use as the client's base URL. */
  readonly baseUrl: string;
  readonly accountId: string;
  readonly token: string;
  readonly email: string;
  readonly key: string;

  readonly #server: Server;
  readonly #now: () => number;
  readonly #readOnlyToken: string | undefined;
  readonly #seed: number;
  readonly #jobs = new Map<string, SimJob>();
  readonly #jobFaults = new Map<string, FaultSlot>();
  #globalFault: FaultSlot | undefined;
  #latencyMs: number;
  #held: Promise<void> | undefined;
  #log: SimRequest[] = [];
  #jobCounter = 0;
  readonly #quota: number;
  readonly #quotaWindowMs: number;
  /** When each counted request (or spent unit) fell, oldest first. */
  #quotaLog: number[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(server: Server, options: SimStartOptions, now: () => number) {
    this.#server = server;
    this.#now = now;
    this.accountId = options.accountId ?? '023e105f4ecef8ad9ca31a8372d0c353';
    this.token = options.token ?? 'sim-token';
    this.#readOnlyToken = options.readOnlyToken;
    this.email = options.email ?? 'soc@example-corp.com';
    this.key = options.key ?? 'sim-global-key';
    this.#latencyMs = options.latencyMs ?? 0;
    this.#seed = options.seed ?? 1;
    this.#quota = options.quota ?? 1200;
    this.#quotaWindowMs = options.quotaWindowMs ?? 300_000;
    if (options.fault) this.#globalFault = { fault: options.fault, hits: 0 };
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}${API_PREFIX}`;
  }

  /** Start listening on 127.0.0.1 (port 0 unless given) and resolve once the port is known. */
  static async start(options: SimStartOptions = {}): Promise<CloudflareSim> {
    let sim: CloudflareSim | undefined;
    const server = createServer((req, res) => {
      if (!sim) {
        res.destroy();
        return;
      }
      sim.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    sim = new CloudflareSim(server, options, options.now ?? Date.now);
    for (const spec of options.jobs ?? []) sim.addJob(spec);
    return sim;
  }

  /** Stop: drop every connection (also keep-alive ones) and pending slow replies. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Add a generated job; returns its id and the resolved details. Throws RangeError on a bad spec. */
  addJob(spec: SimJobSpec & { fault?: SimFault } = {}): { id: string } {
    if (spec.id !== undefined && !UUID_SHAPE.test(spec.id)) throw new RangeError(`job id must be a UUID: ${spec.id}`);
    const fallback = uuidFrom(this.#seed, this.#jobCounter++, 900);
    const job = resolveJob(spec, fallback, this.#now());
    this.#jobs.set(job.id, job);
    if (spec.fault) this.setFault(job.id, spec.fault);
    return { id: job.id };
  }

  removeJob(jobId: string): void {
    this.#jobs.delete(jobId.toLowerCase());
    this.#jobFaults.delete(jobId.toLowerCase());
  }

  /** The job detail exactly as `GET …/bulk/{job_id}` would answer it now (no faults), or undefined. */
  jobSnapshot(jobId: string): Record<string, unknown> | undefined {
    const job = this.#jobs.get(jobId.toLowerCase());
    return job ? jobDetail(job, this.#now()) : undefined;
  }

  /** Set (or with `null` clear) the fault for one job's requests; resets its `times` counter. */
  setFault(jobId: string, fault: SimFault | null): void {
    if (fault) this.#jobFaults.set(jobId.toLowerCase(), { fault, hits: 0 });
    else this.#jobFaults.delete(jobId.toLowerCase());
  }

  /** Set (or clear) a fault for every request. */
  setGlobalFault(fault: SimFault | null): void {
    this.#globalFault = fault ? { fault, hits: 0 } : undefined;
  }

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  /**
   * Hold every request that arrives from now on until the returned function is called (then they are
   * answered as usual): lets a test line up concurrent requests without guessing at timings.
   */
  hold(): () => void {
    let release!: () => void;
    this.#held = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.#held = undefined;
      release();
    };
  }

  /** Use `n` of the account's quota now, as the dashboard or another tool sharing the account would. */
  spend(n: number): void {
    const now = this.#now();
    for (let i = 0; i < n; i++) this.#quotaLog.push(now);
  }

  /** What is left of the account's quota now. */
  quotaLeft(): number {
    this.#pruneQuota(this.#now());
    return Math.max(0, this.#quota - this.#quotaLog.length);
  }

  #pruneQuota(now: number): void {
    let drop = 0;
    while (drop < this.#quotaLog.length && (this.#quotaLog[drop] ?? 0) <= now - this.#quotaWindowMs) drop++;
    if (drop > 0) this.#quotaLog = this.#quotaLog.slice(drop);
  }

  /** Count this request against the quota; the `Ratelimit` headers after it, and whether it is over. */
  #countQuota(): { headers: Record<string, string>; over: boolean } {
    const now = this.#now();
    this.#pruneQuota(now);
    const over = this.#quotaLog.length >= this.#quota;
    if (!over) this.#quotaLog.push(now);
    const oldest = this.#quotaLog[0];
    const resetSeconds = Math.max(1, Math.ceil(((oldest ?? now) + this.#quotaWindowMs - now) / 1000));
    const headers: Record<string, string> = {
      ratelimit: `"default";r=${Math.max(0, this.#quota - this.#quotaLog.length)};t=${resetSeconds}`,
      'ratelimit-policy': `"default";q=${this.#quota};w=${Math.round(this.#quotaWindowMs / 1000)}`,
    };
    if (over) headers['retry-after'] = String(resetSeconds);
    return { headers, over };
  }

  /** Every request so far, oldest first. */
  get requests(): readonly SimRequest[] {
    return this.#log;
  }

  /** Requests matching the filter (all when none given). */
  countRequests(filter: SimRequestFilter = {}): number {
    return this.#log.filter((r) => matches(r, filter)).length;
  }

  clearRequests(): void {
    this.#log = [];
    this.maxConcurrent = this.#inFlight;
  }

  /** The most requests in flight at once since the start (or `clearRequests`): how wide the client's pool is. */
  maxConcurrent = 0;
  #inFlight = 0;

  // -------------------------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const route = parseRoute(url.pathname);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    this.#inFlight += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.#inFlight);
    res.once('close', () => {
      this.#inFlight -= 1;
    });
    const entry: SimRequest = {
      method,
      path: url.pathname,
      query,
      auth: authScheme(req),
      at: this.#now(),
      jobId: route?.jobId?.toLowerCase(),
    };
    this.#log.push(entry);
    req.resume();

    if (this.#held) await this.#held;
    // The latency is how long Cloudflare takes to answer, its own work included: a plain answer is made
    // first and sent when the latency has passed, so the simulator's CPU (a page of 1,000 takes a few ms)
    // is not added to it, request after request, as one process serves many at once.
    const answerAt = performance.now() + this.#latencyMs;
    const plain = this.#latencyMs > 0 && !this.#faultPending(route?.jobId);
    if (this.#latencyMs > 0 && !plain) await this.#delay(this.#latencyMs);
    const quota = this.#countQuota();
    for (const [name, value] of Object.entries(quota.headers)) res.setHeader(name, value);
    const fault = quota.over ? undefined : this.#takeFault(route?.jobId);
    if (fault?.kind === 'slow') await this.#delay(fault.delayMs);
    if (res.destroyed) return;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const reply = quota.over
      ? failure(429, 971, 'Please wait and consider throttling your request speed')
      : (this.#replyWithFault(fault) ?? this.#route(req, method, url, route, query, fault));
    if (reply === 'non-json') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf</body></html>');
      return;
    }
    if (fault?.kind === 'huge' && reply.status === 200 && route?.kind === 'job') {
      await this.#streamHuge(res, reply, fault.bytes, entry);
      return;
    }
    const body = JSON.stringify(reply.body);
    if (plain) {
      const wait = answerAt - performance.now();
      if (wait > 0) await this.#delay(wait);
      if (res.destroyed) return;
    }
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'cf-ray': `${randomBytes(8).toString('hex')}-SIM`,
      ...reply.headers,
    });
    if (fault?.kind === 'trickle') {
      const size = Math.ceil(body.length / fault.chunks);
      for (let at = 0; at < body.length && !res.destroyed; at += size) {
        res.write(body.slice(at, at + size));
        await this.#delay(fault.chunkMs);
      }
      res.end();
      return;
    }
    res.end(body);
  }

  /** A job answer with a `comment` of `bytes` characters, written piece by piece as the client reads. */
  async #streamHuge(res: ServerResponse, reply: HttpReply, bytes: number, entry: SimRequest): Promise<void> {
    const marker = '__HUGE_COMMENT__';
    const body = reply.body as { result: Record<string, unknown> };
    const [head, tail] = JSON.stringify({ ...body, result: { ...body.result, comment: marker } }).split(marker) as [
      string,
      string,
    ];
    res.writeHead(200, { 'content-type': 'application/json' });
    const piece = 'x'.repeat(64 * 1024);
    entry.bytesSent = 0;
    const write = (chunk: string) =>
      new Promise<boolean>((resolve) => {
        if (res.destroyed) return resolve(false);
        entry.bytesSent! += chunk.length;
        if (res.write(chunk)) return resolve(true);
        const done = (ok: boolean) => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = () => done(true);
        const onClose = () => done(false);
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
    if (!(await write(head))) return;
    for (let left = bytes; left > 0; left -= piece.length) {
      if (!(await write(left >= piece.length ? piece : piece.slice(0, left)))) return;
    }
    await write(tail);
    res.end();
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  /** The fault that applies to this request (global first), counting it against `times`. */
  /** Whether the next request for `jobId` would meet a fault (or the quota): without taking it. */
  #faultPending(jobId: string | undefined): boolean {
    const slots = [this.#globalFault, jobId ? this.#jobFaults.get(jobId.toLowerCase()) : undefined];
    return slots.some((slot) => slot && (slot.fault.times === undefined || slot.hits < slot.fault.times));
  }

  #takeFault(jobId: string | undefined): SimFault | undefined {
    const slots = [this.#globalFault, jobId ? this.#jobFaults.get(jobId.toLowerCase()) : undefined];
    for (const slot of slots) {
      if (!slot) continue;
      if (slot.fault.times !== undefined && slot.hits >= slot.fault.times) continue;
      slot.hits += 1;
      return slot.fault;
    }
    return undefined;
  }

  /** Faults that replace the answer entirely. */
  #replyWithFault(fault: SimFault | undefined): HttpReply | 'non-json' | undefined {
    switch (fault?.kind) {
      case 'rate-limit':
        return failure(429, 971, 'Please wait and consider throttling your request speed', {
          'retry-after': String(fault.retryAfterSeconds),
        });
      case 'server-error': {
        const status = fault.status ?? 503;
        return failure(status, 1000, `Internal server error (${status})`);
      }
      case 'non-json':
        return 'non-json';
      case 'wrong-shape':
        return new HttpReply(200, { success: true, result: { id: 42, state: 'ok' }, result_info: 'n/a' });
      case 'forbidden':
        return authError();
      case 'not-found':
        return couldNotRoute('/accounts/…/email-security/investigate/bulk');
      case 'long-error': {
        const text = `Invalid request from soc.lead@example-corp.com: ${'details '.repeat(fault.length)}`;
        return failure(400, 1004, text.slice(0, fault.length));
      }
      default:
        return undefined;
    }
  }

  #route(
    req: IncomingMessage,
    method: string,
    url: URL,
    route: Route | undefined,
    query: Record<string, string>,
    fault: SimFault | undefined,
  ): HttpReply {
    const auth = this.#authenticate(req);
    if (auth === 'none') return authError();
    const path = url.pathname.slice(API_PREFIX.length);
    if (!route) return couldNotRoute(path);
    if (!ACCOUNT_SHAPE.test(route.accountId)) return couldNotRoute(path);
    if (route.accountId !== this.accountId) return failure(403, 9109, 'Unauthorized to access requested resource');
    if (route.jobId !== undefined && !UUID_SHAPE.test(route.jobId)) return couldNotRoute(path);
    const expected = route.kind === 'cancel' ? 'POST' : 'GET';
    if (method !== expected) return failure(405, 10405, `Method ${method} not allowed`);

    const invalid = validateQuery(route.kind, query);
    if (invalid) return failure(400, 1004, invalid);
    const page = query.page === undefined ? 1 : Number(query.page);
    const perPage = query.per_page === undefined ? 20 : Number(query.per_page);
    const effectivePage = fault?.kind === 'ignores-page' ? 1 : page;
    const unknownEnums = fault?.kind === 'unknown-enums';

    if (route.kind === 'list') {
      return this.#listJobs(query, effectivePage, perPage, unknownEnums);
    }
    const job = this.#jobs.get(route.jobId!.toLowerCase());
    if (!job) return couldNotRoute(path);
    const now = this.#now();
    if (route.kind === 'job') {
      const detail = decorateJob(jobDetail(job, now), unknownEnums);
      if (fault?.kind === 'other-job') return ok({ ...detail, job_id: '00000000-0000-4000-8000-000000000000' });
      if (fault?.kind === 'negative-counts') return ok({ ...detail, messages_failed: -5 });
      return ok(detail);
    }
    if (route.kind === 'cancel') {
      if (auth === 'read-only') return authError();
      const state = stateAt(job, now);
      if (SIM_TERMINAL.has(state.status)) {
        return failure(400, 1001, `Job is not cancellable in status ${state.status}`);
      }
      cancelAt(job, now);
      return ok(decorateJob(jobDetail(job, now), unknownEnums));
    }
    const state = stateAt(job, now);
    const { indices, hasNext } = pageIndices(job, state, query.status, effectivePage, perPage);
    const result = indices.map((i) => decorateMessage(messageDetail(job, state, i), i, unknownEnums));
    return ok(result, resultInfo(result.length, perPage, effectivePage, hasNext, query.status));
  }

  #listJobs(query: Record<string, string>, page: number, perPage: number, unknownEnums: boolean): HttpReply {
    const now = this.#now();
    const all = [...this.#jobs.values()]
      .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
      .map((job) => jobDetail(job, now))
      .filter((j) => (query.status === undefined || j.status === query.status) && matchesAction(j, query));
    const start = (page - 1) * perPage;
    const result = all.slice(start, start + perPage).map((j) => decorateJob(j, unknownEnums));
    return ok(result, resultInfo(result.length, perPage, page, start + perPage < all.length, query.status));
  }

  #authenticate(req: IncomingMessage): 'full' | 'read-only' | 'none' {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (match?.[1] === this.token) return 'full';
      if (this.#readOnlyToken !== undefined && match?.[1] === this.#readOnlyToken) return 'read-only';
      return 'none';
    }
    if (req.headers['x-auth-email'] === this.email && req.headers['x-auth-key'] === this.key) return 'full';
    return 'none';
  }
}

function matches(r: SimRequest, filter: SimRequestFilter): boolean {
  if (filter.method !== undefined && r.method !== filter.method) return false;
  if (filter.jobId !== undefined && r.jobId !== filter.jobId.toLowerCase()) return false;
  if (filter.path !== undefined) {
    if (typeof filter.path === 'string' ? r.path !== filter.path : !filter.path.test(r.path)) return false;
  }
  return true;
}

function authScheme(req: IncomingMessage): SimAuthScheme {
  if (req.headers.authorization !== undefined) return 'token';
  if (req.headers['x-auth-key'] !== undefined || req.headers['x-auth-email'] !== undefined) return 'key';
  return 'none';
}

function parseRoute(pathname: string): Route | undefined {
  if (!pathname.startsWith(`${API_PREFIX}/accounts/`)) return undefined;
  const parts = pathname.slice(API_PREFIX.length + 1).split('/');
  // accounts, {account_id}, email-security, investigate, bulk, [job_id, [messages|cancel]]
  if (parts.length < 5 || parts.length > 7) return undefined;
  if (parts[2] !== 'email-security' || parts[3] !== 'investigate' || parts[4] !== 'bulk') return undefined;
  const accountId = safeDecode(parts[1] ?? '');
  if (parts.length === 5) return { kind: 'list', accountId, jobId: undefined };
  const jobId = safeDecode(parts[5] ?? '');
  if (parts.length === 6) return { kind: 'job', accountId, jobId };
  if (parts[6] === 'messages') return { kind: 'messages', accountId, jobId };
  if (parts[6] === 'cancel') return { kind: 'cancel', accountId, jobId };
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Check the query as the OpenAPI declares it; the message names the parameter, as Cloudflare's do. */
function validateQuery(kind: Route['kind'], query: Record<string, string>): string | undefined {
  if (kind === 'job' || kind === 'cancel') return undefined;
  if (query.page !== undefined && !(/^\d+$/.test(query.page) && Number(query.page) >= 1)) {
    return 'Invalid query parameter page: must be an integer greater than or equal to 1';
  }
  if (query.per_page !== undefined) {
    const n = Number(query.per_page);
    if (!/^\d+$/.test(query.per_page) || n < 1 || n > 1000) {
      return 'Invalid query parameter per_page: must be an integer between 1 and 1000';
    }
  }
  if (query.status !== undefined && !(SIM_STATUSES as readonly string[]).includes(query.status)) {
    return `Invalid query parameter status: must be one of ${SIM_STATUSES.join(', ')}`;
  }
  if (kind === 'list' && query.action_type !== undefined) {
    if (!(SIM_ACTION_TYPES as readonly string[]).includes(query.action_type)) {
      return `Invalid query parameter action_type: must be one of ${SIM_ACTION_TYPES.join(', ')}`;
    }
  }
  return undefined;
}

function matchesAction(job: Record<string, unknown>, query: Record<string, string>): boolean {
  return query.action_type === undefined || job.action_type === query.action_type;
}

function ok(result: unknown, result_info?: Record<string, unknown>): HttpReply {
  return new HttpReply(200, {
    success: true,
    errors: [],
    messages: [],
    result,
    ...(result_info ? { result_info } : {}),
  });
}

/** `email-security_CursorResultInfo`, as the live API fills it: `page` and `total_count` are always 0. */
function resultInfo(
  count: number,
  perPage: number,
  page: number,
  hasNext: boolean,
  status: string | undefined,
): Record<string, unknown> {
  const base = { per_page: perPage, ...(status ? { status } : {}) };
  return {
    count,
    per_page: perPage,
    page: 0,
    total_count: 0,
    next: hasNext ? cursor({ ...base, page: page + 1 }) : null,
    previous: page > 1 ? cursor({ ...base, page: page - 1 }) : null,
  };
}

function decorateJob(job: Record<string, unknown>, unknownEnums: boolean): Record<string, unknown> {
  if (!unknownEnums) return job;
  return {
    ...job,
    status: 'QUARANTINED_FOREVER',
    action_params: { type: 'MOVE', destination: 'Archive' },
  };
}

function decorateMessage(message: Record<string, unknown>, index: number, unknownEnums: boolean) {
  if (!unknownEnums) return message;
  const params = message.action_params as Record<string, unknown>;
  return {
    ...message,
    status: index % 2 === 0 ? 'QUARANTINED_FOREVER' : message.status,
    action_params: { ...params, destination: 'Archive' },
  };
}
