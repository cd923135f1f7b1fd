/**
 * The domain rules, in one place: when a job has ended, how it ended, what its counts mean, who may
 * cancel one, and which of Watch, Stop watching and Cancel a view or a card offers. Views, cards and handlers all ask here, so a rule changes in
 * one line (docs/design.md, "Domain rules").
 */
import type { Job } from './cloudflare/schema.js';
import type { Config } from './config.js';

/** A job in one of these states will not change any more: it offers no Watch or Cancel, and a watch ends. */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED']);

export function hasEnded(job: Pick<Job, 'status'>): boolean {
  return ENDED_STATUSES.has(job.status);
}

/** Cancelling is the one write: only users in `BULKJOB_WRITE_USERS` (empty = nobody). */
export function mayCancel(access: Config['access'], userId: string): boolean {
  return access.writeUsers.has(userId);
}

/**
 * Whether a channel card offers Cancel: anyone in the channel sees it, so it shows when somebody could use
 * it; the click is checked against the clicking user (`mayCancel`) before anything happens.
 */
export function someoneMayCancel(access: Config['access']): boolean {
  return access.writeUsers.size > 0;
}

/** The job buttons a view or card offers besides its own navigation. */
export interface JobButtons {
  watch: boolean;
  stopWatching: boolean;
  cancel: boolean;
}

/**
 * What a job's view or card offers: Stop watching while a watch runs on that card, Watch while the job can
 * still change and nothing watches it, Cancel while the job can still change and the viewer may cancel.
 */
export function jobButtons(job: Pick<Job, 'status'>, options: { mayCancel: boolean; watching: boolean }): JobButtons {
  const running = !hasEnded(job);
  return {
    stopWatching: options.watching,
    watch: running && !options.watching,
    cancel: running && options.mayCancel,
  };
}

/** How a job stands, at a glance: a finished job with failures is not a clean success. */
export type Outcome = 'running' | 'completed' | 'completed_with_failures' | 'failed' | 'cancelled' | 'skipped';

export function outcomeOf(job: Pick<Job, 'status' | 'messages_failed'>): Outcome {
  switch (job.status) {
    case 'COMPLETED':
      return job.messages_failed > 0 ? 'completed_with_failures' : 'completed';
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
      return 'cancelled';
    case 'SKIPPED':
      return 'skipped';
    default:
      return 'running';
  }
}

/** What the part of the total that no count covers is called. */
export type RemainderLabel = 'cancelled' | 'not processed' | 'not yet counted';

/**
 * A job's counts, made to add up to the discovered total. Cloudflare's parts (successful, failed, pending,
 * and `messages_cancelled` when it sends it) can fall short of the total: on an ended job the rest was
 * cancelled (a CANCELLED job that does not count them) or not processed; on a running job it is not yet
 * counted. Counts that cannot be right (negative, or parts above the total) are flagged in `problem`.
 */
export interface JobCounts {
  total: number;
  successful: number;
  failed: number;
  pending: number;
  /** Cloudflare's own cancelled count, 0 when it sends none. */
  cancelled: number;
  remainder: number;
  remainderLabel: RemainderLabel;
  problem?: 'negative' | 'over_total';
}

export function readCounts(
  job: Pick<
    Job,
    'status' | 'total_messages_discovered' | 'messages_successful' | 'messages_failed' | 'messages_pending'
  > & { messages_cancelled?: number | undefined },
): JobCounts {
  const total = job.total_messages_discovered;
  const successful = job.messages_successful;
  const failed = job.messages_failed;
  const pending = job.messages_pending;
  const cancelled = job.messages_cancelled ?? 0;
  const counts = [total, successful, failed, pending, cancelled];
  const parts = successful + failed + pending + cancelled;
  const remainderLabel: RemainderLabel = !hasEnded(job)
    ? 'not yet counted'
    : job.status === 'CANCELLED' && job.messages_cancelled === undefined
      ? 'cancelled'
      : 'not processed';
  const base = { total, successful, failed, pending, cancelled, remainderLabel };
  if (counts.some((n) => !Number.isFinite(n) || n < 0)) return { ...base, remainder: 0, problem: 'negative' };
  if (parts > total) return { ...base, remainder: 0, problem: 'over_total' };
  return { ...base, remainder: total - parts };
}
