/**
 * A clock that runs `scale` times faster than real time, for the watch-load benchmark: five minutes of the
 * bot's life (Cloudflare's rate window) pass in 300 / `scale` real seconds. Everything that schedules by
 * the clock is handed this one — the app's `now`, the store, the budget (its `now` and its timers), the
 * client, the Cloudflare simulator — so the watcher's own interval arithmetic and the budget's window run
 * unchanged, only faster. Real-time parts (HTTP, the watcher's tick, undici timeouts) stay real.
 */
import { performance } from 'node:perf_hooks';
import type { SetTimer } from '../../src/cloudflare/budget.js';

export class ScaledClock {
  readonly scale: number;
  readonly #epoch: number;
  readonly #realStart: number;

  /** `epoch`: what `now()` reads at creation (ms since 1970). */
  constructor(scale: number, epoch = Date.now()) {
    if (!(scale > 0)) throw new RangeError(`scale must be positive: ${scale}`);
    this.scale = scale;
    this.#epoch = epoch;
    this.#realStart = performance.now();
  }

  /** Virtual epoch milliseconds. */
  readonly now = (): number => this.#epoch + (performance.now() - this.#realStart) * this.scale;

  readonly date = (): Date => new Date(this.now());

  /** The budget's timer seam: fires after `ms` virtual milliseconds; never keeps the process alive. */
  readonly setTimer: SetTimer = (callback, ms) => {
    const timer = setTimeout(callback, Math.max(0, ms) / this.scale);
    timer.unref();
    return () => clearTimeout(timer);
  };

  /** The client's retry sleep, in virtual milliseconds. */
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const cancel = this.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  /** Real milliseconds until the virtual clock reads `at`. */
  realMsUntil(at: number): number {
    return Math.max(0, (at - this.now()) / this.scale);
  }

  /** Wait (really) until the virtual clock reads `at`. */
  async until(at: number): Promise<void> {
    const ms = this.realMsUntil(at);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
