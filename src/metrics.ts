/**
 * The bot's Prometheus metrics (`GET /metrics`, docs/design.md "Metrics and health"): one registry per app,
 * never prom-client's global one, so two apps in one process (tests, a restart) never share a count.
 *
 * Every label value comes from a bounded set the code owns: a command's kind, a button's `action_id`, an
 * outcome, a Cloudflare endpoint template, a Slack method and error code. No user, channel, team or job id
 * is ever a label: they would make a series per person (cardinality) and put personal data in the output.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestBudget } from './cloudflare/budget.js';
import { TIMED_OUT, withDeadline } from './deadline.js';
import type { SlackApiError } from './errors.js';
import type { Logger } from './logger.js';
import { type Outcome, safeLabel } from './metrics-labels.js';

/** How long a scrape waits for the budget's and the store's numbers before it shows the last ones. */
const COLLECT_TIMEOUT_MS = 1_000;

/** What a request is, for the request metrics: `/bulkjob`, a button click, or the Home tab opening. */
export type RequestType = 'command' | 'click' | 'home';

/** One Cloudflare attempt, as the client reports it (`onResponse`). */
export interface CloudflareResponse {
  /** A template such as `job` or `messages`, never the job id. */
  endpoint: string;
  /** The HTTP status, or `network` when no answer came. */
  status: number | 'network';
  durationMs: number;
}

/** What the gauges read on each scrape; asked lazily, so the app can build these after the metrics. */
export interface MetricsSources {
  budget: () => RequestBudget;
  activeWatches: () => Promise<number>;
  logger?: Logger;
}

/** Seconds, from a millisecond figure. */
const seconds = (ms: number) => ms / 1000;

export class Metrics {
  readonly registry = new Registry();

  readonly #requests: Counter<'type' | 'kind' | 'outcome'>;
  readonly #ack: Histogram<'type'>;
  readonly #timeToView: Histogram<'type' | 'kind'>;
  readonly #cloudflareRequests: Counter<'endpoint' | 'status'>;
  readonly #cloudflareDuration: Histogram<'endpoint'>;
  readonly #notices: Counter;
  readonly #exports: Counter<'outcome'>;
  readonly #exportedRows: Counter;
  readonly #slackErrors: Counter<'method' | 'error'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'bulkjob_' });
    this.#requests = new Counter({
      name: 'bulkjob_requests_total',
      help: 'Commands, button clicks and Home tab opens handled, by kind (command verb or button) and outcome.',
      labelNames: ['type', 'kind', 'outcome'],
      registers,
    });
    this.#ack = new Histogram({
      name: 'bulkjob_ack_duration_seconds',
      help: 'From the listener receiving a command or click to its ack() resolving (Slack wants it within 3 s).',
      labelNames: ['type'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.#timeToView = new Histogram({
      name: 'bulkjob_time_to_view_seconds',
      help: 'From a command, click or Home open being received to its first answer being sent, by kind.',
      labelNames: ['type', 'kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
      registers,
    });
    this.#cloudflareRequests = new Counter({
      name: 'bulkjob_cloudflare_requests_total',
      help: 'Cloudflare API attempts (retries included), by endpoint and HTTP status (`network`: no answer).',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.#cloudflareDuration = new Histogram({
      name: 'bulkjob_cloudflare_request_duration_seconds',
      help: 'Cloudflare API attempts, from sending to the whole answer read, by endpoint.',
      labelNames: ['endpoint'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 10],
      registers,
    });
    const logger = sources.logger;
    new Gauge({
      name: 'bulkjob_cloudflare_budget_used',
      help: 'Cloudflare requests granted in the budget’s current window.',
      registers,
      async collect() {
        const stats = await lastOr(() => sources.budget().stats(), logger, 'budget stats');
        if (stats) this.set(stats.used);
      },
    });
    new Gauge({
      name: 'bulkjob_cloudflare_budget_limit',
      help: 'Cloudflare requests the budget allows per window (BULKJOB_CLOUDFLARE_BUDGET).',
      registers,
      collect() {
        this.set(sources.budget().limits.limit);
      },
    });
    new Gauge({
      name: 'bulkjob_cloudflare_budget_window_seconds',
      help: 'The length of the budget’s sliding window.',
      registers,
      collect() {
        this.set(seconds(sources.budget().limits.windowMs));
      },
    });
    new Gauge({
      name: 'bulkjob_active_watches',
      help: 'Watches still refreshing their card (the last value read when the store does not answer).',
      registers,
      async collect() {
        const count = await lastOr(sources.activeWatches, logger, 'active watches');
        if (count !== undefined) this.set(count);
      },
    });
    this.#notices = new Counter({
      name: 'bulkjob_completion_notices_total',
      help: 'Completion notices posted in a card’s thread.',
      registers,
    });
    this.#exports = new Counter({
      name: 'bulkjob_exports_total',
      help: 'CSV exports that ended, by outcome (`stopped`: the requester pressed Stop export).',
      labelNames: ['outcome'],
      registers,
    });
    this.#exportedRows = new Counter({
      name: 'bulkjob_exported_rows_total',
      help: 'Rows in the CSV files delivered.',
      registers,
    });
    this.#slackErrors = new Counter({
      name: 'bulkjob_slack_api_errors_total',
      help: 'Slack Web API attempts that failed, by method and Slack’s error code (`ratelimited`, `http_503`, …).',
      labelNames: ['method', 'error'],
      registers,
    });
  }

  /** The text format, and the content type to send it with. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  request(type: RequestType, kind: string, outcome: Outcome): void {
    this.#requests.inc({ type, kind: safeLabel(kind), outcome });
  }

  acked(type: RequestType, ms: number): void {
    this.#ack.observe({ type }, seconds(ms));
  }

  answered(type: RequestType, kind: string, ms: number): void {
    this.#timeToView.observe({ type, kind: safeLabel(kind) }, seconds(ms));
  }

  /** The Cloudflare client's `onResponse`. */
  readonly cloudflareResponse = (response: CloudflareResponse): void => {
    const endpoint = safeLabel(response.endpoint);
    this.#cloudflareRequests.inc({ endpoint, status: String(response.status) });
    this.#cloudflareDuration.observe({ endpoint }, seconds(response.durationMs));
  };

  /** The watcher's `onNoticePosted`. */
  readonly noticePosted = (): void => {
    this.#notices.inc();
  };

  /** The export service's `onFinished`. */
  readonly exportFinished = (outcome: Outcome | 'stopped', rows: number): void => {
    this.#exports.inc({ outcome });
    if (rows > 0) this.#exportedRows.inc(rows);
  };

  /** What Slack's observed fetch reports (src/slack/observe-slack.ts). */
  readonly slackError = (error: SlackApiError): void => {
    this.#slackErrors.inc({ method: safeLabel(error.method), error: safeLabel(error.slackError) });
  };
}

/**
 * A gauge's source, or undefined (the gauge keeps its last value) when it fails or is slow: a scrape must
 * answer even while the store does not.
 */
async function lastOr<T>(read: () => Promise<T>, logger: Logger | undefined, what: string): Promise<T | undefined> {
  try {
    const value = await withDeadline(read(), COLLECT_TIMEOUT_MS);
    if (value !== TIMED_OUT) return value;
    logger?.warn({ metric: what }, 'metrics: a source was too slow; showing its last value');
  } catch (err) {
    logger?.warn({ err, metric: what }, 'metrics: a source failed; showing its last value');
  }
  return undefined;
}
