/**
 * CSV export through the real app: `/bulkjob export`, the view's Export CSV, Slack's upload flow to the
 * requester's DM (never a channel), exact page counts, the summary, and what happens when Slack refuses.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../dev/sim/slack.js';
import { exportButton } from '../../src/features/export/buttons.js';
import { COLUMNS } from '../../src/features/export/csv.js';
import { filterButton } from '../../src/features/job-view/buttons.js';
import { textOf } from '../helpers/slack-text.js';
import { CHANNEL, type Stack, startStack, USER } from '../helpers/stack.js';

let stack: Stack;
const DM = `D${USER.slice(1)}`;
/** This file's own temporary root: other files' exports (in other workers) never show in it. */
const TEMP_ROOT = mkdtempSync(join(tmpdir(), 'bulkjob-export-test-'));

beforeAll(async () => {
  stack = await startStack({
    app: { exportProgressTiming: { afterMs: 100, everyMs: 100 }, exportTempRoot: TEMP_ROOT },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(TEMP_ROOT, { recursive: true, force: true });
});

beforeEach(() => {
  stack.slack.reset();
  stack.cf.clearRequests();
});

const exportDirs = () => readdirSync(TEMP_ROOT);

async function exportCommand(text: string): Promise<SimMessage[]> {
  const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `export ${text}` });
  expect(result.status).toBe(200);
  await stack.slack.waitFor((s) => s.answered(result.responseUrl, 2), { timeoutMs: 15_000 });
  return stack.slack.ephemeralFor(USER, CHANNEL);
}

/** The records of a CSV the simulator received, parsed back as a spreadsheet would (RFC 4180, CRLF). */
function rowsOf(content: Buffer): string[][] {
  const text = content.toString('utf8');
  expect(JSON.stringify(text.slice(0, 20))).toBe(JSON.stringify(`\ufeff${COLUMNS.join(',').slice(0, 19)}`));
  const parsed = Papa.parse<string[]>(text.slice(1), { newline: '\r\n', skipEmptyLines: false });
  expect(parsed.errors).toEqual([]);
  // The file ends with a record separator: the parser's last "record" is the empty text after it.
  expect(parsed.data.at(-1)).toEqual(['']);
  return parsed.data.slice(0, -1);
}

const listRequestsIn = (s: Stack, job: string) =>
  s.cf.requests.filter((r) => r.jobId === job && r.path.endsWith('/messages')).length;
const listRequests = (job: string) => listRequestsIn(stack, job);

