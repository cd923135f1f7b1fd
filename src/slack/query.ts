/**
 * One `JobQuery` for everything a user can ask: parsed from `/bulkjob` command text, and carried in button
 * values (Slack gives them back to us on click, so they are user input too and go through the same schema).
 */
import { z } from 'zod';
import { IdSchema, KNOWN_STATUSES } from '../cloudflare/schema.js';
import { EXAMPLE_JOB_ID, escapeMrkdwn, InputError } from '../errors.js';
import { INVISIBLE } from '../personal-data.js';
import type { Codec } from './button.js';

/** Filters a user may ask for: the statuses Cloudflare's schema lists. */
export const StatusFilterSchema = z.enum(KNOWN_STATUSES);
export type StatusFilter = z.infer<typeof StatusFilterSchema>;

/** Highest page we let a query ask for: 100,000 messages at 10 a page, with room to spare. */
const MAX_PAGE = 100_000;
const PageSchema = z.number().int().min(1).max(MAX_PAGE);

export const JobQuerySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('help') }),
  z.strictObject({
    kind: z.literal('view'),
    jobId: IdSchema,
    status: StatusFilterSchema.optional(),
    page: PageSchema,
    /** The list page the view was opened from, for "◀ Back to list". */
    back: z.strictObject({ status: StatusFilterSchema.optional(), page: PageSchema }).optional(),
  }),
  z.strictObject({ kind: z.literal('list'), status: StatusFilterSchema.optional(), page: PageSchema }),
  z.strictObject({ kind: z.literal('watch'), jobId: IdSchema }),
  z.strictObject({ kind: z.literal('export'), jobId: IdSchema, status: StatusFilterSchema.optional() }),
]);
export type JobQuery = z.infer<typeof JobQuerySchema>;
export type ViewQuery = Extract<JobQuery, { kind: 'view' }>;
export type ListQuery = Extract<JobQuery, { kind: 'list' }>;
export type WatchQuery = Extract<JobQuery, { kind: 'watch' }>;
export type ExportQuery = Extract<JobQuery, { kind: 'export' }>;

const UUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** How much of a user's bad input we echo back: enough to recognise it, never a wall of text. */
const ECHO_LIMIT = 80;

/** Echo user text back safely: trimmed, shortened, escaped, in code formatting. */
export function echo(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const short = oneLine.length > ECHO_LIMIT ? `${oneLine.slice(0, ECHO_LIMIT - 1)}…` : oneLine;
  // Backticks would end the code span early; a lookalike keeps the echo readable.
  return `\`${escapeMrkdwn(short).replaceAll('`', 'ˋ')}\``;
}

export const VALID_STATUS_WORDS = KNOWN_STATUSES.map((s) => s.toLowerCase());

function parseStatus(word: string): StatusFilter {
  const upper = word.toUpperCase();
  const parsed = StatusFilterSchema.safeParse(upper);
  if (parsed.success) return parsed.data;
  throw new InputError(
    `${echo(word)} is not a status. Use one of: ${VALID_STATUS_WORDS.join(', ')} (e.g. \`/bulkjob ${EXAMPLE_JOB_ID} failed\`).`,
    'bad_status',
  );
}

/**
 * Find the one job id in `text` (a bare UUID, or a pasted URL or sentence containing one). Slack wraps
 * links as `<url|label>`, which can repeat the id: the same id twice still counts as one.
 */
export function extractJobId(text: string): string {
  const ids = new Set((text.match(UUID_PATTERN) ?? []).map((id) => id.toLowerCase()));
  if (ids.size === 1) return [...ids][0]!;
  if (ids.size > 1) {
    throw new InputError(`That text contains ${ids.size} job IDs; give one job at a time.`, 'bad_job_id');
  }
  throw new InputError(
    `${echo(text)} is not a job ID; a job ID looks like ${EXAMPLE_JOB_ID}. Run \`/bulkjob list\` to see recent jobs.`,
    'bad_job_id',
  );
}

/**
 * Characters that show as nothing: zero-width spaces and joiners, word joiner, BOM, soft hyphen, and the
 * bidi controls. Pasted from chat or a ticket, they would hide a word boundary (`<job>\u200bfailed` read as
 * one word, dropping the filter) or disguise a keyword; each becomes a space.
 */
const INVISIBLE_CHAR = new RegExp(`[${INVISIBLE}]`, 'g');

export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE_CHAR, ' ');
}

/**
 * Parse the text after `/bulkjob`. Keywords are case-insensitive. Grammar (docs/design.md, "What users see"):
 * `` | `help` | `list [status]` | `watch <job>` | `export <job> [status]` | `<job> [status]`. Invisible
 * characters count as spaces,
 * and a word the grammar has no place for is an error, never ignored.
 */
