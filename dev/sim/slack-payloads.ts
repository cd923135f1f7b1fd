/**
 * What Slack sends to an app, built as Slack builds it: the slash command form and the `block_actions`
 * payload, and the `v0` request signature. Pure functions; `slack.ts` sends them.
 *
 * Shapes: https://docs.slack.dev/interactivity/implementing-slash-commands (command fields),
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload (clicks),
 * https://docs.slack.dev/authentication/verifying-requests-from-slack (signature).
 */
import { createHmac } from 'node:crypto';
import type { SimBlock, SimMessage } from './slack-types.js';

/** The fixed identity of the simulated workspace and app. */
export const SimIdentity = {
  teamId: 'T0SIM',
  teamDomain: 'bulkjob-sim',
  appId: 'A0SIM',
  botUserId: 'UBOT',
  botId: 'BBOT',
  /** The legacy verification token Slack still puts in payloads; Bolt ignores it in favour of the signature. */
  verificationToken: 'sim-verification-token',
} as const;

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{rawBody}`. */
export function signSlackRequest(signingSecret: string, timestampSeconds: number, rawBody: string): string {
  const hmac = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${rawBody}`);
  return `v0=${hmac.digest('hex')}`;
}

export interface CommandFields {
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
  command: string;
  text: string;
  responseUrl: string;
  triggerId: string;
}

/** The slash command body, form-encoded in Slack's field order. */
export function buildCommandBody(fields: CommandFields): string {
  return new URLSearchParams({
    token: SimIdentity.verificationToken,
    team_id: SimIdentity.teamId,
    team_domain: SimIdentity.teamDomain,
    channel_id: fields.channelId,
    channel_name: fields.channelName,
    user_id: fields.userId,
    user_name: fields.userName,
    command: fields.command,
    text: fields.text,
    api_app_id: SimIdentity.appId,
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId,
  }).toString();
}

/** A button as Slack reports it in `actions[]`. */
export interface ButtonAction {
  type: 'button';
  action_id: string;
  block_id: string;
  text: { type: 'plain_text'; text: string; emoji: boolean };
  value?: string;
  style?: string;
  action_ts: string;
}

export interface FoundButton {
  blockId: string;
  actionId: string;
  text: string;
  value: string | undefined;
  style: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Finds a button by `action_id` in an actions block or a section accessory. Slack gives blocks without a
 * `block_id` a random one; the simulator derives a stable one from the index instead.
 */
export function findButton(blocks: SimBlock[], actionId: string): FoundButton | undefined {
  for (const [index, block] of blocks.entries()) {
    const candidates = block.type === 'actions' && Array.isArray(block.elements) ? block.elements : [block.accessory];
    for (const element of candidates) {
      if (!isRecord(element) || element.type !== 'button' || element.action_id !== actionId) continue;
      const text = isRecord(element.text) && typeof element.text.text === 'string' ? element.text.text : '';
      return {
        blockId: typeof block.block_id === 'string' ? block.block_id : `sim_block_${index}`,
        actionId,
        text,
        value: typeof element.value === 'string' ? element.value : undefined,
        style: typeof element.style === 'string' ? element.style : undefined,
      };
    }
  }
  return undefined;
}

export interface BlockActionsFields {
  user: { id: string; name: string };
  channel: { id: string; name: string };
  message: SimMessage;
  button: FoundButton;
  responseUrl: string;
  triggerId: string;
  actionTs: string;
}

/** The `block_actions` payload object (sent as the JSON string in a `payload=` form field). */
export function buildBlockActionsPayload(fields: BlockActionsFields): Record<string, unknown> {
  const { message, button } = fields;
  const isEphemeral = message.ephemeralTo !== undefined;
  const action: ButtonAction = {
    type: 'button',
    action_id: button.actionId,
    block_id: button.blockId,
    text: { type: 'plain_text', text: button.text, emoji: true },
    ...(button.value !== undefined ? { value: button.value } : {}),
    ...(button.style !== undefined ? { style: button.style } : {}),
    action_ts: fields.actionTs,
  };
  return {
    type: 'block_actions',
    user: {
      id: fields.user.id,
      username: fields.user.name,
      name: fields.user.name,
      team_id: SimIdentity.teamId,
    },
    api_app_id: SimIdentity.appId,
    token: SimIdentity.verificationToken,
    container: {
      type: 'message',
      message_ts: message.ts,
      channel_id: message.channel,
      is_ephemeral: isEphemeral,
      ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
    },
    trigger_id: fields.triggerId,
    team: { id: SimIdentity.teamId, domain: SimIdentity.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: fields.channel,
    // Slack omits `message` on clicks in ephemeral messages, which is why view state rides in the value.
    ...(isEphemeral ? {} : { message: wireMessage(message) }),
    state: { values: {} },
    response_url: fields.responseUrl,
    actions: [action],
  };
}

/** A message as Slack's Web API and payloads show it (snake_case); metadata only when asked for. */
export function wireMessage(message: SimMessage, options: { metadata?: boolean } = {}): Record<string, unknown> {
  return {
    ...(options.metadata && message.metadata ? { metadata: message.metadata } : {}),
    type: 'message',
    ts: message.ts,
    user: message.user,
    ...(message.botId !== undefined ? { bot_id: message.botId, app_id: SimIdentity.appId } : {}),
    text: message.text,
    blocks: message.blocks,
    team: SimIdentity.teamId,
    ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
    ...(message.edits > 0 ? { edited: { user: message.user, ts: message.ts } } : {}),
  };
}
