import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/cloudflare/schema.js';
import { cancelButton } from '../../../src/features/cancel/buttons.js';
import { shareButton } from '../../../src/features/card/buttons.js';
import type { JobViewInput } from '../../../src/features/job-view/blocks.js';
import { renderJobView } from '../../../src/features/job-view/blocks.js';
import { filterButton, nextButton, prevButton, refreshButton } from '../../../src/features/job-view/buttons.js';
import { watchButton } from '../../../src/features/watch/buttons.js';
import { findLimitViolations } from '../../../src/slack/blocks/limits.js';
import { BlockId } from '../../../src/slack/ids.js';
import { decodeQuery } from '../../../src/slack/query.js';
import {
  collectButtons,
  collectText,
  findUnsafeMarkup,
  JOB_ID,
  labelOf,
  makeFailedMessage,
  makeFailures,
  makeJob,
  makeMessage,
  makeStressJob,
  makeStressMessage,
  NOW,
  USER,
} from '../../helpers/block-factory.js';

function makeInput(overrides: Partial<JobViewInput> = {}): JobViewInput {
  return {
    job: makeJob(),
    failures: makeFailures(),
    messages: [makeMessage(1), makeFailedMessage(2)],
    query: { kind: 'view', jobId: JOB_ID, page: 2 },
    pageSize: 10,
    totalPages: 7,
    hasNext: true,
    requestedBy: USER,
    mayCancel: false,
    now: NOW,
    ...overrides,
  };
}

function decodeButton(view: ReturnType<typeof renderJobView>, actionId: string) {
  const value = collectButtons(view).get(actionId)?.value;
  return decodeQuery(typeof value === 'string' ? value : undefined);
}

