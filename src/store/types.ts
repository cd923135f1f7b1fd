/**
 * The records the store keeps (docs/design.md, "What users see" — Share, Watch, Cancel) and the `Store` contract. Times
 * are `Date`s here and integer milliseconds since the epoch in the database (SQLite or PostgreSQL).
 */

/**
 * Why a watch is no longer refreshed, or `active` while it is. `finished`: the job reached a terminal
 * state; `stopped`: a user pressed Stop watching; `expired`: the maximum watch time passed; `lost`: the
 * card can no longer be edited (message deleted, channel archived, bot removed).
 */
export const WATCH_STATES = ['active', 'finished', 'stopped', 'expired', 'lost'] as const;
export type WatchState = (typeof WATCH_STATES)[number];
export type EndedWatchState = Exclude<WatchState, 'active'>;

/**
 * The completion notice in the card's thread: `none` → `posting` (this instance is about to call
 * chat.postMessage) → `posted` (Slack answered with `noticeTs`).
 */
export const NOTICE_STATES = ['none', 'posting', 'posted'] as const;
export type NoticeState = (typeof NOTICE_STATES)[number];

/** A status card the bot posted into a channel with chat.postMessage (by Share or Watch). */
export interface Card {
  id: number;
  channel: string;
  /** The Slack message ts; `channel` + `ts` is what chat.update needs, and is unique. */
  ts: string;
  jobId: string;
  sharedBy: string;
  sharedAt: Date;
  updatedAt: Date;
  /** Hash of the blocks last sent, so the card is edited only when something changed. */
  lastRenderHash: string | null;
  lastJobStatus: string | null;
  cancelledBy: string | null;
  cancelledAt: Date | null;
  /** Set once the message cannot be edited any more; a lost card is never adopted. */
  lostAt: Date | null;
}

/** A watch refreshes one card until the job ends; at most one watch per card is `active`. */
export interface Watch {
  id: number;
  cardId: number;
  state: WatchState;
  startedBy: string;
  startedAt: Date;
  intervalMs: number;
  expiresAt: Date;
  nextRunAt: Date;
  /** When the watch left `active`. */
  endedAt: Date | null;
  stoppedBy: string | null;
  noticeState: NoticeState;
  /** When the current `posting` attempt began (for crash recovery). */
  noticeStartedAt: Date | null;
  noticeTs: string | null;
  /** Failed refreshes in a row; reset by `clearWatchError`. */
  failureCount: number;
  lastError: string | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
}

export interface SaveCardInput {
  channel: string;
  ts: string;
  jobId: string;
  sharedBy: string;
  sharedAt: Date;
}

export interface StartWatchInput {
  cardId: number;
  startedBy: string;
  intervalMs: number;
  expiresAt: Date;
  /** Defaults to the store's clock. The first refresh is due at `now + intervalMs`. */
  now?: Date;
}

/** What `describe()` reports, for start-up logs and tests: `kind` says which database, and so which fields. */
export type StoreDescription = SqliteStoreDescription | PostgresStoreDescription;

export interface SqliteStoreDescription {
  kind: 'sqlite';
  /** The database file, or `:memory:`. */
  path: string;
  schemaVersion: number;
  journalMode: string;
  foreignKeys: boolean;
  busyTimeoutMs: number;
}

export interface PostgresStoreDescription {
  kind: 'postgresql';
  /** `host:port/database`, never the password. */
  location: string;
  schemaVersion: number;
  /** The server's `server_version`. */
  serverVersion: string;
}

