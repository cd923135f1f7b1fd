/**
 * Button clicks. Every click is acked first, then checked against the allow lists (the clicking user, every
 * time: anyone in a channel can click a shared card), then its `value` is decoded with the same schema as
 * command text, since it comes back from Slack as user input.
 */
import type { App, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import { TERMINAL_STATUSES } from '../cloudflare/schema.js';
import { InputError } from '../errors.js';
import { assertAllowed, assertCanWrite, canWrite } from './access.js';
import { ActionId } from './ids.js';
import { loadJobList, loadJobView } from './job-view.js';
import { decodeQuery, type JobQuery } from './query.js';
import { respondNote, type TrackFields, track } from './reply.js';
import type { Services } from './services.js';

export interface ClickInput {
  actionId: string;
  value: string | undefined;
  userId: string;
  channelId: string | undefined;
  /** The clicked message's ts; absent for some ephemeral clicks. */
  messageTs: string | undefined;
  /** True when the click came from an ephemeral message (the job view), false from a channel card. */
  ephemeral: boolean;
}

/** Pull what we need from a `block_actions` payload, defensively: every field is Slack's or the user's. */
export function readClick(body: BlockAction, action: ButtonAction): ClickInput {
  const container = (body.container ?? {}) as { is_ephemeral?: unknown; message_ts?: unknown };
  const messageTs = body.message?.ts ?? (typeof container.message_ts === 'string' ? container.message_ts : undefined);
  return {
    actionId: action.action_id,
    value: action.value,
    userId: body.user.id,
    channelId: body.channel?.id,
    messageTs,
    ephemeral: container.is_ephemeral === true || body.message === undefined,
  };
}

function requireJobId(query: JobQuery): string {
  if (query.kind === 'view' || query.kind === 'watch') return query.jobId;
  throw new InputError('That button does not name a job. Run `/bulkjob &lt;job ID&gt;` again.', 'bad_value');
}

function requireChannel(click: ClickInput): string {
  if (!click.channelId) throw new InputError('That button was clicked outside a channel. Run `/bulkjob` in a channel.');
  return click.channelId;
}

function requireCard(click: ClickInput): { channelId: string; ts: string } {
  const channelId = requireChannel(click);
  if (click.ephemeral || !click.messageTs) {
    throw new InputError('That button only works on a shared status card.', 'bad_value');
  }
  return { channelId, ts: click.messageTs };
}

/** The click's work after the ack; exported so it can be tested as a plain function. */
export async function runClick(
  services: Services,
  click: ClickInput,
  respond: RespondFn,
  fields: TrackFields,
): Promise<void> {
  assertAllowed(services.config.access, { userId: click.userId, channelId: click.channelId });
  const query = decodeQuery(click.value);
  if (query.kind !== 'help' && query.kind !== 'list') fields.job = query.jobId;
  const access = services.config.access;

  if (click.actionId.startsWith(ActionId.navPrefix)) {
    // Prev, Next, Failed only / All statuses, Refresh and View: each carries the query it leads to.
    const fresh = click.actionId === ActionId.navRefresh;
    let message: Awaited<ReturnType<typeof loadJobView>>;
    if (query.kind === 'view') {
      message = await loadJobView(
        {
          cloudflare: services.cloudflare,
          userId: click.userId,
          canCancel: (job) => canWrite(access, click.userId) && !TERMINAL_STATUSES.has(job.status),
          now: services.now,
          fresh,
        },
        query,
      );
    } else if (query.kind === 'list') {
      message = await loadJobList(services, query);
    } else {
      throw new InputError('That button is from an older version of bulkjob. Run `/bulkjob` again.', 'bad_value');
    }
    await respond({ response_type: 'ephemeral', replace_original: true, ...message });
    return;
  }

  switch (click.actionId) {
    case ActionId.share:
      await services.cards.share({
        channelId: requireChannel(click),
        jobId: requireJobId(query),
        userId: click.userId,
      });
      return;
    case ActionId.cardRefresh:
      await services.cards.refresh({ ...requireCard(click), jobId: requireJobId(query), userId: click.userId });
      return;
    case ActionId.watch: {
      const channelId = requireChannel(click);
      const ts = click.ephemeral ? undefined : click.messageTs;
      await respondNote(
        respond,
        await services.cards.watch({
          channelId,
          jobId: requireJobId(query),
          userId: click.userId,
          ...(ts ? { ts } : {}),
        }),
      );
      return;
    }
    case ActionId.stopWatch:
      await respondNote(
        respond,
        await services.cards.stopWatch({ ...requireCard(click), jobId: requireJobId(query), userId: click.userId }),
      );
      return;
    case ActionId.cancel: {
      // Checked again here, not only by hiding the button: a shared card's button is visible to everyone.
      assertCanWrite(access, { userId: click.userId, channelId: click.channelId });
      const channelId = requireChannel(click);
      const ts = click.ephemeral ? undefined : click.messageTs;
      const jobId = requireJobId(query);
      await services.cards.cancel({ channelId, jobId, userId: click.userId, ...(ts ? { ts } : {}) });
      if (click.ephemeral && query.kind === 'view') {
        const view = await loadJobView(
          {
            cloudflare: services.cloudflare,
            userId: click.userId,
            canCancel: () => false,
            now: services.now,
            fresh: true,
          },
          query,
        );
        await respond({ response_type: 'ephemeral', replace_original: true, ...view });
      }
      return;
    }
    default:
      throw new InputError('That button is from an older version of bulkjob. Run `/bulkjob` again.', 'bad_value');
  }
}

export function registerActions(app: App, services: Services): void {
  app.action<BlockAction<ButtonAction>>(/^bulkjob_/, async ({ ack, body, action, respond }) => {
    await ack();
    const click = readClick(body, action);
    await services.inFlight.track(
      track(
        services.logger,
        { kind: 'action', user: click.userId, channel: click.channelId, action: click.actionId },
        respond,
        (fields) => runClick(services, click, respond, fields),
      ),
    );
  });
}
