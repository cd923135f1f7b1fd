/** The pure Block Kit formatters and their helpers, for the listeners. */
export { renderCompletionNotice } from './completion-notice.js';
export { renderError } from './error.js';
export {
  computePercent,
  escapeAndTruncate,
  escapeOneLine,
  formatDurationCompact,
  formatSlackDate,
  formatStatus,
  formatUser,
  maskEmails,
  progressBar,
  statusEmoji,
  truncate,
  truncateMrkdwn,
} from './format.js';
export { renderHelp } from './help.js';
export { renderJobList } from './job-list.js';
export { renderJobView } from './job-view.js';
export { findLimitViolations, LIMITS } from './limits.js';
export { renderStatusCard } from './status-card.js';
export type * from './types.js';
