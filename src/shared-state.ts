/**
 * Where the state several replicas must share lives: with DATABASE_URL, PostgreSQL holds the store and the
 * Cloudflare budget (one pool each, so a budget decision never queues behind store work); without it, the
 * embedded SQLite store in BULKJOB_DATA_DIR and a budget in this process's memory.
 */
import pg from 'pg';
import { InProcessBudget, type RequestBudget } from './cloudflare/budget.js';
import { createSharedBudget } from './cloudflare/shared-budget.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { openPostgresStore } from './store/postgres.js';
import { openStore } from './store/store.js';
import type { Store } from './store/types.js';

/**
 * A grant counts this much longer than the window, so requests granted a window apart also arrive at
 * Cloudflare at least a window apart (see `BudgetOptions.marginMs`): 2 s, under 1% of 5 minutes.
 */
const BUDGET_MARGIN_MS = 2_000;
/** The budget holds one connection while its users wait, and takes one per decision. */
const BUDGET_POOL_SIZE = 4;
/** A budget decision waits no longer than this for a connection: a dead database must fail fast. */
const BUDGET_CONNECT_TIMEOUT_MS = 2_000;

export interface SharedState {
  store: Store;
  budget: RequestBudget;
  /** `sqlite` or `postgresql`, for the start-up log. */
  kind: 'sqlite' | 'postgresql';
  /** Resolves when the store can be used (at once for SQLite; once migrated for PostgreSQL). */
  ready: Promise<void>;
  /** Closes what `openSharedState` opened (not a store or budget given to it). */
  close(): Promise<void>;
}

export interface SharedStateOptions {
  config: Config;
  logger: Logger;
  /** Use this store instead (tests). */
  store?: Store;
  /** Use this budget instead (tests). */
  budget?: RequestBudget;
  /** The budget's window (default Cloudflare's 5 minutes; tests shorten it). */
  budgetWindowMs?: number;
}

export function openSharedState(options: SharedStateOptions): SharedState {
  const { config, logger } = options;
  const windowMs = {
    marginMs: BUDGET_MARGIN_MS,
    ...(options.budgetWindowMs ? { windowMs: options.budgetWindowMs } : {}),
  };
  const closers: (() => Promise<void>)[] = [];
  let store = options.store;
  let ready: Promise<void> = Promise.resolve();
  let budget = options.budget;
  if (config.databaseUrl) {
    if (!store) {
      const postgres = openPostgresStore({ url: config.databaseUrl, logger: logger.child({ module: 'store' }) });
      ready = postgres.ready();
      // A store that can never be used (a newer schema) is reported by /readyz and the log; nothing waits on it.
      ready.catch(() => {});
      store = postgres;
    }
    if (!budget) {
      const pool = new pg.Pool({
        connectionString: config.databaseUrl,
        max: BUDGET_POOL_SIZE,
        connectionTimeoutMillis: BUDGET_CONNECT_TIMEOUT_MS,
      });
      // An idle connection dropped by the server must not crash the process; the next decision reconnects.
      pool.on('error', (err) => logger.warn({ err: { message: err.message } }, 'budget database connection dropped'));
      const shared = createSharedBudget({
        pool,
        limit: config.cloudflare.budgetPer5Min,
        logger: logger.child({ module: 'budget' }),
        ...windowMs,
      });
      closers.push(async () => {
        await shared.close();
        await pool.end();
      });
      budget = shared;
    }
  }
  store ??= openStore({ dataDir: config.dataDir, logger: logger.child({ module: 'store' }) });
  budget ??= new InProcessBudget({ limit: config.cloudflare.budgetPer5Min, ...windowMs });
  const opened = store;
  return {
    store: opened,
    budget,
    kind: config.databaseUrl ? 'postgresql' : 'sqlite',
    ready,
    async close() {
      for (const close of closers) await close().catch(() => {});
      await opened.close();
    },
  };
}
