/**
 * What the listeners (src/slack/listeners.ts) tell the metrics about each command, click and Home open:
 * how fast it was acked, when its first answer went out, and how it ended, labelled by its kind (the
 * command's verb or the button's `action_id`) — never by who asked or where.
 */
import type { Metrics, RequestType } from '../metrics.js';
import { outcomeOf } from '../metrics-labels.js';
import { ACTION_PREFIX } from './ids.js';
import { parseCommandText } from './query.js';
import { type TrackFields, track } from './reply.js';
import type { Respond } from './respond.js';
import { findButton } from './routes.js';

/** A command's kind: what the parser makes of its text (`view`, `list`, `watch`, `export`, `help`), or `invalid`. */
export function commandKind(text: string | undefined): string {
  try {
    return parseCommandText(text ?? '').kind;
  } catch {
    return 'invalid';
  }
}

/**
 * A click's kind: its button's declared `action_id` without the `bulkjob_` prefix (`nav_next`, `share`,
 * `home_stop` for every `bulkjob_home_stop_<row>`), or `unknown` for one no route has.
 */
export function clickKind(actionId: string): string {
  const button = findButton(actionId);
  return button ? button.actionId.slice(ACTION_PREFIX.length) : 'unknown';
}

export interface RequestObservation {
  /** Call when `ack()` resolved. */
  acked(): void;
  /** The listener's `respond`, noting when the first answer went out. */
  respond(respond: Respond): Respond;
  respond(respond: Respond | undefined): Respond | undefined;
  /** `track` (src/slack/reply.ts), noting how the work ended and, when it answers elsewhere, when. */
  track: typeof track;
}

/**
 * Starts the clock for one request, when the listener receives it. Its time to view ends at the first
 * answer sent through `respond`, or, for work that answers elsewhere (a card posted in the channel, the
 * Home tab published), when that work is done.
 */
export function observeRequest(
  metrics: Metrics,
  type: RequestType,
  kind: string,
  now: () => number = performance.now.bind(performance),
): RequestObservation {
  const received = now();
  let answered = false;
  let responds = false;
  const answer = () => {
    if (answered) return;
    answered = true;
    metrics.answered(type, kind, now() - received);
  };
  return {
    acked: () => metrics.acked(type, now() - received),
    respond: ((respond: Respond | undefined) => {
      if (!respond) return undefined;
      responds = true;
      return async (message) => {
        await respond(message);
        answer();
      };
    }) as RequestObservation['respond'],
    track: (logger, fields, respond, work, clock) => track(logger, fields, respond, observed(work), clock),
  };

  /** The work as before (it still throws to `track`, which tells the user), with how it ended noted. */
  function observed(work: (fields: TrackFields) => Promise<void>): (fields: TrackFields) => Promise<void> {
    return async (fields) => {
      let failure: unknown;
      try {
        await work(fields);
      } catch (error) {
        failure = error ?? new Error('rejected without a reason');
        throw error;
      } finally {
        metrics.request(type, kind, outcomeOf(failure));
        // An error is answered by `track` through `respond`, after this; without one, this was the answer.
        if (failure === undefined || !responds) answer();
      }
    };
  }
}
