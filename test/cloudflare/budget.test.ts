import { describe, expect, it } from 'vitest';
import { type BudgetOptions, InProcessBudget } from '../../src/cloudflare/budget.js';
import { BudgetExhaustedError } from '../../src/errors.js';

/** A fake clock with timers; `advance` runs due timers in time order and lets their promises settle. */
function fakeTime() {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; run: () => void }>();
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    now: () => now,
    setTimer: (run: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, run });
      return () => timers.delete(id);
    },
    async advance(ms: number) {
      // Let already-granted acquires observe the time they were granted at before it moves.
      await settle();
      const target = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].run();
        await settle();
      }
      now = target;
      await settle();
    },
    settle,
    pending: () => timers.size,
  };
}

function makeBudget(options: BudgetOptions = {}) {
  const time = fakeTime();
  const budget = new InProcessBudget({ now: time.now, setTimer: time.setTimer, ...options });
  return { budget, time };
}

describe('InProcessBudget', () => {
  it('never grants more than the limit in any window, under a burst of 500 acquires', async () => {
    const windowMs = 300_000;
    const { budget, time } = makeBudget({ limit: 400, windowMs, maxUserWaitMs: Number.POSITIVE_INFINITY });
    const grants: number[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const priority = i % 5 === 0 ? 'background' : 'user';
      all.push(budget.acquire(priority).then(() => void grants.push(time.now())));
      // Spread a little over the first seconds, as a real burst would be.
      if (i % 50 === 49) await time.advance(1_000);
    }
    await time.settle();
    // 400 users and 100 background requests: the window fills to exactly the limit, the rest queue.
    expect(budget.snapshot().used).toBe(400);
    expect(grants).toHaveLength(400);
    expect(budget.snapshot().queued.user + budget.snapshot().queued.background).toBe(100);

    for (let step = 0; step < 40 && grants.length < 500; step++) await time.advance(30_000);
    await Promise.all(all);
    expect(grants).toHaveLength(500);
    for (const at of grants) {
      const inWindow = grants.filter((g) => g > at - windowMs && g <= at).length;
      expect(inWindow).toBeLessThanOrEqual(400);
    }
    // The late ones had to wait for the first grants to leave the window.
    expect(Math.max(...grants)).toBeGreaterThanOrEqual(windowMs);
  });

  it('serves a queued user before a background request that queued earlier', async () => {
    const { budget, time } = makeBudget({ limit: 4, windowMs: 10_000, maxUserWaitMs: 60_000 });
    for (let i = 0; i < 4; i++) await budget.acquire('user');
    const order: string[] = [];
    const background = budget.acquire('background').then(() => void order.push('background'));
    const user = budget.acquire('user').then(() => void order.push('user'));
    await time.settle();
    expect(order).toEqual([]);
    expect(budget.snapshot().queued).toEqual({ user: 1, background: 1 });
    await time.advance(10_000);
    await Promise.all([user, background]);
    expect(order).toEqual(['user', 'background']);
  });

  it('keeps background requests to their share of the window, leaving the rest for users', async () => {
    const { budget, time } = makeBudget({ limit: 10, windowMs: 10_000, backgroundShare: 0.7 });
    const granted: number[] = [];
    for (let i = 0; i < 8; i++) void budget.acquire('background').then(() => void granted.push(i));
    await time.settle();
    expect(granted).toHaveLength(7);
    expect(budget.nextBackgroundDelayMs()).toBeGreaterThan(0);
    // Users still get the remaining slots at once.
    await expect(budget.acquire('user')).resolves.toBeUndefined();
    await expect(budget.acquire('user')).resolves.toBeUndefined();
    expect(budget.snapshot().used).toBe(9);
  });

  it('rejects a user at once with BudgetExhaustedError when the wait would exceed maxUserWaitMs', async () => {
    const { budget, time } = makeBudget({ limit: 2, windowMs: 60_000, maxUserWaitMs: 5_000 });
    await budget.acquire('user');
    await time.advance(1_000);
    await budget.acquire('user');
    const error = await budget.acquire('user').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as BudgetExhaustedError).retryAfterSeconds).toBe(59);
    expect(budget.snapshot().queued.user).toBe(0);

    // Close to the end of the window the wait is short enough: the user waits and is served.
    await time.advance(55_000);
    let served = false;
    const waiting = budget.acquire('user').then(() => {
      served = true;
    });
    await time.settle();
    expect(served).toBe(false);
    await time.advance(4_000);
    await waiting;
    expect(served).toBe(true);
  });

  it('lets a waiting background request be aborted', async () => {
    const { budget, time } = makeBudget({ limit: 1, windowMs: 10_000 });
    await budget.acquire('background');
    const controller = new AbortController();
    const waiting = budget.acquire('background', controller.signal);
    await time.settle();
    expect(budget.snapshot().queued.background).toBe(1);
    controller.abort(new Error('watch stopped'));
    await expect(waiting).rejects.toThrow('watch stopped');
    expect(budget.snapshot().queued.background).toBe(0);
  });

  it('reports no background delay while there is room', () => {
    const { budget } = makeBudget({ limit: 10 });
    expect(budget.nextBackgroundDelayMs()).toBe(0);
    expect(budget.snapshot()).toEqual({
      used: 0,
      limit: 10,
      backgroundLimit: 7,
      windowMs: 300_000,
      queued: { user: 0, background: 0 },
    });
  });
});
