/**
 * Cancel job: checked against the clicking user before anything happens (a card's buttons are visible to
 * the whole channel), then cancelled at Cloudflare, recorded on the card, and the view redrawn.
 */
import { hasEnded } from '../../rules.js';
import { assertMayCancel } from '../../slack/access.js';
import { describeOutcome } from '../../slack/blocks/job-summary.js';
import { cardTsOf, requireChannel } from '../../slack/click.js';
import type { ClickRequest } from '../../slack/context.js';
import type { ViewQuery } from '../../slack/query.js';
import { respondNote } from '../../slack/reply.js';
import { openJobView } from '../job-view/handler.js';

export async function cancelJob(request: ClickRequest, query: ViewQuery): Promise<void> {
  const { ctx, click, fields } = request;
  fields.job = query.jobId;
  assertMayCancel(ctx.config.access, { userId: click.userId, channelId: click.channelId });
  const target = { channelId: requireChannel(click), jobId: query.jobId, userId: click.userId };
  const ts = cardTsOf(click);
  // The card first: a button whose value does not match its card is refused before Cloudflare is asked.
  const card = await ctx.cards.cardFor(ts ? { ...target, ts } : target);
  // A Cancel on an older message of a job that has since ended: show its final state instead.
  const job = await ctx.cloudflare.getJob(query.jobId, { priority: 'user', fresh: true });
  if (hasEnded(job)) {
    if (card) await ctx.cards.update(card, { priority: 'user' }, { force: true });
    if (click.ephemeral) await openJobView(request, query);
    await respondNote(request.respond, {
      note: `This job has already ended (${describeOutcome(job)}); there is nothing to cancel. The message now shows its final state.`,
    });
    return;
  }
  await ctx.cloudflare.cancelJob(query.jobId, { priority: 'user' });
  ctx.logger.info({ job: query.jobId, user: click.userId }, 'job cancelled from Slack');
  if (card) await ctx.cards.recordCancel(card, click.userId);
  if (click.ephemeral) await openJobView(request, query, { fresh: true, cancelled: true });
}
