/**
 * The `Store` contract as one suite, run against every implementation (sqlite.test.ts, postgres.test.ts):
 * the behaviour the watch loop, the notice protocol and the Home tab rely on, whatever the database. Tests
 * that open two stores open two instances on one database, as two replicas would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Card, Store } from '../../src/store/types.js';

export const T0 = Date.parse('2025-06-01T12:00:00Z');
export const JOB = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
const OTHER_JOB = '0f8fad5b-d9cb-469f-a165-70867728950e';
const SEC = 1_000;

export interface StoreTarget {
  /** Before each test: the database, empty (ids from 1 again). */
  reset(): Promise<void>;
  /** A store on that database, ready to use, reading the clock through `now`; another call is another replica. */
  open(now: () => Date): Promise<Store>;
  /** Rows in one of the store's tables, read past the store (what pruning leaves behind). */
  countRows(table: 'locks' | 'shared_cache'): Promise<number>;
}

export async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** A card in C1 for JOB, shared by U1 at `clock`. */
export function saveCardAt(
  store: Store,
  clock: number,
  overrides: Partial<Parameters<Store['saveCard']>[0]> = {},
): Promise<Card> {
  return store.saveCard({
    channel: 'C1',
    ts: '1700000000.000100',
    jobId: JOB,
    sharedBy: 'U1',
    sharedAt: new Date(clock),
    ...overrides,
  });
}

/** U1 watches `card` from `clock` for an hour. */
export function watchCardAt(store: Store, card: Card, clock: number, intervalMs = 30 * SEC) {
  return store.startWatch({ cardId: card.id, startedBy: 'U1', intervalMs, expiresAt: new Date(clock + 3_600 * SEC) });
}

