/**
 * The SQLite store: the contract (contract.ts) on a file of its own per test, then what only SQLite has —
 * the data directory and file, WAL and pragmas, `user_version` migrations, the checkpoint on close.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, type Migration, migrate } from '../../src/store/migrations.js';
import { DATABASE_FILE, IN_MEMORY, type OpenStoreOptions, openStore } from '../../src/store/store.js';
import { StoreError } from '../../src/store/store-error.js';
import type { Card, Store } from '../../src/store/types.js';
import { describeStoreContract, errorOf, saveCardAt, T0, watchCardAt } from './contract.js';

let dir: string;
let clock: number;
const opened: Store[] = [];

function open(options: Partial<OpenStoreOptions> = {}): Store {
  const store = openStore({ dataDir: dir, now: () => new Date(clock), ...options });
  opened.push(store);
  return store;
}

const saveCard = (store: Store) => saveCardAt(store, clock);
const watchCard = (store: Store, card: Card) => watchCardAt(store, card, clock);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulkjob-store-'));
  clock = T0;
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('opening', () => {
  it('creates the data directory and the database on first start, in WAL mode with foreign keys', async () => {
    const dataDir = join(dir, 'nested', 'data');
    expect(existsSync(dataDir)).toBe(false);

    const store = open({ dataDir });

    expect(statSync(join(dataDir, DATABASE_FILE)).isFile()).toBe(true);
    expect(await store.describe()).toEqual({
      kind: 'sqlite',
      path: join(dataDir, DATABASE_FILE),
      schemaVersion: MIGRATIONS.length,
      journalMode: 'wal',
      foreignKeys: true,
      busyTimeoutMs: 5_000,
    });
  });

  it('records the schema version and keeps the data across a close and re-open', async () => {
    const first = open();
    const card = await saveCard(first);
    const watch = await watchCard(first, card);
    await first.close();

    const raw = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();

    const second = open();
    expect((await second.describe()).schemaVersion).toBe(MIGRATIONS.length);
    expect(await second.findCard('C1', card.ts)).toEqual(card);
    expect(await second.findActiveWatch(card.id)).toEqual(watch);
  });

  it('refuses a database written by a newer bulkjob, and leaves it untouched', async () => {
    open().close();
    const path = join(dir, DATABASE_FILE);
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();

    const error = await errorOf(() => open());

    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'store_schema_too_new' });
    expect((error as Error).message).toContain(
      `schema version ${MIGRATIONS.length + 1}, but this build of bulkjob knows only up to ${MIGRATIONS.length}`,
    );
    expect((error as Error).message).toContain('BULKJOB_DATA_DIR');
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 1);
    after.close();
  });

  it.each([
    ['a file that is not a database', () => writeFileSync(join(dir, DATABASE_FILE), 'not sqlite at all, '.repeat(400))],
    ['a data directory that is a file', () => writeFileSync(join(dir, 'data'), 'x')],
  ])('names the path and BULKJOB_DATA_DIR when it cannot open %s', async (_name, arrange) => {
    arrange();
    const dataDir = _name.includes('directory') ? join(dir, 'data') : dir;
    const error = await errorOf(() => open({ dataDir }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'store_open_failed' });
    expect((error as Error).message).toContain(join(dataDir, DATABASE_FILE));
    expect((error as Error).message).toContain(`BULKJOB_DATA_DIR=${dataDir}`);
  });

  it('works in memory for unit tests', async () => {
    const store = open({ dataDir: IN_MEMORY });
    expect((await saveCard(store)).id).toBe(1);
    expect(await store.describe()).toMatchObject({ kind: 'sqlite', path: IN_MEMORY });
    expect(existsSync(join(dir, DATABASE_FILE))).toBe(false);
  });
});

describe('migrate', () => {
  const one: Migration = { name: 'one', sql: 'CREATE TABLE one (x INTEGER)' };
  const two: Migration = { name: 'two', sql: 'CREATE TABLE two (x INTEGER)' };
  const broken: Migration = { name: 'broken', sql: 'CREATE TABLE three (x INTEGER); INSERT INTO nowhere VALUES (1)' };

  it('applies only the steps after the stored version, each once', async () => {
    const db = new Database(join(dir, 'm.sqlite'));
    try {
      expect(migrate(db, [one])).toEqual({ from: 0, to: 1 });
      // Re-running `one` would fail with "table one already exists".
      expect(migrate(db, [one, two])).toEqual({ from: 1, to: 2 });
      expect(migrate(db, [one, two])).toEqual({ from: 2, to: 2 });
      expect(db.pragma('user_version', { simple: true })).toBe(2);
    } finally {
      db.close();
    }
  });

  it('skips a step another instance applied between its version check and its transaction', async () => {
    const path = join(dir, 'm.sqlite');
    const ours = new Database(path);
    const theirs = new Database(path);
    try {
      // The other instance wins the race the moment we look the first step up.
      const racing: Migration[] = [one, two];
      let raced = false;
      Object.defineProperty(racing, 0, {
        get: () => {
          if (!raced) migrate(theirs, [one, two]);
          raced = true;
          return one;
        },
      });
      expect(migrate(ours, racing)).toEqual({ from: 0, to: 2 });
      expect(raced).toBe(true);
      expect(ours.pragma('user_version', { simple: true })).toBe(2);
    } finally {
      ours.close();
      theirs.close();
    }
  });

  it('rolls a failed step back, keeping the previous version', async () => {
    const db = new Database(join(dir, 'm.sqlite'));
    try {
      const error = await errorOf(() => migrate(db, [one, two, broken]));
      expect(error).toMatchObject({ code: 'store_migration_failed' });
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
      expect(tables).toEqual(['one', 'two']);
    } finally {
      db.close();
    }
  });
});

describe('close', () => {
  it('checkpoints the WAL, closes, and is safe to call twice', async () => {
    const store = open();
    // A second connection keeps SQLite from folding the WAL in by itself when the store closes.
    const other = new Database(join(dir, DATABASE_FILE));
    try {
      other.prepare('SELECT count(*) FROM cards').get();
      await saveCard(store);
      const wal = join(dir, `${DATABASE_FILE}-wal`);
      expect(statSync(wal).size).toBeGreaterThan(0);

      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
      expect(statSync(wal).size).toBe(0);
      await expect(store.countActiveWatches()).rejects.toThrow(/not open/);
      expect(other.prepare('SELECT count(*) FROM cards').pluck().get()).toBe(1);
    } finally {
      other.close();
    }
  });
});

describe('the store contract, on SQLite', () => {
  let contractDir: string | undefined;
  const removeContractDir = () => contractDir && rmSync(contractDir, { recursive: true, force: true });

  describeStoreContract({
    async reset() {
      removeContractDir();
      contractDir = mkdtempSync(join(tmpdir(), 'bulkjob-contract-'));
    },
    async open(now) {
      return openStore({ dataDir: contractDir!, now });
    },
    async countRows(table) {
      const db = new Database(join(contractDir!, DATABASE_FILE), { readonly: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
  });

  afterAll(removeContractDir);
});