export function parseCommandText(raw: string): JobQuery {
  const text = stripInvisible(raw).trim();
  const words = text.split(/\s+/).filter(Boolean);
  const first = words[0]?.toLowerCase();
  if (first === undefined || first === 'help' || first === '?') {
    if (words.length > 1) throw new InputError(`Usage: \`/bulkjob help\` (nothing after it).`, 'bad_input');
    return { kind: 'help' };
  }
  if (first === 'list') {
    if (words.length > 2) throw new InputError('Usage: `/bulkjob list [status]`, e.g. `/bulkjob list processing`.');
    const status = words[1] === undefined ? undefined : parseStatus(words[1]);
    return status === undefined ? { kind: 'list', page: 1 } : { kind: 'list', status, page: 1 };
  }
  if (first === 'watch') {
    const rest = text.slice(words[0]!.length).trim();
    if (!rest)
      throw new InputError(`Usage: \`/bulkjob watch &lt;job ID&gt;\`, e.g. \`/bulkjob watch ${EXAMPLE_JOB_ID}\`.`);
    const after = wordsAfterJob(words.slice(1));
    if (after.length > 0) {
      throw new InputError(
        `${echo(after.join(' '))} has no place after the job. Usage: \`/bulkjob watch &lt;job ID&gt;\`.`,
        'bad_input',
      );
    }
    return { kind: 'watch', jobId: extractJobId(rest) };
  }
  if (first === 'export') {
    if (words.length < 2) {
      throw new InputError(
        `Usage: \`/bulkjob export &lt;job ID&gt; [status]\`, e.g. \`/bulkjob export ${EXAMPLE_JOB_ID} failed\`.`,
      );
    }
    const { jobId, status } = parseJobAndStatus(text.slice(words[0]!.length).trim(), words.slice(1));
    return status === undefined ? { kind: 'export', jobId } : { kind: 'export', jobId, status };
  }
  const { jobId, status } = parseJobAndStatus(text, words);
  return status === undefined ? { kind: 'view', jobId, page: 1 } : { kind: 'view', jobId, status, page: 1 };
}

/**
 * `<job> [status]`: the job is whatever holds the id (a pasted URL or sentence may come before it); after
 * the last word holding an id, at most one word, the status.
 */
function parseJobAndStatus(text: string, words: string[]): { jobId: string; status: StatusFilter | undefined } {
  const after = wordsAfterJob(words);
  if (after.length > 1) {
    throw new InputError(
      `${echo(after.join(' '))}: give at most one status after the job, e.g. \`/bulkjob ${EXAMPLE_JOB_ID} failed\`.`,
      'bad_status',
    );
  }
  const jobText = after.length === 1 ? text.slice(0, text.length - after[0]!.length).trim() : text;
  const jobId = extractJobId(jobText);
  return { jobId, status: after.length === 1 ? parseStatus(after[0]!) : undefined };
}

/** The words after the last one that holds a job id; none when no word holds one (the id is then missing). */
function wordsAfterJob(words: string[]): string[] {
  const hasId = (word: string) => new RegExp(UUID_PATTERN.source, 'i').test(word);
  const last = words.findLastIndex(hasId);
  return last === -1 ? [] : words.slice(last + 1);
}

/** Encode a query for a button `value` (≤ 2000 characters; ours are under 120). */
export function encodeQuery(query: JobQuery): string {
  return JSON.stringify(query);
}

function olderVersion(): InputError {
  return new InputError('That button is from an older version of bulkjob. Run `/bulkjob` again.', 'bad_value');
}

/** Decode a button `value`: it comes back from Slack as user input, so it is validated like command text. */
export function decodeQuery(value: string | undefined): JobQuery {
  if (value === undefined) throw new InputError('That button carried no state. Run `/bulkjob` again.', 'bad_value');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw olderVersion();
  }
  const parsed = JobQuerySchema.safeParse(json);
  if (!parsed.success) throw olderVersion();
  return parsed.data;
}

/** A codec for values that must be one kind of query: any other kind is a button from an older version. */
function codecOf<K extends JobQuery['kind']>(kind: K): Codec<Extract<JobQuery, { kind: K }>> {
  return {
    encode: encodeQuery,
    decode(raw) {
      const query = decodeQuery(raw);
      if (query.kind !== kind) throw olderVersion();
      return query as Extract<JobQuery, { kind: K }>;
    },
  };
}

/** A button that leads to one page of a job view (Prev, Next, the filter toggle, Refresh, a list's View). */
export const viewCodec: Codec<ViewQuery> = codecOf('view');

/** A button that leads to one page of `/bulkjob list`. */
export const listCodec: Codec<ListQuery> = codecOf('list');

/** The job a button acts on, from a view or watch value (cards and views have carried both). */
function jobIdOf(query: JobQuery): string {
  if (query.kind === 'view' || query.kind === 'watch') return query.jobId;
  throw new InputError('That button does not name a job. Run `/bulkjob &lt;job ID&gt;` again.', 'bad_value');
}

/** A button that acts on a job and may come back to the view it was on (Share, a card's Refresh, Cancel). */
export const jobCodec: Codec<ViewQuery> = {
  encode: encodeQuery,
  decode(raw) {
    const query = decodeQuery(raw);
    return query.kind === 'view' ? query : { kind: 'view', jobId: jobIdOf(query), page: 1 };
  },
};

/** A button that acts on a job's watch (Watch, Stop watching): its value names the job. */
export const watchCodec: Codec<WatchQuery> = {
  encode: encodeQuery,
  decode(raw) {
    return { kind: 'watch', jobId: jobIdOf(decodeQuery(raw)) };
  },
};
