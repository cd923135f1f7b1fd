import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloudflareSim, type SimFault } from '../../dev/sim/cloudflare.js';
import { InProcessBudget } from '../../src/cloudflare/budget.js';
import { CloudflareClient, type CloudflareClientOptions } from '../../src/cloudflare/client.js';
import {
  AccountRateLimitedError,
  BudgetExhaustedError,
  CloudflareApiError,
  CloudflareNetworkError,
  CloudflarePagingError,
  CloudflareSchemaError,
  UserShareExhaustedError,
} from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { runAsUser } from '../../src/request-context.js';

let sim: CloudflareSim;
const clients: CloudflareClient[] = [];

beforeAll(async () => {
  sim = await CloudflareSim.start();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await sim.close();
});

/**
 * A client on the simulator with instant, recorded sleeps and a clock the test can move; its budget reads
 * the same clock, so a 429's pause ends when the client has slept out the retry-after.
 */
function makeClient(overrides: Partial<CloudflareClientOptions> = {}) {
  const sleeps: number[] = [];
  const clock = { now: 1_000_000 };
  const client = new CloudflareClient({
    budget: new InProcessBudget({ now: () => clock.now }),
    baseUrl: sim.baseUrl,
    accountId: sim.accountId,
    auth: { kind: 'token', token: sim.token },
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    random: () => 0.5,
    now: () => clock.now,
    timeoutMs: 2_000,
    ...overrides,
  });
  clients.push(client);
  return { client, sleeps, clock };
}

function jobWith(fault?: SimFault, spec: Parameters<CloudflareSim['addJob']>[0] = {}) {
  const { id } = sim.addJob({ total: 50, ...spec, ...(fault ? { fault } : {}) });
  return id;
}

const upstream = (jobId: string) => sim.countRequests({ jobId });

describe('reads', () => {
  it('reads a job with a bearer token; the server sees the path and the scheme', async () => {
    const { client } = makeClient();
    const id = jobWith();
    const job = await client.getJob(id);
    expect(job).toMatchObject({ job_id: id, status: 'COMPLETED', total_messages_discovered: 50 });
    const seen = sim.requests.filter((r) => r.jobId === id);
    expect(seen).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: `/client/v4/accounts/${sim.accountId}/email-security/investigate/bulk/${id}`,
        auth: 'token',
      }),
    ]);
  });

  it('sends the legacy X-Auth-Email and X-Auth-Key headers', async () => {
    const { client } = makeClient({ auth: { kind: 'key', email: sim.email, key: sim.key } });
    const id = jobWith();
    await expect(client.getJob(id)).resolves.toMatchObject({ job_id: id });
    expect(sim.requests.filter((r) => r.jobId === id).map((r) => r.auth)).toEqual(['key']);
  });

  it('sends page, per_page and status, and lists jobs with action_type', async () => {
    const { client } = makeClient();
    const id = jobWith(undefined, { total: 30, failureRate: 0.5 });
    const { messages, perPage } = await client.listMessages(id, { page: 2, perPage: 5, status: 'FAILED' });
    expect(perPage).toBe(5);
    expect(messages).toHaveLength(5);
    expect(messages.every((m) => m.status === 'FAILED')).toBe(true);
    expect(sim.requests.at(-1)?.query).toEqual({ page: '2', per_page: '5', status: 'FAILED' });
    const { jobs } = await client.listJobs({ page: 1, perPage: 1000, actionType: 'MOVE' });
    expect(jobs.map((j) => j.job_id)).toContain(id);
    expect(sim.requests.at(-1)?.query).toEqual({ page: '1', per_page: '1000', action_type: 'MOVE' });
  });

  it('passes unknown enum values through as strings', async () => {
    const { client } = makeClient();
    const id = jobWith({ kind: 'unknown-enums' });
    const job = await client.getJob(id);
    expect(job.status).toBe('QUARANTINED_FOREVER');
    expect(job.action_params.destination).toBe('Archive');
    const { messages } = await client.listMessages(id, { page: 1, perPage: 10 });
    expect(messages.map((m) => m.status)).toContain('QUARANTINED_FOREVER');
    expect(messages[0]?.action_params.destination).toBe('Archive');
  });
});

