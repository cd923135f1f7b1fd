/**
 * Failure reasons for the channel card and the completion notice: a job's failed messages grouped by
 * `status_message`, read at most `FAILURE_SCAN_CAP` at a time, and reused while the failed count stands still:
 * by this process from memory, and by every replica on the database from the store's shared cache, so a
 * job's reasons are read from Cloudflare once, whichever replica refreshes its card next.
 */

import { z } from 'zod';
import { BoundedCache } from '../../bounded-cache.js';
import type { CloudflareClient, RequestOptions } from '../../cloudflare/client.js';
import type { Job } from '../../cloudflare/schema.js';
import { TIMED_OUT, withDeadline } from '../../deadline.js';
import type { Logger } from '../../logger.js';
import type { FailureReason, FailureSummary } from '../../slack/blocks/types.js';
import type { SharedCacheStore } from '../../store/types.js';

/** Failed messages read to group failure reasons: at most five requests of 1,000. */
export const FAILURE_SCAN_CAP = 5000;
/** Jobs whose summary is kept, all of them in at most this many bytes, each for at most this long. */
const CACHE_ENTRIES = 500;
const CACHE_BYTES = 32 * 1024 * 1024;
const CACHE_TTL_MS = 30 * 60_000;
/** A reason longer than this is grouped (and kept) by its start: no card shows more of one. */
export const REASON_MAX_CHARS = 500;
/** A summary larger than this (as JSON) stays in this process: the shared cache is for small rows. */
const SHARED_MAX_CHARS = 256 * 1024;
/** How long a card waits for the shared cache before reading Cloudflare itself. */
const SHARED_WAIT_MS = 500;

/** What the shared cache holds for a job: its summary and the failed count it was read at. */
const SharedEntrySchema = z.object({
  failed: z.number(),
  summary: z.object({
    reasons: z.array(z.object({ reason: z.string(), count: z.number(), retryAt: z.number().optional() })),
    scanned: z.number(),
    complete: z.boolean(),
  }),
});
interface SharedEntry {
  failed: number;
  summary: FailureSummary;
}

function sharedKey(jobId: string): string {
  return `failures ${jobId.toLowerCase()}`;
}

const NO_FAILURES: FailureSummary = { reasons: [], scanned: 0, complete: true };

/**
 * Group a job's failed messages by `status_message`, most frequent first, reading at most
 * `FAILURE_SCAN_CAP` of them, whatever the job's counts say.
 */
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

export interface FailureSummariesOptions {
  /** The store's cache shared by every replica; without it, summaries are kept in this process only. */
  shared?: SharedCacheStore;
  logger?: Logger;
}

/** Failure summaries per job, read again only when the job's failed count moved. */
export class FailureSummaries {
  readonly #cloudflare: CloudflareClient;
  readonly #shared: SharedCacheStore | undefined;
  readonly #logger: Logger | undefined;
  readonly #cache = new BoundedCache<string, SharedEntry>({
    maxEntries: CACHE_ENTRIES,
    maxBytes: CACHE_BYTES,
    ttlMs: CACHE_TTL_MS,
    // Each reason: its text (two bytes a character) and its count and time.
    sizeOf: ({ summary }) => summary.reasons.reduce((sum, r) => sum + 2 * r.reason.length + 48, 64),
  });

  constructor(cloudflare: CloudflareClient, options: FailureSummariesOptions = {}) {
    this.#cloudflare = cloudflare;
    this.#shared = options.shared;
    this.#logger = options.logger;
  }

  async for(job: Job, opts: RequestOptions): Promise<FailureSummary> {
    const cached = this.#cache.get(job.job_id);
    if (cached && cached.failed === job.messages_failed) return cached.summary;
    if (job.messages_failed <= 0) return this.#keep(job, NO_FAILURES);
    const shared = await this.#readShared(job.job_id);
    if (shared && shared.failed === job.messages_failed) {
      this.#cache.set(job.job_id, shared);
      return shared.summary;
    }
    return this.#keep(job, await scanFailures(this.#cloudflare, job.job_id, opts));
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
    const entry = { failed: job.messages_failed, summary };
    this.#cache.set(job.job_id, entry);
    if (job.messages_failed > 0) this.#writeShared(job.job_id, entry);
    return summary;
  }

  /** What another replica (or this one) read, if the store answers quickly; never throws. */
  async #readShared(jobId: string): Promise<SharedEntry | undefined> {
    if (!this.#shared) return undefined;
    try {
      const value = await withDeadline(this.#shared.getShared(sharedKey(jobId)), SHARED_WAIT_MS);
      if (value === TIMED_OUT || value === undefined) return undefined;
      const parsed = SharedEntrySchema.safeParse(JSON.parse(value));
      return parsed.success ? (parsed.data as SharedEntry) : undefined;
    } catch (error) {
      // A store blip only costs a read from Cloudflare.
      this.#logger?.debug({ err: error }, 'shared failure summary not read');
      return undefined;
    }
  }

  /** Shares a summary with the other replicas, in the background: the card does not wait for the store. */
  #writeShared(jobId: string, entry: SharedEntry): void {
    if (!this.#shared) return;
    const value = JSON.stringify(entry);
    if (value.length > SHARED_MAX_CHARS) return;
    this.#shared.putShared(sharedKey(jobId), value, CACHE_TTL_MS).catch((error: unknown) => {
      this.#logger?.debug({ err: error }, 'shared failure summary not kept');
    });
  }
}
