import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareSim, FAILURE_REASONS } from '../../dev/sim/cloudflare.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
let clock = T0;
let sim: CloudflareSim;

beforeAll(async () => {
  sim = await CloudflareSim.start({ now: () => clock, readOnlyToken: 'read-only-token' });
});
afterAll(async () => {
  await sim.close();
});

type Envelope = {
  success: boolean;
  errors: { code: number; message: string }[];
  messages: unknown[];
  result: unknown;
  result_info?: {
    count: number;
    per_page: number;
    page: number;
    total_count: number;
    next: string | null;
    previous: string | null;
  };
};
type Row = Record<string, unknown> & { action_params: Record<string, unknown> };

const tokenAuth = () => ({ authorization: `Bearer ${sim.token}` });
const bulk = (suffix = '') => `/accounts/${sim.accountId}/email-security/investigate/bulk${suffix}`;

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Envelope; headers: Headers }> {
  const response = await fetch(`${sim.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: init.headers ?? tokenAuth(),
  });
  return { status: response.status, body: (await response.json()) as Envelope, headers: response.headers };
}

async function allMessages(jobId: string, status?: string): Promise<Row[]> {
  const out: Row[] = [];
  for (let page = 1; ; page++) {
    const { body } = await call(
      bulk(`/${jobId}/messages?per_page=1000&page=${page}${status ? `&status=${status}` : ''}`),
    );
    const rows = body.result as Row[];
    out.push(...rows);
    if (rows.length < 1000) return out;
  }
}

describe('authentication', () => {
  it('accepts a bearer token and the legacy email + key pair', async () => {
    const { id } = sim.addJob({ total: 3 });
    expect((await call(bulk(`/${id}`))).status).toBe(200);
    const legacy = await call(bulk(`/${id}`), { headers: { 'x-auth-email': sim.email, 'x-auth-key': sim.key } });
    expect(legacy.status).toBe(200);
    expect(legacy.body.success).toBe(true);
  });

  it.each([
    ['no credentials', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a wrong key', { 'x-auth-email': 'soc@example-corp.com', 'x-auth-key': 'nope' }],
    ['an email without a key', { 'x-auth-email': 'soc@example-corp.com' }],
  ])('answers 403 code 10000 for %s', async (_name, headers: Record<string, string>) => {
    const { status, body } = await call(bulk(), { headers });
    expect(status).toBe(403);
    expect(body).toEqual({
      success: false,
      errors: [{ code: 10000, message: 'Authentication error' }],
      messages: [],
      result: null,
    });
  });

  it('refuses cancel with a read-only token', async () => {
    const { id } = sim.addJob({ total: 10, progress: { kind: 'static', status: 'PROCESSING', processed: 2 } });
    const { status, body } = await call(bulk(`/${id}/cancel`), {
      method: 'POST',
      headers: { authorization: 'Bearer read-only-token' },
    });
    expect(status).toBe(403);
    expect(body.errors[0]?.code).toBe(10000);
    expect((await call(bulk(`/${id}`), { headers: { authorization: 'Bearer read-only-token' } })).status).toBe(200);
  });

  it('logs the auth scheme, never the credential values', async () => {
    sim.clearRequests();
    await call(bulk());
    await call(bulk(), { headers: { 'x-auth-email': sim.email, 'x-auth-key': sim.key } });
    await call(bulk(), { headers: {} });
    expect(sim.requests.map((r) => r.auth)).toEqual(['token', 'key', 'none']);
    const logged = JSON.stringify(sim.requests);
    for (const secret of [sim.token, sim.key, sim.email]) expect(logged).not.toContain(secret);
    expect(sim.countRequests({ method: 'GET', path: `/client/v4${bulk()}` })).toBe(3);
    sim.clearRequests();
    expect(sim.countRequests()).toBe(0);
  });
});

describe('routing and parameter validation', () => {
  it('answers 403 code 9109 for another account and 404 code 7003 for an account id over 32 characters', async () => {
    const other = await call('/accounts/0123456789abcdef0123456789abcdef/email-security/investigate/bulk');
    expect(other.status).toBe(403);
    expect(other.body.errors[0]?.code).toBe(9109);
    const tooLong = await call(`/accounts/${'a'.repeat(33)}/email-security/investigate/bulk`);
    expect(tooLong.status).toBe(404);
    expect(tooLong.body.errors[0]?.code).toBe(7003);
  });

  it('answers 404 code 7003 for a job id that is not UUID-shaped, and for an unknown job', async () => {
    for (const id of ['not-a-uuid', '00000000-0000-1000-8000-000000000000']) {
      const { status, body } = await call(bulk(`/${id}`));
      expect(status).toBe(404);
      expect(body.success).toBe(false);
      expect(body.result).toBeNull();
      expect(body.errors[0]?.code).toBe(7003);
      expect(body.errors[0]?.message).toMatch(/^Could not route to .*, perhaps your object identifier is invalid\?$/);
    }
  });

  it.each([
    ['page=0'],
    ['page=1.5'],
    ['page=abc'],
    ['per_page=0'],
    ['per_page=1001'],
    ['per_page=-5'],
    ['status=DONE'],
    ['status=failed'],
  ])('rejects messages?%s with 400 code 1004', async (query) => {
    const { id } = sim.addJob({ total: 5 });
    const { status, body } = await call(bulk(`/${id}/messages?${query}`));
    expect(status).toBe(400);
    expect(body.errors[0]?.code).toBe(1004);
    expect(body.errors[0]?.message).toContain(query.split('=')[0]);
  });

  it('rejects an unknown action_type on the job list', async () => {
    const { status, body } = await call(bulk('?action_type=COPY'));
    expect(status).toBe(400);
    expect(body.errors[0]?.message).toContain('action_type');
  });

  it('answers 405 for the wrong method', async () => {
    const { id } = sim.addJob({ total: 1 });
    expect((await call(bulk(`/${id}/cancel`))).status).toBe(405);
  });
});

describe('envelopes and paging', () => {
  it('fills result_info as the live API does: page and total_count 0, opaque cursors', async () => {
    const { id } = sim.addJob({ total: 25 });
    const first = await call(bulk(`/${id}/messages?per_page=10`));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(first.body.result_info).toMatchObject({ count: 10, per_page: 10, page: 0, total_count: 0, previous: null });
    expect(first.body.result_info?.next).toEqual(expect.any(String));
    expect(() => JSON.parse(Buffer.from(first.body.result_info?.next ?? '', 'base64').toString())).not.toThrow();

    const last = await call(bulk(`/${id}/messages?per_page=10&page=3`));
    expect(last.body.result_info).toMatchObject({ count: 5, per_page: 10, next: null, page: 0, total_count: 0 });
    expect(last.body.result_info?.previous).toEqual(expect.any(String));
    const beyond = await call(bulk(`/${id}/messages?per_page=10&page=4`));
    expect(beyond.body.result).toEqual([]);
  });

  it('defaults per_page to 20', async () => {
    const { id } = sim.addJob({ total: 50 });
    const { body } = await call(bulk(`/${id}/messages`));
    expect(body.result_info?.per_page).toBe(20);
    expect(body.result as unknown[]).toHaveLength(20);
  });

  it('lists jobs newest first, filtered by status and action type', async () => {
    const local = await CloudflareSim.start({ now: () => T0 });
    try {
      const old = local.addJob({ total: 1, createdAt: T0 - 3_600_000, actionType: 'RELEASE' });
      const newer = local.addJob({ total: 1, createdAt: T0 - 60_000 });
      const running = local.addJob({
        total: 10,
        createdAt: T0 - 120_000,
        progress: { kind: 'static', status: 'PROCESSING' },
      });
      const get = async (query: string) => {
        const response = await fetch(
          `${local.baseUrl}/accounts/${local.accountId}/email-security/investigate/bulk${query}`,
          {
            headers: { authorization: `Bearer ${local.token}` },
          },
        );
        const body = (await response.json()) as Envelope;
        return (body.result as Row[]).map((j) => j.job_id);
      };
      expect(await get('')).toEqual([newer.id, running.id, old.id]);
      expect(await get('?status=PROCESSING')).toEqual([running.id]);
      expect(await get('?action_type=RELEASE')).toEqual([old.id]);
      expect(await get('?per_page=2&page=2')).toEqual([old.id]);
    } finally {
      await local.close();
    }
  });
});

describe('generated data', () => {
  it('generates realistic, deterministic messages with failure reasons and retry details', async () => {
    const { id } = sim.addJob({ total: 400, failureRate: 0.3, seed: 42 });
    const rows = await allMessages(id);
    expect(rows).toHaveLength(400);
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(400);
    for (const row of rows) {
      expect(row.action_params.client_recipient).toMatch(/^[a-z]+\.[a-z]+@([a-z]+\.)?example-(corp|labs)\.(com|io)$/);
      expect(row.message_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.postfix_id).toMatch(/^[0-9A-Za-z]{12}$/);
      expect(row.processed_at).toEqual(expect.any(String));
    }
    const failed = rows.filter((r) => r.status === 'FAILED');
    expect(failed.length).toBeGreaterThan(60);
    const reasons = new Set(failed.map((r) => r.status_message));
    expect(reasons.size).toBeGreaterThanOrEqual(4);
    for (const reason of reasons) expect(FAILURE_REASONS.map((r) => r.message)).toContain(reason);
    const throttled = failed.filter((r) => r.status_message === 'Graph API throttled (429)');
    expect(throttled.length).toBeGreaterThan(0);
    for (const row of throttled) expect(row.retry_after).toEqual(expect.any(String));
    expect(rows.some((r) => r.alert_id !== null)).toBe(true);

    // The same seed gives the same data (another job with the same spec and seed).
    const twin = sim.addJob({ total: 400, failureRate: 0.3, seed: 42 });
    const twinRows = await allMessages(twin.id);
    expect(twinRows.map((r) => r.message_id)).toEqual(rows.map((r) => r.message_id));
  });

  it('filters by status consistently with the job counts', async () => {
    const { id } = sim.addJob({
      total: 2345,
      failureRate: 0.15,
      progress: { kind: 'static', status: 'PROCESSING', processed: 2000 },
    });
    const job = (await call(bulk(`/${id}`))).body.result as Record<string, number>;
    const failed = await allMessages(id, 'FAILED');
    const completed = await allMessages(id, 'COMPLETED');
    const pending = await allMessages(id, 'PENDING');
    expect(failed.length).toBe(job.messages_failed);
    expect(completed.length).toBe(job.messages_successful);
    expect(pending.length).toBe(job.messages_pending);
    expect(pending.length).toBe(345);
    expect(failed.every((r) => r.status === 'FAILED')).toBe(true);
    expect(completed.every((r) => r.status === 'COMPLETED')).toBe(true);
    expect(pending.every((r) => r.status === 'PENDING' && r.processed_at === null)).toBe(true);
    expect((await allMessages(id, 'SKIPPED')).length).toBe(0);
  });

  it('serves filtered pages of a 100,000-message job', async () => {
    const { id } = sim.addJob({ total: 100_000, failureRate: 0.1 });
    const job = (await call(bulk(`/${id}`))).body.result as Record<string, number>;
    expect(job.total_messages_discovered).toBe(100_000);
    const lastFailedPage = Math.ceil((job.messages_failed ?? 0) / 1000);
    const { body } = await call(bulk(`/${id}/messages?status=FAILED&per_page=1000&page=${lastFailedPage}`));
    const rows = body.result as Row[];
    expect(rows.length).toBe((job.messages_failed ?? 0) - (lastFailedPage - 1) * 1000);
    expect(rows.every((r) => r.status === 'FAILED')).toBe(true);
    expect(body.result_info?.next).toBeNull();
    const middle = await call(bulk(`/${id}/messages?status=COMPLETED&per_page=1000&page=50`));
    expect(middle.body.result as unknown[]).toHaveLength(1000);
  });
});

describe('progress over time and cancel', () => {
  it('moves a live job through PENDING, DISCOVERING, PROCESSING and COMPLETED as the clock advances', async () => {
    clock = T0;
    const { id } = sim.addJob({
      total: 100,
      failureRate: 0.2,
      progress: { kind: 'live', startAfterMs: 1_000, discoverMs: 2_000, ratePerSecond: 10 },
    });
    const job = async () => (await call(bulk(`/${id}`))).body.result as Record<string, unknown>;
    expect(await job()).toMatchObject({ status: 'PENDING', started_at: null, total_messages_discovered: 0 });
    clock = T0 + 2_000;
    expect(await job()).toMatchObject({ status: 'DISCOVERING', total_messages_discovered: 50 });
    clock = T0 + 3_000 + 5_000;
    const halfway = await job();
    expect(halfway).toMatchObject({ status: 'PROCESSING', total_messages_discovered: 100, messages_pending: 50 });
    expect(Number(halfway.messages_successful) + Number(halfway.messages_failed)).toBe(50);
    expect((await allMessages(id, 'PENDING')).length).toBe(50);
    clock = T0 + 3_000 + 10_000;
    const done = await job();
    expect(done).toMatchObject({ status: 'COMPLETED', messages_pending: 0 });
    expect(done.completed_at).toEqual(new Date(T0 + 13_000).toISOString());
    clock = T0;
  });

  it('ends FAILED when every message failed', async () => {
    const { id } = sim.addJob({ total: 5, failureRate: 1, createdAt: T0 - 60_000, progress: { kind: 'live' } });
    const { body } = await call(bulk(`/${id}`));
    expect(body.result).toMatchObject({ status: 'FAILED', messages_failed: 5, messages_successful: 0 });
  });

  it('cancels a running job: pending messages become CANCELLED; a second cancel is refused', async () => {
    clock = T0;
    const { id } = sim.addJob({
      total: 100,
      failureRate: 0,
      progress: { kind: 'live', discoverMs: 0, ratePerSecond: 10 },
    });
    clock = T0 + 3_000;
    const cancelled = await call(bulk(`/${id}/cancel`), { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.result).toMatchObject({
      status: 'CANCELLED',
      messages_successful: 30,
      messages_pending: 0,
      completed_at: new Date(T0 + 3_000).toISOString(),
    });
    clock = T0 + 60_000;
    expect((await call(bulk(`/${id}`))).body.result).toMatchObject({ status: 'CANCELLED', messages_successful: 30 });
    expect((await allMessages(id, 'CANCELLED')).length).toBe(70);
    const again = await call(bulk(`/${id}/cancel`), { method: 'POST' });
    expect(again.status).toBe(400);
    expect(again.body.errors).toEqual([{ code: 1001, message: 'Job is not cancellable in status CANCELLED' }]);
    clock = T0;
  });
});

describe('faults', () => {
  it('answers 429 with retry-after for the first K requests only', async () => {
    const { id } = sim.addJob({ total: 1, fault: { kind: 'rate-limit', retryAfterSeconds: 9, times: 1 } });
    const limited = await call(bulk(`/${id}`));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('9');
    expect((await call(bulk(`/${id}`))).status).toBe(200);
  });

  it('can ignore page, and can send values outside the enums', async () => {
    const { id } = sim.addJob({ total: 30, fault: { kind: 'ignores-page' } });
    const one = await call(bulk(`/${id}/messages?per_page=10&page=1`));
    const two = await call(bulk(`/${id}/messages?per_page=10&page=2`));
    expect(two.body.result).toEqual(one.body.result);
    sim.setFault(id, { kind: 'unknown-enums' });
    const job = (await call(bulk(`/${id}`))).body.result as Row;
    expect(job.status).toBe('QUARANTINED_FOREVER');
    expect(job.action_params.destination).toBe('Archive');
    sim.setFault(id, null);
    expect(((await call(bulk(`/${id}`))).body.result as Row).status).toBe('COMPLETED');
  });

  it('applies a global fault to every request', async () => {
    sim.setGlobalFault({ kind: 'server-error', status: 502 });
    try {
      expect((await call(bulk())).status).toBe(502);
    } finally {
      sim.setGlobalFault(null);
    }
    expect((await call(bulk())).status).toBe(200);
  });
});

describe('the account quota', () => {
  it('says what is left on every answer, counts the dashboard’s use, and answers 429 past the quota', async () => {
    let now = T0;
    const small = await CloudflareSim.start({ now: () => now, quota: 3, quotaWindowMs: 60_000 });
    try {
      const get = (path: string) =>
        fetch(`${small.baseUrl}/accounts/${small.accountId}/email-security/investigate/bulk${path}`, {
          headers: { authorization: `Bearer ${small.token}` },
        });
      const first = await get('');
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit')).toBe('"default";r=2;t=60');
      expect(first.headers.get('ratelimit-policy')).toBe('"default";q=3;w=60');
      now += 20_000;
      // Even an error answer carries the headers.
      const missing = await get('/00000000-0000-4000-8000-000000000001');
      expect(missing.status).toBe(404);
      expect(missing.headers.get('ratelimit')).toBe('"default";r=1;t=40');

      small.spend(1);
      expect(small.quotaLeft()).toBe(0);
      const limited = await get('');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('40');
      expect(limited.headers.get('ratelimit')).toBe('"default";r=0;t=40');
      expect(((await limited.json()) as Envelope).errors[0]?.code).toBe(971);

      // The first request leaves the window 60 s after it fell.
      now += 40_000;
      expect(small.quotaLeft()).toBe(1);
      expect((await get('')).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