describe('errors that are not retried', () => {
  it('maps 403 code 10000 to CloudflareApiError, without retrying', async () => {
    const { client, sleeps } = makeClient();
    const id = jobWith({ kind: 'forbidden' });
    const error = await client.getJob(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareApiError);
    expect(error).toMatchObject({ status: 403, code: 'cloudflare_forbidden', errors: [{ code: 10000 }] });
    expect((error as CloudflareApiError).request).toEqual({
      method: 'GET',
      path: `/client/v4/accounts/${sim.accountId}/email-security/investigate/bulk/${id}`,
    });
    expect(upstream(id)).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('reports a bad token as 403 and never puts the token in the error', async () => {
    const { client } = makeClient({ auth: { kind: 'token', token: 'wrong-secret-token' } });
    const id = jobWith();
    const error = await client.getJob(id).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, errors: [{ code: 10000, message: 'Authentication error' }] });
    expect(JSON.stringify(error)).not.toContain('wrong-secret-token');
    expect(String(error)).not.toContain('wrong-secret-token');
  });

  it('maps an unknown job to 404 code 7003', async () => {
    const { client } = makeClient();
    const missing = '6f1c1a52-0c1b-4f5e-9a51-3f2d8f7c0b11';
    const error = await client.getJob(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareApiError);
    expect(error).toMatchObject({ status: 404, code: 'cloudflare_not_found', errors: [{ code: 7003 }] });
    expect(upstream(missing)).toBe(1);
  });

  it('maps a body that is not JSON to CloudflareSchemaError', async () => {
    const { client } = makeClient();
    const id = jobWith({ kind: 'non-json' });
    const error = await client.getJob(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareSchemaError);
    expect((error as Error).message).toContain('not JSON');
    expect(upstream(id)).toBe(1);
  });

  it('maps valid JSON of the wrong shape to CloudflareSchemaError with the issues', async () => {
    const { client } = makeClient();
    const id = jobWith({ kind: 'wrong-shape' });
    const error = await client.listMessages(id, { page: 1, perPage: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareSchemaError);
    expect((error as CloudflareSchemaError).issues.length).toBeGreaterThan(0);
  });
});

describe('retries', () => {
  it('retries a 429 after the retry-after it was given, then succeeds', async () => {
    const { client, sleeps } = makeClient();
    const id = jobWith({ kind: 'rate-limit', retryAfterSeconds: 7, times: 1 });
    await expect(client.getJob(id)).resolves.toMatchObject({ job_id: id });
    expect(upstream(id)).toBe(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(7_000);
  });

  it('fails at once when retry-after is beyond the retry time budget, carrying retryAfterSeconds', async () => {
    const { client, sleeps } = makeClient({ maxRetryTimeMs: 20_000 });
    const id = jobWith({ kind: 'rate-limit', retryAfterSeconds: 60 });
    const error = await client.getJob(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareApiError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 60, code: 'cloudflare_rate_limited' });
    expect(upstream(id)).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a 5xx with growing backoff, then succeeds', async () => {
    const { client, sleeps } = makeClient();
    const id = jobWith({ kind: 'server-error', status: 500, times: 2 });
    await expect(client.getJob(id)).resolves.toMatchObject({ job_id: id });
    expect(upstream(id)).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? 0);
  });

  it('gives up on a 5xx that never ends after maxRetries + 1 attempts', async () => {
    const { client } = makeClient({ maxRetries: 3 });
    const id = jobWith({ kind: 'server-error', status: 503 });
    const error = await client.getJob(id).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'cloudflare_unavailable' });
    expect(upstream(id)).toBe(4);
  });

  it('stops retrying when the total retry time is used up', async () => {
    const { client, sleeps } = makeClient({ maxRetries: 50, maxRetryTimeMs: 5_000 });
    const id = jobWith({ kind: 'server-error' });
    await expect(client.getJob(id)).rejects.toBeInstanceOf(CloudflareApiError);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5_000);
    expect(upstream(id)).toBeLessThan(51);
  });

  it('retries a reset connection, and maps a lasting one to CloudflareNetworkError', async () => {
    const { client } = makeClient();
    const once = jobWith({ kind: 'reset', times: 1 });
    await expect(client.getJob(once)).resolves.toMatchObject({ job_id: once });
    expect(upstream(once)).toBe(2);

    const always = jobWith({ kind: 'reset' });
    const error = await client.getJob(always).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareNetworkError);
    expect(error).toMatchObject({ code: 'cloudflare_unreachable' });
    expect(upstream(always)).toBe(4);
  });

  it('times out a slow reply and maps it to CloudflareNetworkError', async () => {
    const { client } = makeClient({ timeoutMs: 100, maxRetries: 1 });
    const id = jobWith({ kind: 'slow', delayMs: 1_500 });
    const error = await client.getJob(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareNetworkError);
    expect(upstream(id)).toBe(2);
  });

  it('maps a refused connection to CloudflareNetworkError', async () => {
    const closed = await CloudflareSim.start();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const { client } = makeClient({ baseUrl, maxRetries: 1 });
    await expect(client.getJob(jobWith())).rejects.toBeInstanceOf(CloudflareNetworkError);
  });
});

