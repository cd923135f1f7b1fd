/**
 * Every failure the bot knows how to explain. Each class carries a stable snake_case `code` (for logs and
 * tests); `userMessageFor` turns any error into the one short line a Slack user sees, with the fix in it.
 */
import type { z } from 'zod';
import type { ApiMessage } from './cloudflare/schema.js';
import { maskEmails } from './personal-data.js';

/** How much of one upstream error message goes into our error (and so the logs): enough to diagnose. */
const UPSTREAM_DETAIL_MAX = 300;

export class BotError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Something the user typed (or a button value) that cannot be understood. `message` is shown verbatim. */
export class InputError extends BotError {
  constructor(message: string, code = 'bad_input') {
    super(code, message);
  }
}

/** The user or channel is not on the allow list, or the user may not write. */
export class NotAllowedError extends BotError {
  readonly reason: 'user' | 'channel' | 'write';
  constructor(reason: NotAllowedError['reason']) {
    super(`not_allowed_${reason}`, `not allowed (${reason})`);
    this.reason = reason;
  }
}

/** Where a Cloudflare request went: never the token, never the query values that could carry data. */
export interface RequestContext {
  method: string;
  path: string;
}

/** Cloudflare answered with an HTTP error (after any retries). */
export class CloudflareApiError extends BotError {
  readonly status: number;
  readonly errors: ApiMessage[];
  readonly request: RequestContext;
  /** Seconds Cloudflare asked us to wait (429 `retry-after`), when given. */
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, errors: ApiMessage[], request: RequestContext, retryAfterSeconds?: number) {
    const detail =
      errors
        .slice(0, 3)
        .map((e) => `${e.code} ${truncateText(maskEmails(e.message), UPSTREAM_DETAIL_MAX)}`)
        .join('; ') || 'no error detail';
    super(codeForStatus(status), `Cloudflare ${request.method} ${request.path} → ${status}: ${detail}`);
    this.status = status;
    this.errors = errors;
    this.request = request;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

function codeForStatus(status: number): string {
  if (status === 401 || status === 403) return 'cloudflare_forbidden';
  if (status === 404) return 'cloudflare_not_found';
  if (status === 429) return 'cloudflare_rate_limited';
  if (status >= 500) return 'cloudflare_unavailable';
  return 'cloudflare_rejected';
}

/** The request never got an HTTP answer: refused, reset, timed out, DNS. */
export class CloudflareNetworkError extends BotError {
  readonly request: RequestContext;
  constructor(request: RequestContext, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('cloudflare_unreachable', `Cloudflare ${request.method} ${request.path} failed: ${why}`, { cause });
    this.request = request;
  }
}

/** A user's read took longer than they should wait (retries included); it may still be answered later. */
export class CloudflareSlowError extends BotError {
  readonly request: RequestContext;
  readonly waitedMs: number;
  constructor(request: RequestContext, waitedMs: number) {
    super('cloudflare_slow', `Cloudflare ${request.method} ${request.path} did not answer within ${waitedMs} ms`);
    this.request = request;
    this.waitedMs = waitedMs;
  }
}

/** The request worked but the answer did not match the schema (not JSON, or the wrong shape). */
export class CloudflareSchemaError extends BotError {
  readonly request: RequestContext;
  readonly issues: z.core.$ZodIssue[];
  constructor(request: RequestContext, issues: z.core.$ZodIssue[], detail?: string) {
    const summary =
      detail ??
      issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
    super(
      'cloudflare_bad_response',
      `Cloudflare ${request.method} ${request.path} sent an unexpected answer: ${summary}`,
    );
    this.request = request;
    this.issues = issues;
  }
}

/** The server returned the same page twice while we paged: stop rather than loop. */
export class CloudflarePagingError extends BotError {
  readonly request: RequestContext;
  constructor(request: RequestContext, page: number) {
    super('cloudflare_paging_loop', `Cloudflare ${request.method} ${request.path} returned page ${page} twice`);
    this.request = request;
  }
}

/** The bot's own Cloudflare budget cannot serve this request soon enough. */
export class BudgetExhaustedError extends BotError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('budget_exhausted', `Cloudflare request budget exhausted; next slot in ${retryAfterSeconds}s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * One Slack user has used their fair share of the bot's Cloudflare budget in this window: they wait, the
 * rest of the team is still served (a runaway script must not lock everyone out).
 */
export class UserShareExhaustedError extends BotError {
  readonly retryAfterSeconds: number;
  /** Requests one user may make per window. */
  readonly share: number;
  constructor(retryAfterSeconds: number, share: number) {
    super(
      'budget_user_share',
      `this user's Cloudflare budget share (${share}) is used up; next slot in ${retryAfterSeconds}s`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
    this.share = share;
  }
}

