/**
 * Failure reasons for the channel card and the completion notice: a job's failed messages grouped by
 * `status_message`, read at most `FAILURE_SCAN_CAP` at a time, and reused while the failed count stands still.
 */
import type { CloudflareClient, RequestOptions } from '../../cloudflare/client.js';
import type { Job } from '../../cloudflare/schema.js';
import type { FailureSummary } from '../../slack/blocks/types.js';

/** Failed messages read to group failure reasons: at most five requests of 1,000. */
export const FAILURE_SCAN_CAP = 5000;
/** Jobs whose summary is kept. */
const CACHE_ENTRIES = 500;

/**
 * Group a job's failed messages by `status_message`, most frequent first. Reads at most
 * `FAILURE_SCAN_CAP` failures, and none at all when the job reports no failures.
 */
export async function summarizeFailures(
  cloudflare: CloudflareClient,
  job: Job,
  opts: RequestOptions,
): Promise<FailureSummary> {
  if (job.messages_failed <= 0) return { reasons: [], scanned: 0, complete: true };
  const counts = new Map<string, number>();
  let scanned = 0;
  for await (const page of cloudflare.iterateMessages(
    job.job_id,
    { status: 'FAILED', perPage: 1000, maxMessages: FAILURE_SCAN_CAP },
    opts,
  )) {
    for (const message of page) {
      const reason = message.status_message?.trim() || '(no reason given)';
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      scanned += 1;
    }
  }
  const reasons = [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { reasons, scanned, complete: scanned < FAILURE_SCAN_CAP };
}

/** Failure summaries per job, read again only when the job's failed count moved. */
export class FailureSummaries {
  readonly #cloudflare: CloudflareClient;
  readonly #cache = new Map<string, { failed: number; summary: FailureSummary }>();

  constructor(cloudflare: CloudflareClient) {
    this.#cloudflare = cloudflare;
  }

  async for(job: Job, opts: RequestOptions): Promise<FailureSummary> {
    const cached = this.#cache.get(job.job_id);
    if (cached && cached.failed === job.messages_failed) return cached.summary;
    const summary = await summarizeFailures(this.#cloudflare, job, opts);
    this.#cache.set(job.job_id, { failed: job.messages_failed, summary });
    if (this.#cache.size > CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    return summary;
  }
}
