/**
 * One Cloudflare request budget for every replica, on PostgreSQL (`budget_grants`, `budget_signal`:
 * src/store/postgres-schema.ts, migration 2). Same contract and same rules as the in-process budget
 * (budget-rules.ts); what changes is where the window lives.
 *
 * - Never more than `limit` grants in any window, whatever the number of replicas: each decision is one
 *   transaction under `pg_advisory_xact_lock`, which reads the window's grants, decides for every request
 *   waiting on this replica at once (users in order, then background) and inserts the grants. Rows older
 *   than the window are deleted now and then. Grant times are this process's clock: replicas must agree on
 *   the time (NTP); a skew of s ms lets a window hold the grants of s ms more.
 * - Users before background across replicas: a replica whose users wait holds a *shared* session advisory
 *   lock (class `LOCK_CLASS`, key `DEMAND_KEY`) on a connection of its own for as long as they wait;
 *   background is granted only when the deciding transaction can take the same key *exclusively*
 *   (`pg_try_advisory_xact_lock`). A lock rather than a row: it needs no schema of its own and it vanishes
 *   with the replica's connection, so a replica that dies while its users wait cannot hold background
 *   work back for good.
 * - A user's fair share is counted across replicas (`user_id`); Cloudflare's last `Ratelimit` reading and a
 *   429's pause live in `budget_signal`, so every replica honours them.
 * - Waiting: FIFO within a priority on each replica, users first; the database is asked again when the
 *   next slot frees, and at least every `pollMs` (other replicas free nothing we could hear of).
 * - When the database does not answer, users keep viewing jobs from a small in-process budget
 *   (`fallbackLimit`, see below), logged once; background work waits for the database.
 *
 * Why not rate-limiter-flexible's PostgreSQL store: it counts points per key in fixed or rolling buckets,
 * with no notion of one priority waiting behind another, no queue with a bound on a user's wait, and no
 * outside signal that pauses a key; we would keep all of that ourselves and add a dependency that creates
 * its own table outside our migrations.
 */
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { type BudgetStats, InProcessBudget, type RequestBudget } from './budget.js';
import {
  type AccountSignal,
  type BudgetRules,
  blockFor,
  DEFAULT_ACCOUNT_QUOTA,
  errorFor,
  MAX_SIGNAL_AHEAD_MS,
  type Priority,
  signalFrom,
  userShareFor,
  WindowLedger,
} from './budget-rules.js';
import type { RateLimitObservation } from './ratelimit-headers.js';

/** Advisory lock keys (two-int form): "budg" in ASCII, then which lock. */
const LOCK_CLASS = 0x62756467;
const GRANT_KEY = 1;
const DEMAND_KEY = 2;

export interface SharedBudgetOptions {
  pool: pg.Pool;
  /** Requests per window for all replicas together. */
  limit: number;
  /** Default 5 minutes, Cloudflare's window. */
  windowMs?: number;
  /** See `BudgetOptions.marginMs` (default 0). */
  marginMs?: number;
  /** Share of the window background requests may fill (default 0.7). */
  backgroundShare?: number;
  /** Share of the window one user may fill (default 0.25, at least 20). */
  userShare?: number;
  /** Longest a user request may wait for a slot before it is told so (default 5 s). */
  maxUserWaitMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Longest between two looks at the database while requests wait (default 200 ms). */
  pollMs?: number;
  /** A decision that takes longer than this counts as the database being down (default 2 s). */
  dbTimeoutMs?: number;
  /**
   * The in-process budget users fall back on while the database is down (default a quarter of `limit`,
   * at least 10). A quarter because this replica cannot know how many others fell back with it: two or
   * three replicas (the usual deployment) then stay within the shared limit, and more are still held by
   * Cloudflare's own `Ratelimit` count, which the fallback honours.
   */
  fallbackLimit?: number;
  /** How often rows older than the window are deleted (default: once a window). */
  pruneEveryMs?: number;
}

interface Waiter {
  priority: Priority;
  userId: string | undefined;
  signal: AbortSignal | undefined;
  /** A user's deadline: other replicas may take the slots it was promised. */
  deadline: number;
  /** A user told at once when the wait is too long; once accepted, held to the deadline. */
  checked: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

interface SignalRow {
  paused_until: string;
  remaining: number | null;
  quota: number | null;
  resets_at: string | null;
  observed_at: string | null;
}

/** A budget shared by every replica through PostgreSQL: see the module comment. */
export function createSharedBudget(options: SharedBudgetOptions): SharedBudget {
  return new SharedBudget(options);
}

export class SharedBudget implements RequestBudget {
  readonly limits: RequestBudget['limits'];
  readonly userShare: number;

