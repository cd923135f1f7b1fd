import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { CardService } from '../../../src/features/card/cards.js';
import type { FailureSummaries } from '../../../src/features/card/failures.js';
import { Watcher } from '../../../src/features/watch/watcher.js';
import { createLogger } from '../../../src/logger.js';
import type { Store } from '../../../src/store/types.js';

const config = loadConfig({
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 's',
  CLOUDFLARE_ACCOUNT_ID: 'a',
  CLOUDFLARE_API_TOKEN: 't',
});

function watcherWith(active: number, backgroundBudget?: { limit: number; windowMs: number }) {
  const store = { countActiveWatches: async () => active } as unknown as Store;
  return new Watcher({
    cards: {} as CardService,
    failures: {} as FailureSummaries,
    store,
    config,
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(),
    ...(backgroundBudget ? { backgroundBudget } : {}),
  });
}

describe('Watcher.intervalMs: watches slow down before the budget runs out', () => {
  const FIVE_MIN = 300_000;
  it.each([
    [1, 30_000],
    [10, 30_000],
    // 100 watches × 2 requests per refresh must fit 280 requests per 5 minutes: one refresh every ~214 s.
    [100, Math.ceil((100 * 2 * FIVE_MIN) / 280)],
  ])('%i active watches → every %i ms', async (active, expected) => {
    expect(await watcherWith(active, { limit: 280, windowMs: FIVE_MIN }).intervalMs()).toBe(expected);
  });

  it('follows the budget window it is given', async () => {
    expect(await watcherWith(100, { limit: 28, windowMs: 30_000 }).intervalMs()).toBe(
      Math.ceil((100 * 2 * 30_000) / 28),
    );
  });

  it('uses the configured interval when no budget is given', async () => {
    expect(await watcherWith(1000).intervalMs()).toBe(30_000);
  });
});