describe('cancel', () => {
  it('cancels a running job and invalidates the cached job', async () => {
    const { client } = makeClient();
    const id = jobWith(undefined, { total: 100, progress: { kind: 'static', status: 'PROCESSING', processed: 10 } });
    expect((await client.getJob(id)).status).toBe('PROCESSING');
    const cancelled = await client.cancelJob(id);
    expect(cancelled).toMatchObject({ job_id: id, status: 'CANCELLED', messages_pending: 0 });
    expect((await client.getJob(id)).status).toBe('CANCELLED');
    expect(sim.countRequests({ jobId: id, method: 'POST' })).toBe(1);
  });

  it('does not retry a cancel that may have reached the server (500, reset); does on 503 and 429', async () => {
    const { client } = makeClient();
    const running = { total: 10, progress: { kind: 'static', status: 'PROCESSING' } } as const;
    const five = jobWith({ kind: 'server-error', status: 500 }, running);
    await expect(client.cancelJob(five)).rejects.toMatchObject({ status: 500 });
    expect(upstream(five)).toBe(1);

    const reset = jobWith({ kind: 'reset' }, running);
    await expect(client.cancelJob(reset)).rejects.toBeInstanceOf(CloudflareNetworkError);
    expect(upstream(reset)).toBe(1);

    const unavailable = jobWith({ kind: 'server-error', status: 503, times: 1 }, running);
    await expect(client.cancelJob(unavailable)).resolves.toMatchObject({ status: 'CANCELLED' });
    expect(upstream(unavailable)).toBe(2);

    const limited = jobWith({ kind: 'rate-limit', retryAfterSeconds: 1, times: 1 }, running);
    await expect(client.cancelJob(limited)).resolves.toMatchObject({ status: 'CANCELLED' });
    expect(upstream(limited)).toBe(2);
  });

  it('reports the cancel of a finished job as a 400 CloudflareApiError', async () => {
    const { client } = makeClient();
    const id = jobWith();
    const error = await client.cancelJob(id).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, errors: [{ code: 1001 }], request: { method: 'POST' } });
    expect(upstream(id)).toBe(1);
  });
});

