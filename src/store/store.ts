/**
 * The embedded SQLite store (docs/design.md, "Configuration" `BULKJOB_DATA_DIR`): shared cards and the watches that refresh them,
 * so watches survive a restart and several instances can share one file. Schema: see `migrations.ts`;
 * contract and the watch / notice protocols: see `Store` in `types.ts`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BotError } from '../errors.js';
import type { Logger } from '../logger.js';
import { migrate, readSchemaVersion } from './migrations.js';
import { type CardRow, cleanWatchError, ENDED_STATES, toCard, toWatch, type WatchRow } from './rows.js';
import { StoreError } from './store-error.js';
import type { Card, EndedWatchState, SaveCardInput, StartWatchInput, Store, StoreDescription, Watch } from './types.js';

export type * from './types.js';

export const DATABASE_FILE = 'bulkjob.sqlite';
/** Pass as `dataDir` for a private, throw-away database (unit tests). */
export const IN_MEMORY = ':memory:';
/** How long a write waits for another instance's write lock before failing with SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export interface OpenStoreOptions {
  /** Directory for `bulkjob.sqlite`, created if missing; or `IN_MEMORY`. */
  dataDir: string;
  /** The clock for every default `now`/`at`; tests inject one. */
  now?: () => Date;
  logger?: Pick<Logger, 'info'>;
  busyTimeoutMs?: number;
}

/** Opens (creating and migrating as needed) the store. Throws `StoreError` for a database from a newer bulkjob. */
export function openStore(options: OpenStoreOptions): Store {
  const inMemory = options.dataDir === IN_MEMORY;
  const path = inMemory ? IN_MEMORY : join(options.dataDir, DATABASE_FILE);
  let db: Database.Database;
  try {
    if (!inMemory) mkdirSync(options.dataDir, { recursive: true });
    db = new Database(path);
    // The first read: a file that is not a database fails here, not at `new Database`.
    db.pragma('schema_version');
  } catch (error) {
    throw cannotOpen(path, options.dataDir, error);
  }
  try {
    // busy_timeout first: switching to WAL needs a lock another instance may hold.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const { from, to } = migrate(db, undefined, options.logger);
    options.logger?.info({ path, schemaVersion: to, migratedFrom: from }, 'store opened');
  } catch (error) {
    db.close();
    throw error instanceof BotError ? error : cannotOpen(path, options.dataDir, error);
  }
  return new SqliteStore(db, options.now ?? (() => new Date()));
}

/** A store that cannot be opened, said so that the admin knows which file and which variable to look at. */
function cannotOpen(path: string, dataDir: string, error: unknown): StoreError {
  const why = error instanceof Error ? error.message : String(error);
  return new StoreError(
    'store_open_failed',
    `cannot open the store at ${path} (BULKJOB_DATA_DIR=${dataDir}): ${why}. ` +
      'BULKJOB_DATA_DIR must be a writable directory that holds only bulkjob’s database; point it at an empty one to start afresh.',
    { cause: error },
  );
}

type Params = Record<string, string | number | null>;

