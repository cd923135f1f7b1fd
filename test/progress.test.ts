import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimatePace, PaceSamples } from '../src/progress.js';

const NOW = new Date('2026-03-01T13:00:00Z');
const running = (overrides = {}) => ({
  job_id: '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e',
  status: 'PROCESSING',
  total_messages_discovered: 1000,
  messages_successful: 550,
  messages_failed: 50,
  messages_pending: 400,
  started_at: '2026-03-01T12:50:00Z',
  ...overrides,
});

describe('estimatePace', () => {
  it('reads a steady job: 600 done in 10 minutes is 60/min, 400 left is about 6m 40s', () => {
    expect(estimatePace(running(), NOW)).toEqual({ perMinute: 60, remainingMs: 400_000 });
  });

  it('prefers the recent refreshes when it has them', () => {
    const samples = [
      { atMs: NOW.getTime() - 60_000, processed: 400 },
      { atMs: NOW.getTime(), processed: 600 },
    ];
    const pace = estimatePace(running(), NOW, samples);
    expect(pace?.perMinute).toBeCloseTo(200);
    expect(pace?.remainingMs).toBeCloseTo(120_000);
  });

  it('knows nothing for an ended job, a job not started, one just started, or odd counts', () => {
    expect(estimatePace(running({ status: 'COMPLETED' }), NOW)).toBeUndefined();
    expect(estimatePace(running({ started_at: null }), NOW)).toBeUndefined();
    expect(estimatePace(running({ started_at: 'not a time' }), NOW)).toBeUndefined();
    expect(estimatePace(running({ started_at: '2026-03-01T12:59:55Z' }), NOW)).toBeUndefined();
    expect(estimatePace(running({ messages_failed: -3 }), NOW)).toBeUndefined();
  });

  it('gives no time left while nothing moves', () => {
    const stalled = [
      { atMs: NOW.getTime() - 60_000, processed: 600 },
      { atMs: NOW.getTime(), processed: 600 },
    ];
    expect(estimatePace(running(), NOW, stalled)).toEqual({ perMinute: 0, remainingMs: undefined });
  });

  it('is never NaN, negative or absurd, whatever the counts and times', () => {
    const count = fc.integer({ min: -10, max: 10_000_000 });
    fc.assert(
      fc.property(
        count,
        count,
        count,
        count,
        fc.integer({ min: -86_400_000, max: 86_400_000 * 60 }),
        (t, s, f, p, ago) => {
          const pace = estimatePace(
            running({
              total_messages_discovered: t,
              messages_successful: s,
              messages_failed: f,
              messages_pending: p,
              started_at: new Date(NOW.getTime() - ago).toISOString(),
            }),
            NOW,
          );
          if (pace === undefined) return;
          expect(Number.isFinite(pace.perMinute) && pace.perMinute >= 0).toBe(true);
          if (pace.remainingMs !== undefined) {
            expect(pace.remainingMs).toBeGreaterThanOrEqual(0);
            expect(pace.remainingMs).toBeLessThanOrEqual(30 * 86_400_000);
          }
        },
      ),
    );
  });
});

describe('PaceSamples', () => {
  it('keeps recent samples per job, and forgets a job once it has ended', () => {
    const samples = new PaceSamples();
    samples.record(running(), new Date(NOW.getTime() - 30_000));
    expect(samples.record(running({ messages_successful: 600 }), NOW)).toHaveLength(2);
    samples.record(running({ status: 'COMPLETED' }), NOW);
    expect(samples.samplesOf(running().job_id)).toEqual([]);
  });

  it('holds a bounded number of jobs', () => {
    const samples = new PaceSamples(3);
    for (let i = 0; i < 10; i++) samples.record(running({ job_id: `job-${i}` }), NOW);
    expect(samples.samplesOf('job-0')).toEqual([]);
    expect(samples.samplesOf('job-9')).toHaveLength(1);
  });
});
