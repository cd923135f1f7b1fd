/**
 * One handling per Slack request, whichever replica it reaches. Slack can deliver the same command or click
 * twice (a Socket Mode envelope redelivered to another connection after a lost ack, a retry behind a load
 * balancer): the second delivery must not post a second card. Each request's `trigger_id` is recorded in
 * the shared store (a lock that is never released, only expires); a delivery that finds it taken is
 * dropped. When the store does not answer quickly the request is handled anyway: a view needs no store,
 * and losing the dedupe during a database blip is better than losing the request.
 */
import { randomUUID } from 'node:crypto';
import { TIMED_OUT, withDeadline } from '../deadline.js';
import type { Logger } from '../logger.js';
import type { LockStore } from '../store/types.js';

/** Longer than Slack redelivers for (its retries stop within minutes). */
const REMEMBER_MS = 15 * 60_000;
/** The request is already acked; this only delays its handling, so keep it short. */
const STORE_DEADLINE_MS = 500;

export class Deliveries {
  readonly #store: LockStore;
  readonly #logger: Logger;

  constructor(store: LockStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** `false` when this request was already taken by this or another replica; `true` otherwise. */
  async first(triggerId: string | undefined): Promise<boolean> {
    if (!triggerId) return true;
    try {
      // A fresh owner per call: a lock already held, even by this process, is a delivery already handled.
      const taken = await withDeadline(
        this.#store.tryLock(`delivery ${triggerId}`, randomUUID(), REMEMBER_MS),
        STORE_DEADLINE_MS,
      );
      if (taken === TIMED_OUT) {
        this.#logger.warn('the store was slow to check for a duplicate delivery; handling the request');
        return true;
      }
      return taken;
    } catch (err) {
      this.#logger.warn({ err }, 'could not check for a duplicate delivery; handling the request');
      return true;
    }
  }
}