/** Every statement, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  const cardQuery = (sql: string) => db.prepare<Params, CardRow>(sql);
  const watchQuery = (sql: string) => db.prepare<Params, WatchRow>(sql);
  const write = (sql: string) => db.prepare<Params>(sql);
  const ACTIVE_ENDS = `state = @state, ended_at = @at, lease_owner = NULL, lease_until = NULL`;
  return {
    insertCard: write(
      `INSERT INTO cards (channel, ts, job_id, shared_by, shared_at, updated_at)
       VALUES (@channel, @ts, @jobId, @sharedBy, @sharedAt, @sharedAt)
       ON CONFLICT (channel, ts) DO NOTHING`,
    ),
    cardByMessage: cardQuery(`SELECT * FROM cards WHERE channel = @channel AND ts = @ts`),
    cardById: cardQuery(`SELECT * FROM cards WHERE id = @id`),
    cardToAdopt: cardQuery(
      `SELECT c.* FROM cards c
       WHERE c.channel = @channel AND c.job_id = @jobId AND c.lost_at IS NULL
       ORDER BY EXISTS (SELECT 1 FROM watches w WHERE w.card_id = c.id AND w.state = 'active') DESC,
                c.shared_at DESC, c.id DESC
       LIMIT 1`,
    ),
    markRendered: write(
      // A successful edit proves the card is editable again (e.g. the bot was invited back).
      `UPDATE cards SET last_render_hash = @hash, last_job_status = @status, updated_at = @at, lost_at = NULL
       WHERE id = @id`,
    ),
    markCancelled: write(
      `UPDATE cards SET cancelled_by = @userId, cancelled_at = @at, updated_at = @at
       WHERE id = @id AND cancelled_by IS NULL`,
    ),
    markLost: write(`UPDATE cards SET lost_at = @at, updated_at = @at WHERE id = @id AND lost_at IS NULL`),
    endWatchesOfCard: write(`UPDATE watches SET ${ACTIVE_ENDS} WHERE card_id = @cardId AND state = 'active'`),

    insertWatch: watchQuery(
      `INSERT INTO watches (card_id, state, started_by, started_at, interval_ms, expires_at, next_run_at)
       VALUES (@cardId, 'active', @startedBy, @startedAt, @intervalMs, @expiresAt, @nextRunAt)
       RETURNING *`,
    ),
    stopWatch: watchQuery(
      `UPDATE watches SET ${ACTIVE_ENDS}, stopped_by = @userId
       WHERE card_id = @cardId AND state = 'active' RETURNING *`,
    ),
    watchById: watchQuery(`SELECT * FROM watches WHERE id = @id`),
    activeWatchOfCard: watchQuery(`SELECT * FROM watches WHERE card_id = @cardId AND state = 'active'`),
    latestWatchOfCard: watchQuery(`SELECT * FROM watches WHERE card_id = @cardId ORDER BY id DESC LIMIT 1`),
    dueWatches: watchQuery(
      `SELECT * FROM watches
       WHERE state = 'active' AND next_run_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
       ORDER BY next_run_at, id LIMIT @limit`,
    ),
    activeWatches: watchQuery(`SELECT * FROM watches WHERE state = 'active' ORDER BY next_run_at, id`),
    activeWatchesStartedBy: watchQuery(
      `SELECT * FROM watches WHERE state = 'active' AND started_by = @userId ORDER BY started_at DESC, id DESC`,
    ),
    cardsSharedBy: cardQuery(
      `SELECT * FROM cards WHERE shared_by = @userId ORDER BY shared_at DESC, id DESC LIMIT @limit`,
    ),
    countActive: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM watches WHERE state = 'active'`),
    claim: write(
      `UPDATE watches SET lease_owner = @owner, lease_until = @until
       WHERE id = @id AND state = 'active' AND next_run_at <= @now
         AND (lease_until IS NULL OR lease_until <= @now)`,
    ),
    lockTake: db.prepare<Params, { owner: string }>(
      // Free, expired or already ours: it becomes ours until @until. Held by someone else: left alone.
      `INSERT INTO locks (key, owner, until) VALUES (@key, @owner, @until)
       ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE locks.owner = excluded.owner OR locks.until <= @now
       RETURNING owner`,
    ),
    lockRelease: write(`DELETE FROM locks WHERE key = @key AND owner = @owner`),
    locksPrune: write(`DELETE FROM locks WHERE until <= @now`),
    sharedGet: db.prepare<Params, { value: string }>(
      `SELECT value FROM shared_cache WHERE key = @key AND until > @now`,
    ),
    sharedPut: write(
      `INSERT INTO shared_cache (key, value, until) VALUES (@key, @value, @until)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, until = excluded.until`,
    ),
    sharedPrune: write(`DELETE FROM shared_cache WHERE until <= @now`),
    renew: write(
      `UPDATE watches SET lease_until = @until WHERE id = @id AND state = 'active' AND lease_owner = @owner`,
    ),
    scheduleNext: write(
      `UPDATE watches SET next_run_at = @nextRunAt, lease_owner = NULL, lease_until = NULL
       WHERE id = @id AND state = 'active' AND lease_owner = @owner`,
    ),
    release: write(
      `UPDATE watches SET lease_owner = NULL, lease_until = NULL
       WHERE id = @id AND state = 'active' AND lease_owner = @owner`,
    ),
    finish: write(`UPDATE watches SET ${ACTIVE_ENDS} WHERE id = @id AND state = 'active'`),
    recordError: db.prepare<Params, { failure_count: number }>(
      `UPDATE watches SET failure_count = failure_count + 1, last_error = @message WHERE id = @id
       RETURNING failure_count`,
    ),
    clearError: write(`UPDATE watches SET failure_count = 0, last_error = NULL WHERE id = @id`),

    beginNotice: write(
      // Only an active watch announces its end: a watch stopped meanwhile posts nothing.
      `UPDATE watches SET notice_state = 'posting', notice_started_at = @at
       WHERE id = @id AND notice_state = 'none' AND state = 'active'`,
    ),
    completeNotice: write(
      `UPDATE watches SET notice_state = 'posted', notice_ts = @noticeTs WHERE id = @id AND notice_state = 'posting'`,
    ),
    abandonNotice: write(
      `UPDATE watches SET notice_state = 'none', notice_started_at = NULL WHERE id = @id AND notice_state = 'posting'`,
    ),
    stuckNotices: watchQuery(
      `SELECT * FROM watches WHERE notice_state = 'posting' AND notice_started_at <= @olderThan
       ORDER BY notice_started_at, id`,
    ),
    reclaimNotice: write(
      `UPDATE watches SET notice_started_at = @now
       WHERE id = @id AND notice_state = 'posting' AND notice_started_at <= @olderThan`,
    ),
  };
}

/** Every this many `tryLock` (`putShared`) calls, expired locks (cache entries) are deleted. */
const LOCK_PRUNE_EVERY = 200;

