/**
 * Work that outlives its HTTP request: listeners ack first and answer later, so a graceful stop must wait
 * for that work, not just for the server's open requests.
 */
import { withDeadline } from '../deadline.js';

export class InFlight {
  readonly #pending = new Set<Promise<unknown>>();

  /** Track `work` until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const forget = () => this.#pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves when everything tracked has settled, or after `timeoutMs`; returns how many were left. */
  async drain(timeoutMs: number): Promise<number> {
    await withDeadline(Promise.allSettled([...this.#pending]), timeoutMs);
    return this.#pending.size;
  }
}
