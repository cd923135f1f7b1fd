/**
 * The Cloudflare Email Security bulk-job client (docs/design.md, "Cloudflare"), written from Cloudflare's OpenAPI schema:
 * `getJob`, `listMessages`, `listJobs`, `cancelJob` and `iterateMessages`.
 *
 * - Transport: undici over one keep-alive Agent; a per-attempt timeout (`timeoutMs`).
 * - Every answer is validated with the zod schemas in `schema.ts`: not JSON or the wrong shape →
 *   CloudflareSchemaError; an HTTP error → CloudflareApiError; no HTTP answer → CloudflareNetworkError.
 * - Transient faults (429 honouring `retry-after`, 5xx, resets, timeouts) are retried with exponential
 *   backoff and full jitter, bounded by `maxRetries` and `maxRetryTimeMs`. Other 4xx never are.
 * - Every attempt takes a slot from the shared {@link RequestBudget} first, on behalf of the Slack user the
 *   request is for; every answer's `Ratelimit` headers and every 429 are reported back to it.
 * - Identical in-flight requests are coalesced into one upstream request, and job details are cached for
 *   `jobCacheMs` (`fresh: true` bypasses the cache, not the coalescing).
 * - Logs (debug): method, path, query parameter *names*, status, duration, attempt. Never a credential,
 *   never a query value or a response body (recipients are personal data).
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { Agent, type Dispatcher, request } from 'undici';
import type { z } from 'zod';
import { BoundedCache } from '../bounded-cache.js';
import type { CloudflareAuth } from '../config.js';
import {
  BotError,
  CloudflareApiError,
  CloudflareNetworkError,
  CloudflarePagingError,
  CloudflareSchemaError,
  CloudflareSlowError,
  type RequestContext,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { cloudflareEndpoint } from '../metrics-labels.js';
import { readUpTo } from '../read-capped.js';
import { currentUser } from '../request-context.js';
import { InProcessBudget, type Priority, type RequestBudget } from './budget.js';
import { DEFAULT_PAUSE_MS } from './budget-rules.js';
import { parseRateLimitHeaders } from './ratelimit-headers.js';
import {
  type ApiMessage,
  FailureEnvelopeSchema,
  type Job,
  JobEnvelopeSchema,
  JobListEnvelopeSchema,
  type Message,
  MessageListEnvelopeSchema,
} from './schema.js';

export type { Priority } from './budget.js';

/** Per-call options. */
export interface RequestOptions {
  /** `user` (default) is served first; `background` (watch refreshes) yields to users in the budget. */
  priority?: Priority;
  signal?: AbortSignal;
  /** `getJob` only: skip the job cache (Refresh). Still joins an identical request already in flight. */
  fresh?: boolean;
}

/** Enough for a burst of 50 distinct views (150 concurrent reads) with room for watches beside it. */
export const DEFAULT_CONNECTIONS = 256;

export interface CloudflareClientOptions {
  /** e.g. `https://api.cloudflare.com/client/v4` (no trailing slash needed). */
  baseUrl: string;
  accountId: string;
  auth: CloudflareAuth;
  logger?: Logger;
  /** The shared request budget. Default: a new one of `budgetPer5Min` requests per 5 minutes. */
  budget?: RequestBudget;
  budgetPer5Min?: number;
  /** Per attempt: connect, headers and body each (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** No retry is started that would end later than this after the first attempt began (default 20 s). */
  maxRetryTimeMs?: number;
  /** How long `getJob` results are reused (default 3 s; 0 disables the cache). */
  jobCacheMs?: number;
  /**
   * How long a user waits for one read, retries included, before being told that Cloudflare is slow
   * (default 8 s; 0: no limit beyond the retry bounds). The read goes on for anyone else sharing it.
   */
  userDeadlineMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Another undici dispatcher (tests); the client then does not close it. */
  dispatcher?: Dispatcher;
  /**
   * Connections to Cloudflare at once (default `DEFAULT_CONNECTIONS`, 256). A view makes three reads at the same moment, so a burst
   * of 50 users' views is 150 requests: with 16 connections they went out in waves, 4–7 s for 1 s reads.
   */
  connections?: number;
  /** Told of every attempt: its endpoint template (`job`, `messages`, …; never an id), status, duration (metrics). */
  onResponse?: (response: { endpoint: string; status: number | 'network'; durationMs: number }) => void;
}

