/** The read behind `/bulkjob list [status]`: a page of recent jobs, newest first. */
import type { SlackMessage } from '../../slack/blocks/types.js';
import type { AppContext } from '../../slack/context.js';
import type { ListQuery } from '../../slack/query.js';
import { renderJobList } from './blocks.js';

/** Jobs a page of `/bulkjob list`. */
export const LIST_PAGE_SIZE = 10;

export async function loadJobList(
  ctx: Pick<AppContext, 'cloudflare' | 'now'>,
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
