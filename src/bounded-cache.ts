/**
 * A cache bounded three ways: entries, bytes (as the caller measures them) and age. What expires is freed
 * when the cache is next touched, not when it fills up, so memory follows use: a burst of huge answers
 * cannot stay in memory after their time, and no run of answers can grow it past `maxBytes`.
 *
 * Entries live in a Map in insertion order; every `set` moves its key to the end, and every entry of one
 * cache has the same time to live, so the oldest entry is always the first to expire and sweeping stops at
 * the first live one.
 */
export interface BoundedCacheOptions<V> {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  /** The size of a value, in bytes, as well as the caller can estimate it. */
  sizeOf: (value: V) => number;
  now?: () => number;
}

interface Slot<V> {
  value: V;
  bytes: number;
  expires: number;
}

export class BoundedCache<K, V> {
  readonly #entries = new Map<K, Slot<V>>();
  readonly #options: BoundedCacheOptions<V>;
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: BoundedCacheOptions<V>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get(key: K): V | undefined {
    this.#sweep();
    return this.#entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores `value` unless it alone is over `maxBytes`; then evicts the oldest until the bounds hold. */
  set(key: K, value: V): void {
    this.delete(key);
    const bytes = Math.max(0, this.#options.sizeOf(value));
    if (bytes > this.#options.maxBytes) return;
    this.#entries.set(key, { value, bytes, expires: this.#now() + this.#options.ttlMs });
    this.#bytes += bytes;
    this.#sweep();
    while (this.#entries.size > this.#options.maxEntries || this.#bytes > this.#options.maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): void {
    const slot = this.#entries.get(key);
    if (!slot) return;
    this.#entries.delete(key);
    this.#bytes -= slot.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** What the cache holds now (expired entries already freed). */
  stats(): { entries: number; bytes: number } {
    this.#sweep();
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, slot] of this.#entries) {
      if (slot.expires > now) break;
      this.delete(key);
    }
  }
}
