/**
 * Failure reasons grouped by `status_message`, for the channel-visible card and the completion notice.
 * Everything here is channel-visible, so reasons are masked (an address in a reason becomes `[address]`).
 */
import { escapeOneLine, formatCount, maskEmails, pluralize } from './format.js';
import type { FailureSummary } from './types.js';

/** Room for one reason: a few of them, with counts, stay far below a section's 3000 characters. */
const REASON_MAX = 300;

/**
 * `• 12 × Mailbox not found` lines for the `top` most frequent reasons, `+ 3 more reasons`, and a note when
 * the scan stopped at a cap. Returns undefined when there is nothing to say (no reasons, nothing failed).
 */
export function formatFailureReasons(failures: FailureSummary, failedCount: number, top: number): string | undefined {
  const reasons = [...failures.reasons].sort((a, b) => b.count - a.count);
  if (reasons.length === 0) {
    return failedCount > 0 ? '*Failure reasons*\nNone read yet.' : undefined;
  }
  const title = failures.complete
    ? '*Failure reasons*'
    : `*Failure reasons* (from the first ${formatCount(failures.scanned)} failures)`;
  const lines = reasons.slice(0, top).map((r) => {
    const reason = r.reason.trim() === '' ? '(no reason given)' : escapeOneLine(maskEmails(r.reason), REASON_MAX);
    return `• ${formatCount(r.count)} × ${reason}`;
  });
  const rest = reasons.length - top;
  if (rest > 0) lines.push(`+ ${pluralize(rest, 'more reason')}`);
  return [title, ...lines].join('\n');
}