describe('/bulkjob export', () => {
  it('sends every message as CSV to the requester’s DM only, in exactly ceil(N / 1000) pages', async () => {
    const before = exportDirs();
    const job = stack.cf.addJob({ total: 2_500, failureRate: 0.2 }).id;
    const answers = await exportCommand(job);
    expect(textOf(answers[0])).toMatch(/will arrive in your direct messages with bulkjob/);
    expect(textOf(answers.at(-1))).toMatch(/Export done: 2,500 rows/);

    const [file] = stack.slack.files();
    expect(file).toMatchObject({ channel: DM });
    expect(file!.filename).toMatch(new RegExp(`^bulkjob-${job.slice(0, 8)}-all-\\d{8}T\\d{4}\\.csv$`));
    const rows = rowsOf(file!.content);
    expect(rows[0]).toEqual([...COLUMNS]);
    expect(rows).toHaveLength(2_501);
    expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(2_500);
    expect(listRequests(job)).toBe(3);

    // Nothing in the channel but the requester's own ephemeral answers.
    expect(stack.slack.channelMessages(CHANNEL)).toEqual([]);
    const summary = stack.slack.channelMessages(DM).at(-1)!;
    expect(summary.text).toMatch(/CSV export of job/);
    expect(summary.text).toMatch(/2,500 rows/);
    expect(summary.text).toMatch(/By status: [\d,]+ COMPLETED · [\d,]+ FAILED/);
    expect(summary.text).toMatch(/Top failure reasons\*\n• [\d,]+ × /);
    expect(summary.text).toMatch(/Top recipient domains among failures\*\n• [\d,]+ × example-/);
    expect(exportDirs()).toEqual(before);
  });

  it('exports one status, and a job of exactly 1,000 failures takes one page, not two', async () => {
    const job = stack.cf.addJob({ total: 1_000, failureRate: 1 }).id;
    await exportCommand(`${job} failed`);
    const rows = rowsOf(stack.slack.files()[0]!.content);
    expect(rows).toHaveLength(1_001);
    for (const row of rows.slice(1)) expect(row[2]).toBe('FAILED');
    expect(listRequests(job)).toBe(1);
    expect(stack.cf.requests.filter((r) => r.jobId === job && r.path.endsWith('/messages'))[0]!.query.status).toBe(
      'FAILED',
    );
  });

  it('writes what email can hold as text a spreadsheet shows, never runs: formulas neutralised, quotes and commas kept', async () => {
    const reasons = ['=HYPERLINK("http://evil.example","Fix")', '+SUM(1,2)', '-1', '@cmd', 'Quota, "hard" limit'];
    const job = stack.cf.addJob({ total: 200, failureRate: 1, failureReasons: reasons }).id;
    await exportCommand(`${job} failed`);
    const text = stack.slack.files()[0]!.content.toString('utf8');
    const rows = rowsOf(stack.slack.files()[0]!.content);
    const column = COLUMNS.indexOf('status_message');
    expect(new Set(rows.slice(1).map((row) => row[column]))).toEqual(
      new Set(['\'=HYPERLINK("http://evil.example","Fix")', "'+SUM(1,2)", "'-1", "'@cmd", 'Quota, "hard" limit']),
    );
    // No record has a cell that starts a formula once the file is opened.
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(text).toContain(',"\'=HYPERLINK(""http://evil.example"",""Fix"")",');
  });

  it('Export CSV on a view exports what the view is filtered to', async () => {
    const job = stack.cf.addJob({ total: 60, failureRate: 0.5 }).id;
    const opened = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    await stack.slack.waitFor((s) => s.answered(opened.responseUrl));
    const view = stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
    const filtered = await stack.slack.click({ userId: USER, message: view, actionId: filterButton.actionId });
    await stack.slack.waitFor((s) => s.answered(filtered.responseUrl));
    const failedView = stack.slack.ephemeralFor(USER, CHANNEL).at(-1)!;
    const click = await stack.slack.click({ userId: USER, message: failedView, actionId: exportButton.actionId });
    await stack.slack.waitFor((s) => s.answered(click.responseUrl, 2), { timeoutMs: 15_000 });
    const rows = rowsOf(stack.slack.files()[0]!.content);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows.slice(1)) expect(row[2]).toBe('FAILED');
    // The view the button was on is still there: the export added answers, it replaced nothing.
    expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).find((m) => m.ts === failedView.ts))).toContain(job);
  });

  it('without files:write, says what the admin must add, and leaves no temporary file', async () => {
    const before = exportDirs();
    stack.slack.scopes.delete('files:write');
    try {
      const job = stack.cf.addJob({ total: 30 }).id;
      const answers = await exportCommand(job);
      expect(textOf(answers.at(-1))).toMatch(/add the \*files:write\* and \*im:write\* scopes/);
      expect(stack.slack.files()).toEqual([]);
      expect(exportDirs()).toEqual(before);
    } finally {
      stack.slack.scopes.add('files:write');
    }
  });

  it('when Slack does not allow the upload, says so and who can change it', async () => {
    stack.slack.failNext('files.completeUploadExternal', 'not_allowed');
    const job = stack.cf.addJob({ total: 30 }).id;
    const answers = await exportCommand(job);
    expect(textOf(answers.at(-1))).toMatch(/Slack does not let bulkjob send you the file \(not_allowed\).*Slack admin/);
  });

  it('a long export shows its progress in the DM, edited as rows arrive, and Stop export stops it', async () => {
    const before = exportDirs();
    const job = stack.cf.addJob({ total: 9_000, failureRate: 0.1 }).id;
    stack.cf.setLatency(250);
    try {
      const sent = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `export ${job}` });
      const progress = await stack.slack.waitFor(
        (s) => s.channelMessages(DM).find((m) => /Exporting job/.test(textOf(m)) && /of 9,000 rows/.test(textOf(m))),
        { timeoutMs: 8_000 },
      );
      expect(textOf(progress)).toMatch(/[▓░]+ \d+%/);
      // Edited in place as pages arrive, at a bounded rate.
      await stack.slack.waitFor((s) => (s.message(DM, progress.ts)?.edits ?? 0) > 0, { timeoutMs: 8_000 });
      await stack.slack.click({
        userId: USER,
        message: stack.slack.message(DM, progress.ts)!,
        actionId: 'bulkjob_export_stop',
      });
      await stack.slack.waitFor(
        (s) => /stopped after [\d,]+ rows\. No file was sent/.test(textOf(s.message(DM, progress.ts))),
        {
          timeoutMs: 8_000,
        },
      );
      await stack.slack.waitFor((s) => s.answered(sent.responseUrl, 2), { timeoutMs: 8_000 });
      expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toMatch(
        /The export was stopped; no file was sent/,
      );
      expect(stack.slack.files()).toEqual([]);
      expect(exportDirs()).toEqual(before);
      // Fewer than the 9 pages were read: the stop cut it short.
      expect(listRequests(job)).toBeLessThan(9);
    } finally {
      stack.cf.setLatency(0);
    }
  });

  it('a second export of the same job and filter joins the first: one file', async () => {
    const job = stack.cf.addJob({ total: 3_000 }).id;
    stack.cf.setLatency(200);
    try {
      const first = stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `export ${job}` });
      const firstAck = await first;
      await stack.slack.waitFor((s) => s.answered(firstAck.responseUrl));
      const second = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `export ${job}` });
      await stack.slack.waitFor((s) => s.answered(second.responseUrl));
      expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toMatch(/already exporting this/);
      await stack.slack.waitFor((s) => s.answered(firstAck.responseUrl, 2), { timeoutMs: 10_000 });
      expect(stack.slack.files()).toHaveLength(1);
      expect(listRequests(job)).toBe(3);
    } finally {
      stack.cf.setLatency(0);
    }
  });

  it('a file Slack finds too large: says to export one status at a time', async () => {
    stack.slack.failNext('files.getUploadURLExternal', 'file_too_large');
    const job = stack.cf.addJob({ total: 30 }).id;
    const answers = await exportCommand(job);
    expect(textOf(answers.at(-1))).toMatch(/larger than Slack accepts\. Export one status at a time/);
    expect(stack.slack.files()).toEqual([]);
  });

  it('a large export says how long the budget will make it take, and can be stopped meanwhile', async () => {
    // A budget of 10 requests per 5 minutes (7 for background work): a 20,000-message export is 20 pages.
    const paced = await startStack({
      env: { BULKJOB_CLOUDFLARE_BUDGET: '10' },
      app: { exportProgressTiming: { afterMs: 100, everyMs: 100 }, exportTempRoot: TEMP_ROOT },
    });
    try {
      const job = paced.cf.addJob({ total: 20_000 }).id;
      const sent = await paced.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `export ${job}` });
      await paced.slack.waitFor((s) => s.answered(sent.responseUrl));
      expect(textOf(paced.slack.ephemeralFor(USER, CHANNEL)[0])).toMatch(
        /Exporting 20,000 messages to CSV\. That is 20 Cloudflare requests: it will take about 15 minutes, paced within bulkjob's budget/,
      );
      const progress = await paced.slack.waitFor((s) =>
        s.channelMessages(DM).find((m) => /Exporting job/.test(textOf(m))),
      );
      await paced.slack.click({ userId: USER, message: progress, actionId: 'bulkjob_export_stop' });
      await paced.slack.waitFor((s) => /stopped after/.test(textOf(s.message(DM, progress.ts))), { timeoutMs: 8_000 });
      // Paced: it never took more than the budget's background share.
      expect(listRequestsIn(paced, job)).toBeLessThanOrEqual(7);
    } finally {
      await paced.stop();
    }
  });

  it('a usage line for an export with no job', async () => {
    const result = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: 'export' });
    await stack.slack.waitFor((s) => s.answered(result.responseUrl));
    expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toMatch(/Usage: `\/bulkjob export/);
  });
});
