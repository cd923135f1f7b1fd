/**
 * The bot's own Cloudflare request budget. Cloudflare allows 1,200 requests per 5 minutes per user, shared
 * with the dashboard, and going over blocks every call for 5 minutes
 * (https://developers.cloudflare.com/fundamentals/api/reference/limits/): during an incident that would
 * blind the whole team. So every request the client sends — each retry included — first takes a slot here.
 *
 * A sliding window log: a slot is granted only while fewer than `limit` grants fall in the last `windowMs`,
 * so no window can ever hold more than `limit`. Users come first: background work (watch refreshes) may
 * fill only `backgroundShare` of the window and waits behind any queued user; a user who would wait longer
 * than `maxUserWaitMs` is told so at once (BudgetExhaustedError) instead of hanging.
 *
 * Fair to users: one Slack user (src/request-context.ts) may take at most `userShare` of a window (a
 * quarter of the limit, at least 20), so one runaway user or script cannot lock the team out; past it they
 * alone are told so (UserShareExhaustedError). Listening to Cloudflare: the client reports each answer's
 * `Ratelimit` headers (`observe`) and each 429 (`pause`); when the account's real quota, shared with the
 * dashboard, runs low, background work waits for Cloudflare's reset before any user has to, and a 429
 * holds everyone until its `retry-after` (a user who would wait longer hears why: AccountRateLimitedError).
 * The rules themselves are in budget-rules.ts, shared with the replicas' budget (shared-budget.ts).
 */
import { DEFAULT_BUDGET_PER_5_MIN } from '../config.js';
import {
  type AccountSignal,
  type BudgetRules,
  blockFor,
  errorFor,
  MAX_SIGNAL_AHEAD_MS,
  type Priority,
  signalFrom,
  userShareFor,
  WindowLedger,
} from './budget-rules.js';
import type { RateLimitObservation } from './ratelimit-headers.js';

export type { Priority } from './budget-rules.js';

/** A timer seam, so tests drive the budget with a fake clock. Returns a function that cancels the timer. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

export interface BudgetOptions {
  /** Requests per window (default 400: a third of Cloudflare's 1,200 per 5 minutes). */
  limit?: number;
  /** Default 5 minutes, Cloudflare's window. */
  windowMs?: number;
  /**
   * How much longer than the window a grant keeps counting (default 0). Cloudflare counts requests as they
   * arrive, and a request arrives some time after its grant (queued in the pool, a slow event loop, the
   * network): without a margin, grants a window apart can arrive less than a window apart, and Cloudflare
   * would see more than the limit in one of its windows.
   */
  marginMs?: number;
  /** Share of the window background requests may fill (default 0.7). */
  backgroundShare?: number;
  /** Share of the window one user may fill (default 0.25, at least 20 requests; see budget-rules.ts). */
  userShare?: number;
  /** Longest a user request may wait for a slot before BudgetExhaustedError (default 5 s). */
  maxUserWaitMs?: number;
  now?: () => number;
  setTimer?: SetTimer;
}

export interface BudgetStats {
  /** Grants in the current window. */
  used: number;
  limit: number;
  backgroundLimit: number;
  windowMs: number;
  queued: { user: number; background: number };
}

interface Waiter {
  priority: Priority;
  userId: string | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/**
 * The seam every Cloudflare request goes through: {@link InProcessBudget} in one process's memory, or the
 * replicas' SharedBudget (shared-budget.ts) on PostgreSQL.
 */
export interface RequestBudget {
  /** The fixed shape of the budget: requests per window, the background share of it, the window. */
  readonly limits: Readonly<{ limit: number; backgroundLimit: number; windowMs: number }>;
  /**
   * Resolves when a slot is granted: users before background; a user who would wait longer than the budget
   * allows rejects at once (BudgetExhaustedError, UserShareExhaustedError or AccountRateLimitedError); both
   * reject when `signal` aborts. `userId` (user requests) counts against that user's share.
   */
  acquire(priority: Priority, signal?: AbortSignal, userId?: string): Promise<void>;
  /** What one Cloudflare answer's `Ratelimit` headers said about the account's quota. */
  observe(observation: RateLimitObservation): void;
  /**
   * Cloudflare answered 429: hold requests for `durationMs` from now (on the budget's clock, which every
   * replica shares); background waits it out, a user only if it is short.
   */
  pause(durationMs: number): void;
  /** Where the current window stands (for logs, metrics and the benchmark). */
  stats(): Promise<BudgetStats>;
}

const defaultSetTimer: SetTimer = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  // A pending budget timer must not keep a stopping process alive.
  timer.unref();
  return () => clearTimeout(timer);
};

export class InProcessBudget implements RequestBudget {
  readonly limit: number;
  readonly windowMs: number;
  readonly backgroundLimit: number;
  readonly userShare: number;
  readonly maxUserWaitMs: number;
  readonly limits: RequestBudget['limits'];

