/**
 * The thread reply when a watched job ends (or the watch gives up first): mentions the watcher, says how it
 * ended, with counts, duration and the top failure reasons. Channel-visible: no recipients, reasons masked.
 */
import type { Job } from '../../cloudflare/schema.js';
import { buildFallbackText, buildSection } from '../../slack/blocks/builders.js';
import { formatFailureReasons } from '../../slack/blocks/failure-reasons.js';
import { escapeOneLine, formatDurationCompact, formatUser } from '../../slack/blocks/format.js';
import {
  describeOutcome,
  describeTiming,
  formatJobAction,
  formatJobCounts,
  formatJobId,
  formatOutcome,
} from '../../slack/blocks/job-summary.js';
import type { Block, FailureSummary, SlackMessage } from '../../slack/blocks/types.js';

export interface CompletionNoticeInput {
  job: Job;
  failures: FailureSummary;
  /** Who started the watch: mentioned in the notice. */
  watcher: string;
  /** 'terminal': the job ended; 'expired': the watch hit its maximum time first. */
  reason: 'terminal' | 'expired';
  /** How long the watch ran, for "stopped watching after 12h" when `reason` is 'expired'. */
  watchedForSeconds?: number;
  now: Date;
}

/** A notice is a thread reply: its reasons fill at most two sections. */
const REASON_SECTIONS = 2;

/** How it ended, in words: `ended: :white_check_mark: COMPLETED`. */
function describeEnding(input: CompletionNoticeInput): string {
  const { job } = input;
  if (input.reason === 'expired') {
    const after =
      input.watchedForSeconds === undefined ? '' : ` after ${formatDurationCompact(input.watchedForSeconds * 1000)}`;
    return `:hourglass: Stopped watching${after}, job still ${formatOutcome(job)}`;
  }
  return `ended: ${formatOutcome(job)}`;
}

/** The completion notice for a watched job. */
export function renderCompletionNotice(input: CompletionNoticeInput): SlackMessage {
  const { job } = input;
  const watcher = formatUser(input.watcher);
  const what = `Bulk ${formatJobAction(job, true)} ${formatJobId(job.job_id)}`;
  const ending = describeEnding(input);
  const headline = input.reason === 'expired' ? `${watcher} ${ending} (${what}).` : `${watcher} ${what} ${ending}.`;
  const timing = describeTiming(job, input.now);
  const blocks: Block[] = [
    buildSection(`${headline}\n${formatJobCounts(job)} · ${timing.label.toLowerCase()} ${timing.value}`),
  ];
  const reasons = formatFailureReasons(input.failures, job.messages_failed, {
    now: input.now,
    sections: REASON_SECTIONS,
    mask: true,
  });
  blocks.push(...reasons.map((text) => buildSection(text)));

  const plainEnding =
    input.reason === 'expired'
      ? `stopped watching, job still ${escapeOneLine(job.status, 60)}`
      : `ended ${describeOutcome(job)}`;
  const text = `${watcher} Bulk ${formatJobAction(job, true)} job ${escapeOneLine(job.job_id, 60)} ${plainEnding}: ${formatJobCounts(job)}`;
  return { text: buildFallbackText(text), blocks };
}
