/** `/bulkjob list [status]` and its paging buttons. */
import type { ClickRequest, CommandRequest } from '../../slack/context.js';
import type { ListQuery } from '../../slack/query.js';
import { loadJobList } from './load.js';

export async function showJobList(request: CommandRequest, query: ListQuery): Promise<void> {
  await request.respond({ response_type: 'ephemeral', ...(await loadJobList(request.ctx, query)) });
}

export async function openJobList(request: ClickRequest, query: ListQuery): Promise<void> {
  const list = await loadJobList(request.ctx, query);
  await request.respond({ response_type: 'ephemeral', replace_original: true, ...list });
}