  readonly #rules: BudgetRules;
  readonly #now: () => number;
  readonly #setTimer: SetTimer;
  readonly #ledger: WindowLedger;
  /** How long a grant counts: the window plus the margin. */
  readonly #heldMs: number;
  readonly #users: Waiter[] = [];
  readonly #background: Waiter[] = [];
  #signal: AccountSignal | undefined;
  #pausedUntil = 0;
  #cancelTimer: (() => void) | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: BudgetOptions = {}) {
    this.limit = Math.max(1, Math.floor(options.limit ?? DEFAULT_BUDGET_PER_5_MIN));
    this.windowMs = options.windowMs ?? 5 * 60_000;
    const share = Math.min(1, Math.max(0, options.backgroundShare ?? 0.7));
    // At least one slot, so background work is slowed, never starved for good.
    this.backgroundLimit = Math.max(1, Math.floor(this.limit * share));
    this.userShare = userShareFor(this.limit, options.userShare);
    this.maxUserWaitMs = options.maxUserWaitMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? defaultSetTimer;
    this.#heldMs = this.windowMs + Math.max(0, options.marginMs ?? 0);
    this.#ledger = new WindowLedger(this.#heldMs);
    this.#rules = {
      limit: this.limit,
      backgroundLimit: this.backgroundLimit,
      userShare: this.userShare,
      windowMs: this.#heldMs,
    };
    this.limits = Object.freeze({ limit: this.limit, backgroundLimit: this.backgroundLimit, windowMs: this.windowMs });
  }

  /**
   * Take one slot. Resolves when granted: FIFO within a priority, every queued user before any background
   * request. A user request that could not be served within `maxUserWaitMs` rejects at once; a background
   * request waits as long as needed. Both reject on `signal` abort.
   */
  acquire(priority: Priority, signal?: AbortSignal, userId?: string): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.#now();
    this.#ledger.prune(now);
    const user = priority === 'user' ? userId : undefined;
    if (priority === 'user') {
      const ahead = this.#users.length;
      const aheadOfSameUser = user === undefined ? 0 : this.#users.filter((w) => w.userId === user).length;
      const block = this.#blockFor(now, { priority, userId: user, ahead, aheadOfSameUser });
      if (!block && ahead === 0) {
        this.#ledger.add(now, user);
        return Promise.resolve();
      }
      if (block && block.until - now > this.maxUserWaitMs) return Promise.reject(errorFor(block, now, this.#rules));
    } else if (
      this.#users.length === 0 &&
      this.#background.length === 0 &&
      !this.#blockFor(now, { priority: 'background' })
    ) {
      this.#ledger.add(now);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = priority === 'user' ? this.#users : this.#background;
      const onAbort = () => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        reject(signal?.reason);
        // A user leaving the queue may unblock background work.
        this.#pump();
      };
      const waiter: Waiter = {
        priority,
        userId: user,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      this.#pump();
    });
  }

  observe(observation: RateLimitObservation): void {
    this.#signal = signalFrom(observation, this.#now(), this.#signal);
    this.#pump();
  }

  pause(durationMs: number): void {
    const now = this.#now();
    this.#pausedUntil = Math.max(this.#pausedUntil, now + Math.min(Math.max(0, durationMs), MAX_SIGNAL_AHEAD_MS));
    this.#pump();
  }

  stats(): Promise<BudgetStats> {
    return Promise.resolve(this.snapshot());
  }

  /** `stats()` without the promise: this budget lives in memory, so its figures are at hand. */
  snapshot(): BudgetStats {
    this.#ledger.prune(this.#now());
    return {
      used: this.#ledger.used,
      limit: this.limit,
      backgroundLimit: this.backgroundLimit,
      windowMs: this.windowMs,
      queued: { user: this.#users.length, background: this.#background.length },
    };
  }

  /**
   * How long a background request asked now would wait for its slot (0 = at once). A watch scheduler adds
   * this to its interval, so refreshes slow down as the budget runs short instead of piling up.
   */
  nextBackgroundDelayMs(): number {
    const now = this.#now();
    this.#ledger.prune(now);
    // Background needs the window below its own cap, after every queued request has been served.
    const ahead = this.#users.length + this.#background.length;
    const block = this.#blockFor(now, { priority: 'background', ahead });
    return block ? Math.max(0, block.until - now) : 0;
  }

  #blockFor(now: number, query: Parameters<typeof blockFor>[3]) {
    return blockFor(this.#rules, this.#ledger, now, query, this.#signal, this.#pausedUntil);
  }

  /** Grant what can be granted now, then wake up when the next slot frees. */
  #pump(): void {
    const now = this.#now();
    this.#ledger.prune(now);
    // Users in order; one blocked only by their own share does not hold up the users behind them.
    for (let i = 0; i < this.#users.length; ) {
      const waiter = this.#users[i] as Waiter;
      if (this.#blockFor(now, { priority: 'user', userId: waiter.userId })) {
        i++;
        continue;
      }
      this.#users.splice(i, 1);
      this.#release(waiter, now);
    }
    while (
      this.#users.length === 0 &&
      this.#background.length > 0 &&
      !this.#blockFor(now, { priority: 'background' })
    ) {
      this.#release(this.#background.shift()!, now);
    }
    this.#schedule(now);
  }

  #release(waiter: Waiter, now: number): void {
    this.#ledger.add(now, waiter.userId);
    waiter.cleanup();
    waiter.resolve();
  }

  #schedule(now: number): void {
    if (this.#users.length === 0 && this.#background.length === 0) {
      this.#cancelTimer?.();
      this.#cancelTimer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    // The next moment anything can change: the oldest grant leaves the window, a pause ends, Cloudflare's
    // window resets.
    // Nothing ahead: only an event (observe, pause, abort) can change anything, and each pumps.
    const oldest = this.#ledger.oldest;
    const candidates = [oldest === undefined ? now : oldest + this.#heldMs, this.#pausedUntil];
    if (this.#signal) candidates.push(this.#signal.resetsAt);
    const future = candidates.filter((t) => t > now);
    if (future.length === 0) return;
    const at = Math.min(...future);
    if (this.#cancelTimer && this.#timerAt <= at) return;
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#setTimer(
      () => {
        this.#cancelTimer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, at - now),
    );
  }
}
