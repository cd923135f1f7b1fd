/**
 * The rules every request budget applies, in one place, so the in-process budget and the one shared by
 * replicas (shared-budget.ts) decide alike: given the grants of the current window, what Cloudflare last
 * said about the account, and a 429's pause, may this request go now, and if not, until when must it wait
 * and why. Pure: no clock, no timers, no I/O.
 */
import { AccountRateLimitedError, BudgetExhaustedError, UserShareExhaustedError } from '../errors.js';
import type { RateLimitObservation } from './ratelimit-headers.js';

export type Priority = 'user' | 'background';

/**
 * One user's fair share of a window: a quarter of the limit, so at least four people can be served at
 * full speed however hard one of them (or their script) clicks, but never less than 20 requests (about six
 * job views of three reads each), which a person reading jobs does not reach; capped at the limit.
 */
export const DEFAULT_USER_SHARE = 0.25;
export const USER_SHARE_FLOOR = 20;

/** The account's quota when Cloudflare has not named its policy (1,200 per 5 minutes). */
export const DEFAULT_ACCOUNT_QUOTA = 1200;
/** With no more than this share of Cloudflare's quota left, background work waits for the reset. */
export const QUOTA_LOW_SHARE = 0.25;
/**
 * Users keep going until only this share of the quota is left (at least 2): a cushion for requests already
 * in flight on other replicas, so the bot does not itself push the account into a 429.
 */
export const QUOTA_USER_FLOOR_SHARE = 0.02;
/** A 429 with neither `retry-after` nor a `Ratelimit` reset: keep background work off the account this long. */
export const DEFAULT_PAUSE_MS = 30_000;
/** The furthest ahead a Cloudflare reset or pause is believed: its block lasts 5 minutes; more is garbage. */
export const MAX_SIGNAL_AHEAD_MS = 600_000;

export interface BudgetRules {
  limit: number;
  backgroundLimit: number;
  /** Requests one user may take per window. */
  userShare: number;
  windowMs: number;
}

/** What Cloudflare last said, in absolute times. */
export interface AccountSignal {
  remaining: number;
  quota: number;
  resetsAt: number;
  observedAt: number;
}

export type BlockReason = 'limit' | 'background_share' | 'user_share' | 'paused' | 'quota_low';

export interface Block {
  reason: BlockReason;
  /** The earliest moment this block can lift (it may lift later if others take the slot first). */
  until: number;
}

/** The user share for a limit (see DEFAULT_USER_SHARE). */
export function userShareFor(limit: number, share = DEFAULT_USER_SHARE): number {
  return Math.min(limit, Math.max(USER_SHARE_FLOOR, Math.floor(limit * share)));
}

/** An observation made at `now` as absolute times, with the quota it names (or the last known one). */
export function signalFrom(observation: RateLimitObservation, now: number, previous?: AccountSignal): AccountSignal {
  const reset = Math.min(observation.resetSeconds * 1000, MAX_SIGNAL_AHEAD_MS);
  return {
    remaining: observation.remaining,
    quota: observation.quota ?? previous?.quota ?? DEFAULT_ACCOUNT_QUOTA,
    resetsAt: now + reset,
    observedAt: now,
  };
}

/**
 * The grants of one window, oldest first, in total and per user: what every rule counts. Times older than
 * the window are dropped by `prune`.
 */
export class WindowLedger {
  readonly windowMs: number;
  #times: number[] = [];
  #head = 0;
  readonly #byUser = new Map<string, { times: number[]; head: number }>();

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Record a grant; times must not go backwards (they are clamped to the newest). */
  add(at: number, userId?: string): void {
    const newest = this.#times[this.#times.length - 1] ?? at;
    const time = Math.max(at, newest);
    this.#times.push(time);
    if (userId === undefined) return;
    let log = this.#byUser.get(userId);
    if (!log) {
      log = { times: [], head: 0 };
      this.#byUser.set(userId, log);
    }
    log.times.push(time);
  }

  prune(now: number): void {
    const edge = now - this.windowMs;
    while (this.#head < this.#times.length && (this.#times[this.#head] ?? 0) <= edge) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    for (const [user, log] of this.#byUser) {
      while (log.head < log.times.length && (log.times[log.head] ?? 0) <= edge) log.head++;
      if (log.head === log.times.length) this.#byUser.delete(user);
      else if (log.head > 64 && log.head * 2 > log.times.length) {
        log.times = log.times.slice(log.head);
        log.head = 0;
      }
    }
  }

  get used(): number {
    return this.#times.length - this.#head;
  }