/**
 * Cloudflare itself is holding the account back: a 429 paused every replica (`paused`), or its own
 * `Ratelimit` header says the account's quota, shared with the dashboard and other tools, is nearly gone
 * (`quota_low`). Nothing bulkjob's budget can do about it but wait.
 */
export class AccountRateLimitedError extends BotError {
  readonly retryAfterSeconds: number;
  readonly reason: 'paused' | 'quota_low';
  constructor(retryAfterSeconds: number, reason: AccountRateLimitedError['reason']) {
    super(
      'cloudflare_account_limited',
      `Cloudflare is rate limiting the account (${reason}); retry in ${retryAfterSeconds}s`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
    this.reason = reason;
  }
}

/**
 * How a Slack Web API call failed, decided once where the call is made (src/slack/slack-api.ts):
 * `refused` — Slack answered `ok: false` (nothing happened); `rate_limited` — Slack answered 429 (nothing
 * happened; wait `retryAfterSeconds`); `unreachable` — no usable answer (timeout, reset, HTTP 5xx), so the
 * call may or may not have taken effect.
 */
export type SlackFailure = 'refused' | 'rate_limited' | 'unreachable';

/** Slack errors that mean a message can never be edited again (deleted, or the bot lost the channel). */
const MESSAGE_GONE_ERRORS: ReadonlySet<string> = new Set([
  'message_not_found',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'cant_update_message',
]);

/** A Slack Web API call that failed, classified (see `SlackFailure`). */
export class SlackApiError extends BotError {
  readonly method: string;
  /** Slack's error string (`not_in_channel`), `ratelimited`, or `http_503` / `request_failed` without an answer. */
  readonly slackError: string;
  readonly failure: SlackFailure;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    method: string,
    failure: SlackFailure,
    slackError: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(`slack_${slackError}`, `Slack ${method} failed: ${slackError}`, { cause: options.cause });
    this.method = method;
    this.failure = failure;
    this.slackError = slackError;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Slack answered, so the call did nothing: trying again cannot make a duplicate. */
  get answered(): boolean {
    return this.failure !== 'unreachable';
  }

