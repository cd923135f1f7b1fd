import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, type Migration, migrate } from '../../src/store/migrations.js';
import { DATABASE_FILE, IN_MEMORY, type OpenStoreOptions, openStore } from '../../src/store/store.js';
import { StoreError } from '../../src/store/store-error.js';
import type { Card, Store } from '../../src/store/types.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');
const JOB = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
const OTHER_JOB = '0f8fad5b-d9cb-469f-a165-70867728950e';
const SEC = 1_000;

let dir: string;
let clock: number;
const opened: Store[] = [];

function open(options: Partial<OpenStoreOptions> = {}): Store {
  const store = openStore({ dataDir: dir, now: () => new Date(clock), ...options });
  opened.push(store);
  return store;
}

function saveCard(store: Store, overrides: Partial<Parameters<Store['saveCard']>[0]> = {}): Promise<Card> {
  return store.saveCard({
    channel: 'C1',
    ts: '1700000000.000100',
    jobId: JOB,
    sharedBy: 'U1',
    sharedAt: new Date(clock),
    ...overrides,
  });
}

function watchCard(store: Store, card: Card, intervalMs = 30 * SEC) {
  return store.startWatch({ cardId: card.id, startedBy: 'U1', intervalMs, expiresAt: new Date(clock + 3_600 * SEC) });
}

async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

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

describe('cards', () => {
  it('saves a card once per channel and ts, and finds it', async () => {
    const store = open();
    const card = await saveCard(store);
    expect(card).toEqual({
      id: card.id,
      channel: 'C1',
      ts: '1700000000.000100',
      jobId: JOB,
      sharedBy: 'U1',
      sharedAt: new Date(T0),
      updatedAt: new Date(T0),
      lastRenderHash: null,
      lastJobStatus: null,
      cancelledBy: null,
      cancelledAt: null,
      lostAt: null,
    });

    const again = await saveCard(store, { sharedBy: 'U2' });
    expect(again).toEqual(card);
    expect(await store.findCard('C1', card.ts)).toEqual(card);
    expect(await store.findCardById(card.id)).toEqual(card);
    expect(await store.findCard('C2', card.ts)).toBeUndefined();
  });

  it('adopts the newest live card for a job in the channel, preferring a watched one, never a lost one', async () => {
    const store = open();
    const watched = await saveCard(store, { ts: '1.000001' });
    await watchCard(store, watched);
    clock += 60 * SEC;
    const newer = await saveCard(store, { ts: '1.000002', sharedAt: new Date(clock) });
    await saveCard(store, { ts: '1.000003', jobId: OTHER_JOB });
    await saveCard(store, { ts: '1.000004', channel: 'C2' });

    expect((await store.findActiveCardForJob('C1', JOB))?.id).toBe(watched.id);

    await store.stopWatch(watched.id, 'U1');
    expect((await store.findActiveCardForJob('C1', JOB))?.id).toBe(newer.id);

    await store.markCardLost(newer.id);
    expect((await store.findActiveCardForJob('C1', JOB))?.id).toBe(watched.id);

    await store.markCardLost(watched.id);
    expect(await store.findActiveCardForJob('C1', JOB)).toBeUndefined();
    expect(await store.findActiveCardForJob('C3', JOB)).toBeUndefined();
  });

  it('records the last render and who cancelled (first one wins)', async () => {
    const store = open();
    const card = await saveCard(store);
    clock += 5 * SEC;

    expect(await store.markCardRendered(card.id, 'hash-1', 'RUNNING')).toBe(true);
    expect(await store.findCardById(card.id)).toMatchObject({
      lastRenderHash: 'hash-1',
      lastJobStatus: 'RUNNING',
      updatedAt: new Date(clock),
    });

    expect(await store.markCardCancelled(card.id, 'U9')).toBe(true);
    expect(await store.markCardCancelled(card.id, 'U8')).toBe(false);
    expect(await store.findCardById(card.id)).toMatchObject({ cancelledBy: 'U9', cancelledAt: new Date(clock) });
    expect(await store.markCardRendered(999, 'h', 'RUNNING')).toBe(false);
  });

  it('a successful edit makes a lost card editable again', async () => {
    const store = open();
    const card = await saveCard(store);
    await store.markCardLost(card.id);
    expect((await store.findCard('C1', card.ts))?.lostAt).not.toBeNull();
    await store.markCardRendered(card.id, 'hash', 'PROCESSING');
    expect((await store.findCard('C1', card.ts))?.lostAt).toBeNull();
  });

  it('a lost card ends its active watch as lost and cannot be watched again', async () => {
    const store = open();
    const card = await saveCard(store);
    const watch = await watchCard(store, card);

    expect(await store.markCardLost(card.id)).toBe(true);
    expect(await store.markCardLost(card.id)).toBe(false);
    expect(await store.findWatch(watch.id)).toMatchObject({ state: 'lost', endedAt: new Date(clock) });
    expect(await store.countActiveWatches()).toBe(0);
    expect(await errorOf(() => watchCard(store, card))).toMatchObject({ code: 'store_card_lost' });
  });
});