  usedBy(userId: string | undefined): number {
    if (userId === undefined) return 0;
    const log = this.#byUser.get(userId);
    return log ? log.times.length - log.head : 0;
  }

  /** The oldest grant in the window, if any: when it leaves, the next slot frees. */
  get oldest(): number | undefined {
    return this.#times[this.#head];
  }

  /**
   * Grants at or after `at`: what was spent since Cloudflare last counted. One granted in the very
   * millisecond of the answer may already be in Cloudflare's count; counting it again errs on the safe side.
   */
  countSince(at: number): number {
    let lo = this.#head;
    let hi = this.#times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#times[mid] ?? 0) < at) lo = mid + 1;
      else hi = mid;
    }
    return this.#times.length - lo;
  }

  /** When `needed` more grants will have left the window (`now` when none are needed). */
  expiryOf(now: number, needed: number): number {
    return expiry(this.#times, this.#head, needed, now, this.windowMs);
  }

  /** The same for one user's own grants. */
  userExpiryOf(now: number, userId: string, needed: number): number {
    const log = this.#byUser.get(userId);
    return log ? expiry(log.times, log.head, needed, now, this.windowMs) : now;
  }
}

function expiry(times: number[], head: number, needed: number, now: number, windowMs: number): number {
  if (needed <= 0) return now;
  const grant = times[head + needed - 1];
  // More needed than the window holds: at least a whole window away (only reachable with queues).
  if (grant === undefined) return now + windowMs;
  return Math.max(now, grant + windowMs);
}

export interface BlockQuery {
  priority: Priority;
  userId?: string | undefined;
  /** Requests queued before this one: all users (for a user), and this user's own. */
  ahead?: number;
  aheadOfSameUser?: number;
}

/**
 * Why this request may not go now, the block that lifts last first; undefined when it may go.
 *
 * - A 429's pause holds everyone (users may wait it out if it is short).
 * - Cloudflare's count, less what was granted since: at `QUOTA_LOW_SHARE` of its quota or below,
 *   background waits for the reset; users go on down to `QUOTA_USER_FLOOR_SHARE`.
 * - The bot's own window: users up to `limit`, each user up to `userShare`; background up to
 *   `backgroundLimit`.
 */
export function blockFor(
  rules: BudgetRules,
  ledger: WindowLedger,
  now: number,
  query: BlockQuery,
  signal: AccountSignal | undefined,
  pausedUntil: number,
): Block | undefined {
  const blocks: Block[] = [];
  if (pausedUntil > now) blocks.push({ reason: 'paused', until: pausedUntil });
  if (signal && signal.resetsAt > now) {
    const left = signal.remaining - ledger.countSince(signal.observedAt);
    const mark =
      query.priority === 'background'
        ? Math.ceil(signal.quota * QUOTA_LOW_SHARE)
        : Math.max(2, Math.ceil(signal.quota * QUOTA_USER_FLOOR_SHARE));
    if (left <= mark) blocks.push({ reason: 'quota_low', until: signal.resetsAt });
  }
  const ahead = query.ahead ?? 0;
  if (query.priority === 'user') {
    if (ledger.used + ahead >= rules.limit) {
      blocks.push({ reason: 'limit', until: ledger.expiryOf(now, ledger.used + ahead + 1 - rules.limit) });
    }
    if (query.userId !== undefined) {
      const mine = ledger.usedBy(query.userId) + (query.aheadOfSameUser ?? 0);
      if (mine >= rules.userShare) {
        blocks.push({
          reason: 'user_share',
          until: ledger.userExpiryOf(now, query.userId, mine + 1 - rules.userShare),
        });
      }
    }
  } else if (ledger.used + ahead >= rules.backgroundLimit) {
    blocks.push({
      reason: 'background_share',
      until: ledger.expiryOf(now, ledger.used + ahead + 1 - rules.backgroundLimit),
    });
  }
  let last: Block | undefined;
  for (const block of blocks) if (!last || block.until > last.until) last = block;
  return last;
}

/** The error a user is told when `block` is further away than they may wait. */
export function errorFor(block: Block, now: number, rules: BudgetRules): Error {
  const seconds = Math.max(1, Math.ceil((block.until - now) / 1000));
  switch (block.reason) {
    case 'paused':
    case 'quota_low':
      return new AccountRateLimitedError(seconds, block.reason);
    case 'user_share':
      return new UserShareExhaustedError(seconds, rules.userShare);
    default:
      return new BudgetExhaustedError(seconds);
  }
}