  /** The message this call was about can never be edited again. */
  get messageGone(): boolean {
    return this.failure === 'refused' && MESSAGE_GONE_ERRORS.has(this.slackError);
  }
}

export const EXAMPLE_JOB_ID = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
const DASHBOARD = 'Cloudflare One → Email security → Investigation';

function formatWait(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return 'in a minute';
  if (seconds < 90) return `in ${Math.ceil(seconds)} seconds`;
  return `in ${Math.ceil(seconds / 60)} minutes`;
}

/**
 * The one line a user sees for an error: short, and saying what to do. Texts that include user input
 * must be escaped by the caller before they reach here (InputError messages are built escaped).
 */
export function userMessageFor(error: unknown): string {
  if (error instanceof InputError) return error.message;
  if (error instanceof NotAllowedError) {
    switch (error.reason) {
      case 'user':
        return 'You are not on bulkjob’s list of users yet. Ask your bulkjob admin to add you.';
      case 'channel':
        return 'bulkjob does not answer in this channel. Use it in your team’s incident channel, or ask your bulkjob admin to add this one.';
      case 'write':
        return `You do not have cancel rights in bulkjob. Ask your bulkjob admin for them, or cancel the job in ${DASHBOARD}.`;
    }
  }
  if (error instanceof CloudflareApiError) {
    const codes = new Set(error.errors.map((e) => e.code));
    if (error.status === 404 || codes.has(7003)) {
      return `Cloudflare has no such job in this account. Check the job ID, or run \`/bulkjob list\` to see recent jobs.`;
    }
    if (error.status === 401 || error.status === 403) {
      const permission = error.request.method === 'POST' ? 'Cloud Email Security: Write' : 'Cloud Email Security: Read';
      return `Cloudflare refused bulkjob’s API token. Ask your bulkjob admin to give it the *${permission}* permission for this account.`;
    }
    if (error.status === 429) {
      return `Cloudflare is rate limiting this account. Try again ${formatWait(error.retryAfterSeconds)}.`;
    }
    if (error.status >= 500) {
      return `Cloudflare is having trouble right now. Try again in a minute, or check ${DASHBOARD}.`;
    }
    const first = error.errors[0];
    return first
      ? `Cloudflare refused: ${escapeMrkdwn(truncateText(maskEmails(first.message), 300))}.`
      : `Cloudflare refused the request. Check the job in ${DASHBOARD}.`;
  }
  if (error instanceof CloudflareSlowError) {
    return `Cloudflare is slow to answer right now. Try again in a minute, or check ${DASHBOARD}.`;
  }
  if (error instanceof CloudflareNetworkError) {
    return `Cloudflare could not be reached. Try again in a minute; if it persists, check the bot's network access.`;
  }
  if (error instanceof CloudflareSchemaError || error instanceof CloudflarePagingError) {
    return `Cloudflare sent an answer bulkjob could not read. Try again; if it persists, check the job in ${DASHBOARD}.`;
  }
  if (error instanceof UserShareExhaustedError) {
    return `You have used your share of bulkjob's Cloudflare requests for now (${error.share} per 5 minutes, so the rest of your team is still served). Try again ${formatWait(error.retryAfterSeconds)}.`;
  }
  if (error instanceof AccountRateLimitedError) {
    return `Cloudflare is rate limiting this account (its requests are shared with the dashboard and other tools). Try again ${formatWait(error.retryAfterSeconds)}.`;
  }
  if (error instanceof BudgetExhaustedError) {
    return `bulkjob is pacing its Cloudflare requests to protect your team's rate limit. Try again ${formatWait(error.retryAfterSeconds)}.`;
  }
  if (error instanceof SlackApiError && error.failure !== 'unreachable' && isFileMethod(error.method)) {
    if (error.slackError === 'missing_scope') {
      return 'bulkjob cannot send you files yet: ask your bulkjob admin to add the *files:write* and *im:write* scopes (they are in manifest.yml) and reinstall the app.';
    }
    if (error.slackError === 'file_too_large' || error.slackError === 'http_413') {
      return 'The CSV is larger than Slack accepts. Export one status at a time, e.g. `/bulkjob export &lt;job&gt; failed`.';
    }
    if (
      ['not_allowed', 'restricted_action', 'not_allowed_token_type', 'file_uploads_disabled'].includes(error.slackError)
    ) {
      return `Slack does not let bulkjob send you the file (${escapeMrkdwn(error.slackError)}): your workspace may restrict file uploads or apps' direct messages. Ask your Slack admin.`;
    }
    return `Slack refused the file (${escapeMrkdwn(error.slackError)}). Try again; if it keeps happening, tell your bulkjob admin.`;
  }
  if (error instanceof SlackApiError && error.failure !== 'unreachable') {
    if (error.slackError === 'not_in_channel' || error.slackError === 'channel_not_found') {
      return 'bulkjob cannot post in this channel. Invite it with `/invite @bulkjob` (private channels need an invite), or use a public channel.';
    }
    if (error.slackError === 'is_archived') return 'This channel is archived; share to another channel.';
    if (error.failure === 'rate_limited')
      return 'Slack is rate limiting bulkjob in this channel. Try again in a minute.';
    return `Slack refused the post (${escapeMrkdwn(error.slackError)}). Try again.`;
  }
  if (error instanceof SlackApiError) {
    // Slack did not answer (5xx, reset, timeout): its trouble, not ours, and a post may have landed anyway.
    return error.method === 'chat.postMessage'
      ? 'Slack did not confirm the post, so it may or may not be in the channel. Look there before trying again; Slack may be having trouble (https://slack-status.com).'
      : 'Slack is having trouble right now and did not answer bulkjob. Try again in a minute (https://slack-status.com).';
  }
  const name = (error as { name?: unknown })?.name;
  if (error instanceof BotError && error.code === 'store_lock_busy') {
    return 'Another bulkjob instance is still working on this job in this channel. Try again in a moment.';
  }
  if (error instanceof BotError && error.code === 'store_unavailable') {
    return 'bulkjob cannot reach its database right now, so cards and watches cannot be saved; viewing jobs still works. Try again in a minute.';
  }
  if ((error instanceof BotError && error.code.startsWith('store_')) || name === 'SqliteError') {
    return 'bulkjob could not save this in its database (busy or unavailable). Try again; if it keeps happening, tell the bot’s admin.';
  }
  return 'Something went wrong in bulkjob. Try again; if it keeps happening, tell the bot’s admin.';
}

/** The calls of the CSV export's delivery: the DM and Slack's upload flow. */
function isFileMethod(method: string): boolean {
  return method === 'conversations.open' || method.startsWith('files.') || method === 'file upload';
}

/** Cut upstream text to `max` characters for a one-line message. */
function truncateText(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * Escape text for Slack mrkdwn: `&`, `<` and `>` are the only control characters
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping). This is what keeps a typed
 * `<!channel>` from pinging anyone.
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