export interface ListMessagesParams {
  page: number;
  perPage: number;
  status?: string;
}

export interface ListJobsParams {
  page: number;
  perPage: number;
  status?: string;
  actionType?: string;
}

export interface IterateMessagesParams {
  status?: string;
  /** Default and maximum 1000. */
  perPage?: number;
  /** Stop after this many messages (the last page is trimmed). */
  maxMessages?: number;
}

/** The API's maximum `per_page` (OpenAPI `email-security_per_page`). */
export const MAX_PER_PAGE = 1000;

const BACKOFF_BASE_MS = 300;
const BACKOFF_CAP_MS = 8_000;
const JOB_CACHE_MAX_ENTRIES = 500;
/** All cached jobs together: a job is a few KB, but its comment and status text come from upstream. */
const JOB_CACHE_MAX_BYTES = 16 * 1024 * 1024;
/**
 * The largest answer read: a full page of 1,000 messages is well under 2 MB (each message a few hundred
 * bytes, with its status text); 8 MB leaves room for long texts and stops a 50 MB answer at its 8th MB.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Failure codes that mean the request never reached the server: safe to retry even a POST. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** The per-attempt timer fired (kept apart from a caller's abort, which is never retried). */
class AttemptTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

interface Inflight {
  promise: Promise<unknown>;
  priority: Priority;
  /** The request holds a budget slot (or has been sent): a user may join it without waiting behind it. */
  started: boolean;
  waiters: number;
  controller: AbortController;
}

/**
 * What a call needs of a schema: zod's `safeParse`. A page reader (`readMessages`) is one too: it validates
 * the page and hands it on in the same synchronous step as the parse.
 */
interface Schema<T> {
  safeParse(body: unknown): { success: true; data: T } | { success: false; error: { issues: z.core.$ZodIssue[] } };
}

export class CloudflareClient {
  readonly budget: RequestBudget;

  readonly #base: string;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;
  readonly #logger: Logger | undefined;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #maxRetryTimeMs: number;
  readonly #userDeadlineMs: number;
  readonly #jobCacheMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #onResponse: CloudflareClientOptions['onResponse'];
  readonly #inflight = new Map<string, Inflight>();
  readonly #jobCache: BoundedCache<string, Job>;
  /** Bumped when a job's cache is invalidated, so an older read in flight cannot repopulate it. */
  readonly #jobGeneration = new Map<string, number>();