describe('iterateMessages', () => {
  async function collect(iterable: AsyncIterable<unknown[]>): Promise<number[]> {
    const sizes: number[] = [];
    for await (const page of iterable) sizes.push(page.length);
    return sizes;
  }

  it('pages with page/per_page and stops at the short page', async () => {
    const { client } = makeClient();
    const id = jobWith(undefined, { total: 2_500 });
    expect(await collect(client.iterateMessages(id))).toEqual([1000, 1000, 500]);
    expect(sim.requests.filter((r) => r.jobId === id).map((r) => r.query)).toEqual([
      { page: '1', per_page: '1000' },
      { page: '2', per_page: '1000' },
      { page: '3', per_page: '1000' },
    ]);
  });

  it('stops at an empty page when the total is a multiple of per_page', async () => {
    const { client } = makeClient();
    const id = jobWith(undefined, { total: 40 });
    expect(await collect(client.iterateMessages(id, { perPage: 20 }))).toEqual([20, 20]);
    expect(upstream(id)).toBe(3);
  });

  it('filters by status and stops at maxMessages', async () => {
    const { client } = makeClient();
    const id = jobWith(undefined, { total: 3_000, failureRate: 0.9 });
    const pages: string[][] = [];
    for await (const page of client.iterateMessages(id, { status: 'FAILED', maxMessages: 1_500 })) {
      pages.push(page.map((m) => m.status));
    }
    expect(pages.map((p) => p.length)).toEqual([1000, 500]);
    expect(pages.flat().every((s) => s === 'FAILED')).toBe(true);
    expect(upstream(id)).toBe(2);
  });

  it('throws CloudflarePagingError when the server returns the same page twice', async () => {
    const { client } = makeClient();
    const id = jobWith({ kind: 'ignores-page' }, { total: 50 });
    const error = await collect(client.iterateMessages(id, { perPage: 10 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflarePagingError);
    expect(upstream(id)).toBe(2);
  });
});

describe('coalescing and cache', () => {
  it('sends one upstream request for 20 identical concurrent reads', async () => {
    const { client } = makeClient();
    const id = jobWith();
    const jobs = await Promise.all(Array.from({ length: 20 }, () => client.getJob(id)));
    expect(new Set(jobs.map((j) => j.job_id))).toEqual(new Set([id]));
    expect(upstream(id)).toBe(1);

    // listMessages has no cache: only coalescing can explain a single request.
    const pages = await Promise.all(
      Array.from({ length: 20 }, () => client.listMessages(id, { page: 1, perPage: 10 })),
    );
    expect(pages.every((p) => p.messages.length === 10)).toBe(true);
    expect(upstream(id)).toBe(2);
    // Different queries are not merged.
    await Promise.all([
      client.listMessages(id, { page: 1, perPage: 5 }),
      client.listMessages(id, { page: 2, perPage: 5 }),
    ]);
    expect(upstream(id)).toBe(4);
  });

  it('caches job details for jobCacheMs; fresh bypasses the cache', async () => {
    const { client, clock } = makeClient({ jobCacheMs: 3_000 });
    const id = jobWith();
    await client.getJob(id);
    await client.getJob(id);
    expect(upstream(id)).toBe(1);
    await client.getJob(id, { fresh: true });
    expect(upstream(id)).toBe(2);
    clock.now += 3_001;
    await client.getJob(id);
    expect(upstream(id)).toBe(3);
  });

  it('lets an aborted caller leave without failing the others', async () => {
    const { client } = makeClient();
    const id = jobWith({ kind: 'slow', delayMs: 100 });
    const controller = new AbortController();
    const leaving = client.getJob(id, { signal: controller.signal });
    const staying = client.getJob(id);
    controller.abort(new Error('user left'));
    await expect(leaving).rejects.toThrow('user left');
    await expect(staying).resolves.toMatchObject({ job_id: id });
    expect(upstream(id)).toBe(1);
  });
});

describe('budget and logs', () => {
  it('takes a budget slot for every attempt, retries included', async () => {
    const budget = new InProcessBudget({ limit: 2, windowMs: 60_000, maxUserWaitMs: 0 });
    const { client } = makeClient({ budget, maxRetries: 5 });
    const id = jobWith({ kind: 'server-error' });
    await expect(client.getJob(id)).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(upstream(id)).toBe(2);
    expect(budget.snapshot().used).toBe(2);
  });

  it('logs method, path, status and attempt at debug, never the token or query values', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    const { client } = makeClient({ logger });
    const id = jobWith({ kind: 'server-error', times: 1 }, { total: 20, failureRate: 0.5 });
    await client.listMessages(id, { page: 1, perPage: 7, status: 'FAILED' });
    const entries = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.msg === 'cloudflare request');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ method: 'GET', status: 503, attempt: 1, query: 'page,per_page,status' });
    expect(entries[1]).toMatchObject({ status: 200, attempt: 2 });
    expect(String(entries[1]?.path)).toContain(`/bulk/${id}/messages`);
    const all = lines.join('\n');
    expect(all).not.toContain(sim.token);
    expect(all).not.toContain('FAILED');
    expect(all).not.toContain('example-corp.com');
  });
});

