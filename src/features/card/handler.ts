/** Share to channel (from the job view) and Refresh (on a card). */
import { requireCard, requireChannel } from '../../slack/click.js';
import type { ClickRequest } from '../../slack/context.js';
import type { ViewQuery } from '../../slack/query.js';

export async function shareCard(request: ClickRequest, query: ViewQuery): Promise<void> {
  const { ctx, click, fields } = request;
  fields.job = query.jobId;
  await ctx.cards.share({ channelId: requireChannel(click), jobId: query.jobId, userId: click.userId });
}

export async function refreshCard(request: ClickRequest, query: ViewQuery): Promise<void> {
  const { ctx, click, fields } = request;
  fields.job = query.jobId;
  await ctx.cards.refresh({ ...requireCard(click), jobId: query.jobId, userId: click.userId });
}