describe('renderJobView', () => {
  it('does not show a retry time that has passed as upcoming', () => {
    const past = makeFailedMessage(3, { retry_after: '2026-03-01T12:30:00Z' });
    const text = collectText(renderJobView(makeInput({ messages: [past] })));
    expect(text).toContain('Reason: Mailbox not found');
    expect(text).not.toContain('Cloudflare retries');
    expect(text).not.toMatch(/Retry after/);
  });

  it('groups the failure reasons, unmasked: the view is only for the one who asked', () => {
    const failures = makeFailures({ reasons: [{ reason: '550 5.1.1 <eve@example.com> unknown', count: 4 }] });
    const text = collectText(renderJobView(makeInput({ failures })));
    expect(text).toContain('*Failure reasons*\\n• 4 × 550 5.1.1 &lt;eve@example.com&gt; unknown');
  });

  it('renders the summary, a page of messages, the page line and the buttons', () => {
    expect(renderJobView(makeInput())).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": ":arrows_counterclockwise: Bulk MOVE → DeletedItems",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "fields": [
              {
                "text": "*Job*
      \`182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e\`",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Status*
      :arrows_counterclockwise: PROCESSING",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Action*
      MOVE → DeletedItems",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Progress*
      ▓▓▓▓▓▓░░░░ 62%
      620 of 1,000 done
      9.7/min · about 39m 13s left",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Messages*
      1,000 discovered · 600 successful · 20 failed · 380 pending",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Created*
      <!date^1772366400^{date_short_pretty} {time}|2026-03-01T12:00:00Z>",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Started*
      <!date^1772366430^{date_short_pretty} {time}|2026-03-01T12:00:30Z>",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Completed*
      —",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Elapsed*
      1h 4m",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "*Requested by*
      <@U012ABCDEF>",
                "type": "mrkdwn",
                "verbatim": true,
              },
            ],
            "type": "section",
          },
          {
            "text": {
              "text": "*Comment*
      INC-4711 phishing campaign",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Failure reasons*
      • 12 × Mailbox not found
      • 8 × Throttled by Exchange Online",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "type": "divider",
          },
          {
            "text": {
              "text": ":white_check_mark: *COMPLETED* · user1@example.com · MOVE → DeletedItems
      Processed <!date^1772366460^{date_short_pretty} {time}|2026-03-01T12:01:00Z> · 0 retries",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "text": {
              "text": ":x: *FAILED* · user2@example.com · MOVE → DeletedItems
      Created <!date^1772366440^{date_short_pretty} {time}|2026-03-01T12:00:40Z> · 3 retries
      Reason: Mailbox not found · Cloudflare retries <!date^1772371800^{date_short_pretty} {time}|2026-03-01T13:30:00Z>",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "Page 2 of 7 · all statuses · as of <!date^1772370270^{time_secs}|2026-03-01T13:04:30Z>",
                "type": "mrkdwn",
                "verbatim": true,
              },
            ],
            "type": "context",
          },
          {
            "block_id": "bulkjob_actions",
            "elements": [
              {
                "action_id": "bulkjob_nav_prev",
                "text": {
                  "emoji": true,
                  "text": "◀ Prev",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","page":1}",
              },
              {
                "action_id": "bulkjob_nav_next",
                "text": {
                  "emoji": true,
                  "text": "Next ▶",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","page":3}",
              },
              {
                "action_id": "bulkjob_nav_filter",
                "text": {
                  "emoji": true,
                  "text": "Failed only",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","status":"FAILED","page":1}",
              },
              {
                "action_id": "bulkjob_nav_refresh",
                "text": {
                  "emoji": true,
                  "text": "Refresh",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","page":2}",
              },
              {
                "action_id": "bulkjob_share",
                "style": "primary",
                "text": {
                  "emoji": true,
                  "text": "Share to channel",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","page":2}",
              },
              {
                "action_id": "bulkjob_export",
                "text": {
                  "emoji": true,
                  "text": "Export CSV",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","page":2}",
              },
              {
                "action_id": "bulkjob_watch",
                "text": {
                  "emoji": true,
                  "text": "Watch",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"watch","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"}",
              },
            ],
            "type": "actions",
          },
        ],
        "text": "Bulk MOVE → DeletedItems 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e: PROCESSING, 62% done (1,000 discovered · 600 successful · 20 failed · 380 pending) · page 2 of 7, all statuses",
      }
    `);
  });

  it('renders a finished job with its duration, and a filtered empty page', () => {
    const view = renderJobView(
      makeInput({
        job: makeJob({
          status: 'COMPLETED',
          messages_pending: 0,
          messages_successful: 980,
          completed_at: '2026-03-01T13:04:30Z',
          status_message: 'Done with warnings',
        }),
        messages: [],
        query: { kind: 'view', jobId: JOB_ID, status: 'PENDING', page: 1 },
        totalPages: undefined,
        hasNext: false,
      }),
    );
    const text = collectText(view);
    expect(text).toContain('*Duration*\\n1h 4m');
    expect(text).toContain('*Status message*\\nDone with warnings');
    expect(text).toContain('No pending messages.');
    expect(text).toContain('Page 1 · pending only');
    expect(findLimitViolations(view)).toEqual([]);
  });

  it('says so when the failed-only page is empty', () => {
    const view = renderJobView(
      makeInput({ messages: [], query: { kind: 'view', jobId: JOB_ID, status: 'FAILED', page: 1 } }),
    );
    expect(collectText(view)).toContain('No failed messages.');
    expect(collectText(view)).toContain('Page 1 of 7 · failed only');
  });

  it('shows elapsed time for a running job and handles a job with no times and no messages', () => {
    expect(collectText(renderJobView(makeInput()))).toContain('*Elapsed*\\n1h 4m');
    const view = renderJobView(
      makeInput({
        job: makeJob({
          started_at: null,
          completed_at: null,
          total_messages_discovered: 0,
          messages_pending: 0,
          messages_successful: 0,
          messages_failed: 0,
        }),
      }),
    );
    const text = collectText(view);
    expect(text).toContain('*Started*\\nnot yet');
    expect(text).toContain('░░░░░░░░░░ 0%\\nno messages discovered yet');
    expect(text).toContain('not started yet');
  });

  describe('buttons', () => {
    it('has Prev only after page 1, each carrying the page it leads to', () => {
      const first = renderJobView(makeInput({ query: { kind: 'view', jobId: JOB_ID, page: 1 } }));
      expect(collectButtons(first).has(prevButton.actionId)).toBe(false);
      const second = renderJobView(makeInput());
      expect(decodeButton(second, prevButton.actionId)).toEqual({ kind: 'view', jobId: JOB_ID, page: 1 });
    });

    it('has Next only when there is a next page, keeping the filter', () => {
      expect(collectButtons(renderJobView(makeInput({ hasNext: false }))).has(nextButton.actionId)).toBe(false);
      const filtered = renderJobView(makeInput({ query: { kind: 'view', jobId: JOB_ID, status: 'FAILED', page: 2 } }));
      expect(decodeButton(filtered, nextButton.actionId)).toEqual({
        kind: 'view',
        jobId: JOB_ID,
        status: 'FAILED',
        page: 3,
      });
    });

    it.each([
      [undefined, 'Failed only', { kind: 'view', jobId: JOB_ID, status: 'FAILED', page: 1 }],
      ['FAILED', 'All statuses', { kind: 'view', jobId: JOB_ID, page: 1 }],
      ['PENDING', 'All statuses', { kind: 'view', jobId: JOB_ID, page: 1 }],
    ] as const)('filter %s → %s', (status, label, next) => {
      const query =
        status === undefined
          ? { kind: 'view' as const, jobId: JOB_ID, page: 3 }
          : { kind: 'view' as const, jobId: JOB_ID, status, page: 3 };
      const view = renderJobView(makeInput({ query }));
      expect(labelOf(collectButtons(view).get(filterButton.actionId))).toBe(label);
      expect(decodeButton(view, filterButton.actionId)).toEqual(next);
    });

    it('has Refresh and Share with the same query, Share styled primary, in the actions block', () => {
      const view = renderJobView(makeInput({ query: { kind: 'view', jobId: JOB_ID, status: 'FAILED', page: 2 } }));
      const same = { kind: 'view', jobId: JOB_ID, status: 'FAILED', page: 2 };
      expect(decodeButton(view, refreshButton.actionId)).toEqual(same);
      expect(decodeButton(view, shareButton.actionId)).toEqual(same);
      expect(collectButtons(view).get(shareButton.actionId)?.style).toBe('primary');
      expect(view.blocks.at(-1)).toMatchObject({ type: 'actions', block_id: BlockId.actions });
    });

    it('has Watch only while the job is not terminal', () => {
      const running = renderJobView(makeInput());
      expect(decodeButton(running, watchButton.actionId)).toEqual({ kind: 'watch', jobId: JOB_ID });
      for (const status of ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED']) {
        const done = renderJobView(makeInput({ job: makeJob({ status }) }));
        expect(collectButtons(done).has(watchButton.actionId)).toBe(false);
      }
      expect(
        collectButtons(renderJobView(makeInput({ job: makeJob({ status: 'QUARANTINED_FOREVER' }) }))).has(
          watchButton.actionId,
        ),
      ).toBe(true);
    });

    it('has Cancel job, behind a confirm dialog, only when allowed and the job is running', () => {
      expect(collectButtons(renderJobView(makeInput({ mayCancel: false }))).has(cancelButton.actionId)).toBe(false);
      const allowed = collectButtons(renderJobView(makeInput({ mayCancel: true }))).get(cancelButton.actionId);
      expect(allowed).toMatchObject({
        style: 'danger',
        confirm: {
          title: { text: 'Cancel this job?' },
          confirm: { text: 'Cancel job' },
          deny: { text: 'Keep running' },
        },
      });
      expect(JSON.stringify(allowed)).toContain('pending will not be processed');
      const terminal = renderJobView(makeInput({ mayCancel: true, job: makeJob({ status: 'COMPLETED' }) }));
      expect(collectButtons(terminal).has(cancelButton.actionId)).toBe(false);
    });
  });

  it('shows recipients, retries, reasons and retry times in the view but not in the fallback text', () => {
    const view = renderJobView(makeInput());
    const blocks = JSON.stringify(view.blocks);
    expect(blocks).toContain('user1@example.com');
    expect(blocks).toContain(':x: *FAILED* · user2@example.com');
    expect(blocks).toContain('3 retries');
    expect(blocks).toContain('Reason: Mailbox not found · Cloudflare retries <!date^1772371800^');
    expect(view.text).not.toContain('@example.com');
  });

  it('gives each message its own section on a page of 10', () => {
    const messages = Array.from({ length: 10 }, (_, i) => makeMessage(i));
    const view = renderJobView(makeInput({ messages }));
    const messageSections = view.blocks.filter((b) => JSON.stringify(b).includes('@example.com'));
    expect(messageSections).toHaveLength(10);
  });

  describe('limits', () => {
    const stressQuery = { kind: 'view', jobId: JOB_ID, status: 'FAILED', page: 100_000 } as const;

    it.each([10, 50])('fits a full page of %i stress messages, all of them shown', (pageSize) => {
      const messages = Array.from({ length: pageSize }, (_, i) => makeStressMessage(i));
      const view = renderJobView(
        makeInput({
          job: makeStressJob(),
          messages,
          pageSize,
          query: stressQuery,
          totalPages: 100_000,
          mayCancel: true,
          requestedBy: '<!channel>',
        }),
      );
      expect(findLimitViolations(view)).toEqual([]);
      expect(view.blocks.length).toBeLessThanOrEqual(50);
      const text = collectText(view);
      for (let i = 0; i < pageSize; i++) expect(text).toContain(`r${i}-`);
      expect(text).not.toContain('did not fit');
    });

    it('packs messages several to a section when one a section would pass 50 blocks', () => {
      const messages = Array.from({ length: 50 }, (_, i) => makeMessage(i));
      const view = renderJobView(makeInput({ messages, pageSize: 50 }));
      expect(view.blocks.length).toBeLessThanOrEqual(50);
      for (let i = 0; i < 50; i++) expect(collectText(view)).toContain(`user${i}@example.com`);
    });

    it('never passes 50 blocks, saying how many messages did not fit', () => {
      const messages = Array.from({ length: 1000 }, (_, i) => makeStressMessage(i));
      const view = renderJobView(makeInput({ job: makeStressJob(), messages, pageSize: 1000 }));
      expect(findLimitViolations(view)).toEqual([]);
      expect(collectText(view)).toMatch(/[\d,]+ more messages on this page did not fit/);
    });

    it('escapes every upstream and user text, and renders unknown values as-is', () => {
      const messages: Message[] = [makeStressMessage(1), makeStressMessage(2)];
      const view = renderJobView(makeInput({ job: makeStressJob(), messages, requestedBy: '<!channel>' }));
      expect(findUnsafeMarkup(view)).toEqual([]);
      const text = collectText(view);
      expect(text).not.toContain('<!channel>');
      expect(text).toContain('&lt;!channel&gt;');
      expect(text).toContain(':grey_question: QUARANTINED_FOREVER');
      expect(text).toContain('Archive &lt;!channel&gt;');
      expect(text).toContain('*Comment*');
      expect(findLimitViolations(view)).toEqual([]);
    });

    it('survives an unknown action_params shape and unparseable times', () => {
      const job = makeJob({
        action_params: { type: 'UNKNOWN' },
        created_at: 'not a date',
        started_at: 'also <bad>',
      });
      const message = makeMessage(1, {
        action_params: { type: 'MOVE', client_recipient: 42 } as unknown as Message['action_params'],
        created_at: 'garbage',
        processed_at: null,
      });
      const view = renderJobView(makeInput({ job, messages: [message] }));
      expect(findLimitViolations(view)).toEqual([]);
      expect(findUnsafeMarkup(view)).toEqual([]);
      expect(collectText(view)).toContain('_unknown recipient_');
      expect(collectText(view)).toContain('also &lt;bad&gt;');
    });
  });
});
