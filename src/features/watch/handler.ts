/** `/bulkjob watch <job>`, Watch and Stop watching. */
import { cardTsOf, requireCard, requireChannel } from '../../slack/click.js';
import type { ClickRequest, CommandRequest } from '../../slack/context.js';
import type { WatchQuery } from '../../slack/query.js';
import { respondNote } from '../../slack/reply.js';
import { openJobView } from '../job-view/handler.js';

export async function watchFromCommand(request: CommandRequest, query: WatchQuery): Promise<void> {
  const { ctx, fields } = request;
  fields.job = query.jobId;
  const target = { channelId: request.channelId, jobId: query.jobId, userId: request.userId };
  await respondNote(request.respond, await ctx.watches.start(target));
}

/** From the job view (posts or adopts the channel's card) or from a card (watches that card). */
export async function startWatchFromClick(request: ClickRequest, query: WatchQuery): Promise<void> {
  const { ctx, click, fields } = request;
  fields.job = query.jobId;
  const ts = cardTsOf(click);
  const target = { channelId: requireChannel(click), jobId: query.jobId, userId: click.userId };
  const outcome = await ctx.watches.start(ts ? { ...target, ts } : target);
  // A Watch on an older view of a job that has since ended: the view shows its final state too.
  if (outcome.ended && click.ephemeral) await openJobView(request, { kind: 'view', jobId: query.jobId, page: 1 });
  await respondNote(request.respond, outcome);
}

export async function stopWatchFromClick(request: ClickRequest, query: WatchQuery): Promise<void> {
  const { ctx, click, fields } = request;
  fields.job = query.jobId;
  await respondNote(
    request.respond,
    await ctx.watches.stop({ ...requireCard(click), jobId: query.jobId, userId: click.userId }),
  );
}
