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
 */
import { DEFAULT_BUDGET_PER_5_MIN } from '../config.js';
import { BudgetExhaustedError } from '../errors.js';

export type Priority = 'user' | 'background';

/** A timer seam, so tests drive the budget with a fake clock. Returns a function that cancels the timer. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

export interface BudgetOptions {
  /** Requests per window (default 400: a third of Cloudflare's 1,200 per 5 minutes). */
  limit?: number;
  /** Default 5 minutes, Cloudflare's window. */
  windowMs?: number;
  /** Share of the window background requests may fill (default 0.7). */
  backgroundShare?: number;
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
  resolve: () => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/**
 * The seam every Cloudflare request goes through. Today's implementation is {@link InProcessBudget}, one
 * process's memory; a budget shared by several replicas implements the same contract against a shared store.
 */
export interface RequestBudget {
  /** The fixed shape of the budget: requests per window, the background share of it, the window. */
  readonly limits: Readonly<{ limit: number; backgroundLimit: number; windowMs: number }>;
  /**
   * Resolves when a slot is granted: users before background; a user who would wait longer than the budget
   * allows rejects with BudgetExhaustedError; both reject when `signal` aborts.
   */
  acquire(priority: Priority, signal?: AbortSignal): Promise<void>;
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
  readonly maxUserWaitMs: number;
  readonly limits: RequestBudget['limits'];

  readonly #now: () => number;
  readonly #setTimer: SetTimer;
  /** Grant times, oldest first; entries older than the window are dropped lazily. */
  #grants: number[] = [];
  #head = 0;
  readonly #users: Waiter[] = [];
  readonly #background: Waiter[] = [];
  #cancelTimer: (() => void) | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: BudgetOptions = {}) {
    this.limit = Math.max(1, Math.floor(options.limit ?? DEFAULT_BUDGET_PER_5_MIN));
    this.windowMs = options.windowMs ?? 5 * 60_000;
    const share = Math.min(1, Math.max(0, options.backgroundShare ?? 0.7));
    // At least one slot, so background work is slowed, never starved for good.
    this.backgroundLimit = Math.max(1, Math.floor(this.limit * share));
    this.maxUserWaitMs = options.maxUserWaitMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? defaultSetTimer;
    this.limits = Object.freeze({ limit: this.limit, backgroundLimit: this.backgroundLimit, windowMs: this.windowMs });
  }

  /**
   * Take one slot. Resolves when granted: FIFO within a priority, every queued user before any background
   * request. A user request that could not be served within `maxUserWaitMs` rejects at once with
   * BudgetExhaustedError; a background request waits as long as needed. Both reject on `signal` abort.
   */
  acquire(priority: Priority, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.#now();
    this.#prune(now);
    if (priority === 'user') {
      if (this.#users.length === 0 && this.#used() < this.limit) {
        this.#grant(now);
        return Promise.resolve();
      }
      const wait = this.#userWaitMs(now, this.#users.length);
      if (wait > this.maxUserWaitMs) return Promise.reject(new BudgetExhaustedError(Math.ceil(wait / 1000)));
    } else if (this.#users.length === 0 && this.#background.length === 0 && this.#used() < this.backgroundLimit) {
      this.#grant(now);
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
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      this.#pump();
    });
  }

  stats(): Promise<BudgetStats> {
    return Promise.resolve(this.snapshot());
  }

  /** `stats()` without the promise: this budget lives in memory, so its figures are at hand. */
  snapshot(): BudgetStats {
    this.#prune(this.#now());
    return {
      used: this.#used(),
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
    this.#prune(now);
    // Background needs the window below its own cap, after every queued request has been served.
    const needed = this.#used() + this.#users.length + this.#background.length + 1 - this.backgroundLimit;
    return this.#expiryOf(now, needed);
  }

  /** Grants in the window (after pruning). */
  #used(): number {
    return this.#grants.length - this.#head;
  }

  #grant(now: number): void {
    this.#grants.push(now);
  }

  #prune(now: number): void {
    while (this.#head < this.#grants.length && now - (this.#grants[this.#head] ?? 0) >= this.windowMs) this.#head++;
    // Compact now and then so the log does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#grants.length) {
      this.#grants = this.#grants.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Ms until `needed` more grants have left the window (0 when `needed` ≤ 0). */
  #expiryOf(now: number, needed: number): number {
    if (needed <= 0) return 0;
    const grant = this.#grants[this.#head + needed - 1];
    // More needed than the window holds: at least a whole window away (only reachable with queues).
    if (grant === undefined) return this.windowMs;
    return Math.max(0, grant + this.windowMs - now);
  }

  /** How long a new user request behind `ahead` queued users would wait. Background never overtakes users. */
  #userWaitMs(now: number, ahead: number): number {
    return this.#expiryOf(now, this.#used() + ahead + 1 - this.limit);
  }

  /** Grant what can be granted now, then wake up when the next slot frees. */
  #pump(): void {
    const now = this.#now();
    this.#prune(now);
    while (this.#users.length > 0 && this.#used() < this.limit) this.#release(this.#users.shift()!, now);
    while (this.#users.length === 0 && this.#background.length > 0 && this.#used() < this.backgroundLimit) {
      this.#release(this.#background.shift()!, now);
    }
    this.#schedule(now);
  }

  #release(waiter: Waiter, now: number): void {
    this.#grant(now);
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
    // The oldest grant leaving the window is the next moment anything can change.
    const oldest = this.#grants[this.#head];
    const at = oldest === undefined ? now : oldest + this.windowMs;
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
