/**
 * createApp(deps): the Bolt app with our listeners, in HTTP mode (`POST /slack/events`, `GET /healthz`, `/readyz`,
 * `/metrics`) or Socket Mode when `SLACK_APP_TOKEN` is set. No side effects until `start()`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, SocketModeReceiver, type SocketModeReceiverOptions, webApi } from '@slack/bolt';
import { CloudflareClient, type CloudflareClientOptions } from './cloudflare/client.js';
import type { Config } from './config.js';
import { withDeadline } from './deadline.js';
import { CardService } from './features/card/cards.js';
import { FailureSummaries } from './features/card/failures.js';
import { ExportService } from './features/export/export.js';
import { HomeService } from './features/home/home.js';
import { Watcher } from './features/watch/watcher.js';
import { WatchService } from './features/watch/watches.js';
import { operationalRoutes, startOperationalServer } from './health.js';
import { type Logger, toSlackLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { ReadinessCheck } from './readiness.js';
import { openSharedState } from './shared-state.js';
import type { AppContext } from './slack/context.js';
import { Deliveries } from './slack/deliveries.js';
import { InFlight } from './slack/in-flight.js';
import { registerListeners } from './slack/listeners.js';
import { observeSlackApi } from './slack/observe-slack.js';
import { guardSlackRequests } from './slack/request-guard.js';
import { SlackMessages } from './slack/slack-api.js';
import type { Store } from './store/types.js';

/**
 * A graceful stop, inside Docker's default 10 s grace period (index.ts exits at 9.5 s whatever happens):
 * the receiver closes (≤ 1.5 s), answers still being prepared get 5 s, those that did not make it are told
 * "bulkjob is restarting" (≤ 1.5 s), then the Cloudflare pool (≤ 0.5 s) and the store close.
 */
const STOP_TIMING = { receiverMs: 1_500, drainMs: 5_000, lateNoticeMs: 1_500, poolMs: 500 };
/** Each Slack Web API attempt: a user may be waiting on it, so seconds, not the SDK's default minutes. */
const SLACK_TIMEOUT_MS = 4_000;

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Defaults to a client built from `config.cloudflare`. */
  cloudflare?: CloudflareClient;
  /** Extra client options (tests: shorter timeouts, instant sleeps). */
  cloudflareOptions?: Partial<CloudflareClientOptions>;
  /** Watch loop timing overrides (tests, demo): interval and tick in milliseconds. */
  watchTiming?: { intervalMs?: number; tickMs?: number; leaseMs?: number; stuckNoticeMs?: number };
  /** Defaults to the SQLite store in `config.dataDir`. */
  store?: Store;
  now?: () => Date;
  /** Start the watch loop on `start()` (default true). */
  runWatches?: boolean;
  /** Socket Mode client timing (tests): the SDK also waits `clientPingTimeout` (default 5 s) before a reconnect. */
  socketMode?: Pick<SocketModeReceiverOptions, 'clientPingTimeout'>;
  /** Each Slack Web API attempt's time limit (default 4 s; tests of a hung Slack shorten it). */
  slackTimeoutMs?: number;
  /** When an export's progress message first shows and how often it is edited (default 2 s and 2 s). */
  exportProgressTiming?: { afterMs: number; everyMs: number };
  /** Where exports write their temporary files (default the system's temporary directory; tests use their own). */
  exportTempRoot?: string;
  /** How long a background Home refresh gathers changes (default 2 s; tests shorten it). */
  homeRefreshDelayMs?: number;
  /** The Cloudflare budget's window (default Cloudflare's 5 minutes; multi-replica tests shorten it). */
  budgetWindowMs?: number;
  /** Graceful stop timing overrides (tests), in milliseconds. */
  stopTiming?: Partial<typeof STOP_TIMING>;
}

export interface BulkjobApp {
  app: App;
  ctx: AppContext;
  watcher: Watcher;
  /**
   * Starts listening; in HTTP mode resolves with the bound port (pass 0 for a free one). `host` binds one
   * interface (the offline demo and tests use `127.0.0.1`); default all interfaces.
   */
  start(port?: number, host?: string): Promise<{ port: number | undefined }>;
  /** Stops taking new work, lets work in flight finish (bounded), closes the store. Safe to call twice. */
  stop(): Promise<void>;
}

