/**
 * Answering on a command's or a click's `response_url`, the only way to show or replace an ephemeral
 * message. Bolt's own `respond` posts once, with no time limit: a `response_url` that failed once with a
 * 500 lost the answer, and an expired one was reported as a bug. Here each attempt is bounded, Slack's
 * transient failures (5xx, 429, resets, timeouts) are retried a bounded number of times, and a URL that
 * has expired or is used up (404, 410) is expected: it is logged at info and, where there is a channel,
 * the answer goes out as a `chat.postEphemeral` instead (which can add, not replace).
 */
import type { RespondArguments } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { SlackApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { toSlackApiError } from './slack-api.js';

/** What handlers call to answer the user who asked. */
export type Respond = (message: RespondArguments) => Promise<void>;

export interface ResponderOptions {
  responseUrl: string | undefined;
  logger: Logger;
  /** For `chat.postEphemeral` when the URL cannot serve: the user and the channel they asked in. */
  fallback?: { client: WebClient; channelId: string; userId: string };
  /** Per attempt (default 4 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Backoff before each retry: short, the user is waiting. */
const BACKOFF_MS = [250, 1_000];

class ResponseUrlError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(`response_url answered ${status}${detail ? `: ${detail}` : ''}`);
    this.status = status;
  }
}

export function createResponder(options: ResponderOptions): Respond {
  const timeoutMs = options.timeoutMs ?? 4_000;
  const retries = options.retries ?? 2;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const post = async (url: string, message: RespondArguments): Promise<void> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new ResponseUrlError(response.status, text.slice(0, 100));
  };

  const fallBack = async (message: RespondArguments, why: string): Promise<void> => {
    const fallback = options.fallback;
    if (!fallback) throw new SlackApiError('response_url', 'refused', why);
    options.logger.info(
      { reason: why, channel: fallback.channelId },
      'response_url unusable; answering with chat.postEphemeral',
    );
    const { text, blocks } = message as { text?: unknown; blocks?: unknown };
    try {
      await fallback.client.chat.postEphemeral({
        channel: fallback.channelId,
        user: fallback.userId,
        text: typeof text === 'string' && text !== '' ? text : 'bulkjob',
        ...(Array.isArray(blocks) ? { blocks: blocks as never } : {}),
      });
    } catch (error) {
      throw toSlackApiError('chat.postEphemeral', error);
    }
  };

  return async (message) => {
    const url = options.responseUrl;
    if (!url) return fallBack(message, 'no_response_url');
    for (let attempt = 0; ; attempt++) {
      try {
        await post(url, message);
        return;
      } catch (error) {
        const status = error instanceof ResponseUrlError ? error.status : 0;
        // Expired (30 minutes), used up (5 answers), or never valid: expected, and retrying cannot help.
        if (status === 404 || status === 410) return fallBack(message, status === 410 ? 'gone' : 'expired_url');
        const transient = status === 0 || status === 429 || status >= 500;
        if (!transient) throw new SlackApiError('response_url', 'refused', `http_${status}`, { cause: error });
        if (attempt >= retries) {
          throw new SlackApiError('response_url', 'unreachable', status === 0 ? 'request_failed' : `http_${status}`, {
            cause: error,
          });
        }
        options.logger.debug({ attempt: attempt + 1, status }, 'response_url failed; retrying');
        await sleep(BACKOFF_MS[attempt] ?? BACKOFF_MS.at(-1)!);
      }
    }
  };
}

/** What a user whose request a stop cut off is told, instead of nothing. */
export const RESTARTING_TEXT = 'bulkjob is restarting — try again in a minute.';

/**
 * One answer per request: `respond` as the handler uses it, and `late`, which a stopping bot calls when the
 * request cannot finish in time. `late` tells the user that bulkjob is restarting unless they already had
 * an answer, and from then on the handler's own answers are dropped, so the user never sees both.
 */
export function answerOnce(respond: Respond): { respond: Respond; late: () => Promise<void> } {
  let state: 'open' | 'answered' | 'closed' = 'open';
  return {
    respond: async (message) => {
      if (state === 'closed') return;
      state = 'answered';
      await respond(message);
    },
    late: async () => {
      const wasOpen = state === 'open';
      state = 'closed';
      if (wasOpen) await respond({ response_type: 'ephemeral', replace_original: false, text: RESTARTING_TEXT });
    },
  };
}
