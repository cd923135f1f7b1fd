/** The one message that comes with the CSV in the requester's DM: what it holds, at a glance. */
import type { Job } from '../../cloudflare/schema.js';
import { escapeOneLine, formatCount, pluralize } from '../../slack/blocks/format.js';
import { formatJobId } from '../../slack/blocks/job-summary.js';
import { LIMITS } from '../../slack/blocks/limits.js';
import type { StatusFilter } from '../../slack/query.js';
import type { ExportTally } from './export.js';

/** Shown of each top list. */
const TOP = 5;

function top(map: Map<string, number>): [string, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP);
}

export function renderExportSummary(input: {
  job: Job;
  status: StatusFilter | undefined;
  tally: ExportTally;
  filename: string;
}): string {
  const { job, status, tally } = input;
  const scope = status === undefined ? 'all statuses' : `${status.toLowerCase()} only`;
  const lines = [`*CSV export of job* ${formatJobId(job.job_id)} (${scope}): ${pluralize(tally.rows, 'row')}`];
  const byStatus = top(tally.byStatus).map(([s, n]) => `${formatCount(n)} ${escapeOneLine(s, 40)}`);
  if (byStatus.length > 0) lines.push(`By status: ${byStatus.join(' · ')}`);
  const reasons = top(tally.failureReasons);
  if (reasons.length > 0) {
    lines.push('*Top failure reasons*');
    for (const [reason, n] of reasons) lines.push(`• ${formatCount(n)} × ${escapeOneLine(reason, 150)}`);
  }
  const domains = top(tally.failedDomains);
  if (domains.length > 0) {
    lines.push('*Top recipient domains among failures*');
    for (const [domain, n] of domains) lines.push(`• ${formatCount(n)} × ${escapeOneLine(domain, 100)}`);
  }
  lines.push('_The file lists recipient addresses (personal data): keep it to the incident._');
  return lines.join('\n').slice(0, LIMITS.fallbackText);
}