class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #now: () => Date;
  readonly #sql: ReturnType<typeof prepareStatements>;
  #lockCalls = 0;
  #sharedPuts = 0;

  constructor(db: Database.Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
    this.#sql = prepareStatements(db);
  }

  async saveCard(input: SaveCardInput): Promise<Card> {
    const params = { ...input, sharedAt: input.sharedAt.getTime() };
    this.#sql.insertCard.run(params);
    return this.#cardAt(input.channel, input.ts)!;
  }

  async findCard(channel: string, ts: string): Promise<Card | undefined> {
    return this.#cardAt(channel, ts);
  }

  async findCardById(cardId: number): Promise<Card | undefined> {
    return this.#cardById(cardId);
  }

  async findActiveCardForJob(channel: string, jobId: string): Promise<Card | undefined> {
    const row = this.#sql.cardToAdopt.get({ channel, jobId });
    return row && toCard(row);
  }

  async markCardRendered(cardId: number, renderHash: string, jobStatus: string, at = this.#now()): Promise<boolean> {
    return this.#changed(this.#sql.markRendered.run({ id: cardId, hash: renderHash, status: jobStatus, at: +at }));
  }

  async markCardCancelled(cardId: number, userId: string, at = this.#now()): Promise<boolean> {
    return this.#changed(this.#sql.markCancelled.run({ id: cardId, userId, at: +at }));
  }

  async markCardLost(cardId: number, at = this.#now()): Promise<boolean> {
    return this.#db.transaction(() => {
      const changed = this.#changed(this.#sql.markLost.run({ id: cardId, at: +at }));
      this.#sql.endWatchesOfCard.run({ cardId, state: 'lost', at: +at });
      return changed;
    })();
  }

  async startWatch(input: StartWatchInput): Promise<Watch> {
    const now = input.now ?? this.#now();
    // IMMEDIATE: the check and the insert happen under one write lock, so two instances cannot both insert.
    return this.#db
      .transaction(() => {
        const card = this.#cardById(input.cardId);
        if (!card) throw new StoreError('store_card_not_found', `No card with id ${input.cardId}`);
        if (card.lostAt) throw new StoreError('store_card_lost', `Card ${card.id} can no longer be edited`);
        const active = this.#activeWatch(input.cardId);
        if (active) return active;
        const row = this.#sql.insertWatch.get({
          cardId: input.cardId,
          startedBy: input.startedBy,
          startedAt: +now,
          intervalMs: input.intervalMs,
          expiresAt: +input.expiresAt,
          nextRunAt: +now + input.intervalMs,
        });
        return toWatch(row!);
      })
      .immediate();
  }

  async stopWatch(cardId: number, userId: string, at = this.#now()): Promise<Watch | undefined> {
    const row = this.#sql.stopWatch.get({ cardId, userId, state: 'stopped', at: +at });
    return row && toWatch(row);
  }

  async findWatch(watchId: number): Promise<Watch | undefined> {
    const row = this.#sql.watchById.get({ id: watchId });
    return row && toWatch(row);
  }

  async findActiveWatch(cardId: number): Promise<Watch | undefined> {
    return this.#activeWatch(cardId);
  }

  async findLatestWatch(cardId: number): Promise<Watch | undefined> {
    const row = this.#sql.latestWatchOfCard.get({ cardId });
    return row && toWatch(row);
  }

  async listDueWatches(now: Date, limit: number): Promise<Watch[]> {
    return this.#sql.dueWatches.all({ now: +now, limit }).map(toWatch);
  }

  async listActiveWatchesStartedBy(userId: string): Promise<Watch[]> {
    return this.#sql.activeWatchesStartedBy.all({ userId }).map(toWatch);
  }

  async listCardsSharedBy(userId: string, limit: number): Promise<Card[]> {
    return this.#sql.cardsSharedBy.all({ userId, limit }).map(toCard);
  }

  async listActiveWatches(): Promise<Watch[]> {
    return this.#sql.activeWatches.all({}).map(toWatch);
  }

  async countActiveWatches(): Promise<number> {
    return this.#sql.countActive.get()?.n ?? 0;
  }

  async claimDueWatches(owner: string, leaseMs: number, limit: number, now = this.#now()): Promise<Watch[]> {
    // IMMEDIATE: the read and the leases under one write lock, so two processes never claim the same watch.
    return this.#db
      .transaction(() => {
        const due = this.#sql.dueWatches.all({ now: +now, limit });
        const until = +now + leaseMs;
        return due
          .filter((row) => this.#changed(this.#sql.claim.run({ id: row.id, owner, now: +now, until })))
          .map((row) => toWatch({ ...row, lease_owner: owner, lease_until: until }));
      })
      .immediate();
  }

  async claimWatch(watchId: number, owner: string, leaseMs: number, now = this.#now()): Promise<boolean> {
    return this.#changed(this.#sql.claim.run({ id: watchId, owner, now: +now, until: +now + leaseMs }));
  }

  async renewLease(watchId: number, owner: string, leaseMs: number, now = this.#now()): Promise<boolean> {
    return this.#changed(this.#sql.renew.run({ id: watchId, owner, until: +now + leaseMs }));
  }

  async scheduleNext(watchId: number, owner: string, nextRunAt: Date): Promise<boolean> {
    return this.#changed(this.#sql.scheduleNext.run({ id: watchId, owner, nextRunAt: +nextRunAt }));
  }

  async releaseWatch(watchId: number, owner: string): Promise<boolean> {
    return this.#changed(this.#sql.release.run({ id: watchId, owner }));
  }

  async finishWatch(watchId: number, state: EndedWatchState, at = this.#now()): Promise<boolean> {
    if (!ENDED_STATES.has(state)) throw new TypeError(`finishWatch: '${state}' is not an ended watch state`);
    return this.#changed(this.#sql.finish.run({ id: watchId, state, at: +at }));
  }

  async recordWatchError(watchId: number, message: string): Promise<number> {
    return this.#sql.recordError.get({ id: watchId, message: cleanWatchError(message) })?.failure_count ?? 0;
  }

  async clearWatchError(watchId: number): Promise<void> {
    this.#sql.clearError.run({ id: watchId });
  }

  async beginNotice(watchId: number, at = this.#now()): Promise<boolean> {
    return this.#changed(this.#sql.beginNotice.run({ id: watchId, at: +at }));
  }

  async completeNotice(watchId: number, noticeTs: string): Promise<boolean> {
    return this.#changed(this.#sql.completeNotice.run({ id: watchId, noticeTs }));
  }

  async abandonNotice(watchId: number): Promise<boolean> {
    return this.#changed(this.#sql.abandonNotice.run({ id: watchId }));
  }

  async listStuckNotices(olderThan: Date): Promise<Watch[]> {
    return this.#sql.stuckNotices.all({ olderThan: +olderThan }).map(toWatch);
  }

  async reclaimNotice(watchId: number, olderThan: Date, now = this.#now()): Promise<boolean> {
    return this.#changed(this.#sql.reclaimNotice.run({ id: watchId, olderThan: +olderThan, now: +now }));
  }

  async tryLock(key: string, owner: string, ttlMs: number, now = this.#now()): Promise<boolean> {
    // Expired locks are dead weight (a delivery's id is never asked about again): cleared now and then.
    if (++this.#lockCalls % LOCK_PRUNE_EVERY === 0) this.#sql.locksPrune.run({ now: +now });
    return this.#sql.lockTake.get({ key, owner, now: +now, until: +now + ttlMs }) !== undefined;
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    return this.#changed(this.#sql.lockRelease.run({ key, owner }));
  }

  async getShared(key: string, now = this.#now()): Promise<string | undefined> {
    return this.#sql.sharedGet.get({ key, now: +now })?.value;
  }

  async putShared(key: string, value: string, ttlMs: number, now = this.#now()): Promise<void> {
    if (++this.#sharedPuts % LOCK_PRUNE_EVERY === 0) this.#sql.sharedPrune.run({ now: +now });
    this.#sql.sharedPut.run({ key, value, until: +now + ttlMs });
  }

  async health(): Promise<{ ok: boolean; reason?: string }> {
    if (!this.#db.open) return { ok: false, reason: 'the store is closed' };
    try {
      this.#db.prepare('SELECT 1').get();
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `the store does not answer: ${(error as Error).message}` };
    }
  }

  async describe(): Promise<StoreDescription> {
    return {
      kind: 'sqlite',
      path: this.#db.name,
      schemaVersion: readSchemaVersion(this.#db),
      journalMode: String(this.#db.pragma('journal_mode', { simple: true })),
      foreignKeys: this.#db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: Number(this.#db.pragma('busy_timeout', { simple: true })),
    };
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    try {
      // Fold the WAL back into the main file so a copy of bulkjob.sqlite alone is complete.
      if (!this.#db.memory) this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.#db.close();
    }
  }

  // Synchronous reads, for use inside a transaction (better-sqlite3 transactions cannot await).
  #cardAt(channel: string, ts: string): Card | undefined {
    const row = this.#sql.cardByMessage.get({ channel, ts });
    return row && toCard(row);
  }

  #cardById(cardId: number): Card | undefined {
    const row = this.#sql.cardById.get({ id: cardId });
    return row && toCard(row);
  }

  #activeWatch(cardId: number): Watch | undefined {
    const row = this.#sql.activeWatchOfCard.get({ cardId });
    return row && toWatch(row);
  }

  #changed(result: Database.RunResult): boolean {
    return result.changes > 0;
  }
}
