/**
 * `/bulkjob list [status]`: recent jobs, newest first, one section a job with a View button, and paging.
 */
import type { Job } from '../../cloudflare/schema.js';
import {
  buildActions,
  buildContext,
  buildFallbackText,
  buildHeader,
  buildSection,
} from '../../slack/blocks/builders.js';
import {
  escapeOneLine,
  formatAsOf,
  formatSlackDate,
  parseTimeMs,
  pluralize,
  progressBar,
} from '../../slack/blocks/format.js';
import {
  countDone,
  formatJobAction,
  formatJobCounts,
  formatJobId,
  formatOutcome,
} from '../../slack/blocks/job-summary.js';
import { LIMITS } from '../../slack/blocks/limits.js';
import type { Block, SlackMessage } from '../../slack/blocks/types.js';
import { BlockId } from '../../slack/ids.js';
import type { ListQuery } from '../../slack/query.js';
import { listNextButton, listPrevButton, listViewButton } from './buttons.js';

export interface JobListInput {
  jobs: Job[];
  query: ListQuery;
  pageSize: number;
  hasNext: boolean;
  now: Date;
}

const COMMENT_MAX = 200;

/** Newest first by `created_at`; unparseable times sink to the end, ties keep the API's order. */
export function sortJobsNewestFirst(jobs: readonly Job[]): Job[] {
  const key = (job: Job) => parseTimeMs(job.created_at) ?? Number.NEGATIVE_INFINITY;
  return [...jobs].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka === kb ? 0 : kb > ka ? 1 : -1;
  });
}

function describeListFilter(status: string | undefined): string {
  return status === undefined ? 'all statuses' : escapeOneLine(status.toLowerCase(), 40);
}

function formatJobRow(job: Job): string {
  const lines = [
    `${formatOutcome(job)} · *${formatJobAction(job, false)}*`,
    formatJobId(job.job_id),
    `${formatJobCounts(job)} · ${progressBar(countDone(job), job.total_messages_discovered)}`,
    `Created ${formatSlackDate(job.created_at)}`,
  ];
  if (job.comment) lines.push(`Comment: ${escapeOneLine(job.comment, COMMENT_MAX)}`);
  return lines.join('\n');
}

/** Recent jobs with View buttons, the page line and ◀ Prev / Next ▶. */
export function renderJobList(input: JobListInput): SlackMessage {
  const { query } = input;
  const jobs = sortJobsNewestFirst(input.jobs);
  const title = query.status === undefined ? 'Recent bulk jobs' : `Recent bulk jobs · ${query.status.toLowerCase()}`;
  // Fixed blocks: header, page line, paging buttons.
  const slots = LIMITS.blocks - 3;
  const shown = jobs.slice(0, slots);

  const rows: Block[] = shown.map((job, i) => ({
    ...buildSection(formatJobRow(job)),
    accessory: listViewButton.render(
      {
        kind: 'view',
        jobId: job.job_id,
        page: 1,
        back: { page: query.page, ...(query.status ? { status: query.status } : {}) },
      },
      { index: i },
    ),
  }));
  if (rows.length === 0) {
    rows.push(
      buildSection(
        query.status !== undefined
          ? `No jobs with status ${describeListFilter(query.status)}${query.page > 1 ? ` on page ${query.page}` : ''}.`
          : query.page > 1
            ? `No bulk jobs on page ${query.page}.`
            : 'No bulk jobs yet.',
      ),
    );
  }

  const context = [`Page ${query.page} · ${describeListFilter(query.status)} · ${formatAsOf(input.now)}`];
  if (jobs.length > shown.length) context.push(`${pluralize(jobs.length - shown.length, 'more job')} not shown`);

  const page = (n: number): ListQuery =>
    query.status === undefined ? { kind: 'list', page: n } : { kind: 'list', status: query.status, page: n };
  const buttons: Record<string, unknown>[] = [];
  if (query.page > 1) buttons.push(listPrevButton.render(page(query.page - 1)));
  if (input.hasNext) buttons.push(listNextButton.render(page(query.page + 1)));

  const blocks: Block[] = [
    buildHeader(escapeOneLine(title, LIMITS.headerText)),
    ...rows,
    buildContext(context),
    ...buildActions(BlockId.actions, buttons),
  ];
  const text =
    jobs.length === 0
      ? `No bulk jobs (${describeListFilter(query.status)}, page ${query.page}).`
      : `${pluralize(jobs.length, 'bulk job')} (${describeListFilter(query.status)}, page ${query.page})`;
  return { text: buildFallbackText(text), blocks };
}
