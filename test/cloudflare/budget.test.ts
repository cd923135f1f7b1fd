import { describe, expect, it } from 'vitest';
import { type BudgetOptions, InProcessBudget } from '../../src/cloudflare/budget.js';
import { AccountRateLimitedError, BudgetExhaustedError, UserShareExhaustedError } from '../../src/errors.js';

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

describe('InProcessBudget: one user’s fair share', () => {
  it('caps one user at their share while another user is still served', async () => {
    // limit 100: share max(20, 25) = 25.
    const { budget } = makeBudget({ limit: 100, windowMs: 60_000, maxUserWaitMs: 5_000 });
    expect(budget.userShare).toBe(25);
    for (let i = 0; i < 25; i++) await budget.acquire('user', undefined, 'U_RUNAWAY');
    const error = await budget.acquire('user', undefined, 'U_RUNAWAY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserShareExhaustedError);
    expect(error).toMatchObject({ code: 'budget_user_share', share: 25, retryAfterSeconds: 60 });
    await expect(budget.acquire('user', undefined, 'U_OTHER')).resolves.toBeUndefined();
    // Requests without a user (or background ones) are not anybody's share.
    await expect(budget.acquire('user')).resolves.toBeUndefined();
    await expect(budget.acquire('background', undefined, 'U_RUNAWAY')).resolves.toBeUndefined();
    expect(budget.snapshot().used).toBe(28);
  });

  it('lets a user wait for their own next slot when it is near, without holding up the users behind', async () => {
    const { budget, time } = makeBudget({ limit: 80, windowMs: 10_000, maxUserWaitMs: 5_000 });
    expect(budget.userShare).toBe(20);
    for (let i = 0; i < 20; i++) await budget.acquire('user', undefined, 'U1');
    await time.advance(6_000);
    const order: string[] = [];
    const mine = budget.acquire('user', undefined, 'U1').then(() => void order.push('U1'));
    const theirs = budget.acquire('user', undefined, 'U2').then(() => void order.push('U2'));
    await time.settle();
    expect(order).toEqual(['U2']);
    await time.advance(4_000);
    await Promise.all([mine, theirs]);
    expect(order).toEqual(['U2', 'U1']);
  });

  it('takes the floor of 20 on a small limit, and never more than the limit', () => {
    expect(makeBudget({ limit: 40 }).budget.userShare).toBe(20);
    expect(makeBudget({ limit: 10 }).budget.userShare).toBe(10);
    expect(makeBudget({ limit: 1200 }).budget.userShare).toBe(300);
  });
});

describe('InProcessBudget: Cloudflare’s signal', () => {
  it('holds background work until Cloudflare’s reset when the account’s quota runs low; users go on', async () => {
    const { budget, time } = makeBudget({ limit: 400, windowMs: 300_000, maxUserWaitMs: 5_000 });
    // q=100: low below 25 left, users' floor 2.
    budget.observe({ remaining: 24, resetSeconds: 30, quota: 100, windowSeconds: 60 });
    let background = false;
    const waiting = budget.acquire('background').then(() => {
      background = true;
    });
    await time.settle();
    expect(background).toBe(false);
    expect(budget.nextBackgroundDelayMs()).toBe(30_000);
    // Users spend down to the floor: 24 left → 22 grants, then they would wait 30 s and are told why.
    for (let i = 0; i < 22; i++) await budget.acquire('user');
    const error = await budget.acquire('user').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountRateLimitedError);
    expect(error).toMatchObject({ reason: 'quota_low', retryAfterSeconds: 30 });
    expect(background).toBe(false);
    await time.advance(30_000);
    await waiting;
    expect(background).toBe(true);
  });

  it('lets background go again as soon as a fresh answer says there is room', async () => {
    const { budget, time } = makeBudget({ limit: 400 });
    budget.observe({ remaining: 100, resetSeconds: 200, quota: 1200 });
    let done = false;
    const waiting = budget.acquire('background').then(() => {
      done = true;
    });
    await time.settle();
    expect(done).toBe(false);
    budget.observe({ remaining: 1100, resetSeconds: 200, quota: 1200 });
    await waiting;
    expect(done).toBe(true);
  });

  it('counts its own grants since the last answer against what Cloudflare said was left', async () => {
    const { budget } = makeBudget({ limit: 400 });
    // 301 left of 1,200: background may take one (300 is not below 300), then must wait.
    budget.observe({ remaining: 301, resetSeconds: 60, quota: 1200 });
    await budget.acquire('background');
    expect(budget.nextBackgroundDelayMs()).toBe(60_000);
  });

  it('pauses everyone for a 429; background waits it out, a user waits when it is short', async () => {
    const { budget, time } = makeBudget({ limit: 400, maxUserWaitMs: 5_000 });
    budget.pause(60_000);
    const error = await budget.acquire('user').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountRateLimitedError);
    expect(error).toMatchObject({ reason: 'paused', retryAfterSeconds: 60, code: 'cloudflare_account_limited' });
    const order: string[] = [];
    const background = budget.acquire('background').then(() => void order.push('background'));
    await time.advance(56_000);
    const user = budget.acquire('user').then(() => void order.push('user'));
    await time.settle();
    expect(order).toEqual([]);
    await time.advance(4_000);
    await Promise.all([user, background]);
    expect(order).toEqual(['user', 'background']);
  });

  it('forgets a signal once Cloudflare’s window has reset', async () => {
    const { budget, time } = makeBudget({ limit: 400 });
    budget.observe({ remaining: 0, resetSeconds: 10, quota: 1200 });
    expect(budget.nextBackgroundDelayMs()).toBe(10_000);
    await time.advance(10_000);
    expect(budget.nextBackgroundDelayMs()).toBe(0);
    await expect(budget.acquire('user')).resolves.toBeUndefined();
  });
});