describe("a user's Home tab", () => {
  it('lists the active watches a user started and the cards they shared, newest first', async () => {
    const store = open();
    const older = await saveCard(store, { ts: '1.1', sharedBy: 'U1' });
    clock += SEC;
    const newer = await saveCard(store, { ts: '1.2', sharedBy: 'U1' });
    await saveCard(store, { ts: '1.3', sharedBy: 'U2' });
    expect((await store.listCardsSharedBy('U1', 5)).map((c) => c.id)).toEqual([newer.id, older.id]);
    expect((await store.listCardsSharedBy('U1', 1)).map((c) => c.id)).toEqual([newer.id]);

    const first = await watchCard(store, older);
    clock += SEC;
    const second = await store.startWatch({
      cardId: newer.id,
      startedBy: 'U1',
      intervalMs: 30 * SEC,
      expiresAt: new Date(clock + 3_600 * SEC),
    });
    expect((await store.listActiveWatchesStartedBy('U1')).map((w) => w.id)).toEqual([second.id, first.id]);
    await store.stopWatch(older.id, 'U2');
    expect((await store.listActiveWatchesStartedBy('U1')).map((w) => w.id)).toEqual([second.id]);
    expect(await store.listActiveWatchesStartedBy('U2')).toEqual([]);
  });
});

