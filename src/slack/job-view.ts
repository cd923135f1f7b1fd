/**
 * Loading what a view shows: the Cloudflare reads (concurrent where they can be) and the formatter call.
 * Listeners stay thin; these functions are where a view's data comes from.
 */
import type { CloudflareClient, RequestOptions } from '../cloudflare/client.js';
import type { Job } from '../cloudflare/schema.js';
import { renderJobList } from './blocks/job-list.js';
import { renderJobView } from './blocks/job-view.js';
import type { FailureSummary, SlackMessage } from './blocks/types.js';
import type { ListQuery, StatusFilter, ViewQuery } from './query.js';

/** Messages a page of the job view: ten rows keep the view readable and well inside 50 blocks. */
export const VIEW_PAGE_SIZE = 10;
/** Jobs a page of `/bulkjob list`. */
export const LIST_PAGE_SIZE = 10;
/** Failed messages read to group failure reasons: at most five requests of 1,000. */
export const FAILURE_SCAN_CAP = 5000;

/** How many messages a filter covers, from the job's own counts; undefined where the counts cannot tell. */
export function countForFilter(job: Job, status: StatusFilter | undefined): number | undefined {
  switch (status) {
    case undefined:
      return job.total_messages_discovered;
    case 'FAILED':
      return job.messages_failed;
    case 'COMPLETED':
      return job.messages_successful;
    case 'PENDING':
      return job.messages_pending;
    default:
      return undefined;
  }
}

export function totalPagesFor(count: number | undefined, pageSize: number): number | undefined {
  if (count === undefined) return undefined;
  return Math.max(1, Math.ceil(count / pageSize));
}

export interface ViewContext {
  cloudflare: CloudflareClient;
  userId: string;
  canCancel: (job: Job) => boolean;
  now: () => Date;
  /** Bypass the short job cache (Refresh). */
  fresh?: boolean;
}

/** The job view: job detail and the page of messages are read concurrently (docs/design.md, "Performance"). */
export async function loadJobView(ctx: ViewContext, query: ViewQuery): Promise<SlackMessage> {
  const opts: RequestOptions = { priority: 'user', ...(ctx.fresh ? { fresh: true } : {}) };
  const [job, page] = await Promise.all([
    ctx.cloudflare.getJob(query.jobId, opts),
    ctx.cloudflare.listMessages(
      query.jobId,
      { page: query.page, perPage: VIEW_PAGE_SIZE, ...(query.status ? { status: query.status } : {}) },
      opts,
    ),
  ]);
  const totalPages = totalPagesFor(countForFilter(job, query.status), VIEW_PAGE_SIZE);
  const full = page.messages.length >= VIEW_PAGE_SIZE;
  return renderJobView({
    job,
    messages: page.messages.slice(0, VIEW_PAGE_SIZE),
    query,
    pageSize: VIEW_PAGE_SIZE,
    totalPages,
    hasNext: full && (totalPages === undefined || query.page < totalPages),
    requestedBy: ctx.userId,
    canCancel: ctx.canCancel(job),
    now: ctx.now(),
  });
}

/** `/bulkjob list [status]`: a page of recent jobs, newest first. */
export async function loadJobList(
  ctx: Pick<ViewContext, 'cloudflare' | 'now'>,
  query: ListQuery,
): Promise<SlackMessage> {
  const { jobs } = await ctx.cloudflare.listJobs(
    { page: query.page, perPage: LIST_PAGE_SIZE, ...(query.status ? { status: query.status } : {}) },
    { priority: 'user' },
  );
  return renderJobList({
    jobs: jobs.slice(0, LIST_PAGE_SIZE),
    query,
    pageSize: LIST_PAGE_SIZE,
    hasNext: jobs.length >= LIST_PAGE_SIZE,
    now: ctx.now(),
  });
}

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
