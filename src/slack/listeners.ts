/**
 * The Bolt listeners (commands, button clicks, and the Home tab's `app_home_opened`): ack first, always,
 * within milliseconds and before any upstream call; then the allow lists (the clicking user, every time:
 * anyone in a channel can click a shared card); then the handler the routes name (src/slack/routes.ts),
 * with one log line and any error routed to the user (src/slack/reply.ts). Each handler runs as its Slack
 * user (src/request-context.ts), so the Cloudflare budget can count that user's fair share.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { InputError } from '../errors.js';
import { runAsUser } from '../request-context.js';
import { assertAllowed, assertUserAllowed } from './access.js';
import { readClick } from './click.js';
import type { AppContext } from './context.js';
import { ACTION_PREFIX, COMMAND } from './ids.js';
import { parseCommandText } from './query.js';
import { clickKind, commandKind, observeRequest } from './request-metrics.js';
import { answerOnce, createResponder, type Respond } from './respond.js';
import { findButton, routeCommand } from './routes.js';

/** Home handlers answer on Home; a call to this is a bug, and says so. */
const unanswerable: Respond = async () => {
  throw new Error('a Home tab click has no response_url to answer on');
};

export function registerListeners(app: App, ctx: AppContext): void {
  app.command(COMMAND, async ({ command, ack, client }) => {
    const seen = observeRequest(ctx.metrics, 'command', commandKind(command.text));
    await ack();
    seen.acked();
    if (!(await firstDelivery(ctx, command.trigger_id))) return;
    const userId = command.user_id;
    const channelId = command.channel_id;
    const { respond: answer, late } = answerOnce(
      createResponder({
        responseUrl: command.response_url,
        logger: ctx.logger,
        fallback: { client, channelId, userId },
      }),
    );
    const respond = seen.respond(answer);
    await ctx.inFlight.track(
      seen.track(ctx.logger, { kind: 'command', user: userId, channel: channelId }, respond, (fields) =>
        runAsUser(userId, async () => {
          // Access first: a user who is not allowed gets one line and no Cloudflare call is made.
          assertAllowed(ctx.config.access, { userId, channelId });
          const query = parseCommandText(command.text ?? '');
          await routeCommand({ ctx, userId, channelId, respond, fields }, query);
        }),
      ),
      late,
    );
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    const userId = event.user;
    const seen = observeRequest(ctx.metrics, 'home', 'home_opened');
    await ctx.inFlight.track(
      seen.track(ctx.logger, { kind: 'home', user: userId, channel: undefined }, undefined, () =>
        runAsUser(userId, async () => {
          assertUserAllowed(ctx.config.access, userId);
          await ctx.home.publish(userId);
        }),
      ),
    );
  });

  app.action<BlockAction<ButtonAction>>(new RegExp(`^${ACTION_PREFIX}`), async ({ ack, body, action, client }) => {
    const seen = observeRequest(ctx.metrics, 'click', clickKind(action.action_id));
    await ack();
    seen.acked();
    if (!(await firstDelivery(ctx, body.trigger_id))) return;
    const click = readClick(body, action);
    // A Home click has no response_url and no channel: its handler answers on Home itself.
    const answer = click.fromHome
      ? undefined
      : answerOnce(
          createResponder({
            responseUrl: body.response_url,
            logger: ctx.logger,
            ...(click.channelId ? { fallback: { client, channelId: click.channelId, userId: click.userId } } : {}),
          }),
        );
    const respond = seen.respond(answer?.respond);
    await ctx.inFlight.track(
      seen.track(
        ctx.logger,
        { kind: 'action', user: click.userId, channel: click.channelId, action: click.actionId },
        respond,
        (fields) =>
          runAsUser(click.userId, async () => {
            // The Home tab and the bot's DM (an export's progress) belong to no team channel: there only the
            // user list applies.
            if (click.fromHome || click.channelId?.startsWith('D')) assertUserAllowed(ctx.config.access, click.userId);
            else assertAllowed(ctx.config.access, { userId: click.userId, channelId: click.channelId });
            const button = findButton(click.actionId);
            if (!button) {
              throw new InputError(
                'That button is from an older version of bulkjob. Run `/bulkjob` again.',
                'bad_value',
              );
            }
            await button.click({ ctx, click, respond: respond ?? unanswerable, fields });
          }),
      ),
      answer?.late,
    );
  });
}

/** `false` for a request already handled (Slack delivered it twice); logged once, answered by the first. */
async function firstDelivery(ctx: AppContext, triggerId: string | undefined): Promise<boolean> {
  if (await ctx.deliveries.first(triggerId)) return true;
  ctx.logger.info('duplicate delivery from Slack ignored: another delivery of it is being handled');
  return false;
}
