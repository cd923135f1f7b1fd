/**
 * How fast a running job goes and when it will end, from its own counts and times or, steadier, from the
 * counts the last refreshes saw. Never a guess dressed as a figure: undefined when it cannot be known, and
 * never for a job that has ended.
 */
import type { Job } from './cloudflare/schema.js';
import { hasEnded, readCounts } from './rules.js';

/** Counts seen at one moment: what the recent-refresh estimate is made from. */
export interface PaceSample {
  atMs: number;
  processed: number;
}

export interface Pace {
  /** Messages processed (successful, failed or cancelled) per minute. */
  perMinute: number;
  /** Time left at that rate; undefined while nothing moves. */
  remainingMs: number | undefined;
}

/** Below this much history a rate is noise. */
const MIN_SPAN_MS = 15_000;
/** Samples older than this say little about the pace now. */
const SAMPLE_WINDOW_MS = 15 * 60_000;
/** Longer than this is not an estimate anyone should read. */
const MAX_REMAINING_MS = 30 * 86_400_000;

type PaceJob = Parameters<typeof readCounts>[0] & Pick<Job, 'started_at'>;

/** Messages done in any way: what a rate counts. */
export function processedOf(job: PaceJob): number {
  const counts = readCounts(job);
  return counts.successful + counts.failed + counts.cancelled;
}

export function estimatePace(job: PaceJob, now: Date, samples: readonly PaceSample[] = []): Pace | undefined {
  if (hasEnded(job)) return undefined;
  const counts = readCounts(job);
  if (counts.problem) return undefined;
  const remaining = counts.pending + (counts.remainderLabel === 'not yet counted' ? counts.remainder : 0);
  const perMs = rateFromSamples(samples, now.getTime()) ?? rateFromJob(job, now.getTime());
  if (perMs === undefined) return undefined;
  const remainingMs = perMs > 0 ? remaining / perMs : undefined;
  return {
    perMinute: perMs * 60_000,
    remainingMs:
      remainingMs !== undefined && Number.isFinite(remainingMs) && remainingMs <= MAX_REMAINING_MS
        ? remainingMs
        : undefined,
  };
}

function rateFromSamples(samples: readonly PaceSample[], nowMs: number): number | undefined {
  const recent = samples.filter((s) => nowMs - s.atMs <= SAMPLE_WINDOW_MS);
  if (recent.length < 2) return undefined;
  const first = recent[0]!;
  const last = recent[recent.length - 1]!;
  const span = last.atMs - first.atMs;
  const moved = last.processed - first.processed;
  if (span < MIN_SPAN_MS || moved < 0) return undefined;
  return moved / span;
}

function rateFromJob(job: PaceJob, nowMs: number): number | undefined {
  const started = job.started_at ? Date.parse(job.started_at) : Number.NaN;
  const elapsed = nowMs - started;
  const processed = processedOf(job);
  if (!Number.isFinite(elapsed) || elapsed < MIN_SPAN_MS || processed <= 0) return undefined;
  return processed / elapsed;
}

/** Recent counts per job, from the refreshes that read them; bounded in jobs and samples. */
export class PaceSamples {
  readonly #byJob = new Map<string, PaceSample[]>();
  readonly #maxJobs: number;

  constructor(maxJobs = 500) {
    this.#maxJobs = maxJobs;
  }

  /** The job's recent samples, oldest first. */
  samplesOf(jobId: string): readonly PaceSample[] {
    return this.#byJob.get(jobId) ?? [];
  }

  /** Record what a refresh read, and return the job's recent samples, oldest first. */
  record(job: PaceJob & Pick<Job, 'job_id'>, now: Date): readonly PaceSample[] {
    const samples = (this.#byJob.get(job.job_id) ?? []).filter((s) => now.getTime() - s.atMs <= SAMPLE_WINDOW_MS);
    samples.push({ atMs: now.getTime(), processed: processedOf(job) });
    if (samples.length > 20) samples.splice(0, samples.length - 20);
    this.#byJob.delete(job.job_id);
    if (hasEnded(job)) return samples;
    this.#byJob.set(job.job_id, samples);
    if (this.#byJob.size > this.#maxJobs) this.#byJob.delete(this.#byJob.keys().next().value!);
    return samples;
  }
}
