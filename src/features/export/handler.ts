/** `/bulkjob export <job> [status]` and the job view's Export CSV. */

import { formatCount, pluralize } from '../../slack/blocks/format.js';
import type { ClickRequest, CommandRequest, RequestBase } from '../../slack/context.js';
import type { ExportQuery, ViewQuery } from '../../slack/query.js';
import type { ExportPlan } from './export.js';

function describePlan(plan: ExportPlan, status: ExportQuery['status']): string {
  const what = status === undefined ? 'message' : `${status.toLowerCase()} message`;
  const size = plan.expected === undefined ? `its ${what}s` : pluralize(plan.expected, what);
  const paced =
    plan.pacedMinutes === undefined
      ? ''
      : ` That is ${formatCount(plan.pages ?? 0)} Cloudflare requests: it will take about ${plan.pacedMinutes} minutes, paced within bulkjob's budget behind everyone's own views.`;
  return `Exporting ${size} to CSV.${paced} The file will arrive in your direct messages with bulkjob — only there, since it lists recipient addresses.`;
}

const ALREADY_EXPORTING = 'You are already exporting this; the file will arrive in your direct messages with bulkjob.';

export function exportFromCommand(request: CommandRequest, query: ExportQuery): Promise<void> {
  return runExport(request, request.userId, query.jobId, query.status);
}

/** Exports what the view is filtered to. */
export function exportFromClick(request: ClickRequest, query: ViewQuery): Promise<void> {
  return runExport(request, request.click.userId, query.jobId, query.status);
}

async function runExport(
  request: RequestBase,
  userId: string,
  jobId: string,
  status: ExportQuery['status'],
): Promise<void> {
  const { ctx, fields } = request;
  fields.job = jobId;
  // Said as soon as the job is read, in the channel and only to the requester: how much, how long, where
  // the file will be, and why only there.
  const { promise, joined } = ctx.exports.start({ userId, jobId, status }, (plan) =>
    request.respond({ response_type: 'ephemeral', replace_original: false, text: describePlan(plan, status) }),
  );
  if (joined) {
    await request.respond({ response_type: 'ephemeral', replace_original: false, text: ALREADY_EXPORTING });
    return;
  }
  const result = await promise;
  await request.respond({
    response_type: 'ephemeral',
    replace_original: false,
    text: `Export done: ${pluralize(result.rows, 'row')} in \`${result.filename}\`, in your direct messages with bulkjob.`,
  });
}

/** Stop export, on the progress message: only the one who asked may stop it. */
export async function stopExport(request: ClickRequest, value: { exportId: string }): Promise<void> {
  if (request.ctx.exports.stop(value.exportId, request.click.userId)) return;
  await request.respond({
    response_type: 'ephemeral',
    replace_original: false,
    text: 'That export is no longer running (it finished, or it is not yours to stop).',
  });
}
