/**
 * The Home tab: published when the user opens it, when one of their watches starts or ends, and after a
 * click on it. A Home click has no response_url, so what it did (or why it could not) is said on Home.
 */
import { userMessageFor } from '../../errors.js';
import type { ClickRequest } from '../../slack/context.js';
import type { ViewQuery } from '../../slack/query.js';

export async function stopWatchFromHome(request: ClickRequest, value: { cardId: number }): Promise<void> {
  const { ctx, click } = request;
  const card = await ctx.cards.findById(value.cardId);
  let note: string;
  if (!card) {
    note = 'That watch is gone.';
  } else {
    request.fields.job = card.jobId;
    try {
      const outcome = await ctx.watches.stop({
        channelId: card.channel,
        ts: card.ts,
        jobId: card.jobId,
        userId: click.userId,
      });
      note = outcome.note ?? 'Watch stopped; its card says who stopped it.';
    } catch (error) {
      note = userMessageFor(error);
    }
  }
  await ctx.home.publish(click.userId, { note });
}

export async function showJobOnHome(request: ClickRequest, query: ViewQuery): Promise<void> {
  request.fields.job = query.jobId;
  await request.ctx.home.publish(request.click.userId, { selectedJobId: query.jobId });
}