describe('watches', () => {
  it('starts a watch once: an active watch on the card is returned as is', async () => {
    const store = open();
    const card = await saveCard(store);

    const watch = await watchCard(store, card);
    expect(watch).toMatchObject({
      cardId: card.id,
      state: 'active',
      startedBy: 'U1',
      startedAt: new Date(T0),
      nextRunAt: new Date(T0 + 30 * SEC),
      noticeState: 'none',
      failureCount: 0,
      leaseOwner: null,
    });

    clock += 10 * SEC;
    const again = await store.startWatch({
      cardId: card.id,
      startedBy: 'U2',
      intervalMs: 5 * SEC,
      expiresAt: new Date(0),
    });
    expect(again).toEqual(watch);
    expect(await store.countActiveWatches()).toBe(1);
    expect(await store.listActiveWatches()).toEqual([watch]);
  });

  it('refuses to watch a card that does not exist', async () => {
    const store = open();
    expect(
      await errorOf(() =>
        store.startWatch({ cardId: 42, startedBy: 'U1', intervalMs: SEC, expiresAt: new Date(clock) }),
      ),
    ).toMatchObject({ code: 'store_card_not_found' });
  });

  it('lists due, unleased watches soonest first, up to the limit', async () => {
    const store = open();
    const slow = await watchCard(store, await saveCard(store, { ts: '1.1' }), 50 * SEC);
    const fast = await watchCard(store, await saveCard(store, { ts: '1.2' }), 10 * SEC);
    const medium = await watchCard(store, await saveCard(store, { ts: '1.3' }), 30 * SEC);
    const later = await watchCard(store, await saveCard(store, { ts: '1.4' }), 90 * SEC);
    const ids = (watches: { id: number }[]) => watches.map((w) => w.id);

    expect(await store.listDueWatches(new Date(T0 + 5 * SEC), 10)).toEqual([]);
    const now = new Date(T0 + 60 * SEC);
    expect(ids(await store.listDueWatches(now, 10))).toEqual([fast.id, medium.id, slow.id]);
    expect(ids(await store.listDueWatches(now, 2))).toEqual([fast.id, medium.id]);

    expect(await store.claimWatch(fast.id, 'a', 30 * SEC, now)).toBe(true);
    expect(ids(await store.listDueWatches(now, 10))).toEqual([medium.id, slow.id]);
    expect(ids(await store.listDueWatches(new Date(T0 + 100 * SEC), 10))).toEqual([
      fast.id,
      medium.id,
      slow.id,
      later.id,
    ]);
  });

  it('lets exactly one of two instances claim a watch, and a crashed lease be re-claimed', async () => {
    const a = open();
    const b = open();
    const watch = await watchCard(a, await saveCard(a));
    const due = new Date(T0 + 30 * SEC);

    expect(await a.claimWatch(watch.id, 'instance-a', 20 * SEC, due)).toBe(true);
    expect(await b.claimWatch(watch.id, 'instance-b', 20 * SEC, due)).toBe(false);
    expect(await a.claimWatch(watch.id, 'instance-a', 20 * SEC, due)).toBe(false);
    expect(await b.findWatch(watch.id)).toMatchObject({
      leaseOwner: 'instance-a',
      leaseUntil: new Date(+due + 20 * SEC),
    });

    // instance-a crashed: once its lease has expired, b takes over, and a's late writes are fenced off.
    const afterLease = new Date(+due + 20 * SEC);
    expect(await b.claimWatch(watch.id, 'instance-b', 20 * SEC, afterLease)).toBe(true);
    expect(await a.scheduleNext(watch.id, 'instance-a', new Date(T0))).toBe(false);
    expect(await a.releaseWatch(watch.id, 'instance-a')).toBe(false);
    expect(await a.renewLease(watch.id, 'instance-a', 60 * SEC, afterLease)).toBe(false);

    expect(await b.renewLease(watch.id, 'instance-b', 60 * SEC, afterLease)).toBe(true);
    expect((await a.findWatch(watch.id))?.leaseUntil).toEqual(new Date(+afterLease + 60 * SEC));
  });

  it('schedules the next run and releases the lease; a watch that is not due again cannot be claimed', async () => {
    const a = open();
    const b = open();
    const watch = await watchCard(a, await saveCard(a));
    const due = new Date(T0 + 30 * SEC);
    expect(await a.claimWatch(watch.id, 'instance-a', 20 * SEC, due)).toBe(true);

    const next = new Date(+due + 30 * SEC);
    expect(await a.scheduleNext(watch.id, 'instance-a', next)).toBe(true);
    expect(await a.findWatch(watch.id)).toMatchObject({ nextRunAt: next, leaseOwner: null, leaseUntil: null });
    // b listed the watch as due before a's run: its late claim must not run the refresh twice.
    expect(await b.claimWatch(watch.id, 'instance-b', 20 * SEC, due)).toBe(false);
    expect(await b.claimWatch(watch.id, 'instance-b', 20 * SEC, next)).toBe(true);
    expect(await b.releaseWatch(watch.id, 'instance-b')).toBe(true);
    expect(await a.findWatch(watch.id)).toMatchObject({ nextRunAt: next, leaseOwner: null });
  });

  it('stops a watch by card, once, and keeps who stopped it', async () => {
    const store = open();
    const card = await saveCard(store);
    const watch = await watchCard(store, card);
    await store.claimWatch(watch.id, 'a', 20 * SEC, new Date(T0 + 30 * SEC));
    clock += 40 * SEC;

    expect(await store.stopWatch(card.id, 'U7')).toMatchObject({
      id: watch.id,
      state: 'stopped',
      stoppedBy: 'U7',
      endedAt: new Date(clock),
      leaseOwner: null,
    });
    expect(await store.stopWatch(card.id, 'U8')).toBeUndefined();
    expect(await store.countActiveWatches()).toBe(0);
    expect(await store.listDueWatches(new Date(clock), 10)).toEqual([]);
    // The run that held the lease finishes afterwards: it must not revive the watch.
    expect(await store.scheduleNext(watch.id, 'a', new Date(clock))).toBe(false);
    expect((await store.findWatch(watch.id))?.state).toBe('stopped');

    expect(await store.findLatestWatch(card.id)).toMatchObject({ id: watch.id, state: 'stopped' });
    const fresh = await watchCard(store, card);
    expect(fresh.id).not.toBe(watch.id);
    expect(await store.countActiveWatches()).toBe(1);
    expect(await store.findLatestWatch(card.id)).toEqual(fresh);
    expect(await store.findLatestWatch(card.id + 1)).toBeUndefined();
  });

  it('finishes a watch once (the first end wins) and clears its lease', async () => {
    const store = open();
    const card = await saveCard(store);
    const watch = await watchCard(store, card);
    await store.claimWatch(watch.id, 'a', 20 * SEC, new Date(T0 + 30 * SEC));

    expect(await store.finishWatch(watch.id, 'finished')).toBe(true);
    expect(await store.finishWatch(watch.id, 'expired')).toBe(false);
    expect(await store.stopWatch(card.id, 'U1')).toBeUndefined();
    expect(await store.findWatch(watch.id)).toMatchObject({ state: 'finished', leaseOwner: null, leaseUntil: null });
    expect(await store.listActiveWatches()).toEqual([]);
    await expect(store.finishWatch(watch.id, 'active' as never)).rejects.toThrow(TypeError);
  });

  it('counts failures in a row, scrubbing tokens and addresses from the stored message', async () => {
    const store = open();
    const watch = await watchCard(store, await saveCard(store));

    expect(await store.recordWatchError(watch.id, 'first')).toBe(1);
    expect(
      await store.recordWatchError(watch.id, `reject alice@example.com with xoxb-123-abc ${'x'.repeat(900)}`),
    ).toBe(2);
    const stored = (await store.findWatch(watch.id))!;
    expect(stored.failureCount).toBe(2);
    expect(stored.lastError).toMatch(/^reject \[email redacted\] with xox\?-\[redacted\] x+$/);
    expect(stored.lastError).toHaveLength(500);

    await store.clearWatchError(watch.id);
    expect(await store.findWatch(watch.id)).toMatchObject({ failureCount: 0, lastError: null });
  });
});

