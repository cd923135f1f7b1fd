/**
 * The job view (docs/design.md, "What users see"): ephemeral to the one who asked, so it may show recipients. Summary, one page of
 * messages, the page line, and the navigation buttons, each carrying the query it leads to.
 */
import type { Job, Message } from '../../cloudflare/schema.js';
import { jobButtons } from '../../rules.js';
import {
  buildActions,
  buildContext,
  buildDivider,
  buildFallbackText,
  buildSection,
} from '../../slack/blocks/builders.js';
import { formatFailureReasons } from '../../slack/blocks/failure-reasons.js';
import {
  describeActionRaw,
  escapeAndTruncate,
  escapeOneLine,
  formatAsOf,
  formatSlackDate,
  pluralize,
  readRecipient,
  statusEmoji,
} from '../../slack/blocks/format.js';
import { buildJobSummary, describeJobLine } from '../../slack/blocks/job-summary.js';
import { LIMITS } from '../../slack/blocks/limits.js';
import type { Block, FailureSummary, SlackMessage } from '../../slack/blocks/types.js';
import { BlockId } from '../../slack/ids.js';
import type { ViewQuery } from '../../slack/query.js';
import { cancelButton } from '../cancel/buttons.js';
import { shareButton } from '../card/buttons.js';
import { exportButton } from '../export/buttons.js';
import { backToListButton } from '../list/buttons.js';
import { watchButton } from '../watch/buttons.js';
import { filterButton, nextButton, prevButton, refreshButton } from './buttons.js';

export interface JobViewInput {
  job: Job;
  /** The job's failure reasons (the view is private: they are shown unmasked). */
  failures: FailureSummary;
  /** One page of messages (recipients included: the view is ephemeral to the one who asked). */
  messages: Message[];
  query: ViewQuery;
  /** Messages a page; `messages.length` ≤ this. */
  pageSize: number;
  /** Total pages for the filter, from the job's counts; undefined when the counts cannot tell. */
  totalPages: number | undefined;
  hasNext: boolean;
  /** Slack user id of whoever asked. */
  requestedBy: string;
  /** The viewer may cancel jobs (src/rules.ts decides whether this job offers Cancel). */
  mayCancel: boolean;
  now: Date;
}

/** Room for each upstream piece of a message line: roomy for one message a section, tight when packing. */
const ROOMY = { recipient: 320, action: 120, reason: 900 } as const;
const TIGHT = { recipient: 120, action: 60, reason: 200 } as const;

const SECTION_JOIN = '\n\n';
/** Sections of failure reasons the view may fill, above its page of messages. */
const REASON_SECTIONS = 2;

/** Lower-case status for prose (`failed only`), escaped: the filter is validated, but cheap to be safe. */
function describeFilter(status: string | undefined): string {
  return status === undefined ? 'all statuses' : `${escapeOneLine(status.toLowerCase(), 40)} only`;
}

/** One message as mrkdwn lines: status, recipient, action; time and retries; reason and retry time. */
export function formatMessageLines(
  message: Message,
  room: { recipient: number; action: number; reason: number },
  now: Date,
): string {
  const recipient = readRecipient(message.action_params);
  const who = recipient === undefined ? '_unknown recipient_' : escapeOneLine(recipient, room.recipient);
  const action = escapeOneLine(describeActionRaw(message.action_type, message.action_params), room.action);
  const lines = [`${statusEmoji(message.status)} *${escapeOneLine(message.status, 60)}* · ${who} · ${action}`];
  const when = message.processed_at
    ? `Processed ${formatSlackDate(message.processed_at)}`
    : `Created ${formatSlackDate(message.created_at)}`;
  lines.push(`${when} · ${pluralize(message.retry_count, 'retry', 'retries')}`);
  const reason = message.status_message ? `Reason: ${escapeAndTruncate(message.status_message, room.reason)}` : '';
  // A retry time already past is not upcoming: Cloudflare has retried, or will not.
  const retryAt = message.retry_after ? Date.parse(message.retry_after) : Number.NaN;
  const retryAfter = retryAt > now.getTime() ? `Cloudflare retries ${formatSlackDate(message.retry_after)}` : '';
  const failure = [reason, retryAfter].filter(Boolean).join(' · ');
  if (failure) lines.push(failure);
  return lines.join('\n');
}

function describeEmptyPage(query: ViewQuery): string {
  const which = query.status === undefined ? '' : `${escapeOneLine(query.status.toLowerCase(), 40)} `;
  return query.page > 1 ? `No ${which}messages on page ${query.page}.` : `No ${which}messages.`;
}

