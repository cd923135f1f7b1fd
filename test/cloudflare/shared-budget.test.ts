import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createSharedBudget, type SharedBudget, type SharedBudgetOptions } from '../../src/cloudflare/shared-budget.js';
import { AccountRateLimitedError, UserShareExhaustedError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.js';
import { createTestDatabase, describePostgres, type TestDatabase } from '../helpers/postgres.js';

describePostgres('SharedBudget on PostgreSQL', () => {
  let db: TestDatabase;
  const pools: pg.Pool[] = [];
  const budgets: SharedBudget[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    for (const migration of POSTGRES_MIGRATIONS) await client.query(migration.sql);
    await client.end();
  });
  afterAll(async () => {
    await Promise.all(budgets.splice(0).map((b) => b.close()));
    await Promise.all(pools.splice(0).map((p) => p.end()));
    await db.drop();
  });
  beforeEach(async () => {
    await Promise.all(budgets.splice(0).map((b) => b.close()));
    const pool = pooled(db.url);
    await pool.query('TRUNCATE budget_grants');
    await pool.query(
      'UPDATE budget_signal SET paused_until = 0, remaining = NULL, quota = NULL, resets_at = NULL, observed_at = NULL',
    );
  });

  function pooled(url: string): pg.Pool {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 1_000 });
    pool.on('error', () => {});
    pools.push(pool);
    return pool;
  }

  /** `count` replicas, each with a pool of its own on the one database. */
  function replicas(count: number, options: Omit<SharedBudgetOptions, 'pool'>): SharedBudget[] {
    const made = Array.from({ length: count }, () =>
      createSharedBudget({ pool: pooled(db.url), pollMs: 20, pruneEveryMs: Number.POSITIVE_INFINITY, ...options }),
    );
    budgets.push(...made);
    return made;
  }

  async function grantsTable(): Promise<{ at: number; priority: string; user_id: string | null; id: number }[]> {
    const { rows } = await pools[0]!.query('SELECT id::int, at, priority, user_id FROM budget_grants ORDER BY id');
    return rows.map((r) => ({ ...r, at: Number(r.at) }));
  }

  it('three replicas hammered at once never hold more than the limit in any window', async () => {
    const windowMs = 400;
    const limit = 25;
    const three = replicas(3, { limit, windowMs, backgroundShare: 0.6, maxUserWaitMs: 2_000 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 120 }, (_, i) => {
        const budget = three[i % 3]!;
        return i % 4 === 0 ? budget.acquire('background') : budget.acquire('user', undefined, `U${i % 7}`);
      }),
    );
    const grants = await grantsTable();
    expect(grants.length).toBeGreaterThan(limit);
    for (const grant of grants) {
      const inWindow = grants.filter((g) => g.at > grant.at - windowMs && g.at <= grant.at).length;
      expect(inWindow).toBeLessThanOrEqual(limit);
    }
    // Every request was either granted (one row each) or told why at once.
    const granted = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(grants).toHaveLength(granted);
    expect(grants.filter((g) => g.priority === 'background').length).toBe(30);
  });

  it('serves users waiting on one replica before background waiting on another', async () => {
    const [a, b] = replicas(2, { limit: 10, windowMs: 600, backgroundShare: 1, maxUserWaitMs: 3_000 });
    for (let i = 0; i < 10; i++) await a!.acquire('user');
    const order: string[] = [];
    const users = Array.from({ length: 4 }, () => a!.acquire('user').then(() => void order.push('user')));
    // The users wait (and hold the demand lock) before the background work asks.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const background = Array.from({ length: 4 }, () =>
      b!.acquire('background').then(() => void order.push('background')),
    );
    await Promise.all([...users, ...background]);
    expect(order).toEqual(['user', 'user', 'user', 'user', 'background', 'background', 'background', 'background']);
  });

  it('caps one user’s burst at their share across replicas while another user still gets through', async () => {
    const three = replicas(3, { limit: 80, windowMs: 60_000, maxUserWaitMs: 1_000 });
    expect(three[0]!.userShare).toBe(20);
    const burst = await Promise.allSettled(
      Array.from({ length: 45 }, (_, i) => three[i % 3]!.acquire('user', undefined, 'U_RUNAWAY')),
    );
    expect(burst.filter((o) => o.status === 'fulfilled')).toHaveLength(20);
    const refused = burst.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(UserShareExhaustedError);
    await expect(three[2]!.acquire('user', undefined, 'U_OTHER')).resolves.toBeUndefined();
    const rows = await grantsTable();
    expect(rows.filter((r) => r.user_id === 'U_RUNAWAY')).toHaveLength(20);
  });

  it('a 429 seen by one replica pauses background work on the others', async () => {
    const [a, b] = replicas(2, { limit: 100, windowMs: 60_000, maxUserWaitMs: 200 });
    a!.pause(700);
    await a!.flush();
    const started = Date.now();
    const error = await b!.acquire('user').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountRateLimitedError);
    expect(error).toMatchObject({ reason: 'paused' });
    await b!.acquire('background');
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });

  it('shares Cloudflare’s low-quota reading: background on another replica waits for the reset', async () => {
    const [a, b] = replicas(2, { limit: 100, windowMs: 60_000 });
    a!.observe({ remaining: 10, resetSeconds: 1, quota: 100, windowSeconds: 60 });
    await a!.flush();
    const started = Date.now();
    await expect(b!.acquire('user')).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(300);
    await b!.acquire('background');
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });

  it('falls back to a small in-process budget for users when the database is down, and logs it once', async () => {
    const port = await deadPort();
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const pool = pooled(`postgres://postgres@127.0.0.1:${port}/none`);
    const budget = createSharedBudget({ pool, limit: 100, windowMs: 60_000, logger, pollMs: 20 });
    budgets.push(budget);
    for (let i = 0; i < 5; i++) await expect(budget.acquire('user', undefined, 'U1')).resolves.toBeUndefined();
    let background = false;
    void budget.acquire('background').then(
      () => {
        background = true;
      },
      () => {},
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(background).toBe(false);
    await vi.waitFor(() => expect(lines.filter((l) => l.includes('does not answer'))).toHaveLength(1));
    // A quarter of 100: the fallback's own limit, so a burst cannot spend the shared budget alone.
    const more = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => budget.acquire('user', undefined, `V${i}`)),
    );
    expect(more.filter((o) => o.status === 'fulfilled')).toHaveLength(20);
    await expect(budget.stats()).resolves.toMatchObject({ used: 25, queued: { background: 1 } });
  });
});

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
