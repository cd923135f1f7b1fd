/** `/readyz`'s check: the store's health, shared by probes that arrive together, bounded, and no once stopping. */
import { describe, expect, it } from 'vitest';
import { ReadinessCheck } from '../src/readiness.js';
import type { StoreHealth } from '../src/store/types.js';

function storeAnswering(health: () => Promise<StoreHealth>) {
  const store = {
    calls: 0,
    health() {
      store.calls += 1;
      return health();
    },
  };
  return store;
}

describe('ReadinessCheck', () => {
  it('is ready while the store is ok, and says why not when it is not', async () => {
    let ok = true;
    const check = new ReadinessCheck({
      store: storeAnswering(async () => (ok ? { ok } : { ok, reason: 'the store is closed' })),
      stopping: () => false,
    });
    expect(await check.check()).toEqual({ ok: true });
    ok = false;
    expect(await check.check()).toEqual({ ok: false, reason: 'store: the store is closed' });
  });

  it('probes that arrive while a check runs share it: one store query', async () => {
    let release: (health: StoreHealth) => void = () => {};
    const store = storeAnswering(() => new Promise((resolve) => (release = resolve)));
    const check = new ReadinessCheck({ store, stopping: () => false });
    const probes = Array.from({ length: 20 }, () => check.check());
    release({ ok: true });
    expect(await Promise.all(probes)).toEqual(Array(20).fill({ ok: true }));
    expect(store.calls).toBe(1);
    // Once it is answered, the next probe asks again.
    const next = check.check();
    release({ ok: false, reason: 'busy' });
    expect(await next).toEqual({ ok: false, reason: 'store: busy' });
    expect(store.calls).toBe(2);
  });

  it('a store that does not answer in time, or throws, is not ready', async () => {
    const hung = new ReadinessCheck({
      store: storeAnswering(() => new Promise(() => {})),
      stopping: () => false,
      timeoutMs: 20,
    });
    expect(await hung.check()).toEqual({ ok: false, reason: 'store: no answer within 20 ms' });
    const failing = new ReadinessCheck({
      store: storeAnswering(async () => {
        throw new Error('connection refused');
      }),
      stopping: () => false,
    });
    expect(await failing.check()).toEqual({ ok: false, reason: 'store: connection refused' });
  });

  it('once a stop has begun, it is not ready, without asking the store', async () => {
    const store = storeAnswering(async () => ({ ok: true }));
    const check = new ReadinessCheck({ store, stopping: () => true });
    expect(await check.check()).toEqual({ ok: false, reason: 'stopping' });
    expect(store.calls).toBe(0);
  });
});
