/**
 * `GET /readyz`'s question: should this instance be sent work? Not while a stop has begun, and not while
 * the store says it is not ok. The store's `health()` may take up to about a second (a database round
 * trip), so probes that arrive while one check runs share it: a burst of probes is one query, never a
 * pile of them.
 */
import { TIMED_OUT, withDeadline } from './deadline.js';
import type { StoreHealth } from './store/types.js';

/** Longer than a healthy store takes, shorter than a load balancer's probe timeout (often 5 s). */
const CHECK_TIMEOUT_MS = 2_000;
/** A reason is said, not dumped: the store's own text can be long. */
const REASON_MAX = 200;

export type Readiness = { ok: true } | { ok: false; reason: string };

export interface ReadinessDeps {
  store: { health(): Promise<StoreHealth> };
  /** True once a stop has begun. */
  stopping: () => boolean;
  timeoutMs?: number;
}

export class ReadinessCheck {
  readonly #deps: ReadinessDeps;
  #inFlight: Promise<Readiness> | undefined;

  constructor(deps: ReadinessDeps) {
    this.#deps = deps;
  }

  /** Ready, or why not; joins a check already running. Never rejects. */
  check(): Promise<Readiness> {
    if (this.#deps.stopping()) return Promise.resolve({ ok: false, reason: 'stopping' });
    this.#inFlight ??= this.#checkStore().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #checkStore(): Promise<Readiness> {
    const timeoutMs = this.#deps.timeoutMs ?? CHECK_TIMEOUT_MS;
    try {
      const health = await withDeadline(this.#deps.store.health(), timeoutMs);
      if (health === TIMED_OUT) return { ok: false, reason: `store: no answer within ${timeoutMs} ms` };
      if (!health.ok) return { ok: false, reason: cut(`store: ${health.reason ?? 'not ok'}`) };
    } catch (error) {
      return { ok: false, reason: cut(`store: ${error instanceof Error ? error.message : String(error)}`) };
    }
    // A stop that began while the store was being asked wins.
    return this.#deps.stopping() ? { ok: false, reason: 'stopping' } : { ok: true };
  }
}

function cut(reason: string): string {
  const line = reason.replace(/\s+/g, ' ').trim();
  return line.length > REASON_MAX ? `${line.slice(0, REASON_MAX - 1)}…` : line;
}