export function createApp(deps: AppDeps): BulkjobApp {
  const { config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const slackLogger = toSlackLogger(logger);
  // Read on each scrape only, so it may name the client and the store built just below.
  const metrics = new Metrics({
    budget: () => cloudflare.budget,
    activeWatches: () => store.countActiveWatches(),
    logger: logger.child({ module: 'metrics' }),
  });
  // The store and the budget: PostgreSQL with DATABASE_URL (shared by every replica), else SQLite and memory.
  const shared = openSharedState({
    config,
    logger,
    ...(deps.store ? { store: deps.store } : {}),
    ...(deps.cloudflare ? { budget: deps.cloudflare.budget } : {}),
    ...(deps.cloudflareOptions?.budget ? { budget: deps.cloudflareOptions.budget } : {}),
    ...(deps.budgetWindowMs ? { budgetWindowMs: deps.budgetWindowMs } : {}),
  });
  const store = shared.store;
  const cloudflare =
    deps.cloudflare ??
    new CloudflareClient({
      baseUrl: config.cloudflare.baseUrl,
      accountId: config.cloudflare.accountId,
      auth: config.cloudflare.auth,
      logger: logger.child({ module: 'cloudflare' }),
      budget: shared.budget,
      onResponse: metrics.cloudflareResponse,
      ...deps.cloudflareOptions,
    });

  let healthy = true;
  const routes = operationalRoutes({
    isHealthy: () => healthy,
    readiness: new ReadinessCheck({ store, stopping: () => !healthy }),
    metrics,
    logger,
  });
  const receiver = config.slack.appToken
    ? new SocketModeReceiver({
        appToken: config.slack.appToken,
        logger: slackLogger,
        ...deps.socketMode,
        // The socket's own `apps.connections.open` call must go to the same Slack (GovSlack, tests).
        ...(config.slack.apiUrl
          ? { installerOptions: { clientOptions: { slackApiUrl: `${config.slack.apiUrl}/` } } }
          : {}),
      })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret ?? '',
        logger: slackLogger,
        customRoutes: routes,
        // Bolt's default answers an unacked request after 3001 ms; our listeners ack first, so this is a backstop.
        unhandledRequestTimeoutMillis: 2500,
      });
  const socketReceiver = receiver instanceof SocketModeReceiver ? receiver : undefined;
  /** The workspace the bot token belongs to (auth.test at start); requests from any other are refused. */
  let installedTeam: string | undefined;
  if (receiver instanceof HTTPReceiver) {
    receiver.requestListener = guardSlackRequests(receiver.requestListener, {
      signingSecret: config.slack.signingSecret ?? '',
      logger: logger.child({ module: 'http' }),
      teamId: () => installedTeam,
    });
  }

  const clientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: `${config.slack.apiUrl}/` } : {}),
    // The SDK's defaults retry for about 30 minutes and sleep through 429s inside the call, blocking every
    // other post; we bound each call and handle Slack's Retry-After ourselves (the watch loop backs off).
    rejectRateLimitedCalls: true,
    // One retry, soon: an edit, a Home publish or an ephemeral answer is safe to repeat, and the user waits.
    retryConfig: { retries: 1, factor: 2, minTimeout: 300, maxTimeout: 1_000 },
    timeout: deps.slackTimeoutMs ?? SLACK_TIMEOUT_MS,
    // Every Web API client of this app (Bolt's own included) sends through this: Slack's failures, counted.
    fetch: observeSlackApi(metrics.slackError),
  };
  const app = new App({
    token: config.slack.botToken,
    // Verify the token (auth.test) in start(), where a refusal can be reported, rather than in the background.
    deferInitialization: true,
    receiver,
    logger: slackLogger,
    clientOptions,
  });
  // Posts are never retried blindly: when Slack's answer is lost after the post landed, a retry posts a
  // second card (or notice). Their failures go back to the caller, which knows whether a repeat is safe.
  const postClient = new webApi.WebClient(config.slack.botToken, {
    ...clientOptions,
    logger: slackLogger,
    retryConfig: { retries: 0 },
  });

  // Built in dependency order, each once: cards → the watch loop → watches; nothing is attached later.
  const failures = new FailureSummaries(cloudflare, { shared: store, logger: logger.child({ module: 'failures' }) });
  const cards = new CardService({
    config,
    logger: logger.child({ module: 'cards' }),
    cloudflare,
    store,
    slack: new SlackMessages({ post: postClient, edit: app.client }),
    failures,
    now,
  });
  const home = new HomeService({
    cloudflare,
    store,
    client: app.client,
    logger: logger.child({ module: 'home' }),
    now,
    ...(deps.homeRefreshDelayMs === undefined ? {} : { refreshDelayMs: deps.homeRefreshDelayMs }),
  });
  const watcher = new Watcher({
    cards,
    failures,
    store,
    onEnded: (userId) => home.refreshSoon(userId),
    onNoticePosted: metrics.noticePosted,
    config,
    logger: logger.child({ module: 'watcher' }),
    now,
    ...deps.watchTiming,
    // Watches may use the budget's background share; the interval stretches so they fit in it.
    backgroundBudget: {
      limit: cloudflare.budget.limits.backgroundLimit,
      windowMs: cloudflare.budget.limits.windowMs,
    },
  });
  const watches = new WatchService({
    config,
    cloudflare,
    store,
    cards,
    loop: watcher,
    now,
    onChanged: (userId) => home.refreshSoon(userId),
  });
  const exports = new ExportService({
    cloudflare,
    client: app.client,
    logger: logger.child({ module: 'export' }),
    now,
    onFinished: metrics.exportFinished,
    ...(deps.exportProgressTiming ? { progressTiming: deps.exportProgressTiming } : {}),
    ...(deps.exportTempRoot ? { tempRoot: deps.exportTempRoot } : {}),
  });
  const ctx: AppContext = {
    config,
    logger,
    cloudflare,
    cards,
    failures,
    watches,
    home,
    exports,
    now,
    inFlight: new InFlight(),
    deliveries: new Deliveries(store, logger.child({ module: 'deliveries' })),
    metrics,
  };

  registerListeners(app, ctx);
  // The backstop, never the plan: listeners route their own errors to the user.
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a listener');
  });

  let stopped = false;
  // Watches start once the store can be used: a database still migrating (or down at start-up) would make
  // every tick fail. Requests are served meanwhile; views need no store.
  const startWatches = () => {
    if (deps.runWatches === false) return;
    shared.ready.then(
      () => {
        if (!stopped) watcher.start();
      },
      (err: unknown) => logger.error({ err }, 'the store cannot be used; watches will not run'),
    );
  };
  // Socket Mode has no HTTP server of Bolt's: /healthz, /readyz and /metrics get a server of their own (src/health.ts).
  let healthServer: Server | undefined;
  return {
    app,
    ctx,
    watcher,
    async start(port = config.slack.port, host?: string) {
      await app.init();
      if (config.slack.appToken) {
        await app.start();
        const health = await startOperationalServer(routes, port, host);
        healthServer = health.server;
        startWatches();
        return { port: health.port };
      }
      const auth = await app.client.auth.test();
      installedTeam = typeof auth.team_id === 'string' && auth.team_id !== '' ? auth.team_id : undefined;
      const server = (await app.start(host === undefined ? port : { port, host })) as Server;
      startWatches();
      return { port: (server.address() as AddressInfo).port };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      healthy = false;
      // No new work first, then let what is in flight finish (bounded), then close the connections and
      // the store. The whole stop fits in Docker's default 10 s grace period.
      // Bolt's SocketModeReceiver.stop() only starts the WebSocket's close handshake; wait for the socket to be
      // closed too, so the process does not exit (index.ts) with Slack still sending envelopes to it.
      const socketClosed = socketReceiver
        ? new Promise<void>((resolve) => socketReceiver.client.once('disconnected', () => resolve()))
        : undefined;
      const timing = { ...STOP_TIMING, ...deps.stopTiming };
      await withDeadline(Promise.all([app.stop(), socketClosed]), timing.receiverMs).catch((err: unknown) =>
        logger.warn({ err }, 'stopping the receiver failed'),
      );
      healthServer?.close();
      home.stop();
      const [, left] = await Promise.all([watcher.stop(), ctx.inFlight.drain(timing.drainMs)]);
      if (left > 0) {
        // Every acked request gets an answer: those that could not finish are told to try again.
        const told = await ctx.inFlight.tellLate(timing.lateNoticeMs);
        logger.warn({ left, told }, 'stopped with work still in flight; told its users to try again');
      }
      await withDeadline(cloudflare.close(), timing.poolMs).catch(() => {});
      await shared.close();
    },
  };
}
