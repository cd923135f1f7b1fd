/**
 * The PostgreSQL store: the contract (contract.ts) on one fresh database for this file, emptied between
 * tests; then what only PostgreSQL has — replicas migrating one database at once, a newer schema, a
 * database that is down or not there yet.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/postgres-cluster.js';
import { type OpenPostgresStoreOptions, openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { MIGRATION_LOCK_ID, migratePostgres, SCHEMA_TABLE } from '../../src/store/postgres-migrate.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.js';
import { StoreError } from '../../src/store/store-error.js';
import { createTestDatabase, describePostgres, POSTGRES_URL, type TestDatabase } from '../helpers/postgres.js';
import { describeStoreContract, errorOf } from './contract.js';

const opened: PostgresStore[] = [];
const databases: TestDatabase[] = [];

function open(url: string, options: Partial<OpenPostgresStoreOptions> = {}): PostgresStore {
  const store = openPostgresStore({ url, poolSize: 4, retryDelayMs: 20, ...options });
  opened.push(store);
  return store;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** Captures what the store logs, to assert on it. */
function captureLogs() {
  const lines: { level: 'info' | 'warn'; fields: unknown; message: string }[] = [];
  const logger = {
    info: (fields: unknown, message: string) => lines.push({ level: 'info', fields, message }),
    warn: (fields: unknown, message: string) => lines.push({ level: 'warn', fields, message }),
  } as unknown as NonNullable<OpenPostgresStoreOptions['logger']>;
  return { lines, logger, text: () => JSON.stringify(lines) };
}

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Creating a database takes a few hundred milliseconds: make all this file needs at once.
const FRESH_DATABASES = 8;
const fresh: TestDatabase[] = [];

beforeAll(async () => {
  if (!POSTGRES_URL) return;
  const created = await Promise.all(Array.from({ length: FRESH_DATABASES }, () => createTestDatabase()));
  databases.push(...created);
  fresh.push(...created);
});