describe('priorities and bounds', () => {
  it('a user joining a watch request lifts its retries to user priority', async () => {
    // Background may use 10% of 10 slots: one. The watch's first attempt takes it and fails with a 503;
    // its retry would wait for the window as background, but a user joins it during the backoff.
    const budget = new InProcessBudget({ limit: 10, windowMs: 60_000, backgroundShare: 0.1, maxUserWaitMs: 50 });
    let endBackoff!: () => void;
    const backoff = new Promise<void>((resolve) => {
      endBackoff = resolve;
    });
    let inBackoff!: () => void;
    const backingOff = new Promise<void>((resolve) => {
      inBackoff = resolve;
    });
    const { client } = makeClient({
      budget,
      sleep: async () => {
        inBackoff();
        await backoff;
      },
    });
    const id = jobWith({ kind: 'server-error', status: 503, times: 1 });
    const watch = client.getJob(id, { priority: 'background', fresh: true });
    await backingOff;
    const user = client.getJob(id, { priority: 'user', fresh: true });
    endBackoff();
    await expect(user).resolves.toMatchObject({ job_id: id });
    await expect(watch).resolves.toMatchObject({ job_id: id });
    expect(upstream(id)).toBe(2);
  });

  it('caps a retry-after that asks for an absurd wait', async () => {
    const { parseRetryAfter, MAX_RETRY_AFTER_SECONDS } = await import('../../src/cloudflare/client.js');
    expect(parseRetryAfter('100000000000000000000', 0)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(parseRetryAfter('Fri, 31 Dec 2100 23:59:59 GMT', Date.now())).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(parseRetryAfter('30', 0)).toBe(30);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});

describe('Cloudflare’s signal and users’ shares', () => {
  /** A simulator of its own with a small, fast account quota, and a client on real time (short waits). */
  async function smallAccount(quota: number, quotaWindowMs: number, budget: InProcessBudget) {
    const account = await CloudflareSim.start({ quota, quotaWindowMs });
    const client = new CloudflareClient({
      baseUrl: account.baseUrl,
      accountId: account.accountId,
      auth: { kind: 'token', token: account.token },
      budget,
      random: () => 0,
      timeoutMs: 2_000,
    });
    clients.push(client);
    return { account, client, close: () => account.close() };
  }

  it('reports every answer’s Ratelimit headers to the budget', async () => {
    const budget = new InProcessBudget();
    const seen: unknown[] = [];
    const observe = budget.observe.bind(budget);
    budget.observe = (o) => {
      seen.push(o);
      observe(o);
    };
    const { client } = makeClient({ budget });
    await client.getJob(jobWith());
    expect(seen).toEqual([
      { remaining: expect.any(Number), resetSeconds: expect.any(Number), quota: 1200, windowSeconds: 300 },
    ]);
  });

  it('holds background work until Cloudflare’s reset when the dashboard has used most of the quota; users go first', async () => {
    const budget = new InProcessBudget({ limit: 400 });
    const { account, client, close } = await smallAccount(100, 1_000, budget);
    try {
      const [a, b] = [account.addJob().id, account.addJob().id];
      account.spend(80);
      // The user's read says 19 of 100 are left, under a quarter: background must wait for the reset.
      await client.getJob(a);
      const started = Date.now();
      const watch = client.getJob(b, { priority: 'background' }).then(() => Date.now());
      const user = client.listJobs({ page: 1, perPage: 5 }).then(() => Date.now());
      const [watchAt, userAt] = await Promise.all([watch, user]);
      expect(userAt).toBeLessThan(watchAt);
      expect(userAt - started).toBeLessThan(500);
      // Cloudflare said t=1: the watch's read went only after the reset.
      expect(watchAt - started).toBeGreaterThanOrEqual(700);
      expect(account.countRequests({ jobId: b })).toBe(1);
    } finally {
      await close();
    }
  });

  it('pauses background work for a 429’s retry-after; a user asking meanwhile waits it out and goes first', async () => {
    const budget = new InProcessBudget({ limit: 400, maxUserWaitMs: 5_000 });
    const { account, client, close } = await smallAccount(3, 1_000, budget);
    try {
      const [a, b] = [account.addJob().id, account.addJob().id];
      account.spend(3);
      const started = Date.now();
      // The watch's read gets the 429 (retry-after 1) and retries after it; everything else waits too.
      const first = client.getJob(a, { priority: 'background' });
      await vi.waitFor(() => expect(account.countRequests({ jobId: a })).toBe(1));
      const second = client.getJob(b, { priority: 'background' }).then(() => Date.now());
      const user = client.listJobs({ page: 1, perPage: 5 }).then(() => Date.now());
      const [, secondAt, userAt] = await Promise.all([first, second, user]);
      expect(userAt).toBeLessThanOrEqual(secondAt);
      expect(secondAt - started).toBeGreaterThanOrEqual(900);
      // The second watch read was never sent into the 429.
      expect(account.countRequests({ jobId: b })).toBe(1);
      const listed = account.requests.find((r) => r.jobId === undefined);
      const second429 = account.requests.find((r) => r.jobId === b);
      expect(listed!.at).toBeLessThanOrEqual(second429!.at);
    } finally {
      await close();
    }
  });

  it('tells a user who would wait past a long 429 that Cloudflare is rate limiting the account', async () => {
    const budget = new InProcessBudget({ limit: 400, maxUserWaitMs: 1_000 });
    const { client } = makeClient({ budget, maxRetryTimeMs: 1_000 });
    const id = jobWith({ kind: 'rate-limit', retryAfterSeconds: 60, times: 1 });
    await expect(client.getJob(id)).rejects.toMatchObject({ status: 429 });
    const error = await client.getJob(jobWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountRateLimitedError);
    expect(error).toMatchObject({ reason: 'paused', retryAfterSeconds: 60 });
  });

  it('counts a user’s reads against their share, from the handler’s request context', async () => {
    const budget = new InProcessBudget({ limit: 80, windowMs: 60_000 });
    const { client } = makeClient({ budget, jobCacheMs: 0 });
    const id = jobWith();
    await runAsUser('U_RUNAWAY', async () => {
      for (let i = 0; i < 20; i++) await client.getJob(id);
      await expect(client.getJob(id)).rejects.toBeInstanceOf(UserShareExhaustedError);
      // Background work a user's click started is nobody's share.
      await expect(client.getJob(id, { priority: 'background' })).resolves.toMatchObject({ job_id: id });
    });
    await expect(runAsUser('U_OTHER', () => client.getJob(id))).resolves.toMatchObject({ job_id: id });
  });
});
