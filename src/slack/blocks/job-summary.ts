/**
 * The summary of one job (from *get job*), shared by the ephemeral job view and the channel-visible status
 * card: a header, ten fields, and the job's comment and status message when present.
 */
import type { Job } from '../../cloudflare/schema.js';
import { estimatePace, type Pace, type PaceSample } from '../../progress.js';
import { hasEnded, outcomeOf, readCounts } from '../../rules.js';
import { buildFieldsSection, buildHeader, buildSection } from './builders.js';
import {
  computePercent,
  describeActionRaw,
  escapeAndTruncate,
  escapeOneLine,
  formatCount,
  formatDurationCompact,
  formatSlackDate,
  formatUser,
  maskEmails,
  measureSpan,
  progressBar,
  statusEmoji,
} from './format.js';
import type { Block } from './types.js';

export interface JobSummaryOptions {
  now: Date;
  /** Mask anything email-shaped in upstream text: set for everything that is visible to a channel. */
  mask: boolean;
  /**
   * Slack user id shown as "Requested by": who asked bulkjob for this view, or shared or watched this card
   * (Cloudflare's job object names nobody).
   */
  requestedBy?: string;
  /** Counts recent refreshes saw (watched cards): a steadier rate than the job's average. */
  samples?: readonly PaceSample[];
}

/** Upstream free text (comment, status message) gets this much room each, so both fit one section. */
const NOTE_MAX = 1400;

/** Apply the card's masking rule to a piece of upstream text, before it is escaped. */
export function cleanUpstream(raw: string, mask: boolean): string {
  return mask ? maskEmails(raw) : raw;
}

/** `MOVE → DeletedItems`, escaped (and masked when asked): a destination is upstream text too. */
export function formatJobAction(job: Job, mask: boolean): string {
  return escapeOneLine(cleanUpstream(describeActionRaw(job.action_type, job.action_params), mask), 120);
}

/** The job id in code formatting; ids are validated UUIDs, but a backtick could still end the span early. */
export function formatJobId(jobId: string): string {
  return `\`${escapeOneLine(jobId, 60).replaceAll('`', 'ˋ')}\``;
}

/**
 * `1,000 discovered · 600 successful · 20 failed · 380 pending`, adding up to the total: what the parts
 * leave is shown as cancelled, not processed or not yet counted (`readCounts`), and counts that cannot be
 * right are flagged, never shown as if fine.
 */
export function formatJobCounts(job: Job): string {
  const counts = readCounts(job);
  const count = (n: number) => (Number.isFinite(n) && n >= 0 ? formatCount(n) : '?');
  const parts = [
    `${count(counts.total)} discovered`,
    `${count(counts.successful)} successful`,
    `${count(counts.failed)} failed`,
    `${count(counts.pending)} pending`,
  ];
  const cancelled = counts.cancelled + (counts.remainderLabel === 'cancelled' ? counts.remainder : 0);
  if (cancelled > 0) parts.push(`${count(cancelled)} cancelled`);
  if (counts.remainder > 0 && counts.remainderLabel !== 'cancelled') {
    parts.push(`${count(counts.remainder)} ${counts.remainderLabel}`);
  }
  if (counts.problem === 'negative')
    parts.push(':warning: Cloudflare sent a negative count; check the job in the dashboard');
  if (counts.problem === 'over_total') {
    parts.push(
      `:warning: these add up to more than the ${count(counts.total)} discovered; check the job in the dashboard`,
    );
  }
  return parts.join(' · ');
}

const OUTCOME_EMOJI = {
  completed: ':white_check_mark:',
  completed_with_failures: ':warning:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  skipped: ':fast_forward:',
} as const;

/** The emoji of a job at a glance: its outcome once it has ended, its status while it runs. */
export function outcomeEmoji(job: Job): string {
  const outcome = outcomeOf(job);
  return outcome === 'running' ? statusEmoji(job.status) : OUTCOME_EMOJI[outcome];
}

/** `COMPLETED with 574 failures (31%)` (escaped), the status itself otherwise. */
export function describeOutcome(job: Job): string {
  const status = escapeOneLine(job.status, 60);
  if (outcomeOf(job) !== 'completed_with_failures') return status;
  const percent = computePercent(job.messages_failed, job.total_messages_discovered);
  const share = job.total_messages_discovered > 0 ? ` (${percent < 1 ? '<1' : percent}%)` : '';
  return `${status} with ${formatCount(job.messages_failed)} ${job.messages_failed === 1 ? 'failure' : 'failures'}${share}`;
}

