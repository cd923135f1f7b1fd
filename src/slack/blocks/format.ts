/**
 * Small text helpers shared by the Block Kit formatters (and reusable by the app): status emoji, Slack date
 * tokens, progress bars, compact durations, and escaping that is safe to truncate.
 *
 * Lengths are measured in UTF-16 code units (`string.length`), which is never less than the character count
 * Slack enforces, so a text that fits here fits there.
 */

import { escapeMrkdwn } from '../../errors.js';

const ELLIPSIS = '…';

const STATUS_EMOJI: Readonly<Record<string, string>> = {
  PENDING: ':hourglass_flowing_sand:',
  DISCOVERING: ':mag:',
  PROCESSING: ':arrows_counterclockwise:',
  COMPLETED: ':white_check_mark:',
  FAILED: ':x:',
  CANCELLED: ':no_entry_sign:',
  SKIPPED: ':fast_forward:',
};

/** The emoji code for a job or message status; `:grey_question:` for a status Cloudflare added after us. */
export function statusEmoji(status: string): string {
  return Object.hasOwn(STATUS_EMOJI, status) ? STATUS_EMOJI[status]! : ':grey_question:';
}

/**
 * Cut `text` to at most `max` UTF-16 code units, ending with '…' when cut. Never splits a surrogate pair
 * (an emoji, say): it cuts at a code-point boundary.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  if (max === 1) return ELLIPSIS;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - ELLIPSIS.length) break;
    out += char;
  }
  return out + ELLIPSIS;
}

/**
 * Escape `raw` for mrkdwn (`&`, `<`, `>`) and fit the result into `max` code units. The cut is made on the raw
 * text, one code point at a time, so an entity such as `&amp;` is never split (a split entity would show
 * as `&am` or, worse, leave a bare `&`).
 */
export function escapeAndTruncate(raw: string, max: number): string {
  const escaped = escapeMrkdwn(raw);
  if (escaped.length <= max) return escaped;
  if (max <= 0) return '';
  let out = '';
  for (const char of raw) {
    const piece = escapeMrkdwn(char);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** Escaped one-line text: newlines and runs of whitespace become one space (for list rows and labels). */
export function escapeOneLine(raw: string, max: number): string {
  return escapeAndTruncate(raw.replace(/\s+/g, ' ').trim(), max);
}

/** A status as shown in mrkdwn: emoji plus the status itself (escaped, because an unknown one is upstream text). */
export function formatStatus(status: string): string {
  return `${statusEmoji(status)} ${escapeOneLine(status, 60)}`;
}

export { maskEmails } from '../../personal-data.js';

function parseTime(value: string | Date | null | undefined): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `2026-03-01T12:00:00Z`: ISO 8601 without milliseconds, for fallbacks and plain-text contexts. */
export function formatIsoTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * A Slack date token, `<!date^UNIX^{date_short_pretty} {time}|fallback>`, which Slack renders in each viewer's
 * own time zone (https://docs.slack.dev/messaging/formatting-message-text#date-formatting). `—` for a missing
 * time; an unparseable upstream value is shown escaped, as-is.
 */
export function formatSlackDate(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = parseTime(value);
  if (date === undefined) return escapeOneLine(String(value), 60);
  const unix = Math.floor(date.getTime() / 1000);
  return `<!date^${unix}^{date_short_pretty} {time}|${formatIsoTime(date)}>`;
}

/**
 * When a view or card was read, to the second, in each viewer's time zone: `as of 10:42:17`. Every view and
 * card carries one, so a Refresh visibly does something.
 */
export function formatAsOf(date: Date, lead = 'as of'): string {
  const unix = Math.floor(date.getTime() / 1000);
  return `${lead} <!date^${unix}^{time_secs}|${formatIsoTime(date)}>`;
}

/**
 * A compact duration with at most two units: `45s`, `4m 5s`, `1h 4m`, `2d 3h`. Negative spans (clock skew
 * between Cloudflare and us) show as `0s`.
 */
export function formatDurationCompact(milliseconds: number): string {
  const total = Number.isFinite(milliseconds) ? Math.max(0, Math.floor(milliseconds / 1000)) : 0;
  const units: Array<[string, number]> = [
    ['d', Math.floor(total / 86_400)],
    ['h', Math.floor(total / 3600) % 24],
    ['m', Math.floor(total / 60) % 60],
    ['s', total % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  if (first === -1) return '0s';
  return units
    .slice(first, first + 2)
    .filter(([, n]) => n > 0)
    .map(([unit, n]) => `${n}${unit}`)
    .join(' ');
}

/** Milliseconds between two upstream times, or undefined when either is missing or unparseable. */
export function measureSpan(
  from: string | Date | null | undefined,
  to: string | Date | null | undefined,
): number | undefined {
  const start = parseTime(from);
  const end = parseTime(to);
  if (start === undefined || end === undefined) return undefined;
  return end.getTime() - start.getTime();
}

/** The epoch milliseconds of an upstream time, or undefined (for sorting defensively). */
export function parseTimeMs(value: string | null | undefined): number | undefined {
  return parseTime(value)?.getTime();
}

const BAR_CELLS = 10;

/**
 * How much of a job is done, 0–100, rounded down so a job is never shown as 100% before it is. `done` above
 * `total` (counts read at different moments) is clamped; a total of 0 is 0%.
 */
export function computePercent(done: number, total: number): number {
  if (!(total > 0) || !(done > 0)) return 0;
  if (done >= total) return 100;
  return Math.floor((done / total) * 100);
}

/** A text progress bar: `▓▓▓▓▓▓░░░░ 62%`. */
export function progressBar(done: number, total: number): string {
  const percent = computePercent(done, total);
  const filled = Math.floor((percent / 100) * BAR_CELLS);
  return `${'▓'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)} ${percent}%`;
}

/** `12,345`. Non-finite counts (never expected) show as `?` rather than `NaN`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : '?';
}

/** `1 retry`, `2 retries`: a count with its noun, singular or plural. */
export function pluralize(n: number, word: string, plural = `${word}s`): string {
  return `${formatCount(n)} ${n === 1 ? word : plural}`;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,40}$/;

/** A user mention `<@U…>` when `id` is a Slack user id; anything else is shown escaped, never as markup. */
export function formatUser(id: string): string {
  return SLACK_USER_ID.test(id) ? `<@${id}>` : escapeOneLine(id, 60);
}

function readString(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * The raw (unescaped) description of an action: `MOVE → DeletedItems`, `RELEASE`. Reads `action_params`
 * defensively, since its shape is beta and may be anything.
 */
export function describeActionRaw(actionType: unknown, actionParams: unknown): string {
  const type = typeof actionType === 'string' && actionType.trim() !== '' ? actionType : 'UNKNOWN';
  const destination = readString(actionParams, 'destination');
  return destination === undefined ? type : `${type} → ${destination}`;
}

/** The recipient of a message (personal data: only for the ephemeral view), when present. */
export function readRecipient(actionParams: unknown): string | undefined {
  return readString(actionParams, 'client_recipient');
}

/**
 * Fit text that is already mrkdwn (escaped by whoever built it, and possibly holding `<@U…>` or
 * `<!date…>` markup) into `max` code units without leaving half an entity or half a `<…>` token behind.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = truncate(text, max).slice(0, -ELLIPSIS.length);
  const openEntity = cut.lastIndexOf('&');
  if (openEntity > cut.lastIndexOf(';')) cut = cut.slice(0, openEntity);
  const openToken = cut.lastIndexOf('<');
  if (openToken > cut.lastIndexOf('>')) cut = cut.slice(0, openToken);
  return cut + ELLIPSIS;
}
