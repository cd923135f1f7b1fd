/**
 * Failure reasons for the channel card and the completion notice: a job's failed messages grouped by
 * `status_message`, read at most `FAILURE_SCAN_CAP` at a time, and reused while the failed count stands still.
 */

import { BoundedCache } from '../../bounded-cache.js';
import type { CloudflareClient, RequestOptions } from '../../cloudflare/client.js';
import type { Job } from '../../cloudflare/schema.js';
import type { FailureReason, FailureSummary } from '../../slack/blocks/types.js';

/** Failed messages read to group failure reasons: at most five requests of 1,000. */
export const FAILURE_SCAN_CAP = 5000;
/** Jobs whose summary is kept, all of them in at most this many bytes, each for at most this long. */
const CACHE_ENTRIES = 500;
const CACHE_BYTES = 32 * 1024 * 1024;
const CACHE_TTL_MS = 30 * 60_000;
/** A reason longer than this is grouped (and kept) by its start: no card shows more of one. */
export const REASON_MAX_CHARS = 500;

/**
 * Group a job's failed messages by `status_message`, most frequent first. Reads at most
 * `FAILURE_SCAN_CAP` failures, and none at all when the job reports no failures.
 */
export async function summarizeFailures(
  cloudflare: CloudflareClient,
  job: Job,
  opts: RequestOptions,
): Promise<FailureSummary> {
  if (job.messages_failed <= 0) return NO_FAILURES;
  return scanFailures(cloudflare, job.job_id, opts);
}

const NO_FAILURES: FailureSummary = { reasons: [], scanned: 0, complete: true };

/** Read and group a job's failed messages, whatever its counts say. */
async function scanFailures(
  cloudflare: CloudflareClient,
  jobId: string,
  opts: RequestOptions,
): Promise<FailureSummary> {
  const groups = new Map<string, FailureReason>();
  let scanned = 0;
  for await (const page of cloudflare.iterateMessages(
    jobId,
    { status: 'FAILED', perPage: 1000, maxMessages: FAILURE_SCAN_CAP },
    opts,
  )) {
    for (const message of page) {
      const reason = (message.status_message?.trim() || '(no reason given)').slice(0, REASON_MAX_CHARS);
      const group = groups.get(reason) ?? { reason, count: 0 };
      group.count += 1;
      const retryAt = message.retry_after ? Date.parse(message.retry_after) : Number.NaN;
      if (Number.isFinite(retryAt) && (group.retryAt === undefined || retryAt > group.retryAt)) group.retryAt = retryAt;
      groups.set(reason, group);
      scanned += 1;
    }
  }
  const reasons = [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { reasons, scanned, complete: scanned < FAILURE_SCAN_CAP };
}

/** Failure summaries per job, read again only when the job's failed count moved. */
export class FailureSummaries {
  readonly #cloudflare: CloudflareClient;
  readonly #cache = new BoundedCache<string, { failed: number; summary: FailureSummary }>({
    maxEntries: CACHE_ENTRIES,
    maxBytes: CACHE_BYTES,
    ttlMs: CACHE_TTL_MS,
    // Each reason: its text (two bytes a character) and its count and time.
    sizeOf: ({ summary }) => summary.reasons.reduce((sum, r) => sum + 2 * r.reason.length + 48, 64),
  });

  constructor(cloudflare: CloudflareClient) {
    this.#cloudflare = cloudflare;
  }

  async for(job: Job, opts: RequestOptions): Promise<FailureSummary> {
    const cached = this.#cache.get(job.job_id);
    if (cached && cached.failed === job.messages_failed) return cached.summary;
    return this.#keep(job, await summarizeFailures(this.#cloudflare, job, opts));
  }

  /**
   * For a view, which reads the job and its reasons at once: a job never seen has its failures read
   * alongside the job (one request more, no wait more); a known one only when its failed count moved.
   */
  async alongside(jobId: string, job: Promise<Job>, opts: RequestOptions): Promise<FailureSummary> {
    if (this.#cache.has(jobId)) return this.for(await job, opts);
    const scan = scanFailures(this.#cloudflare, jobId, opts);
    // The job's own read reports its failures; the scan's are only wanted if it has some.
    scan.catch(() => {});
    const known = await job;
    return this.#keep(known, known.messages_failed > 0 ? await scan : NO_FAILURES);
  }

  #keep(job: Job, summary: FailureSummary): FailureSummary {
    this.#cache.set(job.job_id, { failed: job.messages_failed, summary });
    return summary;
  }
}
