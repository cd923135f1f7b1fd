/**
 * A decision taken once across every instance on the store: run `fn` holding the named lock `key`
 * (`LockStore`). Waits for another holder, polling, up to `waitMs`; renews the lock while `fn` runs, so a slow
 * post keeps it; gives it up afterwards. An instance that dies holding it loses it when `ttlMs` passes.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from './store-error.js';
import type { LockStore } from './types.js';

export interface StoreLockOptions {
  /** How long a holder that stopped renewing keeps the lock (default 30 s: longer than a post can take). */
  ttlMs?: number;
  /** How long to wait for another holder before giving up (default 15 s). */
  waitMs?: number;
  /** How often to look again while waiting (default 100 ms). */
  pollMs?: number;
}

export async function withStoreLock<T>(
  store: LockStore,
  key: string,
  fn: () => Promise<T>,
  options: StoreLockOptions = {},
): Promise<T> {
  const { ttlMs = 30_000, waitMs = 15_000, pollMs = 100 } = options;
  // One owner per call, never per process: two calls in one process must not both hold the lock.
  const owner = randomUUID();
  const deadline = Date.now() + waitMs;
  while (!(await store.tryLock(key, owner, ttlMs))) {
    if (Date.now() >= deadline) {
      throw new StoreError('store_lock_busy', `the lock ${key} stayed taken for ${waitMs} ms`);
    }
    await sleep(pollMs);
  }
  const renew = setInterval(
    () => void store.tryLock(key, owner, ttlMs).catch(() => {}),
    Math.max(50, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await store.releaseLock(key, owner).catch(() => {});
  }
}
