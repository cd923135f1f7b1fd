/**
 * The bot's only calls that post or edit channel messages. Every failure leaves here as a `SlackApiError`
 * that says whether Slack answered (nothing happened), asked us to wait, or could not be reached (it may
 * have happened), so callers never read the Web API client's error shapes themselves.
 */
import type { WebClient } from '@slack/web-api';
import { SlackApiError } from '../errors.js';
import type { SlackMessage } from './blocks/types.js';

/** Classify a WebClient failure; anything that is not one (a bug of ours) is returned unchanged. */
export function toSlackApiError(method: string, error: unknown): unknown {
  if (error instanceof SlackApiError) return error;
  const e = error as { code?: unknown; data?: { error?: unknown }; retryAfter?: unknown; statusCode?: unknown };
  switch (e?.code) {
    case 'slack_webapi_platform_error': {
      const slackError = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
      return new SlackApiError(method, 'refused', slackError, { cause: error });
    }
    case 'slack_webapi_rate_limited_error': {
      const retryAfterSeconds = typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
      return new SlackApiError(method, 'rate_limited', 'ratelimited', {
        cause: error,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    case 'slack_webapi_http_error':
      return new SlackApiError(method, 'unreachable', `http_${Number(e.statusCode) || 0}`, { cause: error });
    case 'slack_webapi_request_error':
      return new SlackApiError(method, 'unreachable', 'request_failed', { cause: error });
    default:
      return error;
  }
}

/** What a post carries to be found again: a kind (`bulkjob_card`, `bulkjob_notice`) and a unique key. */
export interface MessageTag {
  type: 'bulkjob_card' | 'bulkjob_notice';
  key: string;
}

export class SlackMessages {
  readonly #post: WebClient;
  readonly #edit: WebClient;

  /** `post` must not retry on its own (a lost answer would become a second message); `edit` may. */
  constructor(clients: { post: WebClient; edit: WebClient }) {
    this.#post = clients.post;
    this.#edit = clients.edit;
  }

  /**
   * `chat.postMessage`, in a thread when `threadTs` is given; returns the new message's ts. `tag` goes out
   * as message metadata, so that a post whose answer was lost can be found again (`findTagged`).
   */
  async post(channel: string, message: SlackMessage, threadTs?: string, tag?: MessageTag): Promise<string> {
    let ts: string | undefined;
    try {
      const result = await this.#post.chat.postMessage({
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(tag ? { metadata: { event_type: tag.type, event_payload: { key: tag.key } } } : {}),
        text: message.text,
        blocks: message.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
      });
      ts = result.ts;
    } catch (error) {
      throw toSlackApiError('chat.postMessage', error);
    }
    // ok without a ts: the post may exist, but we cannot point at it.
    if (!ts) throw new SlackApiError('chat.postMessage', 'unreachable', 'no_ts');
    return ts;
  }

  /**
   * The ts of the bot's message tagged `tag`, in the thread of `threadTs` (conversations.replies) or among
   * the channel's latest 50 messages (conversations.history); undefined when there is none. Needs the
   * history scopes: without them this throws SlackApiError `missing_scope`, and the caller must assume
   * nothing.
   */
  async findTagged(channel: string, tag: MessageTag, threadTs?: string): Promise<string | undefined> {
    let messages: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }[];
    try {
      const result = threadTs
        ? await this.#edit.conversations.replies({ channel, ts: threadTs, include_all_metadata: true, limit: 200 })
        : await this.#edit.conversations.history({ channel, include_all_metadata: true, limit: 50 });
      messages = (result.messages ?? []) as typeof messages;
    } catch (error) {
      throw toSlackApiError(threadTs ? 'conversations.replies' : 'conversations.history', error);
    }
    const found = messages.find(
      (m) => m.metadata?.event_type === tag.type && m.metadata.event_payload?.key === tag.key && m.ts,
    );
    return found?.ts;
  }

  /** `chat.update`: replace a message's text and blocks. */
  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    try {
      await this.#edit.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never });
    } catch (error) {
      throw toSlackApiError('chat.update', error);
    }
  }
}
