/**
 * What each user and channel of the simulated workspace sees. Transport-free: the HTTP layer in
 * `slack.ts` calls these methods, tests and the playground read them. Every read returns copies, so a
 * caller can keep or serialize what it got without seeing later edits.
 */
import { EventEmitter } from 'node:events';
import type {
  ChangeEvent,
  ChangeKind,
  MessageSource,
  SimBlock,
  SimChannel,
  SimMessage,
  SimMetadata,
  SimUser,
  SlackSimEvents,
  SlackSnapshot,
} from './slack-types.js';

export interface NewMessage {
  channel: string;
  user: string;
  botId?: string | undefined;
  text: string;
  blocks: SimBlock[];
  threadTs?: string | undefined;
  replyBroadcast?: boolean;
  ephemeralTo?: string | undefined;
  source: MessageSource;
  metadata?: SimMetadata | undefined;
  files?: { id: string; name: string; title: string }[] | undefined;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

export class SlackState {
  /** `'change'` after every message added, edited or deleted; `'call'` after every request the bot made. */
  readonly events = new EventEmitter<SlackSimEvents>();
  readonly #now: () => number;
  /** Keyed by id (`channel/ts`); insertion order is ts order, since ts only grows. */
  readonly #messages = new Map<string, SimMessage>();
  readonly #channels = new Map<string, SimChannel>();
  readonly #users = new Map<string, SimUser>();
  #seq = 0;
  #lastMicros = 0;

  constructor(now: () => number) {
    this.#now = now;
    // A playground page may hold one SSE stream per tab; the default cap of 10 would only warn.
    this.events.setMaxListeners(0);
  }

  /** Forgets every message and channel setting; the sequence restarts at 1. */
  reset(): void {
    this.#messages.clear();
    this.#channels.clear();
    this.#users.clear();
    this.#seq = 0;
  }

