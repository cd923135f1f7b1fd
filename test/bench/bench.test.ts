/**
 * The benchmark's own smoke test: every scenario runs in the tiny configuration and produces its figures,
 * and the structural facts hold (coalesced refreshes read once, watches stay inside the budget). No
 * timing is asserted: timings on a shared test machine mean nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type BenchResult, runBench, SMOKE } from '../../dev/bench/bench.js';
import { measureReplicas, REPLICAS_SKIPPED } from '../../dev/bench/replicas.js';
import { evaluate, renderReport } from '../../dev/bench/report.js';
import { maxInWindow, median, percentile } from '../../dev/bench/stats.js';
import { replicaEntry } from '../helpers/replica-process.js';

let result: BenchResult;

beforeAll(async () => {
  // The bench runs the built replica (dist-dev); from the sources, the tests' bundle of it.
  const replicas = { ...SMOKE.replicas, takeover: { ...SMOKE.replicas.takeover, entry: await replicaEntry() } };
  result = await runBench({ ...SMOKE, replicas });
}, 120_000);

describe('bench (smoke configuration)', () => {
  it('times every ack and delivers every view', () => {
    for (const phase of [result.ack.baseline, result.ack.loaded]) {
      expect(phase.commands).toBe(SMOKE.ack.commands);
      expect(phase.viewsDelivered).toBe(phase.commands);
      expect(phase.ackTimeouts).toBe(0);
      expect(Number.isFinite(phase.ackP50Ms) && Number.isFinite(phase.ackP99Ms)).toBe(true);
      expect(phase.ackP99Ms).toBeGreaterThanOrEqual(phase.ackP50Ms);
      // Every command was for its own job: three reads each (job, page, failure reasons), nothing coalesced away.
      expect(phase.upstreamRequests).toBe(3 * phase.commands);
    }
    expect(result.ack.baseline.upstreamMs).toBe(0);
    expect(result.ack.loaded.upstreamMs).toBe(SMOKE.ack.upstreamMs);
    expect(Number.isFinite(result.ack.harnessFloor.ackP50Ms)).toBe(true);
    expect(result.ack.single.commands).toBeGreaterThan(0);
  });

  it('measures time to view with all three reads really made, beside the sequential baseline', () => {
    const ttv = result.timeToView;
    expect(ttv.viewSamplesMs).toHaveLength(SMOKE.timeToView.samples);
    expect(ttv.sequentialSamplesMs).toHaveLength(SMOKE.timeToView.samples);
    expect(ttv.upstreamReadsPerView).toBe(3);
    expect(ttv.viewRatio).toBeGreaterThan(0);
    expect(ttv.sequentialRatio).toBeGreaterThan(0);
  });

  it('counts one upstream read per endpoint for concurrent refreshes, N for the separate-client baseline', () => {
    const { card, view, clicks } = result.coalescing;
    expect(card.answers).toBe(clicks);
    expect(card.reads).toEqual({ job: 1, messages: 0 });
    expect(card.baselineReads).toEqual({ job: clicks, messages: 0 });
    expect(view.answers).toBe(clicks);
    expect(view.reads).toEqual({ job: 1, messages: 1 });
    expect(view.baselineReads).toEqual({ job: clicks, messages: clicks });
  });

  it('keeps the watches inside the budget and serves a user command during the load', () => {
    expect(result.watches.map((w) => w.jobs)).toEqual(SMOKE.watches.jobs);
    for (const w of result.watches) {
      expect(w.budgetPer5Min).toBe(400);
      expect(w.backgroundBudgetPer5Min).toBe(280);
      expect(w.cloudflareLimitPer5Min).toBe(1200);
      expect(w.configuredIntervalSeconds).toBe(30);
      expect(w.naivePer5Min).toBe(SMOKE.watches.watches * 10);
      expect(w.measuredRefreshesPer5Min).toBeGreaterThan(0);
      expect(w.measuredPer5Min).toBeLessThanOrEqual(w.backgroundBudgetPer5Min + 1);
      expect(w.busiestWindow).toBeLessThanOrEqual(w.budgetPer5Min);
      expect(w.probe.upstreamReads).toBe(3);
    }
    const steady = result.watches.find((w) => w.jobs === 'steady')!;
    // Frozen jobs: one read a refresh (the failure reasons are reused); growing jobs re-read them.
    expect(steady.measuredPer5Min).toBe(steady.measuredRefreshesPer5Min);
    const growing = result.watches.find((w) => w.jobs === 'growing')!;
    expect(growing.measuredPer5Min).toBeGreaterThan(growing.measuredRefreshesPer5Min);
  });

  it('times a burst of distinct views with the pool and with the 16-connection baseline', () => {
    const { burst } = result;
    expect(burst.views).toBe(SMOKE.burst.views);
    for (const phase of [burst.pooled, burst.baseline]) {
      expect(phase.viewsDelivered).toBe(SMOKE.burst.views);
      expect(phase.upstreamRequests).toBe(3 * SMOKE.burst.views);
      expect(phase.p99Ms).toBeGreaterThanOrEqual(phase.p50Ms);
      expect(phase.fromAckP99Ms).toBeGreaterThanOrEqual(phase.fromAckP50Ms);
      expect(phase.fromAckP50Ms).toBeGreaterThan(0);
      expect(phase.lastAckMs).toBeGreaterThan(0);
    }
    expect(burst.baseline.connections).toBe(16);
    expect(burst.pooled.connections).toBeGreaterThan(16);
  });

  it('exports a job with the bot and lists it with the official SDK, counting requests and memory', () => {
    const ex = result.export;
    expect(ex.large.rows).toBe(SMOKE.export.messages);
    expect(ex.large.requests).toBe(Math.ceil(SMOKE.export.messages / 1000));
    expect(ex.small.rows).toBe(SMOKE.export.smallMessages);
    expect(ex.sdk.rows).toBe(SMOKE.export.messages);
    // The SDK pages until an empty page: one request more than the bot.
    expect(ex.sdk.requests).toBe(Math.ceil(SMOKE.export.messages / 1000) + 1);
    expect(ex.large.peakRssMb).toBeGreaterThan(0);
  });

  it('runs the watch load on one and three replicas on one budget, and times a takeover after a SIGKILL', () => {
    const r = result.replicas;
    if (r.status === 'skipped') {
      expect(r.reason).toBe(REPLICAS_SKIPPED);
      return;
    }
    const { load, takeover } = r;
    expect(load.watches).toBe(SMOKE.replicas.load.watches);
    expect([load.one.replicas, load.three.replicas]).toEqual([1, 3]);
    expect(load.budgetPer5Min).toBe(400);
    expect(load.backgroundBudgetPer5Min).toBe(280);
    for (const run of [load.one, load.three]) {
      expect(run.measuredRefreshesPer5Min).toBeGreaterThan(0);
      expect(run.measuredPer5Min).toBeGreaterThanOrEqual(run.measuredRefreshesPer5Min);
      expect(run.busiestWindow).toBeLessThanOrEqual(load.budgetPer5Min);
    }
    expect(takeover.replicas).toBe(3);
    expect(takeover.watches).toBe(SMOKE.replicas.takeover.watches);
    expect(takeover.leaseSeconds).toBe(SMOKE.replicas.takeover.watchTiming!.leaseMs / 1000);
    expect(Object.keys(takeover.leasesAtKill).sort()).toEqual(['r1', 'r2', 'r3']);
    expect(takeover.orphaned.watches).toBe(takeover.leasesAtKill[takeover.killed]);
    expect(takeover.all.watches).toBe(takeover.watches);
    expect(takeover.notTakenOver).toBe(0);
    expect(takeover.all.maxSeconds).toBeGreaterThanOrEqual(takeover.all.p50Seconds);
  });

  it('reports figure 7 as skipped, naming the install command, where PostgreSQL is missing', async () => {
    const skipped = await measureReplicas(SMOKE.replicas, { findBin: () => undefined });
    expect(skipped).toEqual({ status: 'skipped', reason: REPLICAS_SKIPPED });
    expect(REPLICAS_SKIPPED).toContain('apt-get install -y postgresql');
    const report = renderReport({ ...result, replicas: skipped }, []);
    expect(report).toContain(REPLICAS_SKIPPED);
    expect(report.split('\n').filter((line) => line.startsWith('| 7'))).toHaveLength(1);
  });

  it('passes every hard check and prints one Markdown table with a row per figure', () => {
    const checks = evaluate(result);
    expect(checks.filter((c) => c.hard && !c.ok)).toEqual([]);
    const report = renderReport(result, checks);
    const rows = report.split('\n').filter((line) => line.startsWith('| '));
    expect(rows[0]).toBe('| # | Figure | Target | Measured | Baseline (same run) |');
    expect(rows.map((r) => r.split(' | ')[0])).toEqual([
      '| #',
      '| 1',
      '| 1b',
      '| 2',
      '| 3a',
      '| 3b',
      '| 4a',
      '| 4b',
      '| 4c',
      '| 4d',
      '| 5',
      '| 6',
      ...(result.replicas.status === 'measured' ? ['| 7a', '| 7b'] : ['| 7']),
    ]);
    expect(report).toContain(`Node ${process.version}`);
  });
});

describe('bench statistics', () => {
  it.each([
    [[5], 50, 5],
    [[1, 2, 3, 4], 50, 2],
    [[4, 3, 2, 1], 99, 4],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90, 90],
  ])('percentile(%j, %i) = %i (nearest rank)', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('takes the median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('finds the busiest sliding window', () => {
    expect(maxInWindow([0, 100, 250, 299, 300, 301], 300)).toBe(5);
    expect(maxInWindow([0, 300, 600], 300)).toBe(1);
    expect(maxInWindow([], 300)).toBe(0);
  });
});
