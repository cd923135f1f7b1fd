/**
 * `GET /metrics` and `GET /readyz` through the real app over real HTTP: after commands, clicks, a Home
 * open, a watch that ends with its notice, an export, a Slack refusal and a Cloudflare 5xx, the scrape
 * shows each series with its labels and value, and never an id of a user, channel, team or job.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimIdentity } from '../../dev/sim/slack-payloads.js';
import { InProcessBudget } from '../../src/cloudflare/budget.js';
import { nextButton } from '../../src/features/job-view/buttons.js';
import { openStore } from '../../src/store/store.js';
import type { Store, StoreHealth } from '../../src/store/types.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

const FAST = { intervalMs: 100, tickMs: 50, leaseMs: 1_000, stuckNoticeMs: 300 };
const TEMP_ROOT = mkdtempSync(join(tmpdir(), 'bulkjob-metrics-test-'));

let clock = Date.parse('2026-11-29T10:00:00Z');
let stack: Stack;
/** Every job id these tests used: none may appear in the scrape. */
const jobs: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    cloudflare: { now: () => clock },
    app: {
      watchTiming: FAST,
      // Roomy, so watches refresh every 100 ms (Watcher stretches intervals to fit the background share).
      cloudflareOptions: { jobCacheMs: 0, budget: new InProcessBudget({ limit: 1_200, windowMs: 30_000 }) },
      exportTempRoot: TEMP_ROOT,
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(TEMP_ROOT, { recursive: true, force: true });
});

async function scrape(port = stack.port): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of the series `name` whose labels include `labels`, summed over the rest; undefined if none. */
function value(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of body.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, wanted]) => found[key] === wanted)) sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}

async function command(text: string, times = 1): Promise<void> {
  const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text });
  expect(result.status).toBe(200);
  await stack.slack.waitFor((s) => s.answered(result.responseUrl, times), { timeoutMs: 15_000 });
}

function addJob(spec: Parameters<Stack['cf']['addJob']>[0] = {}): string {
  const { id } = stack.cf.addJob({ createdAt: clock - 60_000, ...spec });
  jobs.push(id);
  return id;
}

