/**
 * The PostgreSQL store (docs/design.md, "Configuration" `DATABASE_URL`), for several replicas sharing one
 * database: the same contract and the same semantics as the SQLite store (`store.ts`, whose SQL is the
 * reference), with row locks where SQLite had one writer. Schema: `postgres-schema.ts`, applied by
 * `postgres-migrate.ts`; contract and the watch / notice protocols: see `Store` in `types.ts`.
 *
 * Opening never blocks start-up: the migrations run in the background, retried with capped backoff while the
 * database cannot be reached. Until they have run, `health()` says why not and every other method throws
 * `StoreError('store_unavailable')`.
 */
import pg from 'pg';
import type { Logger } from '../logger.js';
import { migratePostgres, SCHEMA_TABLE } from './postgres-migrate.js';
import { type CardRow, cleanWatchError, ENDED_STATES, toCard, toWatch, type WatchRow } from './rows.js';
import { StoreError } from './store-error.js';
import type {
  Card,
  EndedWatchState,
  PostgresStoreDescription,
  SaveCardInput,
  StartWatchInput,
  Store,
  StoreHealth,
  Watch,
} from './types.js';

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** The first wait before retrying the migrations; it doubles up to `MAX_RETRY_DELAY_MS`. */
export const DEFAULT_RETRY_DELAY_MS = 500;
/** How long a call made during the migrations waits for them before it fails as unavailable. */
const READY_WAIT_MS = 3_000;
/** Every this many `tryLock` (`putShared`) calls, expired locks (cache entries) are deleted. */
const LOCK_PRUNE_EVERY = 200;
const MAX_RETRY_DELAY_MS = 30_000;
/** Every statement is small; one that runs longer than this is stuck behind a lock or a sick server. */
const STATEMENT_TIMEOUT_MS = 5_000;
/** A readiness probe must answer quickly, whatever the database is doing. */
const HEALTH_TIMEOUT_MS = 1_000;
/** `startWatch` retries when the active watch it conflicted with ended before it could read it. */
const START_WATCH_ATTEMPTS = 5;
const INT8_OID = 20;

export interface OpenPostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (DATABASE_URL). */
  url: string;
  /** The clock for every default `now`/`at`; tests inject one. */
  now?: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
  poolSize?: number;
  connectTimeoutMs?: number;
  retryDelayMs?: number;
}

export interface PostgresStore extends Store {
  /** Resolves once the migrations have run; rejects if they never can (a newer schema) or the store closes first. */
  ready(): Promise<void>;
}

/**
 * Returns at once, migrating in the background. Throws `StoreError('store_open_failed')` only for a URL that
 * cannot be parsed.
 */
export function openPostgresStore(options: OpenPostgresStoreOptions): PostgresStore {
  return new PgStore(options, parseTarget(options.url));
}

interface Target {
  /** `host:port/database`, for messages and logs. */
  location: string;
  /** What to remove from any message that might echo it. */
  password: string;
}

function parseTarget(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not even the URL goes into the message: it may hold the password.
    throw new StoreError(
      'store_open_failed',
      'DATABASE_URL is not a valid URL: it must look like postgres://user:password@host:5432/database.',
    );
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const database = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres';
  return { location: `${host}:${parsed.port || 5432}/${database}`, password: decodeURIComponent(parsed.password) };
}

