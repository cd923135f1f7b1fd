/** `/bulkjob <job> [status]` and the view's buttons: the job view, ephemeral to whoever asked. */
import type { ClickRequest, CommandRequest } from '../../slack/context.js';
import type { ViewQuery } from '../../slack/query.js';
import { loadJobView, type ViewOptions } from './load.js';

export async function showJobView(request: CommandRequest, query: ViewQuery): Promise<void> {
  request.fields.job = query.jobId;
  const view = await loadJobView(request.ctx, request.userId, query);
  await request.respond({ response_type: 'ephemeral', ...view });
}

/** Replace the clicked view (or list) with the view the button leads to. */
export async function openJobView(request: ClickRequest, query: ViewQuery, options: ViewOptions = {}): Promise<void> {
  request.fields.job = query.jobId;
  const view = await loadJobView(request.ctx, request.click.userId, query, options);
  await request.respond({ response_type: 'ephemeral', replace_original: true, ...view });
}

export function refreshJobView(request: ClickRequest, query: ViewQuery): Promise<void> {
  return openJobView(request, query, { fresh: true });
}