/**
 * The store's contract, as async ports, so any database can implement it (the SQLite one answers at once).
 * Each method is atomic: methods that return `boolean`
 * are compare-and-set transitions that return `false` when the row was not in the expected state (someone
 * else won, or it already happened), so several app instances can share one database file.
 *
 * Watch loop, per instance (`owner` is a per-process id):
 * 1. `claimDueWatches(owner, leaseMs, n)`: a batch of due watches, leased to this instance; while a refresh
 *    runs its lease is renewed (`renewLease`), and a failed renewal means another instance owns it now.
 * 2. Refresh the card; compare the render hash with `card.lastRenderHash`, chat.update only if it
 *    changed, then `markCardRendered`.
 * 3. Not terminal: `scheduleNext(id, owner, next)` (also releases the lease; `false` = the lease was lost
 *    or the watch was stopped meanwhile, so do nothing more). On error: `recordWatchError`, back off via
 *    `scheduleNext`; on success `clearWatchError`.
 * 4. Terminal (or past `expiresAt`): post the notice (below), then `finishWatch(id, 'finished' | 'expired')`.
 *    A crash before `finishWatch` leaves the watch active; its lease expires and another run resumes it.
 *
 * Exactly-once completion notice:
 * - `beginNotice(id)` → `true` for exactly one caller (`none` → `posting`), recorded *before* posting.
 * - Post the reply in the card's thread with a marker that names the watch; then `completeNotice(id, ts)`.
 * - If Slack definitely refused the post (nothing was posted), `abandonNotice(id)` returns it to `none`.
 * - A crash between `beginNotice` and `completeNotice` leaves `posting`: the post may or may not exist.
 *   A sweeper calls `listStuckNotices(olderThan)`, takes each with `reclaimNotice(id, olderThan)` (only one
 *   instance wins), reads the thread (conversations.replies) for the marker: found → `completeNotice(id,
 *   thatTs)`; not found → post it, then `completeNotice`. `olderThan` must exceed the longest a post can
 *   take, so a live poster is never raced.
 */
export interface Store extends CardStore, WatchStore, NoticeStore, LockStore, SharedCacheStore {
  describe(): Promise<StoreDescription>;
  /**
   * Whether the store can be used now, for `/readyz`: its migrations have run and the database answers.
   * Never throws; cheap enough to call on every probe.
   */
  health(): Promise<StoreHealth>;
  /** Closes (SQLite checkpoints its WAL first; PostgreSQL ends its pool); calling it again does nothing. */
  close(): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  /** Why not, for the probe's body and the log (no credentials). */
  reason?: string;
}

/**
 * Named locks with a time limit, shared by every instance on the database: a decision that must be taken
 * once across replicas (post this channel's card for a job) runs while holding one. An instance that dies
 * holding a lock loses it when `ttlMs` passes.
 */
export interface LockStore {
  /**
   * Takes `key` for `owner` until `now + ttlMs`: `true` when it was free, expired, or already `owner`'s (which
   * renews it); `false` while another owner holds it.
   */
  tryLock(key: string, owner: string, ttlMs: number, now?: Date): Promise<boolean>;
  /** Gives `key` up if `owner` holds it. */
  releaseLock(key: string, owner: string): Promise<boolean>;
}

/**
 * A small cache every instance on the database shares, for what is costly to read from Cloudflare and the
 * same for everyone (a job's failure reasons): what one replica read, the others reuse instead of reading it
 * again. Values are opaque text; an expired entry reads as absent and is deleted now and then.
 */
export interface SharedCacheStore {
  /** The value kept under `key`, unless it expired. */
  getShared(key: string, now?: Date): Promise<string | undefined>;
  /** Keeps `value` under `key` until `now + ttlMs`, replacing what was there. */
  putShared(key: string, value: string, ttlMs: number, now?: Date): Promise<void>;
}

