/**
 * The one path from an error to the user, and the one log line per command or click.
 */
import { BotError, InputError, NotAllowedError, userMessageFor } from '../errors.js';
import type { Logger } from '../logger.js';
import { renderError } from './blocks/error.js';
import type { Respond } from './respond.js';

/** Errors that are the user's or the upstream's, not a bug: logged at info/warn without a stack. */
function isExpected(error: unknown): boolean {
  return error instanceof InputError || error instanceof NotAllowedError;
}

/** Tell the user what went wrong, ephemerally. A failure to reply is logged, never thrown. */
export async function replyWithError(
  respond: Respond,
  error: unknown,
  logger: Logger,
  options: { replaceOriginal?: boolean } = {},
): Promise<void> {
  const message = renderError(userMessageFor(error));
  try {
    await respond({ response_type: 'ephemeral', replace_original: options.replaceOriginal ?? false, ...message });
  } catch (respondError) {
    logger.warn({ err: respondError }, 'could not send the error reply');
  }
}

export interface TrackFields {
  kind: 'command' | 'action' | 'home';
  user: string;
  channel: string | undefined;
  action?: string;
  job?: string;
}

/**
 * Run a listener's work after its ack, log one line with user, channel, job, outcome and duration,
 * and route any error to the user. Never rejects: the process must not fall over on bad input.
 */
export async function track(
  logger: Logger,
  fields: TrackFields,
  respond: Respond | undefined,
  work: (fields: TrackFields) => Promise<void>,
  now: () => number = performance.now.bind(performance),
): Promise<void> {
  const started = now();
  let outcome = 'ok';
  let level: 'info' | 'warn' = 'info';
  let reason: string | undefined;
  try {
    await work(fields);
  } catch (error) {
    if (error instanceof BotError) {
      // Expected (bad input, not allowed, an upstream refusal): the one line below says it, with no stack.
      outcome = error.code;
      if (!isExpected(error)) level = 'warn';
      reason = oneLine(error.message);
    } else {
      // A bug: its stack is what whoever fixes it needs.
      outcome = 'internal_error';
      level = 'warn';
      logger.error({ err: error, ...fields }, 'request failed');
    }
    if (respond) await replyWithError(respond, error, logger);
  } finally {
    const ms = Math.round((now() - started) * 10) / 10;
    logger[level]({ ...fields, outcome, ...(reason ? { reason } : {}), ms }, `${fields.kind} handled`);
  }
}

/** An error's message for a log line: one line, and short (upstream text can be long). */
function oneLine(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** Tell the user something short that is not an error (e.g. "already watched"), ephemerally. */
export async function respondNote(respond: Respond, outcome: { note?: string }): Promise<void> {
  if (outcome.note) await respond({ response_type: 'ephemeral', replace_original: false, text: outcome.note });
}