describe('completion notice', () => {
  it('lets exactly one caller, on any instance, begin and complete the notice', async () => {
    const a = open();
    const b = open();
    const watch = await watchCard(a, await saveCard(a));

    expect(await a.beginNotice(watch.id)).toBe(true);
    expect(await b.beginNotice(watch.id)).toBe(false);
    expect(await a.beginNotice(watch.id)).toBe(false);
    expect(await b.findWatch(watch.id)).toMatchObject({ noticeState: 'posting', noticeStartedAt: new Date(T0) });

    expect(await a.completeNotice(watch.id, '1700000001.000200')).toBe(true);
    expect(await b.completeNotice(watch.id, '1700000009.000900')).toBe(false);
    expect(await b.beginNotice(watch.id)).toBe(false);
    expect(await b.findWatch(watch.id)).toMatchObject({ noticeState: 'posted', noticeTs: '1700000001.000200' });
  });

  it('posts no notice for a watch stopped before the job ended', async () => {
    const store = open();
    const card = await saveCard(store);
    const watch = await watchCard(store, card);
    await store.stopWatch(card.id, 'U2');
    expect(await store.beginNotice(watch.id)).toBe(false);
    expect((await store.findWatch(watch.id))?.noticeState).toBe('none');
  });

  it('cannot complete a notice that was never begun', async () => {
    const store = open();
    const watch = await watchCard(store, await saveCard(store));
    expect(await store.completeNotice(watch.id, '1.2')).toBe(false);
    expect((await store.findWatch(watch.id))?.noticeState).toBe('none');
  });

  it('returns a refused post to none so it can be tried again', async () => {
    const store = open();
    const watch = await watchCard(store, await saveCard(store));
    await store.beginNotice(watch.id);

    expect(await store.abandonNotice(watch.id)).toBe(true);
    expect(await store.findWatch(watch.id)).toMatchObject({ noticeState: 'none', noticeStartedAt: null });
    expect(await store.beginNotice(watch.id)).toBe(true);
  });

  it('finds a notice left posting by a crash, and lets one instance take over its recovery', async () => {
    const a = open();
    const b = open();
    const stuck = await watchCard(a, await saveCard(a, { ts: '2.1' }));
    const recent = await watchCard(a, await saveCard(a, { ts: '2.2' }));
    await a.beginNotice(stuck.id, new Date(T0));
    await a.beginNotice(recent.id, new Date(T0 + 50 * SEC));
    // a "crashes" here: neither notice is completed.
    clock = T0 + 60 * SEC;
    const olderThan = new Date(clock - 30 * SEC);

    expect((await b.listStuckNotices(olderThan)).map((w) => w.id)).toEqual([stuck.id]);
    expect(await b.reclaimNotice(stuck.id, olderThan)).toBe(true);
    expect(await a.reclaimNotice(stuck.id, olderThan)).toBe(false);
    expect(await b.listStuckNotices(olderThan)).toEqual([]);
    expect(await b.reclaimNotice(recent.id, olderThan)).toBe(false);

    // b found the marker in the thread (or posted the notice): it records the ts, once.
    expect(await b.completeNotice(stuck.id, '1700000002.000300')).toBe(true);
    expect(await a.beginNotice(stuck.id)).toBe(false);
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