describe('GET /metrics', () => {
  it('counts a command by its kind and outcome, with its ack and time to view', async () => {
    const before = await scrape();
    expect(value(before, 'bulkjob_requests_total')).toBeUndefined();
    await command(addJob({ total: 35 }));
    await command('nonsense');
    const body = await scrape();
    expect(value(body, 'bulkjob_requests_total', { type: 'command', kind: 'view', outcome: 'ok' })).toBe(1);
    expect(value(body, 'bulkjob_requests_total', { type: 'command', kind: 'invalid', outcome: 'user_error' })).toBe(1);
    expect(value(body, 'bulkjob_ack_duration_seconds_count', { type: 'command' })).toBe(2);
    expect(value(body, 'bulkjob_time_to_view_seconds_count', { type: 'command', kind: 'view' })).toBe(1);
    expect(value(body, 'bulkjob_time_to_view_seconds_count', { type: 'command', kind: 'invalid' })).toBe(1);
    // A view reads the job, a page and the failure reasons: each attempt counted by its endpoint.
    expect(value(body, 'bulkjob_cloudflare_requests_total', { endpoint: 'job', status: '200' })).toBe(1);
    expect(value(body, 'bulkjob_cloudflare_requests_total', { endpoint: 'messages', status: '200' })).toBe(2);
    expect(value(body, 'bulkjob_cloudflare_request_duration_seconds_count', { endpoint: 'job' })).toBe(1);
    expect(value(body, 'bulkjob_cloudflare_budget_used')).toBe(3);
    expect(value(body, 'bulkjob_cloudflare_budget_limit')).toBe(1_200);
    expect(value(body, 'bulkjob_cloudflare_budget_window_seconds')).toBe(30);
    // Process metrics, under our prefix.
    expect(value(body, 'bulkjob_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts a click by its button', async () => {
    const view = stack.slack.ephemeralFor(USER, CHANNEL).find((m) => /Page 1 of 4/.test(textOf(m)))!;
    await stack.slack.click({ userId: USER, message: view, actionId: nextButton.actionId });
    await stack.slack.waitFor((s) => s.ephemeralFor(USER, CHANNEL).some((m) => /Page 2 of 4/.test(textOf(m))));
    const body = await scrape();
    expect(value(body, 'bulkjob_requests_total', { type: 'click', kind: 'nav_next', outcome: 'ok' })).toBe(1);
    expect(value(body, 'bulkjob_ack_duration_seconds_count', { type: 'click' })).toBe(1);
    expect(value(body, 'bulkjob_time_to_view_seconds_count', { type: 'click', kind: 'nav_next' })).toBe(1);
  });

  it('counts a Home open', async () => {
    const before = stack.slack.callsTo('views.publish').length;
    await stack.slack.openHome({ userId: USER });
    await stack.slack.waitFor((s) => s.callsTo('views.publish').length > before);
    await stack.slack.waitFor(async () =>
      value(await scrape(), 'bulkjob_requests_total', { type: 'home', kind: 'home_opened', outcome: 'ok' }),
    );
    const body = await scrape();
    expect(value(body, 'bulkjob_time_to_view_seconds_count', { type: 'home', kind: 'home_opened' })).toBe(1);
  });

  it('follows a watch: one active while it runs, none after, and its completion notice', async () => {
    const job = addJob({
      total: 100,
      failureRate: 0.1,
      createdAt: clock,
      progress: { kind: 'live', discoverMs: 1_000, ratePerSecond: 10 },
    });
    const cards = stack.slack.channelMessages(CHANNEL).length;
    await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${job}` });
    const card = await stack.slack.waitFor(
      (s) => s.channelMessages(CHANNEL).length > cards && s.channelMessages(CHANNEL).at(-1),
    );
    let body = await scrape();
    expect(value(body, 'bulkjob_active_watches')).toBe(1);
    expect(value(body, 'bulkjob_completion_notices_total')).toBe(0);
    // The watch command posted its card in the channel: that was its answer.
    expect(value(body, 'bulkjob_requests_total', { type: 'command', kind: 'watch', outcome: 'ok' })).toBe(1);
    expect(value(body, 'bulkjob_time_to_view_seconds_count', { type: 'command', kind: 'watch' })).toBe(1);

    clock += 30_000;
    await stack.slack.waitFor((s) => s.threadReplies(CHANNEL, card.ts)[0], { timeoutMs: 10_000 });
    await stack.slack.waitFor(async () => value(await scrape(), 'bulkjob_completion_notices_total') === 1);
    body = await scrape();
    expect(value(body, 'bulkjob_active_watches')).toBe(0);
  });

  it('counts an export and the rows it delivered', async () => {
    await command(`export ${addJob({ total: 25 })}`, 2);
    const body = await scrape();
    expect(value(body, 'bulkjob_exports_total', { outcome: 'ok' })).toBe(1);
    expect(value(body, 'bulkjob_exported_rows_total')).toBe(25);
    expect(value(body, 'bulkjob_requests_total', { type: 'command', kind: 'export', outcome: 'ok' })).toBe(1);
  });

  it('counts a Slack API refusal by method and error code', async () => {
    stack.slack.failNext('chat.postMessage', 'not_in_channel');
    await command(`watch ${addJob({ total: 10, progress: { kind: 'live', ratePerSecond: 1 } })}`);
    const body = await scrape();
    expect(value(body, 'bulkjob_slack_api_errors_total', { method: 'chat.postMessage', error: 'not_in_channel' })).toBe(
      1,
    );
    expect(value(body, 'bulkjob_slack_api_errors_total')).toBe(1);
    expect(value(body, 'bulkjob_requests_total', { type: 'command', kind: 'watch', outcome: 'upstream_error' })).toBe(
      1,
    );
  });

  it('counts a Cloudflare 5xx by its status; the retry that worked as a 200', async () => {
    const job = addJob({ total: 5, fault: { kind: 'server-error', status: 503, times: 1 } });
    const before = await scrape();
    await command(job);
    const body = await scrape();
    const count = (text: string, status: string) => value(text, 'bulkjob_cloudflare_requests_total', { status }) ?? 0;
    expect(count(body, '503') - count(before, '503')).toBe(1);
    // Three reads, one of them retried.
    expect(count(body, '200') - count(before, '200')).toBe(3);
    expect(value(body, 'bulkjob_requests_total', { type: 'command', kind: 'view', outcome: 'ok' })).toBe(2);
  });

  it('names no user, channel, team or job anywhere in the output', async () => {
    const body = await scrape();
    expect(jobs.length).toBeGreaterThan(4);
    for (const id of [USER, CHANNEL, `D${USER.slice(1)}`, SimIdentity.teamId, ...jobs]) {
      expect(body).not.toContain(id);
      expect(body.toLowerCase()).not.toContain(id.toLowerCase());
    }
    // Every label value is one of ours: a word, a method name, a status.
    const values = [...body.matchAll(/="([^"]*)"/g)].map((m) => m[1]);
    for (const label of values) expect(label).toMatch(/^[\w.+-]*$/);
  });
});

/** A real SQLite store whose health() says what the test wants. */
function storeWithHealth(dataDir: string, health: () => StoreHealth | undefined): Store {
  const store = openStore({ dataDir });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'health') return async () => health() ?? target.health();
      const member = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

describe('GET /readyz', () => {
  it('200 while the store is ok; 503 with the store’s reason while it is not; /healthz stays 200', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-readyz-'));
    let broken: StoreHealth | undefined;
    const ready = await startStack({ app: { store: storeWithHealth(dataDir, () => broken) } });
    try {
      const probe = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${ready.port}${path}`);
        expect(response.headers.get('content-type')).toBe('application/json');
        return { status: response.status, body: await response.json() };
      };
      expect(await probe('/readyz')).toEqual({ status: 200, body: { ok: true } });
      broken = { ok: false, reason: 'the database does not answer' };
      expect(await probe('/readyz')).toEqual({
        status: 503,
        body: { ok: false, reason: 'store: the database does not answer' },
      });
      expect(await probe('/healthz')).toEqual({ status: 200, body: { ok: true } });
      broken = undefined;
      expect(await probe('/readyz')).toEqual({ status: 200, body: { ok: true } });
    } finally {
      await ready.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