function takeDatabase(): TestDatabase {
  const db = fresh.pop();
  if (!db) throw new Error('this file needs one more fresh database: raise FRESH_DATABASES');
  return db;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

describePostgres('the store contract, on PostgreSQL', () => {
  let db: TestDatabase;
  let admin: pg.Client;

  beforeAll(async () => {
    db = takeDatabase();
    const first = open(db.url);
    await first.ready();
    await first.close();
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });

  afterAll(() => admin.end());

  describeStoreContract({
    async reset() {
      await admin.query('TRUNCATE cards, watches, locks, shared_cache RESTART IDENTITY CASCADE');
    },
    async open(now) {
      const store = openPostgresStore({ url: db.url, now, poolSize: 4 });
      await store.ready();
      return store;
    },
    async countRows(table) {
      const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      return rows[0]!.n;
    },
  });

  it('returns ids and times as numbers, not the strings pg gives bigint by default', async () => {
    const store = open(db.url);
    await store.ready();
    const card = await store.saveCard({ channel: 'C1', ts: '1.1', jobId: 'j', sharedBy: 'U1', sharedAt: new Date(1) });
    expect(card).toMatchObject({ id: 1, sharedAt: new Date(1) });
    // Another pg user in the process keeps the default.
    await withClient(db.url, async (client) => {
      const { rows } = await client.query('SELECT shared_at FROM cards');
      expect(rows[0]).toEqual({ shared_at: '1' });
    });
  });
});

describePostgres('the PostgreSQL store, starting', () => {
  it('lets six replicas migrate a fresh database at once: each step applied once, all ready', async () => {
    const db = takeDatabase();
    const logs = captureLogs();
    const stores = Array.from({ length: 6 }, () => open(db.url, { logger: logs.logger }));

    await Promise.all(stores.map((store) => store.ready()));

    const versions = await withClient(db.url, (client) =>
      client.query(`SELECT version, name FROM ${SCHEMA_TABLE} ORDER BY version`),
    );
    expect(versions.rows).toEqual(POSTGRES_MIGRATIONS.map((m, i) => ({ version: i + 1, name: m.name })));
    const applied = logs.lines.filter((line) => line.message === 'store migration applied');
    expect(applied).toHaveLength(POSTGRES_MIGRATIONS.length);
    // The others waited for the lock: none of them tripped over a half-applied step and had to retry.
    expect(logs.lines.filter((line) => line.level === 'warn')).toEqual([]);
    for (const store of stores) {
      expect(await store.health()).toEqual({ ok: true });
      expect(await store.describe()).toMatchObject({
        kind: 'postgresql',
        location: `${new URL(db.url).host}/${db.name}`,
        schemaVersion: POSTGRES_MIGRATIONS.length,
      });
    }
  });

  it('applies only the steps after the stored version, and rolls a failed step back', async () => {
    const db = takeDatabase();
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      const one = { name: 'one', sql: 'CREATE TABLE one (x integer)' };
      const two = { name: 'two', sql: 'CREATE TABLE two (x integer)' };
      const broken = { name: 'broken', sql: 'CREATE TABLE three (x integer); INSERT INTO nowhere VALUES (1)' };
      const location = 'test';
      expect(await migratePostgres(pool, { migrations: [one], location })).toEqual({ from: 0, to: 1 });
      // Re-running `one` would fail with "relation one already exists".
      expect(await migratePostgres(pool, { migrations: [one, two], location })).toEqual({ from: 1, to: 2 });
      const error = await errorOf(() => migratePostgres(pool, { migrations: [one, two, broken], location }));
      expect(error).toMatchObject({ code: 'store_migration_failed' });
      expect((error as Error).message).toContain('schema version 3 (broken)');
      const { rows } = await pool.query(
        `SELECT max(version) AS version, to_regclass('three') AS three FROM ${SCHEMA_TABLE}`,
      );
      expect(rows[0]).toEqual({ version: 2, three: null });
    } finally {
      await pool.end();
    }
  });

  it('refuses a database written by a newer bulkjob, naming DATABASE_URL, and leaves it untouched', async () => {
    const db = takeDatabase();
    const first = open(db.url);
    await first.ready();
    const newer = POSTGRES_MIGRATIONS.length + 1;
    await withClient(db.url, (client) =>
      client.query(`INSERT INTO ${SCHEMA_TABLE} (version, name) VALUES ($1, 'from the future')`, [newer]),
    );

    const store = open(db.url);
    const error = await errorOf(() => store.ready());

    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'store_schema_too_new' });
    expect((error as Error).message).toContain(
      `schema version ${newer}, but this build of bulkjob knows only up to ${POSTGRES_MIGRATIONS.length}`,
    );
    expect((error as Error).message).toContain('DATABASE_URL');
    expect(await store.health()).toEqual({ ok: false, reason: (error as Error).message });
    expect(await errorOf(() => store.countActiveWatches())).toMatchObject({ code: 'store_schema_too_new' });
    const { rows } = await withClient(db.url, (client) =>
      client.query(`SELECT max(version) AS v FROM ${SCHEMA_TABLE}`),
    );
    expect(rows[0]).toEqual({ v: newer });
  });

  it('opened on a closed port: unhealthy with a reason, unavailable, never the password, and closes', async () => {
    const password = 'hunter2-very-secret';
    const url = withPassword(`postgres://bulkjob@127.0.0.1:${await freePort()}/bulkjob`, password);
    const logs = captureLogs();
    const store = open(url, { logger: logs.logger, connectTimeoutMs: 500 });

    const health = await eventually(
      () => store.health(),
      (h) => h.reason !== 'store migrations are running',
    );
    expect(health.ok).toBe(false);
    expect(health.reason).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+\/bulkjob is unreachable: .*ECONNREFUSED/);

    const error = await errorOf(() => store.findCardById(1));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'store_unavailable' });
    expect((error as Error).message).toMatch(/^The store is not available: PostgreSQL at 127\.0\.0\.1:\d+\/bulkjob/);

    await eventually(
      async () => logs.lines.length,
      (n) => n >= 2,
    );
    expect(logs.lines[0]).toMatchObject({ level: 'warn', message: 'store migrations could not run; retrying' });
    for (const text of [health.reason, (error as Error).message, logs.text()]) expect(text).not.toContain(password);

    const started = Date.now();
    await store.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(store.ready()).rejects.toMatchObject({ code: 'store_unavailable' });
  });

  it('answers health within about a second while the database is too busy to give it a connection', async () => {
    const db = takeDatabase();
    const store = open(db.url, { poolSize: 1 });
    await store.ready();
    await withClient(db.url, async (client) => {
      await client.query('BEGIN');
      await client.query('LOCK TABLE watches IN ACCESS EXCLUSIVE MODE');
      // Waits for the lock, holding the store's only connection.
      const blocked = store.countActiveWatches();
      const started = Date.now();
      const health = await store.health();
      const took = Date.now() - started;
      await client.query('ROLLBACK');
      expect(health).toEqual({ ok: false, reason: expect.stringMatching(/does not answer: no answer within 1000 ms/) });
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(1_500);
      expect(await blocked).toBe(0);
    });
    expect(await store.health()).toEqual({ ok: true });
  });

  it('a call made while the migrations run waits for them, so the first click after a start is served', async () => {
    const db = takeDatabase();
    await withClient(db.url, async (client) => {
      // Another replica is migrating: it holds the migration lock for a moment.
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      const store = open(db.url);
      const call = store.countActiveWatches();
      expect(await store.health()).toEqual({ ok: false, reason: 'store migrations are running' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
      expect(await call).toBe(0);
    });
  });

  it('opened before its database exists, becomes ready by itself once it does', async () => {
    const db = takeDatabase();
    await db.drop();
    const store = open(db.url);

    const waiting = await eventually(
      () => store.health(),
      (h) => h.reason !== 'store migrations are running',
    );
    expect(waiting).toMatchObject({ ok: false, reason: expect.stringContaining(`does not exist`) });

    await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${db.name}`));
    await store.ready();
    expect(await store.health()).toEqual({ ok: true });
    expect(await store.countActiveWatches()).toBe(0);
  });
});

describePostgres('the PostgreSQL store, when the server drops its connections', () => {
  const terminate = (db: TestDatabase) =>
    withClient(POSTGRES_URL, (client) =>
      client.query(
        `SELECT count(pg_terminate_backend(pid))::integer AS n FROM pg_stat_activity
         WHERE datname = $1 AND application_name = 'bulkjob'`,
        [db.name],
      ),
    );

  it('survives idle connections being dropped, and a call cut off mid-way fails as unavailable', async () => {
    const db = takeDatabase();
    const logs = captureLogs();
    const store = open(db.url, { logger: logs.logger, poolSize: 1 });
    await store.ready();
    expect(await store.countActiveWatches()).toBe(0);

    // The pool's idle connection dies (a server restart, a failover): without an error handler on the pool
    // this would be an uncaught error, ending the process.
    expect((await terminate(db)).rows[0]).toEqual({ n: 1 });
    await eventually(
      async () => logs.lines.filter((line) => line.message === 'PostgreSQL connection lost').length,
      (n) => n === 1,
    );
    expect(await store.countActiveWatches()).toBe(0);

    await withClient(db.url, async (client) => {
      await client.query('BEGIN');
      await client.query('LOCK TABLE watches IN ACCESS EXCLUSIVE MODE');
      const cutOff = errorOf(() => store.countActiveWatches());
      await eventually(
        async () =>
          (
            await client.query(
              `SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
              [db.name],
            )
          ).rows[0].n,
        (n) => n === 1,
      );
      await terminate(db);
      const error = await cutOff;
      await client.query('ROLLBACK');
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'store_unavailable' });
      expect((error as Error).message).toContain(`PostgreSQL at ${new URL(db.url).host}/${db.name} is unavailable`);
    });
    expect(await store.countActiveWatches()).toBe(0);
    expect(await store.health()).toEqual({ ok: true });
  });
});

describe('the PostgreSQL store, configured wrongly', () => {
  it('refuses a DATABASE_URL that is not a URL without echoing it', () => {
    let error: unknown;
    try {
      openPostgresStore({ url: 'not a url:hunter2-very-secret' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'store_open_failed' });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
