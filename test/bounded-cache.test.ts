import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../src/bounded-cache.js';

function cache(options: { maxEntries?: number; maxBytes?: number; ttlMs?: number } = {}) {
  let now = 0;
  const c = new BoundedCache<string, string>({
    maxEntries: options.maxEntries ?? 3,
    maxBytes: options.maxBytes ?? 100,
    ttlMs: options.ttlMs ?? 1_000,
    sizeOf: (value) => value.length,
    now: () => now,
  });
  return { c, advance: (ms: number) => (now += ms) };
}

describe('BoundedCache', () => {
  it('evicts the oldest past maxEntries', () => {
    const { c } = cache();
    for (const key of ['a', 'b', 'c', 'd']) c.set(key, key);
    expect(c.get('a')).toBeUndefined();
    expect(c.stats()).toEqual({ entries: 3, bytes: 3 });
  });

  it('evicts the oldest past maxBytes, and never keeps one value larger than all of it', () => {
    const { c } = cache({ maxBytes: 10 });
    c.set('a', 'xxxx');
    c.set('b', 'yyyy');
    c.set('c', 'zzzz');
    expect(c.get('a')).toBeUndefined();
    expect(c.stats()).toEqual({ entries: 2, bytes: 8 });
    c.set('huge', 'h'.repeat(11));
    expect(c.get('huge')).toBeUndefined();
    expect(c.stats().bytes).toBeLessThanOrEqual(10);
  });

  it('frees what expired as soon as it is touched, not when it fills up', () => {
    const { c, advance } = cache({ maxEntries: 500, maxBytes: 1_000_000 });
    c.set('a', 'x'.repeat(1000));
    advance(1_001);
    expect(c.stats()).toEqual({ entries: 0, bytes: 0 });
    expect(c.get('a')).toBeUndefined();
  });

  it('a set moves a key to the newest place', () => {
    const { c } = cache();
    c.set('a', '1');
    c.set('b', '2');
    c.set('c', '3');
    c.set('a', '4');
    c.set('d', '5');
    // b is now the oldest, so it goes first; a was set again and stays.
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe('4');
    expect(c.stats()).toEqual({ entries: 3, bytes: 3 });
  });

  it('holds its bounds under any sequence of sets, gets, deletes and time', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set'), key: fc.integer({ min: 0, max: 20 }), size: fc.nat(60) }),
      fc.record({ kind: fc.constant('get'), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('delete'), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('wait'), ms: fc.nat(1_500) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { c, advance } = cache({ maxEntries: 5, maxBytes: 100 });
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.kind === 'set') {
            const value = 'v'.repeat(o.size);
            c.set(String(o.key), value);
            model.set(String(o.key), value);
          } else if (o.kind === 'get') {
            const got = c.get(String(o.key));
            // Whatever it returns is the last value set for that key.
            if (got !== undefined) expect(got).toBe(model.get(String(o.key)));
          } else if (o.kind === 'delete') {
            c.delete(String(o.key));
            model.delete(String(o.key));
          } else advance(o.ms);
          const stats = c.stats();
          expect(stats.entries).toBeLessThanOrEqual(5);
          expect(stats.bytes).toBeLessThanOrEqual(100);
          expect(stats.bytes).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
