/**
 * Label values for the metrics (src/metrics.ts), each from a small set the code owns: never free text,
 * never an id of a user, channel, team or job.
 */
import {
  BotError,
  BudgetExhaustedError,
  CloudflareApiError,
  CloudflareNetworkError,
  CloudflarePagingError,
  CloudflareSchemaError,
  CloudflareSlowError,
  InputError,
  NotAllowedError,
  SlackApiError,
} from './errors.js';

/**
 * How a request ended: `ok`; `refused` (not on an allow list, or no cancel rights); `user_error` (bad input,
 * an old button, a job Cloudflare does not have); `upstream_error` (Cloudflare or Slack failed, or the
 * budget is spent); `error` (anything else: a bug, the store).
 */
export type Outcome = 'ok' | 'refused' | 'user_error' | 'upstream_error' | 'error';

/** The outcome of a request that threw `error` (undefined: it did not). */
export function outcomeOf(error: unknown): Outcome {
  if (error === undefined) return 'ok';
  if (error instanceof NotAllowedError) return 'refused';
  if (error instanceof InputError) return 'user_error';
  // A mistyped job id is the user's, not Cloudflare's trouble: an alert on upstream errors must not fire on it.
  if (error instanceof CloudflareApiError && error.status === 404) return 'user_error';
  if (
    error instanceof CloudflareApiError ||
    error instanceof CloudflareNetworkError ||
    error instanceof CloudflareSlowError ||
    error instanceof CloudflareSchemaError ||
    error instanceof CloudflarePagingError ||
    error instanceof BudgetExhaustedError ||
    error instanceof SlackApiError
  ) {
    return 'upstream_error';
  }
  return 'error';
}

/** An export's outcome: as `outcomeOf`, with Stop export (`export_stopped`) on its own. */
export function exportOutcomeOf(error: unknown): Outcome | 'stopped' {
  if (error instanceof BotError && error.code === 'export_stopped') return 'stopped';
  return outcomeOf(error);
}

const UUID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The endpoint template of a request under `…/email-security/investigate/bulk`, from the path after it:
 * `` → `jobs`, `/{id}` → `job`, `/{id}/messages` → `messages`, `/{id}/cancel` → `cancel`; anything else
 * `other`. The job id itself never leaves here.
 */
export function cloudflareEndpoint(suffix: string): string {
  const parts = suffix.split('/').filter((part) => part !== '');
  if (parts.length === 0) return 'jobs';
  const [id, action] = parts;
  if (id === undefined || !UUID_SEGMENT.test(decodeURIComponent(id)) || parts.length > 2) return 'other';
  if (action === undefined) return 'job';
  return action === 'messages' || action === 'cancel' ? action : 'other';
}

/**
 * A label value as it is, when it has the shape of one of ours (`nav_next`, `chat.postMessage`,
 * `not_in_channel`); else `other`. A guard, so that a value that is not ours can never grow the series.
 */
export function safeLabel(value: string): string {
  return /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(value) ? value : 'other';
}