/** Status cards: what was posted where, what it shows, whether it can still be edited. */
export interface CardStore {
  /** Records a card; saving the same `channel` + `ts` again returns the existing card unchanged. */
  saveCard(input: SaveCardInput): Promise<Card>;
  findCard(channel: string, ts: string): Promise<Card | undefined>;
  findCardById(cardId: number): Promise<Card | undefined>;
  /**
   * The card to adopt instead of posting a duplicate: the newest card for the job in the channel that is
   * not lost, preferring one with an active watch.
   */
  findActiveCardForJob(channel: string, jobId: string): Promise<Card | undefined>;
  /** Records what the card now shows; a successful edit also clears `lostAt`. */
  markCardRendered(cardId: number, renderHash: string, jobStatus: string, at?: Date): Promise<boolean>;
  markCardCancelled(cardId: number, userId: string, at?: Date): Promise<boolean>;
  /** The message is gone or cannot be edited: the card is never adopted again and its active watch ends as `lost`. */
  markCardLost(cardId: number, at?: Date): Promise<boolean>;
  /** The cards a user shared, newest first (their Home tab). */
  listCardsSharedBy(userId: string, limit: number): Promise<Card[]>;
}

/** Watches and their leases: which card is kept current, when it is due, which instance runs it. */
export interface WatchStore {
  /** Starts watching a card; an active watch on the card is returned as is. Throws `StoreError` for a missing or lost card. */
  startWatch(input: StartWatchInput): Promise<Watch>;
  /** Ends the card's active watch as `stopped`; `undefined` when there was none. */
  stopWatch(cardId: number, userId: string, at?: Date): Promise<Watch | undefined>;
  findWatch(watchId: number): Promise<Watch | undefined>;
  findActiveWatch(cardId: number): Promise<Watch | undefined>;
  /** The card's most recent watch in any state (to show how the last watch ended). */
  findLatestWatch(cardId: number): Promise<Watch | undefined>;
  /** Active watches whose `nextRunAt` ≤ `now` and whose lease is free or expired, soonest first. */
  listDueWatches(now: Date, limit: number): Promise<Watch[]>;
  listActiveWatches(): Promise<Watch[]>;
  /** The active watches a user started, newest first (their Home tab). */
  listActiveWatchesStartedBy(userId: string): Promise<Watch[]>;
  countActiveWatches(): Promise<number>;
  /**
   * Claims up to `limit` due watches for `owner` in one step (the due ones whose lease is free or expired,
   * soonest first) and returns them leased until `now + leaseMs`. Instances claiming at the same moment get
   * disjoint sets.
   */
  claimDueWatches(owner: string, leaseMs: number, limit: number, now?: Date): Promise<Watch[]>;
  /** Takes the lease if the watch is active, due and unleased (or its lease expired). Only one caller wins. */
  claimWatch(watchId: number, owner: string, leaseMs: number, now?: Date): Promise<boolean>;
  /** Extends a lease `owner` still holds (for a slow refresh). */
  renewLease(watchId: number, owner: string, leaseMs: number, now?: Date): Promise<boolean>;
  /** Sets the next refresh and releases `owner`'s lease. `false` if the lease was lost or the watch ended. */
  scheduleNext(watchId: number, owner: string, nextRunAt: Date): Promise<boolean>;
  /** Releases `owner`'s lease without changing the schedule. */
  releaseWatch(watchId: number, owner: string): Promise<boolean>;
  /** Ends an active watch (first end wins) and clears its lease. */
  finishWatch(watchId: number, state: EndedWatchState, at?: Date): Promise<boolean>;
  /** Counts a failed refresh and keeps the (scrubbed, truncated) message; returns the failures in a row. */
  recordWatchError(watchId: number, message: string): Promise<number>;
  clearWatchError(watchId: number): Promise<void>;
}

/** The completion notice's exactly-once state machine (see `Store`). */
export interface NoticeStore {
  /** `none` → `posting`, only while the watch is still active (a stopped watch announces nothing). */
  beginNotice(watchId: number, at?: Date): Promise<boolean>;
  completeNotice(watchId: number, noticeTs: string): Promise<boolean>;
  abandonNotice(watchId: number): Promise<boolean>;
  listStuckNotices(olderThan: Date): Promise<Watch[]>;
  reclaimNotice(watchId: number, olderThan: Date, now?: Date): Promise<boolean>;
}