/** `:warning: COMPLETED with 574 failures (31%)`, `:x: FAILED`, `:arrows_counterclockwise: PROCESSING`. */
export function formatOutcome(job: Job): string {
  return `${outcomeEmoji(job)} ${describeOutcome(job)}`;
}

/** `120/min · about 4m left`, `—` when it cannot be known; nothing for a job that has ended. */
export function formatPace(pace: Pace | undefined): string {
  if (pace === undefined) return 'Rate —';
  const rate = pace.perMinute >= 10 ? Math.round(pace.perMinute) : Math.round(pace.perMinute * 10) / 10;
  const left = pace.remainingMs === undefined ? 'time left —' : `about ${formatDurationCompact(pace.remainingMs)} left`;
  return `${formatCount(rate)}/min · ${left}`;
}

/** Messages done (successful or failed): the numerator of the progress bar. */
export function countDone(job: Job): number {
  return job.messages_successful + job.messages_failed;
}

/** `Duration 1h 4m` for a finished job, `Elapsed 12m` for a running one, or what is known. */
export function describeTiming(job: Job, now: Date): { label: string; value: string } {
  const terminal = hasEnded(job);
  const ran = measureSpan(job.started_at, job.completed_at);
  if (ran !== undefined) return { label: 'Duration', value: formatDurationCompact(ran) };
  if (!terminal) {
    const elapsed = measureSpan(job.started_at, now);
    if (elapsed !== undefined) return { label: 'Elapsed', value: formatDurationCompact(elapsed) };
    return { label: 'Elapsed', value: 'not started yet' };
  }
  return { label: 'Duration', value: '—' };
}

/** The header text: state emoji and the action, e.g. `:white_check_mark: Bulk MOVE → DeletedItems`. */
export function formatJobTitle(job: Job, mask: boolean): string {
  return `${outcomeEmoji(job)} Bulk ${formatJobAction(job, mask)}`;
}

/** Header, summary fields and notes for one job. */
export function buildJobSummary(job: Job, options: JobSummaryOptions): Block[] {
  const timing = describeTiming(job, options.now);
  const total = job.total_messages_discovered;
  const progress =
    total > 0
      ? `${progressBar(countDone(job), total)}\n${formatCount(countDone(job))} of ${formatCount(total)} done${
          hasEnded(job) ? '' : `\n${formatPace(estimatePace(job, options.now, options.samples))}`
        }`
      : `${progressBar(0, 0)}\nno messages discovered${hasEnded(job) ? '' : ' yet'}`;
  const fields = [
    `*Job*\n${formatJobId(job.job_id)}`,
    `*Status*\n${formatOutcome(job)}`,
    `*Action*\n${formatJobAction(job, options.mask)}`,
    `*Progress*\n${progress}`,
    `*Messages*\n${formatJobCounts(job)}`,
    `*Created*\n${formatSlackDate(job.created_at)}`,
    `*Started*\n${job.started_at ? formatSlackDate(job.started_at) : 'not yet'}`,
    `*Completed*\n${job.completed_at ? formatSlackDate(job.completed_at) : '—'}`,
    `*${timing.label}*\n${timing.value}`,
  ];
  if (options.requestedBy !== undefined) fields.push(`*Requested by*\n${formatUser(options.requestedBy)}`);

  const notes: string[] = [];
  if (job.comment) notes.push(`*Comment*\n${escapeAndTruncate(cleanUpstream(job.comment, options.mask), NOTE_MAX)}`);
  if (job.status_message) {
    notes.push(`*Status message*\n${escapeAndTruncate(cleanUpstream(job.status_message, options.mask), NOTE_MAX)}`);
  }
  const blocks = [buildHeader(formatJobTitle(job, options.mask)), buildFieldsSection(fields)];
  if (notes.length > 0) blocks.push(buildSection(notes.join('\n')));
  return blocks;
}

/**
 * A one-line summary for fallback text: `Bulk MOVE → DeletedItems 182bd5e5-…: PROCESSING, 62% done (600
 * successful, 20 failed, 380 pending of 1,000 discovered)`. Escaped; no recipients.
 */
export function describeJobLine(job: Job, mask: boolean): string {
  const percent = computePercent(countDone(job), job.total_messages_discovered);
  return (
    `Bulk ${formatJobAction(job, mask)} ${escapeOneLine(job.job_id, 60)}: ${describeOutcome(job)}, ` +
    `${percent}% done (${formatJobCounts(job)})`
  );
}