/** Registers the contract's tests in the calling `describe`. */
export function describeStoreContract(target: StoreTarget): void {
  let clock: number;
  const opened: Store[] = [];

  async function open(): Promise<Store> {
    const store = await target.open(() => new Date(clock));
    opened.push(store);
    return store;
  }

  const saveCard = (store: Store, overrides: Partial<Parameters<Store['saveCard']>[0]> = {}) =>
    saveCardAt(store, clock, overrides);
  const watchCard = (store: Store, card: Card, intervalMs = 30 * SEC) => watchCardAt(store, card, clock, intervalMs);

  beforeEach(async () => {
    clock = T0;
    await target.reset();
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  describe('cards', () => {
    it('saves a card once per channel and ts, and finds it', async () => {
      const store = await open();
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
      const store = await open();
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
      const store = await open();
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
      const store = await open();
      const card = await saveCard(store);
      await store.markCardLost(card.id);
      expect((await store.findCard('C1', card.ts))?.lostAt).not.toBeNull();
      await store.markCardRendered(card.id, 'hash', 'PROCESSING');
      expect((await store.findCard('C1', card.ts))?.lostAt).toBeNull();
    });

    it('a lost card ends its active watch as lost and cannot be watched again', async () => {
      const store = await open();
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
      const store = await open();
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
      const store = await open();
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
      const store = await open();
      expect(
        await errorOf(() =>
          store.startWatch({ cardId: 42, startedBy: 'U1', intervalMs: SEC, expiresAt: new Date(clock) }),
        ),
      ).toMatchObject({ code: 'store_card_not_found' });
    });

    it('lists due, unleased watches soonest first, up to the limit', async () => {
      const store = await open();
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
      const a = await open();
      const b = await open();
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
      const a = await open();
      const b = await open();
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
      const store = await open();
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
      const store = await open();
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
      const store = await open();
      const watch = await watchCard(store, await saveCard(store));

      expect(await store.recordWatchError(watch.id, 'first')).toBe(1);
      expect(
        await store.recordWatchError(watch.id, `reject alice@example.com with xoxb-123-abc ${'x'.repeat(900)}`),
      ).toBe(2);
      const stored = (await store.findWatch(watch.id))!;
      expect(stored.failureCount).toBe(2);
      expect(stored.lastError).toMatch(/^reject \[email redacted\] with xox\?-\[redacted\] x+$/);
      expect(stored.lastError).toHaveLength(500);

      expect(await store.recordWatchError(watch.id, 'a body with a \u0000 in it')).toBe(3);
      expect((await store.findWatch(watch.id))?.lastError).toBe('a body with a  in it');

      await store.clearWatchError(watch.id);
      expect(await store.findWatch(watch.id)).toMatchObject({ failureCount: 0, lastError: null });
    });
  });

  describe('completion notice', () => {
    it('lets exactly one caller, on any instance, begin and complete the notice', async () => {
      const a = await open();
      const b = await open();
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
      const store = await open();
      const card = await saveCard(store);
      const watch = await watchCard(store, card);
      await store.stopWatch(card.id, 'U2');
      expect(await store.beginNotice(watch.id)).toBe(false);
      expect((await store.findWatch(watch.id))?.noticeState).toBe('none');
    });

    it('cannot complete a notice that was never begun', async () => {
      const store = await open();
      const watch = await watchCard(store, await saveCard(store));
      expect(await store.completeNotice(watch.id, '1.2')).toBe(false);
      expect((await store.findWatch(watch.id))?.noticeState).toBe('none');
    });

    it('returns a refused post to none so it can be tried again', async () => {
      const store = await open();
      const watch = await watchCard(store, await saveCard(store));
      await store.beginNotice(watch.id);

      expect(await store.abandonNotice(watch.id)).toBe(true);
      expect(await store.findWatch(watch.id)).toMatchObject({ noticeState: 'none', noticeStartedAt: null });
      expect(await store.beginNotice(watch.id)).toBe(true);
    });

    it('finds a notice left posting by a crash, and lets one instance take over its recovery', async () => {
      const a = await open();
      const b = await open();
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

  describe('at the same moment on several instances', () => {
    it('saves one card and starts one watch, which every caller gets', async () => {
      const stores = await Promise.all([open(), open(), open()]);
      const cards = await Promise.all(stores.map((store, i) => saveCard(store, { sharedBy: `U${i}` })));
      expect(new Set(cards.map((c) => c.id)).size).toBe(1);

      const card = cards[0]!;
      const watches = await Promise.all(stores.map((store) => watchCard(store, card)));
      expect(watches[1]).toEqual(watches[0]);
      expect(watches[2]).toEqual(watches[0]);
      expect(await stores[0]!.countActiveWatches()).toBe(1);
    });
  });

  describe('claiming due watches in one step', () => {
    it('leases the due, unleased watches soonest first, up to the limit, and an expired lease again', async () => {
      const store = await open();
      const slow = await watchCard(store, await saveCard(store, { ts: '3.1' }), 50 * SEC);
      const fast = await watchCard(store, await saveCard(store, { ts: '3.2' }), 10 * SEC);
      const medium = await watchCard(store, await saveCard(store, { ts: '3.3' }), 30 * SEC);
      await watchCard(store, await saveCard(store, { ts: '3.4' }), 90 * SEC);
      const now = new Date(T0 + 60 * SEC);

      const claimed = await store.claimDueWatches('a', 20 * SEC, 2, now);
      expect(claimed.map((w) => w.id)).toEqual([fast.id, medium.id]);
      expect(claimed[0]).toEqual({ ...fast, leaseOwner: 'a', leaseUntil: new Date(+now + 20 * SEC) });
      expect(await store.findWatch(medium.id)).toMatchObject({
        leaseOwner: 'a',
        leaseUntil: new Date(+now + 20 * SEC),
      });

      expect((await store.claimDueWatches('b', 20 * SEC, 10, now)).map((w) => w.id)).toEqual([slow.id]);
      expect(await store.claimDueWatches('b', 20 * SEC, 10, now)).toEqual([]);

      // a crashed: once its leases have expired, b takes them over (and only them: slow is still b's).
      const afterLease = new Date(+now + 20 * SEC);
      const retaken = await store.claimDueWatches('b', 20 * SEC, 10, afterLease);
      expect(retaken.map((w) => [w.id, w.leaseOwner])).toEqual([
        [fast.id, 'b'],
        [medium.id, 'b'],
        [slow.id, 'b'],
      ]);
      expect(await store.scheduleNext(fast.id, 'a', afterLease)).toBe(false);
    });

    it('gives instances claiming at the same moment disjoint sets, and every due watch to exactly one', async () => {
      const stores = await Promise.all([open(), open(), open(), open()]);
      const first = stores[0]!;
      const ids: number[] = [];
      for (let i = 0; i < 24; i++) ids.push((await watchCard(first, await saveCard(first, { ts: `4.${i}` }))).id);
      const now = new Date(T0 + 60 * SEC);

      const claims = await Promise.all(
        stores.map((store, i) => store.claimDueWatches(`instance-${i}`, 20 * SEC, 10, now)),
      );
      // A fifth claim takes whatever the four passed over while another held it.
      claims.push(await first.claimDueWatches('instance-4', 20 * SEC, 100, now));

      const all = claims.flat();
      expect(all.map((w) => w.id).sort((x, y) => x - y)).toEqual(ids);
      for (const [i, claim] of claims.entries()) {
        for (const watch of claim) {
          expect(await first.findWatch(watch.id)).toMatchObject({ leaseOwner: `instance-${i}` });
        }
      }
      expect(await first.claimDueWatches('instance-5', 20 * SEC, 100, now)).toEqual([]);
    });

    it('claims no ended watch and no watch that is not due', async () => {
      const store = await open();
      const card = await saveCard(store);
      await watchCard(store, card);
      expect(await store.claimDueWatches('a', 20 * SEC, 10, new Date(T0 + 29 * SEC))).toEqual([]);
      await store.stopWatch(card.id, 'U1');
      expect(await store.claimDueWatches('a', 20 * SEC, 10, new Date(T0 + 60 * SEC))).toEqual([]);
    });
  });

  describe('named locks', () => {
    it('holds a lock for one owner until it is released or its time runs out; the holder renews it', async () => {
      const a = await open();
      const b = await open();
      const now = new Date(T0);

      expect(await a.tryLock('card:C1:job', 'instance-a', 10 * SEC, now)).toBe(true);
      expect(await b.tryLock('card:C1:job', 'instance-b', 10 * SEC, now)).toBe(false);
      expect(await b.tryLock('card:C2:job', 'instance-b', 10 * SEC, now)).toBe(true);

      // Renewed at +5 s, a's lock now lasts until +15 s: b cannot take it at +12 s.
      expect(await a.tryLock('card:C1:job', 'instance-a', 10 * SEC, new Date(T0 + 5 * SEC))).toBe(true);
      expect(await b.tryLock('card:C1:job', 'instance-b', 10 * SEC, new Date(T0 + 12 * SEC))).toBe(false);
      expect(await b.tryLock('card:C1:job', 'instance-b', 10 * SEC, new Date(T0 + 15 * SEC))).toBe(true);

      // a died holding it; it is b's now, and a can neither release nor take it.
      expect(await a.releaseLock('card:C1:job', 'instance-a')).toBe(false);
      expect(await a.tryLock('card:C1:job', 'instance-a', 10 * SEC, new Date(T0 + 16 * SEC))).toBe(false);
      expect(await b.releaseLock('card:C1:job', 'instance-b')).toBe(true);
      expect(await b.releaseLock('card:C1:job', 'instance-b')).toBe(false);
      expect(await a.tryLock('card:C1:job', 'instance-a', 10 * SEC, new Date(T0 + 16 * SEC))).toBe(true);
    });

    it('gives a lock to exactly one of several instances asking at once', async () => {
      const stores = await Promise.all([open(), open(), open()]);
      const won = await Promise.all(stores.map((store, i) => store.tryLock('k', `instance-${i}`, 10 * SEC)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it('deletes expired locks as new ones are taken', async () => {
      const store = await open();
      for (let i = 0; i < 250; i++) await store.tryLock(`k${i}`, 'a', SEC, new Date(T0 + i * SEC));
      expect(await target.countRows('locks')).toBeLessThan(250);
      expect(await store.tryLock('k249', 'b', SEC, new Date(T0 + 249 * SEC))).toBe(false);
    });
  });

  describe('shared cache', () => {
    it("serves one instance's value to the others until it expires; a newer value replaces it", async () => {
      const a = await open();
      const b = await open();
      expect(await b.getShared('failures job-1', new Date(T0))).toBeUndefined();

      await a.putShared('failures job-1', '{"failed":3}', 10 * SEC, new Date(T0));
      expect(await b.getShared('failures job-1', new Date(T0 + 9 * SEC))).toBe('{"failed":3}');
      expect(await b.getShared('failures job-2', new Date(T0 + 9 * SEC))).toBeUndefined();
      expect(await b.getShared('failures job-1', new Date(T0 + 10 * SEC))).toBeUndefined();

      await b.putShared('failures job-1', '{"failed":4} ✓', 10 * SEC, new Date(T0 + 11 * SEC));
      expect(await a.getShared('failures job-1', new Date(T0 + 12 * SEC))).toBe('{"failed":4} ✓');
    });

    it('deletes expired entries as new ones are kept', async () => {
      const store = await open();
      for (let i = 0; i < 250; i++) await store.putShared(`k${i}`, 'v', SEC, new Date(T0 + i * SEC));
      // The last puts found the early entries long expired: they are gone, not merely unread.
      expect(await target.countRows('shared_cache')).toBeLessThan(250);
      expect(await store.getShared('k249', new Date(T0 + 249 * SEC))).toBe('v');
    });
  });

  describe('health and close', () => {
    it('is healthy while open; closed, it says so, refuses calls, and closes again quietly', async () => {
      const store = await open();
      expect(await store.health()).toEqual({ ok: true });
      expect((await store.describe()).schemaVersion).toBeGreaterThan(0);

      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
      expect(await store.health()).toEqual({ ok: false, reason: 'the store is closed' });
      await expect(store.countActiveWatches()).rejects.toThrow();
    });
  });
}
