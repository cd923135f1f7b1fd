/**
 * Work that outlives its HTTP request: listeners ack first and answer later, so a graceful stop must wait
 * for that work, not just for the server's open requests. Work that cannot finish in time is told so:
 * each piece may carry a `late` notice ("bulkjob is restarting"), sent once the drain gives up, after
 * which the piece's own answer, if it still comes, is dropped (one answer per request, never two).
 */
import { withDeadline } from '../deadline.js';

interface Entry {
  work: Promise<unknown>;
  late: (() => Promise<void>) | undefined;
}

export class InFlight {
  readonly #pending = new Set<Entry>();

  /** Track `work` until it settles; returns it unchanged. `late` is what to tell its user if a stop cuts it off. */
  track<T>(work: Promise<T>, late?: () => Promise<void>): Promise<T> {
    const entry: Entry = { work, late };
    this.#pending.add(entry);
    const forget = () => this.#pending.delete(entry);
    work.then(forget, forget);
    return work;
  }

  /** Resolves when everything tracked has settled, or after `timeoutMs`; returns how many were left. */
  async drain(timeoutMs: number): Promise<number> {
    await withDeadline(Promise.allSettled([...this.#pending].map((entry) => entry.work)), timeoutMs);
    return this.#pending.size;
  }

  /** Sends the `late` notice of everything still in flight, all at once, for at most `timeoutMs`; returns how many went out. */
  async tellLate(timeoutMs: number): Promise<number> {
    let sent = 0;
    const notices = [...this.#pending].flatMap((entry) =>
      entry.late
        ? [
            entry.late().then(
              () => {
                sent += 1;
              },
              () => {},
            ),
          ]
        : [],
    );
    await withDeadline(Promise.all(notices), timeoutMs);
    return sent;
  }
}
