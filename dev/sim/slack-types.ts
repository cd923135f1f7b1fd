/**
 * The state model of the Slack simulator: plain, JSON-serializable data, so the offline playground can
 * stream it (SSE) and tests can deep-compare it. Nothing here holds a socket, a timer or a class instance.
 */

/** A Block Kit block as the bot sent it: loosely typed, the simulator only inspects it for limits. */
export type SimBlock = Record<string, unknown> & { type: string };

/** How a message came to exist: which Slack surface created it. */
export type MessageSource = 'chat.postMessage' | 'chat.postEphemeral' | 'response_url' | 'command_ack' | 'user';

/** One earlier version of an edited message (`chat.update` or `replace_original`). */
export interface MessageVersion {
  text: string;
  blocks: SimBlock[];
  /** Simulator clock (ms) when this version was replaced. */
  replacedAtMs: number;
}

export interface SimMessage {
  /** `"<channel>/<ts>"`: unique; ephemeral messages get a synthetic ts so a click can target them. */
  id: string;
  /** Slack `ts`, `"seconds.micro"`, strictly increasing across the whole simulator. */
  ts: string;
  channel: string;
  /** Author: the bot's user id for everything the bot sends, or the user's id for `postAsUser`. */
  user: string;
  /** Set when the bot is the author. */
  botId: string | undefined;
  text: string;
  blocks: SimBlock[];
  /** Parent ts when this message is a thread reply. */
  threadTs: string | undefined;
  /** A thread reply also shown in the channel. */
  replyBroadcast: boolean;
  /** For a thread parent: the ts of its replies, in order. */
  replies: string[];
  /** The one user who sees this message, or undefined when the whole channel does. */
  ephemeralTo: string | undefined;
  /** How many times it was edited. */
  edits: number;
  /** Deleted by the bot (`chat.delete`, `delete_original`) or by a user (`deleteMessage`). */
  deleted: boolean;
  /** Earlier versions, oldest first. */
  history: MessageVersion[];
  source: MessageSource;
  /** Simulator clock (ms) at creation. */
  createdAtMs: number;
  /** Message metadata the bot attached (https://docs.slack.dev/messaging/message-metadata). */
  metadata?: SimMetadata;
  /** Files shared with this message (files.completeUploadExternal). */
  files?: { id: string; name: string; title: string }[];
}

export interface SimMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export type ChangeKind = 'message_added' | 'message_updated' | 'message_deleted';

/** Emitted as `'change'`: one message, as it is after the change. */
export interface ChangeEvent {
  /** 1, 2, 3… across the simulator's life (reset by `reset()`), so a client can detect gaps. */
  seq: number;
  kind: ChangeKind;
  message: SimMessage;
}

/** One request the bot made: a Web API method or a `response_url` POST. */
export interface SimCall {
  seq: number;
  kind: 'api' | 'response_url';
  /** Web API method (`chat.postMessage`), or `'response_url'`. */
  method: string;
  /** The arguments as parsed (form or JSON), without `token`. */
  args: Record<string, unknown>;
  /** HTTP status returned. */
  status: number;
  ok: boolean;
  /** Slack error code when `ok` is false. */
  error: string | undefined;
  atMs: number;
  /** For a `response_url` POST: the URL it went to, as the sim handed it out. */
  url?: string;
}

/** A Block Kit or text limit (docs/design.md, "Slack limits") that something the bot sent exceeded. */
export interface LimitViolation {
  /** The call that carried it (`chat.postMessage`, `response_url`, …). */
  method: string;
  channel: string | undefined;
  /** Stable rule name, e.g. `section_text`, `button_value`, `blocks_count`, `text_missing`. */
  rule: string;
  /** Where, e.g. `blocks[3].elements[1].value`. */
  path: string;
  limit: number;
  actual: number;
  /** True when the simulator also rejected the request, as Slack does. */
  rejected: boolean;
}

export interface SimChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  isArchived: boolean;
}

export interface SimUser {
  id: string;
  name: string;
  realName: string;
  tz: string;
  tzOffset: number;
  isBot: boolean;
}

/** Faults a channel can be put in for the bot's posting calls. */
export type ChannelFault = 'not_in_channel' | 'channel_not_found' | 'is_archived';

/** Everything the simulator holds, for a playground's first paint. */
export interface SlackSnapshot {
  channels: SimChannel[];
  messages: SimMessage[];
  seq: number;
}

/** Event map of `SlackSim.events`. */
/**
 * Slack failing at the HTTP level, for one Web API method or for `response_url` POSTs:
 * - `http-error`: Slack answers `status` (default 500) and does nothing;
 * - `reset`: the connection is dropped before Slack does anything;
 * - `lost-reply`: Slack does the work (the post lands) and then the connection drops, so the bot never
 *   hears that it did;
 * - `hang`: Slack answers only after `ms` (a slow or hung Slack), then normally.
 */
export type SlackOutage =
  | { kind: 'http-error'; status?: number }
  | { kind: 'reset' }
  | { kind: 'lost-reply' }
  | { kind: 'hang'; ms: number };

/** A Home tab as the bot last published it for one user (`views.publish`). */
export interface SimHomeView {
  type: string;
  blocks: SimBlock[];
  publishedAtMs: number;
}

export interface SlackSimEvents {
  change: [ChangeEvent];
  call: [SimCall];
  /** The bot published `userId`'s Home tab. */
  home: [{ userId: string; view: SimHomeView }];
}