/**
 * Lay the messages out in at most `slots` sections: one message a section when they fit, otherwise packed
 * several to a section (up to 3000 characters each). Returns the sections and how many messages did not fit.
 */
export function packMessages(messages: Message[], slots: number, now: Date): { sections: string[]; omitted: number } {
  if (messages.length === 0 || slots <= 0) return { sections: [], omitted: messages.length };
  const room = messages.length <= slots ? ROOMY : TIGHT;
  const perSection = Math.ceil(messages.length / slots);
  const sections: string[] = [];
  let current: string[] = [];
  let currentLength = 0;
  let placed = 0;
  for (const message of messages) {
    const text = formatMessageLines(message, room, now);
    const grown = currentLength + (current.length > 0 ? SECTION_JOIN.length : 0) + text.length;
    if (current.length > 0 && (current.length >= perSection || grown > LIMITS.sectionText)) {
      sections.push(current.join(SECTION_JOIN));
      current = [];
      currentLength = 0;
      if (sections.length >= slots) break;
    }
    currentLength += (current.length > 0 ? SECTION_JOIN.length : 0) + text.length;
    current.push(text);
    placed += 1;
  }
  if (current.length > 0) sections.push(current.join(SECTION_JOIN));
  return { sections, omitted: messages.length - placed };
}

function buildViewButtons(input: JobViewInput): Record<string, unknown>[] {
  const { query, job } = input;
  // Every button of the view keeps where it was opened from, so "◀ Back to list" survives paging.
  const base = { kind: 'view', jobId: query.jobId, ...(query.back ? { back: query.back } : {}) } as const;
  const here: ViewQuery =
    query.status === undefined ? { ...base, page: query.page } : { ...base, status: query.status, page: query.page };
  const buttons: Record<string, unknown>[] = [];
  if (query.back) buttons.push(backToListButton.render({ kind: 'list', ...query.back }));
  if (query.page > 1) buttons.push(prevButton.render({ ...here, page: query.page - 1 }));
  if (input.hasNext) buttons.push(nextButton.render({ ...here, page: query.page + 1 }));
  buttons.push(
    filterButton.render(query.status === undefined ? { ...base, status: 'FAILED', page: 1 } : { ...base, page: 1 }),
  );
  buttons.push(refreshButton.render(here));
  buttons.push(shareButton.render(here));
  buttons.push(exportButton.render(here));
  const offered = jobButtons(job, { mayCancel: input.mayCancel, watching: false });
  if (offered.watch) buttons.push(watchButton.render({ kind: 'watch', jobId: query.jobId }));
  if (offered.cancel) buttons.push(cancelButton.render(here));
  return buttons;
}

/** The job view: summary, one page of messages, the page line and the buttons. */
export function renderJobView(input: JobViewInput): SlackMessage {
  const { job, query } = input;
  const summary = buildJobSummary(job, { now: input.now, mask: false, requestedBy: input.requestedBy });
  const reasons = formatFailureReasons(input.failures, job.messages_failed, {
    now: input.now,
    sections: REASON_SECTIONS,
    mask: false,
  }).map((text) => buildSection(text));
  // Fixed blocks around the messages: the summary, the reasons, a divider, the page line and the actions.
  const slots = LIMITS.blocks - summary.length - reasons.length - 3;
  const { sections, omitted } = packMessages(input.messages, slots, input.now);
  const messageBlocks =
    input.messages.length === 0 ? [buildSection(describeEmptyPage(query))] : sections.map((text) => buildSection(text));

  const pageLine = input.totalPages === undefined ? `Page ${query.page}` : `Page ${query.page} of ${input.totalPages}`;
  const context = [`${pageLine} · ${describeFilter(query.status)} · ${formatAsOf(input.now)}`];
  if (omitted > 0) {
    context.push(
      `${pluralize(omitted, 'more message')} on this page did not fit; use the failed-only view to narrow it.`,
    );
  }

  const blocks: Block[] = [
    ...summary,
    ...reasons,
    buildDivider(),
    ...messageBlocks,
    buildContext(context),
    ...buildActions(BlockId.actions, buildViewButtons(input)),
  ];
  const text = `${describeJobLine(job, false)} · ${pageLine.toLowerCase()}, ${describeFilter(query.status)}`;
  return { text: buildFallbackText(text), blocks };
}
