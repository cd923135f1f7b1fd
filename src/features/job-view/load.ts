/**
 * The reads behind a job view: job detail and the page of messages, concurrently (docs/design.md,
 * "Performance"), then the formatter.
 */
import type { RequestOptions } from '../../cloudflare/client.js';
import type { Job } from '../../cloudflare/schema.js';
import { mayCancel } from '../../rules.js';
import type { SlackMessage } from '../../slack/blocks/types.js';
import type { AppContext } from '../../slack/context.js';
import type { StatusFilter, ViewQuery } from '../../slack/query.js';
import { renderJobView } from './blocks.js';

/** Messages a page of the job view: ten rows keep the view readable and well inside 50 blocks. */
export const VIEW_PAGE_SIZE = 10;

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

export interface ViewOptions {
  /** Bypass the short job cache (Refresh, and right after a Cancel). */
  fresh?: boolean;
  /** The viewer just cancelled the job: offer no Cancel, even if Cloudflare still reports it running. */
  cancelled?: boolean;
}

/** The job view for `userId`: what they may do is decided by the domain rules (src/rules.ts). */
export async function loadJobView(
  ctx: Pick<AppContext, 'cloudflare' | 'config' | 'failures' | 'now'>,
  userId: string,
  query: ViewQuery,
  options: ViewOptions = {},
): Promise<SlackMessage> {
  const opts: RequestOptions = { priority: 'user', ...(options.fresh ? { fresh: true } : {}) };
  const job = ctx.cloudflare.getJob(query.jobId, opts);
  // One wait for all three: the job, the page, and (for a job not seen before) its failure reasons.
  const [detail, page, failures] = await Promise.all([
    job,
    ctx.cloudflare.listMessages(
      query.jobId,
      { page: query.page, perPage: VIEW_PAGE_SIZE, ...(query.status ? { status: query.status } : {}) },
      opts,
    ),
    ctx.failures.alongside(query.jobId, job, opts),
  ]);
  const totalPages = totalPagesFor(countForFilter(detail, query.status), VIEW_PAGE_SIZE);
  const full = page.messages.length >= VIEW_PAGE_SIZE;
  return renderJobView({
    job: detail,
    failures,
    messages: page.messages.slice(0, VIEW_PAGE_SIZE),
    query,
    pageSize: VIEW_PAGE_SIZE,
    totalPages,
    hasNext: full && (totalPages === undefined || query.page < totalPages),
    requestedBy: userId,
    mayCancel: !options.cancelled && mayCancel(ctx.config.access, userId),
    now: ctx.now(),
  });
}
