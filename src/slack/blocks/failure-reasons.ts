/**
 * Failure reasons grouped by `status_message`, for the job view, the channel card and the completion
 * notice: as many as fit the sections they are given, each with its count and, when a `retry_after` is
 * still ahead, when Cloudflare will retry. Channel-visible ones are masked (an address becomes `[address]`).
 */
import { escapeOneLine, formatCount, formatSlackDate, maskEmails, pluralize } from './format.js';
import { LIMITS } from './limits.js';
import type { FailureSummary } from './types.js';

/** Room for one reason: many of them, with counts, fit in a section of 3000 characters. */
const REASON_MAX = 300;

export interface FailureReasonOptions {
  now: Date;
  /** Sections the reasons may fill (each up to Slack's 3000 characters). */
  sections: number;
  /** Mask anything email-shaped: set for everything a channel sees. */
  mask: boolean;
}

/**
 * `*Failure reasons*` and `• 12 × Mailbox not found · Cloudflare retries <date>` lines, packed into at most
 * `options.sections` sections; `+ N more reasons` only when the rest truly does not fit, and a note when the
 * scan stopped at a cap. No sections when there is nothing to say (no reasons, nothing failed).
 */
export function formatFailureReasons(
  failures: FailureSummary,
  failedCount: number,
  options: FailureReasonOptions,
): string[] {
  const reasons = [...failures.reasons].sort((a, b) => b.count - a.count);
  if (reasons.length === 0) return failedCount > 0 ? ['*Failure reasons*\nNone read yet.'] : [];
  const title = failures.complete
    ? '*Failure reasons*'
    : `*Failure reasons* (from the first ${formatCount(failures.scanned)} failures)`;
  const lines = reasons.map((r) => {
    const text = r.reason.trim() === '' ? '(no reason given)' : r.reason;
    const reason = escapeOneLine(options.mask ? maskEmails(text) : text, REASON_MAX);
    const retry =
      r.retryAt !== undefined && r.retryAt > options.now.getTime()
        ? ` · Cloudflare retries ${formatSlackDate(new Date(r.retryAt))}`
        : '';
    return `• ${formatCount(r.count)} × ${reason}${retry}`;
  });

  // Reserve room for the "+ N more" line in the last section, so it is never the line that does not fit.
  const room = LIMITS.sectionText - 40;
  const sections: string[][] = [[title]];
  const size = (section: string[]) => section.reduce((n, line) => n + line.length + 1, 0);
  let placed = 0;
  for (const line of lines) {
    let current = sections[sections.length - 1]!;
    if (size(current) + line.length > room) {
      if (sections.length >= options.sections) break;
      current = [];
      sections.push(current);
    }
    current.push(line);
    placed += 1;
  }
  const rest = lines.length - placed;
  if (rest > 0) sections[sections.length - 1]!.push(`+ ${pluralize(rest, 'more reason')}`);
  return sections.map((section) => section.join('\n'));
}