  readonly #pool: pg.Pool;
  readonly #rules: BudgetRules;
  readonly #maxUserWaitMs: number;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  readonly #pollMs: number;
  readonly #dbTimeoutMs: number;
  readonly #pruneEveryMs: number;
  readonly #fallback: InProcessBudget;
  readonly #users: Waiter[] = [];
  readonly #background: Waiter[] = [];
  #signal: AccountSignal | undefined;
  #pausedUntil = 0;
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #lastPrune = Number.NEGATIVE_INFINITY;
  /** While set, the database is not asked again before this time; users are served by the fallback. */
  #downUntil = 0;
  #down = false;
  #demand: pg.PoolClient | undefined;
  #demandChange: Promise<void> = Promise.resolve();
  #signalWrite: Promise<void> = Promise.resolve();

  constructor(options: SharedBudgetOptions) {
    const limit = Math.max(1, Math.floor(options.limit));
    const windowMs = options.windowMs ?? 5 * 60_000;
    const share = Math.min(1, Math.max(0, options.backgroundShare ?? 0.7));
    const backgroundLimit = Math.max(1, Math.floor(limit * share));
    this.userShare = userShareFor(limit, options.userShare);
    // A grant counts for the window plus the margin (see `BudgetOptions.marginMs`).
    this.#rules = {
      limit,
      backgroundLimit,
      userShare: this.userShare,
      windowMs: windowMs + Math.max(0, options.marginMs ?? 0),
    };
    this.limits = Object.freeze({ limit, backgroundLimit, windowMs });
    this.#pool = options.pool;
    this.#maxUserWaitMs = options.maxUserWaitMs ?? 5_000;
    // Whole milliseconds: grant times are stored as bigint (a scaled test clock gives fractions).
    const now = options.now ?? Date.now;
    this.#now = () => Math.floor(now());
    this.#logger = options.logger;
    this.#pollMs = options.pollMs ?? 200;
    this.#dbTimeoutMs = options.dbTimeoutMs ?? 2_000;
    this.#pruneEveryMs = options.pruneEveryMs ?? windowMs;
    this.#fallback = new InProcessBudget({
      limit: options.fallbackLimit ?? Math.max(10, Math.floor(limit / 4)),
      windowMs,
      maxUserWaitMs: this.#maxUserWaitMs,
      now: this.#now,
      ...(options.userShare !== undefined ? { userShare: options.userShare } : {}),
    });
  }

  acquire(priority: Priority, signal?: AbortSignal, userId?: string): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const queue = priority === 'user' ? this.#users : this.#background;
      const onAbort = () => {
        if (this.#remove(waiter)) reject(signal?.reason);
        this.#kick();
      };
      const waiter: Waiter = {
        priority,
        userId: priority === 'user' ? userId : undefined,
        signal,
        deadline: this.#now() + this.#maxUserWaitMs + this.#pollMs,
        checked: false,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      this.#kick();
    });
  }

  observe(observation: RateLimitObservation): void {
    const signal = signalFrom(observation, this.#now(), this.#signal);
    this.#signal = signal;
    this.#fallback.observe(observation);
    this.#writeSignal(
      `UPDATE budget_signal SET remaining = $1, quota = $2, window_seconds = $3, resets_at = $4, observed_at = $5
        WHERE id = 1 AND (observed_at IS NULL OR observed_at <= $5)`,
      [signal.remaining, signal.quota, observation.windowSeconds ?? null, signal.resetsAt, signal.observedAt],
    );
    this.#kick();
  }

  pause(durationMs: number): void {
    const until = this.#now() + Math.min(Math.max(0, durationMs), MAX_SIGNAL_AHEAD_MS);
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    this.#fallback.pause(durationMs);
    this.#writeSignal('UPDATE budget_signal SET paused_until = GREATEST(paused_until, $1) WHERE id = 1', [until]);
    this.#kick();
  }

  async stats(): Promise<BudgetStats> {
    const queued = { user: this.#users.length, background: this.#background.length };
    try {
      const { rows } = await this.#pool.query<{ used: number }>(
        'SELECT count(*)::int AS used FROM budget_grants WHERE at > $1',
        [this.#now() - this.#rules.windowMs],
      );
      return { ...this.limits, used: rows[0]?.used ?? 0, queued };
    } catch {
      return { ...this.#fallback.snapshot(), queued };
    }
  }

  /** Resolves once every Cloudflare signal reported so far is in the database (tests, shutdown). */
  async flush(): Promise<void> {
    await this.#signalWrite;
  }

  /** Stop waiting: reject what still waits, give back the demand lock's connection. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    for (const waiter of [...this.#users, ...this.#background]) {
      this.#remove(waiter);
      waiter.reject(new Error('the request budget was closed'));
    }
    await this.#setDemand(false);
    await this.#signalWrite;
  }

  // -------------------------------------------------------------------------------------------------------

  #remove(waiter: Waiter): boolean {
    const queue = waiter.priority === 'user' ? this.#users : this.#background;
    const at = queue.indexOf(waiter);
    if (at < 0) return false;
    queue.splice(at, 1);
    waiter.cleanup();
    return true;
  }

  #writeSignal(sql: string, params: unknown[]): void {
    this.#signalWrite = this.#signalWrite
      .then(() => this.#pool.query(sql, params))
      .then(
        () => {},
        (error: unknown) => this.#logger?.debug({ err: error }, 'cloudflare budget: signal not stored'),
      );
  }

  /** Decide now (or right after the decision under way). */
  #kick(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    let next: number | undefined;
    try {
      do {
        this.#again = false;
        next = await this.#round();
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
    if (this.#users.length === 0 && this.#background.length === 0) return;
    const delay = Math.min(this.#pollMs, Math.max(10, (next ?? Number.POSITIVE_INFINITY) - this.#now()));
    this.#timer = setTimeout(() => this.#kick(), delay);
    this.#timer.unref();
  }

  /** One decision; returns when the next slot is known to free (undefined when unknown). */
  async #round(): Promise<number | undefined> {
    if (this.#users.length === 0 && this.#background.length === 0) {
      await this.#setDemand(false);
      return undefined;
    }
    const now = this.#now();
    let next: number | undefined;
    if (now >= this.#downUntil) {
      try {
        next = await withTimeout(this.#decide(now), this.#dbTimeoutMs);
        if (this.#down) {
          this.#down = false;
          this.#logger?.info('cloudflare budget: the database answers again; back to the shared budget');
        }
      } catch (error) {
        this.#downUntil = this.#now() + 1_000;
        if (!this.#down) {
          this.#down = true;
          this.#logger?.warn(
            { err: error },
            'cloudflare budget: the database does not answer; users are served from a small in-process budget, background work waits',
          );
        }
      }
    }
    if (this.#down) {
      this.#serveUsersFromFallback();
      next = this.#downUntil;
    }
    const held = this.#demand !== undefined;
    await this.#setDemand(this.#users.length > 0 && !this.#down);
    // Our own demand lock kept our background work back too: once it is given back, decide again at once.
    if (held && this.#demand === undefined && this.#background.length > 0) this.#again = true;
    return next;
  }

  #serveUsersFromFallback(): void {
    for (const waiter of [...this.#users]) {
      this.#remove(waiter);
      this.#fallback.acquire('user', waiter.signal, waiter.userId).then(waiter.resolve, waiter.reject);
    }
  }

  /** The transaction: read the window and the signal, decide for every waiter here, record the grants. */
  async #decide(now: number): Promise<number | undefined> {
    const client = await this.#pool.connect();
    const granted: Waiter[] = [];
    const refused: [Waiter, Error][] = [];
    let ledger: WindowLedger;
    let signal: AccountSignal | undefined;
    let pausedUntil: number;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, GRANT_KEY]);
      const edge = now - this.#rules.windowMs;
      const [grants, signals] = await Promise.all([
        client.query<{ at: string; user_id: string | null }>(
          'SELECT at, user_id FROM budget_grants WHERE at > $1 ORDER BY at, id',
          [edge],
        ),
        client.query<SignalRow>(
          'SELECT paused_until, remaining, quota, resets_at, observed_at FROM budget_signal WHERE id = 1',
        ),
      ]);
      ledger = new WindowLedger(this.#rules.windowMs);
      for (const row of grants.rows) ledger.add(Number(row.at), row.user_id ?? undefined);
      ledger.prune(now);
      ({ signal, pausedUntil } = this.#merge(signals.rows[0]));

      const rows: { priority: Priority; userId: string | null }[] = [];
      let ahead = 0;
      const aheadByUser = new Map<string, number>();
      for (const waiter of this.#users) {
        const block = blockFor(
          this.#rules,
          ledger,
          now,
          { priority: 'user', userId: waiter.userId },
          signal,
          pausedUntil,
        );
        if (!block) {
          ledger.add(now, waiter.userId);
          granted.push(waiter);
          rows.push({ priority: 'user', userId: waiter.userId ?? null });
          continue;
        }
        if (!waiter.checked) {
          const sameUser = waiter.userId === undefined ? 0 : (aheadByUser.get(waiter.userId) ?? 0);
          const query = { priority: 'user' as const, userId: waiter.userId, ahead, aheadOfSameUser: sameUser };
          const wait = blockFor(this.#rules, ledger, now, query, signal, pausedUntil) ?? block;
          if (wait.until - now > this.#maxUserWaitMs) {
            refused.push([waiter, errorFor(wait, now, this.#rules)]);
            continue;
          }
          waiter.checked = true;
        } else if (now > waiter.deadline) {
          refused.push([waiter, errorFor(block, now, this.#rules)]);
          continue;
        }
        ahead++;
        if (waiter.userId !== undefined) aheadByUser.set(waiter.userId, (aheadByUser.get(waiter.userId) ?? 0) + 1);
      }
      const usersLeft = this.#users.length - granted.length - refused.length;
      if (usersLeft === 0 && this.#background.length > 0) {
        const free = await client.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS free', [
          LOCK_CLASS,
          DEMAND_KEY,
        ]);
        if (free.rows[0]?.free) {
          for (const waiter of this.#background) {
            if (blockFor(this.#rules, ledger, now, { priority: 'background' }, signal, pausedUntil)) break;
            ledger.add(now);
            granted.push(waiter);
            rows.push({ priority: 'background', userId: null });
          }
        }
      }
      if (rows.length > 0) {
        await client.query(
          `INSERT INTO budget_grants (at, priority, user_id)
           SELECT $1::bigint, p, u FROM unnest($2::text[], $3::text[]) AS t (p, u)`,
          [now, rows.map((r) => r.priority), rows.map((r) => r.userId)],
        );
      }
      if (now - this.#lastPrune >= this.#pruneEveryMs) {
        this.#lastPrune = now;
        await client.query('DELETE FROM budget_grants WHERE at <= $1', [edge]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    client.release();
    // Resolve only who still waits: an abort during the transaction leaves its slot unused, on the safe side.
    for (const waiter of granted) if (this.#remove(waiter)) waiter.resolve();
    for (const [waiter, error] of refused) if (this.#remove(waiter)) waiter.reject(error);
    const oldest = ledger.oldest;
    const candidates = [
      oldest === undefined ? undefined : oldest + this.#rules.windowMs,
      pausedUntil,
      signal?.resetsAt,
    ];
    const future = candidates.filter((t): t is number => t !== undefined && t > now);
    return future.length > 0 ? Math.min(...future) : undefined;
  }

  /** The database's signal and pause, or this replica's own when they are newer (a write still under way). */
  #merge(row: SignalRow | undefined): { signal: AccountSignal | undefined; pausedUntil: number } {
    const pausedUntil = Math.max(this.#pausedUntil, Number(row?.paused_until ?? 0));
    let signal = this.#signal;
    if (row && row.remaining !== null && row.resets_at !== null && row.observed_at !== null) {
      const stored: AccountSignal = {
        remaining: row.remaining,
        quota: row.quota ?? DEFAULT_ACCOUNT_QUOTA,
        resetsAt: Number(row.resets_at),
        observedAt: Number(row.observed_at),
      };
      if (!signal || stored.observedAt > signal.observedAt) signal = stored;
    }
    return { signal, pausedUntil };
  }

  /** Hold (or give back) the shared demand lock that keeps other replicas' background work behind our users. */
  #setDemand(waiting: boolean): Promise<void> {
    this.#demandChange = this.#demandChange.then(async () => {
      if (waiting && !this.#demand) {
        const client = await this.#pool.connect();
        try {
          await client.query('SELECT pg_advisory_lock_shared($1, $2)', [LOCK_CLASS, DEMAND_KEY]);
          this.#demand = client;
        } catch (error) {
          client.release(error instanceof Error ? error : true);
        }
      } else if (!waiting && this.#demand) {
        const client = this.#demand;
        this.#demand = undefined;
        try {
          await client.query('SELECT pg_advisory_unlock_shared($1, $2)', [LOCK_CLASS, DEMAND_KEY]);
          client.release();
        } catch (error) {
          client.release(error instanceof Error ? error : true);
        }
      }
    });
    this.#demandChange = this.#demandChange.catch(() => {});
    return this.#demandChange;
  }
}

/** `promise`, or a rejection after `ms`; a late outcome of `promise` is then ignored. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
