/**
 * A button click as the handlers see it, read defensively from Slack's `block_actions` payload (every field
 * is Slack's or the user's), and the checks handlers make on where it came from.
 */
import type { BlockAction, ButtonAction } from '@slack/bolt';
import { InputError } from '../errors.js';

export interface ClickInput {
  actionId: string;
  value: string | undefined;
  userId: string;
  channelId: string | undefined;
  /** The clicked message's ts; absent for some ephemeral clicks. */
  messageTs: string | undefined;
  /** True when the click came from an ephemeral message (the job view), false from a channel card. */
  ephemeral: boolean;
  /** True when the click came from the app's Home tab (a view, not a message: no channel, no response_url). */
  fromHome: boolean;
}

export function readClick(body: BlockAction, action: ButtonAction): ClickInput {
  const container = (body.container ?? {}) as { is_ephemeral?: unknown; message_ts?: unknown; type?: unknown };
  const messageTs = body.message?.ts ?? (typeof container.message_ts === 'string' ? container.message_ts : undefined);
  return {
    actionId: action.action_id,
    value: action.value,
    userId: body.user.id,
    channelId: body.channel?.id,
    messageTs,
    ephemeral: container.is_ephemeral === true || body.message === undefined,
    fromHome: container.type === 'view',
  };
}

export function requireChannel(click: ClickInput): string {
  if (!click.channelId) throw new InputError('That button was clicked outside a channel. Run `/bulkjob` in a channel.');
  return click.channelId;
}

/** The channel card the click came from. */
export function requireCard(click: ClickInput): { channelId: string; ts: string } {
  const channelId = requireChannel(click);
  if (click.ephemeral || !click.messageTs) {
    throw new InputError('That button only works on a shared status card.', 'bad_value');
  }
  return { channelId, ts: click.messageTs };
}

/** The card's ts when the click came from a channel card; undefined from the ephemeral view. */
export function cardTsOf(click: ClickInput): string | undefined {
  return click.ephemeral ? undefined : click.messageTs;
}