  /**
   * A new `ts`: Slack's `"seconds.micro"` from the clock, bumped by a microsecond when the clock has not
   * moved (or went back), so ts are unique and ordered even under a frozen test clock.
   */
  nextTs(): string {
    const micros = Math.max(Math.floor(this.#now() * 1000), this.#lastMicros + 1);
    this.#lastMicros = micros;
    const seconds = Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  /** Creates or changes a channel (unknown channel ids are created on first use with a derived name). */
  setChannel(channel: Partial<SimChannel> & { id: string }): SimChannel {
    const next = { ...this.#channelRecord(channel.id), ...channel };
    this.#channels.set(channel.id, next);
    return copy(next);
  }

  channel(id: string): SimChannel {
    return copy(this.#channelRecord(id));
  }

  channels(): SimChannel[] {
    return [...this.#channels.values()].map(copy);
  }

  setUser(user: Partial<SimUser> & { id: string }): SimUser {
    const next = { ...this.user(user.id), ...user };
    this.#users.set(user.id, next);
    return copy(next);
  }

  user(id: string): SimUser {
    const known = this.#users.get(id);
    if (known) return copy(known);
    return { id, name: `user-${id.toLowerCase()}`, realName: `User ${id}`, tz: 'UTC', tzOffset: 0, isBot: false };
  }

  #channelRecord(id: string): SimChannel {
    let channel = this.#channels.get(id);
    if (!channel) {
      channel = { id, name: `channel-${id.toLowerCase()}`, isPrivate: id.startsWith('G'), isArchived: false };
      this.#channels.set(id, channel);
    }
    return channel;
  }

  /** Adds a message; a reply is linked to its parent. */
  add(input: NewMessage): SimMessage {
    this.#channelRecord(input.channel);
    const ts = this.nextTs();
    const message: SimMessage = {
      id: `${input.channel}/${ts}`,
      ts,
      channel: input.channel,
      user: input.user,
      botId: input.botId,
      text: input.text,
      blocks: copy(input.blocks),
      threadTs: input.threadTs,
      replyBroadcast: input.replyBroadcast ?? false,
      replies: [],
      ephemeralTo: input.ephemeralTo,
      edits: 0,
      deleted: false,
      history: [],
      source: input.source,
      createdAtMs: this.#now(),
      ...(input.metadata ? { metadata: copy(input.metadata) } : {}),
      ...(input.files ? { files: copy(input.files) } : {}),
    };
    this.#messages.set(message.id, message);
    if (input.threadTs !== undefined) {
      const parent = this.#messages.get(`${input.channel}/${input.threadTs}`);
      if (parent && !message.ephemeralTo) {
        parent.replies.push(ts);
        this.#emit('message_updated', parent);
      }
    }
    this.#emit('message_added', message);
    return copy(message);
  }

  /** Replaces text and blocks, keeping the old version in `history`. */
  edit(channel: string, ts: string, content: { text: string; blocks: SimBlock[] }): SimMessage | undefined {
    const message = this.#messages.get(`${channel}/${ts}`);
    if (!message || message.deleted) return undefined;
    message.history.push({ text: message.text, blocks: message.blocks, replacedAtMs: this.#now() });
    message.text = content.text;
    message.blocks = copy(content.blocks);
    message.edits += 1;
    this.#emit('message_updated', message);
    return copy(message);
  }

  /** Marks a message deleted (it stays in the store, so a test can still see what it was). */
  remove(channel: string, ts: string): SimMessage | undefined {
    const message = this.#messages.get(`${channel}/${ts}`);
    if (!message || message.deleted) return undefined;
    message.deleted = true;
    this.#emit('message_deleted', message);
    return copy(message);
  }

  #emit(kind: ChangeKind, message: SimMessage): void {
    const event: ChangeEvent = { seq: ++this.#seq, kind, message: copy(message) };
    this.events.emit('change', event);
  }

  // ---- reads ----

  /** Any message, deleted or ephemeral included. */
  message(channel: string, ts: string): SimMessage | undefined {
    const message = this.#messages.get(`${channel}/${ts}`);
    return message ? copy(message) : undefined;
  }

  /** The first message (in ts order, deleted included) that satisfies `predicate`. */
  findMessage(predicate: (message: SimMessage) => boolean): SimMessage | undefined {
    for (const message of this.#messages.values()) {
      if (predicate(message)) return copy(message);
    }
    return undefined;
  }

  /** Every message in ts order, deleted and ephemeral included. */
  allMessages(): SimMessage[] {
    return [...this.#messages.values()].map(copy);
  }

  /** What everyone sees in the channel's main view: public, not deleted, top level or broadcast replies. */
  channelMessages(channel: string): SimMessage[] {
    return this.#select((m) => m.channel === channel && !m.ephemeralTo && inMainView(m));
  }

  /** A thread's replies, oldest first; with `user`, that user's ephemeral replies too. */
  threadReplies(channel: string, ts: string, user?: string): SimMessage[] {
    return this.#select(
      (m) => m.channel === channel && m.threadTs === ts && (!m.ephemeralTo || m.ephemeralTo === user),
    );
  }

  /** Ephemeral messages shown to `user` in `channel` (main view and threads), not deleted. */
  ephemeralFor(user: string, channel: string): SimMessage[] {
    return this.#select((m) => m.channel === channel && m.ephemeralTo === user);
  }

  /** The channel's main view as `user` sees it: public and their own ephemeral messages, in order. */
  visibleTo(user: string, channel: string): SimMessage[] {
    return this.#select((m) => m.channel === channel && inMainView(m) && (!m.ephemeralTo || m.ephemeralTo === user));
  }

  #select(predicate: (message: SimMessage) => boolean): SimMessage[] {
    const out: SimMessage[] = [];
    for (const message of this.#messages.values()) {
      if (!message.deleted && predicate(message)) out.push(copy(message));
    }
    return out;
  }

  snapshot(): SlackSnapshot {
    return { channels: this.channels(), messages: this.allMessages(), seq: this.#seq };
  }
}

function inMainView(message: SimMessage): boolean {
  return message.threadTs === undefined || message.replyBroadcast;
}