  constructor(options: CloudflareClientOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    const bulk = `/accounts/${encodeURIComponent(options.accountId)}/email-security/investigate/bulk`;
    this.#base = `${base}${bulk}`;
    this.#basePath = `${new URL(base).pathname.replace(/\/+$/, '')}${bulk}`;
    this.#headers = {
      accept: 'application/json',
      'user-agent': 'bulkjob/0.1',
      ...(options.auth.kind === 'token'
        ? { authorization: `Bearer ${options.auth.token}` }
        : { 'x-auth-email': options.auth.email, 'x-auth-key': options.auth.key }),
    };
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxRetries = Math.max(0, options.maxRetries ?? 3);
    this.#maxRetryTimeMs = options.maxRetryTimeMs ?? 20_000;
    this.#jobCacheMs = options.jobCacheMs ?? 3_000;
    this.#jobCache = new BoundedCache<string, Job>({
      maxEntries: JOB_CACHE_MAX_ENTRIES,
      maxBytes: JOB_CACHE_MAX_BYTES,
      ttlMs: this.#jobCacheMs,
      // UTF-16 in memory: two bytes a character.
      sizeOf: (job) => 2 * JSON.stringify(job).length,
      now: () => this.#now(),
    });
    this.#userDeadlineMs = options.userDeadlineMs ?? 8_000;
    this.#sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.budget = options.budget ?? new InProcessBudget(options.budgetPer5Min ? { limit: options.budgetPer5Min } : {});
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#onResponse = options.onResponse;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 30_000,
        connections: options.connections ?? DEFAULT_CONNECTIONS,
        connect: { timeout: this.#timeoutMs },
      });
  }

  /** `GET …/bulk/{job_id}`, from the short cache unless `fresh`. */
  async getJob(jobId: string, opts: RequestOptions = {}): Promise<Job> {
    const cached = opts.fresh ? undefined : this.#jobCache.get(jobId);
    if (cached) return cached;
    const generation = this.#jobGeneration.get(jobId) ?? 0;
    const envelope = await this.#call('GET', `/${encodeURIComponent(jobId)}`, [], JobEnvelopeSchema, opts);
    this.#checkSameJob(jobId, envelope.result, 'GET', `/${encodeURIComponent(jobId)}`);
    if ((this.#jobGeneration.get(jobId) ?? 0) === generation) this.#cacheJob(jobId, envelope.result);
    return envelope.result;
  }

  /**
   * `GET …/bulk/{job_id}/messages`: one page. `perPage` in the answer is what the server says it used
   * (capped at the requested size): a page shorter than it is the last one.
   */
  async listMessages(
    jobId: string,
    params: ListMessagesParams,
    opts: RequestOptions = {},
  ): Promise<{ messages: Message[]; perPage: number }> {
    const { value, perPage } = await this.readMessages(jobId, params, (messages) => messages, opts);
    return { messages: value, perPage };
  }

  /**
   * One page, handed to `use` in the same synchronous step as its parse and validation: only what `use`
   * returns waits for the caller. An export reading six pages at once turns each into CSV text this way;
   * had the 1,000 parsed messages waited for their turn while other pages were parsed, the young generation
   * would have promoted them all, and the heap grown with the size of the job.
   */
  async readMessages<T>(
    jobId: string,
    params: ListMessagesParams,
    use: (messages: Message[]) => T,
    opts: RequestOptions = {},
  ): Promise<{ value: T; perPage: number }> {
    const reader: Schema<{ value: T; perPage: number }> = {
      safeParse: (body) => {
        const parsed = MessageListEnvelopeSchema.safeParse(body);
        if (!parsed.success) return parsed;
        const perPage = effectivePerPage(params.perPage, parsed.data.result_info.per_page);
        return { success: true, data: { value: use(parsed.data.result), perPage } };
      },
    };
    const query = pagingQuery(params.page, params.perPage, params.status);
    return this.#call('GET', `/${encodeURIComponent(jobId)}/messages`, query, reader, opts);
  }

  /** `GET …/bulk`: one page of jobs, newest first. */
  async listJobs(params: ListJobsParams, opts: RequestOptions = {}): Promise<{ jobs: Job[]; perPage: number }> {
    const query = pagingQuery(params.page, params.perPage, params.status);
    if (params.actionType !== undefined) query.push(['action_type', params.actionType]);
    const envelope = await this.#call('GET', '', query, JobListEnvelopeSchema, opts);
    return { jobs: envelope.result, perPage: effectivePerPage(params.perPage, envelope.result_info.per_page) };
  }

  /**
   * `POST …/bulk/{job_id}/cancel`. Retried only when the request surely had no effect (connection refused,
   * 429, 502–504): after a reset or a timeout the job may already be cancelled, and a blind retry would then
   * answer "not cancellable", which misleads. The caller shows the error; Refresh shows the truth.
   */
  async cancelJob(jobId: string, opts: RequestOptions = {}): Promise<Job> {
    this.#invalidateJob(jobId);
    const envelope = await this.#call('POST', `/${encodeURIComponent(jobId)}/cancel`, [], JobEnvelopeSchema, opts);
    this.#checkSameJob(jobId, envelope.result, 'POST', `/${encodeURIComponent(jobId)}/cancel`);
    // Invalidate again: a read that started during the cancel must not be served from the cache afterwards.
    this.#invalidateJob(jobId);
    this.#cacheJob(jobId, envelope.result);
    return envelope.result;
  }

  /**
   * Every message of a job (optionally one status), one array per page. Pages by `page` / `per_page`
   * (the bulk endpoints take no cursor) and stops at a short or empty page, or at `maxMessages`. A server
   * that answers the same page twice (it ignores `page`) raises CloudflarePagingError instead of looping.
   */
  async *iterateMessages(
    jobId: string,
    params: IterateMessagesParams = {},
    opts: RequestOptions = {},
  ): AsyncGenerator<Message[], void, undefined> {
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Math.trunc(params.perPage ?? MAX_PER_PAGE)));
    const max = params.maxMessages ?? Number.POSITIVE_INFINITY;
    let seen = 0;
    let previous: { first: string; length: number } | undefined;
    for (let page = 1; seen < max; page++) {
      const { messages, perPage: served } = await this.listMessages(
        jobId,
        { page, perPage, ...(params.status !== undefined ? { status: params.status } : {}) },
        opts,
      );
      const first = messages[0];
      if (!first) return;
      if (previous && previous.first === first.message_id && previous.length === messages.length) {
        throw new CloudflarePagingError(
          { method: 'GET', path: this.#path(`/${encodeURIComponent(jobId)}/messages`) },
          page,
        );
      }
      previous = { first: first.message_id, length: messages.length };
      const take = messages.length > max - seen ? messages.slice(0, max - seen) : messages;
      seen += take.length;
      yield take;
      if (messages.length < served) return;
    }
  }

  /** What the job cache holds (tests, metrics). */
  cacheStats(): { entries: number; bytes: number } {
    return this.#jobCache.stats();
  }

  /** Close the connection pool (if the client made it). Pending requests fail. */
  async close(): Promise<void> {
    this.#jobCache.clear();
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  // -------------------------------------------------------------------------------------------------------

  #path(suffix: string): string {
    return `${this.#basePath}${suffix}`;
  }

  /** An answer about another job than the one asked for is never shown as that job. */
  #checkSameJob(jobId: string, job: Job, method: string, suffix: string): void {
    if (job.job_id.toLowerCase() === jobId.toLowerCase()) return;
    throw new CloudflareSchemaError({ method, path: this.#path(suffix) }, [], 'the answer is about another job');
  }

  #cacheJob(jobId: string, job: Job): void {
    if (this.#jobCacheMs <= 0) return;
    this.#jobCache.set(jobId, job);
  }

  #invalidateJob(jobId: string): void {
    this.#jobCache.delete(jobId);
    // Generations only matter while a read started before the cancel may still be in flight.
    if (this.#jobGeneration.size >= JOB_CACHE_MAX_ENTRIES && !this.#jobGeneration.has(jobId))
      this.#jobGeneration.clear();
    this.#jobGeneration.set(jobId, (this.#jobGeneration.get(jobId) ?? 0) + 1);
    // A new read must not join one that started before the cancel.
    this.#inflight.delete(requestKey('GET', this.#path(`/${encodeURIComponent(jobId)}`), []));
  }

  /** Coalesce identical in-flight requests, then run (or join) one with retries. */
  #call<T>(
    method: 'GET' | 'POST',
    suffix: string,
    query: [string, string][],
    schema: Schema<T>,
    opts: RequestOptions,
  ): Promise<T> {
    const priority = opts.priority ?? 'user';
    const path = this.#path(suffix);
    const key = requestKey(method, path, query);
    let entry = this.#inflight.get(key);
    // A user must not queue behind a background request still waiting for budget: send its own instead.
    if (!entry || (priority === 'user' && entry.priority === 'background' && !entry.started)) {
      const controller = new AbortController();
      const fresh: Inflight = { promise: Promise.resolve(), priority, started: false, waiters: 0, controller };
      fresh.promise = this.#withRetries(
        method,
        path,
        query,
        schema,
        () => fresh.priority,
        controller.signal,
        () => {
          fresh.started = true;
        },
      ).finally(() => {
        if (this.#inflight.get(key) === fresh) this.#inflight.delete(key);
      });
      // Every waiter handles the outcome; this only keeps a request nobody waits for any more quiet.
      fresh.promise.catch(() => {});
      this.#inflight.set(key, fresh);
      entry = fresh;
    } else if (priority === 'user') {
      // A user joining a watch's request in flight lifts its retries to user priority: users never wait
      // behind background work.
      entry.priority = 'user';
    }
    // A user's read is bounded as a whole; a cancel (POST) is not cut short, its outcome would be unknown.
    if (priority !== 'user' || method !== 'GET' || this.#userDeadlineMs <= 0) {
      return this.#join(key, entry, opts.signal) as Promise<T>;
    }
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new CloudflareSlowError({ method, path }, this.#userDeadlineMs)),
      this.#userDeadlineMs,
    );
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
    return (this.#join(key, entry, signal) as Promise<T>).finally(() => clearTimeout(timer));
  }

  /** Wait for a shared request; the upstream request is aborted only when every waiter has gone. */
  #join(key: string, entry: Inflight, signal: AbortSignal | undefined): Promise<unknown> {
    entry.waiters += 1;
    return new Promise((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (left) return false;
        left = true;
        signal?.removeEventListener('abort', onAbort);
        entry.waiters -= 1;
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (entry.waiters === 0) {
          if (this.#inflight.get(key) === entry) this.#inflight.delete(key);
          entry.controller.abort(signal?.reason);
        }
        reject(signal?.reason);
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (value) => {
          if (leave()) resolve(value);
        },
        (error: unknown) => {
          if (leave()) reject(error);
        },
      );
    });
  }

  async #withRetries<T>(
    method: 'GET' | 'POST',
    path: string,
    query: [string, string][],
    schema: Schema<T>,
    priorityNow: () => Priority,
    signal: AbortSignal,
    onStart: () => void,
  ): Promise<T> {
    const context: RequestContext = { method, path };
    const startedAt = this.#now();
    for (let attempt = 1; ; attempt++) {
      const priority = priorityNow();
      // The user the request is for (src/request-context.ts) pays for it from their share; background pays
      // from nobody's, even when a user's click started the work.
      await this.budget.acquire(priority, signal, priority === 'user' ? currentUser() : undefined);
      onStart();
      try {
        return await this.#attempt(context, query, schema, signal, attempt, priorityNow());
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (attempt > this.#maxRetries || !isRetryable(error, method)) throw error;
        const retryAfterMs =
          error instanceof CloudflareApiError && error.retryAfterSeconds !== undefined
            ? error.retryAfterSeconds * 1000
            : undefined;
        const backoff = this.#random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
        // Honour retry-after, plus a little jitter so many clients do not return in the same instant.
        const delay = retryAfterMs !== undefined ? retryAfterMs + this.#random() * BACKOFF_BASE_MS : backoff;
        if (this.#now() - startedAt + delay > this.#maxRetryTimeMs) throw error;
        this.#logger?.debug(
          { method, path, attempt, delayMs: Math.round(delay), code: (error as BotError).code },
          'cloudflare request will be retried',
        );
        await this.#sleep(delay, signal);
      }
    }
  }

  /**
   * Tell the budget what Cloudflare said about the account: its `Ratelimit` headers on every answer, and a
   * 429's wait, so background work on every replica stays off the account until then.
   */
  #report(status: number, headers: Record<string, string | string[] | undefined>): void {
    const observation = parseRateLimitHeaders(headers.ratelimit, headers['ratelimit-policy']);
    if (observation) this.budget.observe(observation);
    if (status !== 429) return;
    const retryAfter = parseRetryAfter(headers['retry-after'], this.#now());
    this.budget.pause(
      retryAfter !== undefined
        ? retryAfter * 1000
        : observation
          ? Math.min(observation.resetSeconds, MAX_RETRY_AFTER_SECONDS) * 1000
          : DEFAULT_PAUSE_MS,
    );
  }

  async #attempt<T>(
    context: RequestContext,
    query: [string, string][],
    schema: Schema<T>,
    signal: AbortSignal,
    attempt: number,
    priority: Priority,
  ): Promise<T> {
    const started = performance.now();
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(new AttemptTimeoutError(this.#timeoutMs)), this.#timeoutMs);
    const search = query.length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
    const url = `${this.#base}${context.path.slice(this.#basePath.length)}${search}`;
    let status: number | undefined;
    try {
      const response = await request(url, {
        method: context.method as Dispatcher.HttpMethod,
        headers: this.#headers,
        dispatcher: this.#dispatcher,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.any([signal, timer.signal]),
      });
      status = response.statusCode;
      this.#report(response.statusCode, response.headers);
      const text = await readCapped(response.body, MAX_BODY_BYTES, context);
      return parseResponse(context, response.statusCode, response.headers, text, schema, this.#now());
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof BotError) throw error;
      throw new CloudflareNetworkError(context, timer.signal.aborted ? timer.signal.reason : error);
    } finally {
      clearTimeout(timeout);
      const endpoint = cloudflareEndpoint(context.path.slice(this.#basePath.length));
      this.#onResponse?.({ endpoint, status: status ?? 'network', durationMs: performance.now() - started });
      this.#logger?.debug(
        {
          method: context.method,
          path: context.path,
          query: query.map(([name]) => name).join(','),
          status: status ?? 'no answer',
          ms: Math.round(performance.now() - started),
          attempt,
          priority,
        },
        'cloudflare request',
      );
    }
  }
}

/** The body as text, or CloudflareSchemaError as soon as it passes `max` bytes (the rest is not read). */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
  max: number,
  context: RequestContext,
): Promise<string> {
  const bytes = await readUpTo(body, max);
  if (bytes === undefined) {
    body.destroy();
    throw new CloudflareSchemaError(context, [], `the answer is larger than ${Math.round(max / 1024 / 1024)} MB`);
  }
  return bytes.toString('utf8');
}

function pagingQuery(page: number, perPage: number, status: string | undefined): [string, string][] {
  const query: [string, string][] = [
    ['page', String(page)],
    ['per_page', String(perPage)],
  ];
  if (status !== undefined) query.push(['status', status]);
  return query;
}

function effectivePerPage(requested: number, served: number): number {
  return served > 0 ? Math.min(requested, served) : requested;
}

function requestKey(method: string, path: string, query: [string, string][]): string {
  return `${method} ${path}?${new URLSearchParams(query).toString()}`;
}

function parseResponse<T>(
  context: RequestContext,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  schema: Schema<T>,
  now: number,
): T {
  let body: unknown;
  let json = true;
  try {
    body = JSON.parse(text);
  } catch {
    json = false;
  }
  if (status >= 200 && status < 300) {
    if (!json) {
      const type = String(headers['content-type'] ?? 'no content-type');
      throw new CloudflareSchemaError(context, [], `the body is not JSON (${type})`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new CloudflareSchemaError(context, parsed.error.issues);
    return parsed.data;
  }
  const failure = json ? FailureEnvelopeSchema.safeParse(body) : undefined;
  const errors: ApiMessage[] = failure?.success ? failure.data.errors : [];
  throw new CloudflareApiError(status, errors, context, parseRetryAfter(headers['retry-after'], now));
}

/** The longest wait a `retry-after` can ask of us: Cloudflare's own block lasts 5 minutes. */
export const MAX_RETRY_AFTER_SECONDS = 600;

/** `retry-after`: delta seconds or an HTTP date (RFC 9110 §10.2.3), capped so garbage cannot park us. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Math.ceil((Date.parse(raw) - now) / 1000);
  if (Number.isNaN(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, seconds));
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('cloudflare_')) return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * GETs are retried on 429, 5xx and any failure to get an answer. The POST (cancel) only when it surely had
 * no effect: 429, 502–504 (the edge did not reach the origin), or a connection that was never made.
 */
function isRetryable(error: unknown, method: string): boolean {
  if (error instanceof CloudflareApiError) {
    if (error.status === 429) return true;
    if (method === 'GET') return error.status >= 500;
    return error.status === 502 || error.status === 503 || error.status === 504;
  }
  if (error instanceof CloudflareNetworkError) {
    if (method === 'GET') return true;
    const code = causeCode(error.cause);
    return code !== undefined && NOT_SENT_CODES.has(code);
  }
  return false;
}