/**
 * `bigint` arrives as a string by default, since it may exceed 2^53. Ours are milliseconds since the epoch
 * and counts, far below that, so they become numbers — for this pool only, not for every `pg` user in the
 * process.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

type State =
  | { kind: 'migrating'; reason: string }
  | { kind: 'ready' }
  | { kind: 'failed'; error: StoreError }
  | { kind: 'closed' };

type Value = string | number | null;

const ACTIVE_ENDS = 'ended_at = $2, lease_owner = NULL, lease_until = NULL';

class PgStore implements PostgresStore {
  readonly #pool: pg.Pool;
  readonly #now: () => Date;
  readonly #target: Target;
  readonly #logger: Pick<Logger, 'info' | 'warn'> | undefined;
  readonly #ready: Promise<void>;
  #state: State = { kind: 'migrating', reason: 'store migrations are running' };
  #closing: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #lockCalls = 0;
  #sharedPuts = 0;

  constructor(options: OpenPostgresStoreOptions, target: Target) {
    this.#now = options.now ?? (() => new Date());
    this.#target = target;
    this.#logger = options.logger;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // The server cancels a slow statement; the client gives up a little later if the server is gone.
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: STATEMENT_TIMEOUT_MS + 1_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'bulkjob',
      types: TYPES,
    });
    // An idle connection dropped by the server (restart, failover, idle timeout) must not crash the process:
    // the pool discards it and the next call connects afresh.
    this.#pool.on('error', (error) => {
      this.#logger?.warn({ location: target.location, reason: this.#explain(error) }, 'PostgreSQL connection lost');
    });
    this.#ready = this.#migrateInBackground(options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
    // Nobody need await `ready()`: its failure is logged and shown by `health()`.
    this.#ready.catch(() => {});
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  async #migrateInBackground(firstDelayMs: number): Promise<void> {
    let delayMs = firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const { from, to } = await migratePostgres(this.#pool, {
          location: this.#target.location,
          logger: this.#logger,
        });
        if (this.#state.kind === 'closed') break;
        this.#state = { kind: 'ready' };
        this.#logger?.info({ location: this.#target.location, schemaVersion: to, migratedFrom: from }, 'store opened');
        return;
      } catch (error) {
        if (this.#state.kind === 'closed') break;
        if (error instanceof StoreError && error.code === 'store_schema_too_new') {
          // Retrying cannot help: only another bulkjob build or another database can.
          const refused = new StoreError(error.code, this.#clean(error.message), { cause: error });
          this.#state = { kind: 'failed', error: refused };
          this.#logger?.warn({ location: this.#target.location, reason: refused.message }, 'store refused');
          throw refused;
        }
        const reason =
          error instanceof StoreError
            ? this.#clean(error.message)
            : `PostgreSQL at ${this.#target.location} is unreachable: ${this.#explain(error)}`;
        this.#state = { kind: 'migrating', reason };
        this.#logger?.warn(
          { location: this.#target.location, attempt, retryInMs: delayMs, reason },
          'store migrations could not run; retrying',
        );
      }
      await this.#sleep(delayMs);
      delayMs = Math.min(delayMs * 2, Math.max(MAX_RETRY_DELAY_MS, firstDelayMs));
    }
    throw new StoreError('store_unavailable', 'The store was closed before its migrations ran.');
  }

  #sleep(ms: number): Promise<void> {
    if (this.#state.kind === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async saveCard(input: SaveCardInput): Promise<Card> {
    const { rows } = await this.#query<CardRow>(
      `INSERT INTO cards (channel, ts, job_id, shared_by, shared_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (channel, ts) DO NOTHING
       RETURNING *`,
      [input.channel, input.ts, input.jobId, input.sharedBy, +input.sharedAt],
    );
    // Already saved: a fresh statement sees the existing row, even one committed a moment ago.
    const card = rows[0] ? toCard(rows[0]) : await this.findCard(input.channel, input.ts);
    if (!card) throw new StoreError('store_card_not_found', `No card at ${input.channel} ${input.ts}`);
    return card;
  }

  async findCard(channel: string, ts: string): Promise<Card | undefined> {
    return this.#card(`SELECT * FROM cards WHERE channel = $1 AND ts = $2`, [channel, ts]);
  }

  async findCardById(cardId: number): Promise<Card | undefined> {
    return this.#card(`SELECT * FROM cards WHERE id = $1`, [cardId]);
  }

  async findActiveCardForJob(channel: string, jobId: string): Promise<Card | undefined> {
    return this.#card(
      `SELECT c.* FROM cards c
       WHERE c.channel = $1 AND c.job_id = $2 AND c.lost_at IS NULL
       ORDER BY EXISTS (SELECT 1 FROM watches w WHERE w.card_id = c.id AND w.state = 'active') DESC,
                c.shared_at DESC, c.id DESC
       LIMIT 1`,
      [channel, jobId],
    );
  }

  async markCardRendered(cardId: number, renderHash: string, jobStatus: string, at = this.#now()): Promise<boolean> {
    // A successful edit proves the card is editable again (e.g. the bot was invited back).
    return this.#changed(
      `UPDATE cards SET last_render_hash = $2, last_job_status = $3, updated_at = $4, lost_at = NULL WHERE id = $1`,
      [cardId, renderHash, jobStatus, +at],
    );
  }

  async markCardCancelled(cardId: number, userId: string, at = this.#now()): Promise<boolean> {
    return this.#changed(
      `UPDATE cards SET cancelled_by = $2, cancelled_at = $3, updated_at = $3 WHERE id = $1 AND cancelled_by IS NULL`,
      [cardId, userId, +at],
    );
  }

  async markCardLost(cardId: number, at = this.#now()): Promise<boolean> {
    // Two statements, card first: its row lock waits for a `startWatch` holding the card FOR SHARE, and the
    // second statement's fresh snapshot then sees (and ends) the watch that one inserted.
    return this.#transaction(async (client) => {
      const lost = await client.query(
        `UPDATE cards SET lost_at = $2, updated_at = $2 WHERE id = $1 AND lost_at IS NULL`,
        [cardId, +at],
      );
      await client.query(`UPDATE watches SET state = 'lost', ${ACTIVE_ENDS} WHERE card_id = $1 AND state = 'active'`, [
        cardId,
        +at,
      ]);
      return (lost.rowCount ?? 0) > 0;
    });
  }

  async startWatch(input: StartWatchInput): Promise<Watch> {
    const now = input.now ?? this.#now();
    for (let attempt = 0; attempt < START_WATCH_ATTEMPTS; attempt++) {
      // FOR SHARE: a concurrent `markCardLost` waits for this insert, or this insert sees the card lost.
      // ON CONFLICT on the one-active-watch index: of two concurrent starts one inserts, the other waits for
      // its commit and then finds its watch below.
      const { rows } = await this.#query<WatchRow>(
        `INSERT INTO watches (card_id, state, started_by, started_at, interval_ms, expires_at, next_run_at)
         SELECT id, 'active', $2::text, $3::bigint, $4::integer, $5::bigint, $6::bigint
         FROM cards WHERE id = $1 AND lost_at IS NULL
         FOR SHARE
         ON CONFLICT (card_id) WHERE state = 'active' DO NOTHING
         RETURNING *`,
        [input.cardId, input.startedBy, +now, input.intervalMs, +input.expiresAt, +now + input.intervalMs],
      );
      if (rows[0]) return toWatch(rows[0]);
      const active = await this.findActiveWatch(input.cardId);
      if (active) return active;
      const card = await this.findCardById(input.cardId);
      if (!card) throw new StoreError('store_card_not_found', `No card with id ${input.cardId}`);
      if (card.lostAt) throw new StoreError('store_card_lost', `Card ${card.id} can no longer be edited`);
      // The watch we conflicted with ended before we could read it: try again.
    }
    throw new StoreError('store_unavailable', `Could not start a watch on card ${input.cardId}: it kept changing`);
  }

  async stopWatch(cardId: number, userId: string, at = this.#now()): Promise<Watch | undefined> {
    return this.#watch(
      `UPDATE watches SET state = 'stopped', ${ACTIVE_ENDS}, stopped_by = $3
       WHERE card_id = $1 AND state = 'active' RETURNING *`,
      [cardId, +at, userId],
    );
  }

  async findWatch(watchId: number): Promise<Watch | undefined> {
    return this.#watch(`SELECT * FROM watches WHERE id = $1`, [watchId]);
  }

  async findActiveWatch(cardId: number): Promise<Watch | undefined> {
    return this.#watch(`SELECT * FROM watches WHERE card_id = $1 AND state = 'active'`, [cardId]);
  }

  async findLatestWatch(cardId: number): Promise<Watch | undefined> {
    return this.#watch(`SELECT * FROM watches WHERE card_id = $1 ORDER BY id DESC LIMIT 1`, [cardId]);
  }

  async listDueWatches(now: Date, limit: number): Promise<Watch[]> {
    return this.#watches(
      `SELECT * FROM watches
       WHERE state = 'active' AND next_run_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
       ORDER BY next_run_at, id LIMIT $2`,
      [+now, limit],
    );
  }

  async listActiveWatches(): Promise<Watch[]> {
    return this.#watches(`SELECT * FROM watches WHERE state = 'active' ORDER BY next_run_at, id`, []);
  }

  async listActiveWatchesStartedBy(userId: string): Promise<Watch[]> {
    return this.#watches(
      `SELECT * FROM watches WHERE state = 'active' AND started_by = $1 ORDER BY started_at DESC, id DESC`,
      [userId],
    );
  }

  async listCardsSharedBy(userId: string, limit: number): Promise<Card[]> {
    const { rows } = await this.#query<CardRow>(
      `SELECT * FROM cards WHERE shared_by = $1 ORDER BY shared_at DESC, id DESC LIMIT $2`,
      [userId, limit],
    );
    return rows.map(toCard);
  }

  async countActiveWatches(): Promise<number> {
    const { rows } = await this.#query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM watches WHERE state = 'active'`,
      [],
    );
    return rows[0]?.n ?? 0;
  }

  async claimDueWatches(owner: string, leaseMs: number, limit: number, now = this.#now()): Promise<Watch[]> {
    // SKIP LOCKED: a replica claiming at the same moment passes over the rows this one is taking, so the two
    // get disjoint sets without waiting for each other.
    return this.#watches(
      `WITH claimed AS (
         UPDATE watches SET lease_owner = $1, lease_until = $2
         WHERE id IN (
           SELECT id FROM watches
           WHERE state = 'active' AND next_run_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
           ORDER BY next_run_at, id
           LIMIT $4
           FOR UPDATE SKIP LOCKED)
         RETURNING *)
       SELECT * FROM claimed ORDER BY next_run_at, id`,
      [owner, +now + leaseMs, +now, limit],
    );
  }

  async claimWatch(watchId: number, owner: string, leaseMs: number, now = this.#now()): Promise<boolean> {
    return this.#changed(
      `UPDATE watches SET lease_owner = $2, lease_until = $3
       WHERE id = $1 AND state = 'active' AND next_run_at <= $4 AND (lease_until IS NULL OR lease_until <= $4)`,
      [watchId, owner, +now + leaseMs, +now],
    );
  }

  async renewLease(watchId: number, owner: string, leaseMs: number, now = this.#now()): Promise<boolean> {
    return this.#changed(
      `UPDATE watches SET lease_until = $3 WHERE id = $1 AND state = 'active' AND lease_owner = $2`,
      [watchId, owner, +now + leaseMs],
    );
  }

  async scheduleNext(watchId: number, owner: string, nextRunAt: Date): Promise<boolean> {
    return this.#changed(
      `UPDATE watches SET next_run_at = $3, lease_owner = NULL, lease_until = NULL
       WHERE id = $1 AND state = 'active' AND lease_owner = $2`,
      [watchId, owner, +nextRunAt],
    );
  }

  async releaseWatch(watchId: number, owner: string): Promise<boolean> {
    return this.#changed(
      `UPDATE watches SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND state = 'active' AND lease_owner = $2`,
      [watchId, owner],
    );
  }

  async finishWatch(watchId: number, state: EndedWatchState, at = this.#now()): Promise<boolean> {
    if (!ENDED_STATES.has(state)) throw new TypeError(`finishWatch: '${state}' is not an ended watch state`);
    return this.#changed(`UPDATE watches SET state = $3, ${ACTIVE_ENDS} WHERE id = $1 AND state = 'active'`, [
      watchId,
      +at,
      state,
    ]);
  }

  async recordWatchError(watchId: number, message: string): Promise<number> {
    const { rows } = await this.#query<{ failure_count: number }>(
      `UPDATE watches SET failure_count = failure_count + 1, last_error = $2 WHERE id = $1 RETURNING failure_count`,
      [watchId, cleanWatchError(message)],
    );
    return rows[0]?.failure_count ?? 0;
  }

  async clearWatchError(watchId: number): Promise<void> {
    await this.#query(`UPDATE watches SET failure_count = 0, last_error = NULL WHERE id = $1`, [watchId]);
  }

  async beginNotice(watchId: number, at = this.#now()): Promise<boolean> {
    // Only an active watch announces its end: a watch stopped meanwhile posts nothing.
    return this.#changed(
      `UPDATE watches SET notice_state = 'posting', notice_started_at = $2
       WHERE id = $1 AND notice_state = 'none' AND state = 'active'`,
      [watchId, +at],
    );
  }

  async completeNotice(watchId: number, noticeTs: string): Promise<boolean> {
    return this.#changed(
      `UPDATE watches SET notice_state = 'posted', notice_ts = $2 WHERE id = $1 AND notice_state = 'posting'`,
      [watchId, noticeTs],
    );
  }

  async abandonNotice(watchId: number): Promise<boolean> {
    return this.#changed(
      `UPDATE watches SET notice_state = 'none', notice_started_at = NULL WHERE id = $1 AND notice_state = 'posting'`,
      [watchId],
    );
  }

  async listStuckNotices(olderThan: Date): Promise<Watch[]> {
    return this.#watches(
      `SELECT * FROM watches WHERE notice_state = 'posting' AND notice_started_at <= $1
       ORDER BY notice_started_at, id`,
      [+olderThan],
    );
  }

  async reclaimNotice(watchId: number, olderThan: Date, now = this.#now()): Promise<boolean> {
    return this.#changed(
      `UPDATE watches SET notice_started_at = $3
       WHERE id = $1 AND notice_state = 'posting' AND notice_started_at <= $2`,
      [watchId, +olderThan, +now],
    );
  }

  async tryLock(key: string, owner: string, ttlMs: number, now = this.#now()): Promise<boolean> {
    // Expired locks are dead weight (a delivery's id is never asked about again): cleared now and then.
    if (++this.#lockCalls % LOCK_PRUNE_EVERY === 0) await this.#changed(`DELETE FROM locks WHERE until <= $1`, [+now]);
    // Free, expired or already ours: it becomes ours until now + ttl. Held by someone else: left alone.
    return this.#changed(
      `INSERT INTO locks (key, owner, until) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE locks.owner = excluded.owner OR locks.until <= $4`,
      [key, owner, +now + ttlMs, +now],
    );
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    return this.#changed(`DELETE FROM locks WHERE key = $1 AND owner = $2`, [key, owner]);
  }

  async getShared(key: string, now = this.#now()): Promise<string | undefined> {
    const { rows } = await this.#query<{ value: string }>(
      `SELECT value FROM shared_cache WHERE key = $1 AND until > $2`,
      [key, +now],
    );
    return rows[0]?.value;
  }

  async putShared(key: string, value: string, ttlMs: number, now = this.#now()): Promise<void> {
    if (++this.#sharedPuts % LOCK_PRUNE_EVERY === 0)
      await this.#changed(`DELETE FROM shared_cache WHERE until <= $1`, [+now]);
    await this.#query(
      `INSERT INTO shared_cache (key, value, until) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, until = excluded.until`,
      [key, value, +now + ttlMs],
    );
  }

  async health(): Promise<StoreHealth> {
    const state = this.#state;
    if (state.kind === 'closed') return { ok: false, reason: 'the store is closed' };
    if (state.kind === 'migrating') return { ok: false, reason: state.reason };
    if (state.kind === 'failed') return { ok: false, reason: state.error.message };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
    });
    try {
      // The race also bounds the wait for a pooled connection, which `query_timeout` does not cover.
      await Promise.race([this.#pool.query(withQueryTimeout({ text: 'SELECT 1' }, HEALTH_TIMEOUT_MS)), timedOut]);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `PostgreSQL at ${this.#target.location} does not answer: ${this.#explain(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  async describe(): Promise<PostgresStoreDescription> {
    const { rows } = await this.#query<{ version: number; server_version: string }>(
      `SELECT (SELECT coalesce(max(version), 0) FROM ${SCHEMA_TABLE}) AS version,
              current_setting('server_version') AS server_version`,
      [],
    );
    return {
      kind: 'postgresql',
      location: this.#target.location,
      schemaVersion: rows[0]?.version ?? 0,
      serverVersion: rows[0]?.server_version ?? '',
    };
  }

  async close(): Promise<void> {
    if (!this.#closing) {
      this.#state = { kind: 'closed' };
      this.#wake?.();
      this.#closing = this.#pool.end();
    }
    return this.#closing;
  }

  async #card(sql: string, values: Value[]): Promise<Card | undefined> {
    const { rows } = await this.#query<CardRow>(sql, values);
    return rows[0] && toCard(rows[0]);
  }

  async #watch(sql: string, values: Value[]): Promise<Watch | undefined> {
    const { rows } = await this.#query<WatchRow>(sql, values);
    return rows[0] && toWatch(rows[0]);
  }

  async #watches(sql: string, values: Value[]): Promise<Watch[]> {
    const { rows } = await this.#query<WatchRow>(sql, values);
    return rows.map(toWatch);
  }

  /** A compare-and-set: whether the statement touched a row. */
  async #changed(sql: string, values: Value[]): Promise<boolean> {
    const { rowCount } = await this.#query(sql, values);
    return (rowCount ?? 0) > 0;
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    values: Value[],
  ): Promise<pg.QueryResult<R>> {
    // Synchronously when ready: the call takes its place in the pool's queue at once, in call order.
    if (this.#state.kind === 'migrating') await this.#untilReady();
    else this.#assertReady();
    try {
      return await this.#pool.query<R>(sql, values);
    } catch (error) {
      throw this.#translate(error);
    }
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.#state.kind === 'migrating') await this.#untilReady();
    else this.#assertReady();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#translate(error);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack);
      throw this.#translate(error);
    }
  }

  /**
   * A call made while the migrations run (the first moments after start-up, when Slack may already deliver
   * requests) waits for them a little, rather than failing a user's first click; then it fails as unavailable.
   */
  async #untilReady(): Promise<void> {
    if (this.#state.kind === 'migrating') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#ready.catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, READY_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#assertReady();
  }

  #assertReady(): void {
    const state = this.#state;
    if (state.kind === 'ready') return;
    if (state.kind === 'failed') throw state.error;
    const why = state.kind === 'closed' ? 'the store is closed' : state.reason;
    throw new StoreError('store_unavailable', `The store is not available: ${why}.`);
  }

  /**
   * Connection trouble (refused, reset, timed out, server shutting down, no such database, bad login)
   * becomes `store_unavailable`, naming where; any other database error is a bug in a statement and is
   * thrown as it is.
   */
  #translate(error: unknown): unknown {
    if (error instanceof pg.DatabaseError && !UNAVAILABLE_SQLSTATE.test(error.code ?? '')) return error;
    if (error instanceof StoreError) return error;
    return new StoreError(
      'store_unavailable',
      `PostgreSQL at ${this.#target.location} is unavailable: ${this.#explain(error)}`,
      { cause: error },
    );
  }

  /** One line about an error, without the password. */
  #explain(error: unknown): string {
    const first = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
    const { message, code } = (first ?? {}) as { message?: unknown; code?: unknown };
    const text = (typeof message === 'string' && message) || (typeof code === 'string' && code) || String(first);
    return this.#clean(text);
  }

  #clean(text: string): string {
    const { password } = this.#target;
    if (password.length < 4) return text;
    return text.replaceAll(password, '[redacted]').replaceAll(encodeURIComponent(password), '[redacted]');
  }
}

/** `pg` honours a per-query `query_timeout` (the client-side read timeout), though its types do not say so. */
function withQueryTimeout(query: pg.QueryConfig, ms: number): pg.QueryConfig {
  return Object.assign(query, { query_timeout: ms });
}

/**
 * SQLSTATE classes that mean "the database cannot serve us now": 08 connection exception, 28 invalid
 * authorization, 3D invalid catalog name (no such database), 53 insufficient resources (too many
 * connections), 57 operator intervention (shutdown, statement timeout), 40 transaction rollback
 * (serialization failure, deadlock: try again).
 */
const UNAVAILABLE_SQLSTATE = /^(08|28|3D|40|53|57)/;
