import { describe, expect, it } from 'vitest';
import type { JobListInput } from '../../../src/features/list/blocks.js';
import { renderJobList } from '../../../src/features/list/blocks.js';
import { listNextButton, listPrevButton, listViewButton } from '../../../src/features/list/buttons.js';
import { findLimitViolations } from '../../../src/slack/blocks/limits.js';
import { BlockId } from '../../../src/slack/ids.js';
import { decodeQuery } from '../../../src/slack/query.js';
import {
  collectButtons,
  collectText,
  findUnsafeMarkup,
  makeJob,
  makeStressJob,
  NOW,
} from '../../helpers/block-factory.js';

const idFor = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function makeInput(overrides: Partial<JobListInput> = {}): JobListInput {
  return {
    jobs: [
      makeJob({ job_id: idFor(1), created_at: '2026-03-01T10:00:00Z', status: 'COMPLETED', comment: null }),
      makeJob({ job_id: idFor(2), created_at: '2026-03-01T12:00:00Z' }),
    ],
    query: { kind: 'list', page: 1 },
    pageSize: 20,
    hasNext: false,
    now: NOW,
    ...overrides,
  };
}

describe('renderJobList', () => {
  it('renders one row a job, newest first, each with a View button', () => {
    expect(
      renderJobList(makeInput({ query: { kind: 'list', status: 'PROCESSING', page: 2 }, hasNext: true })),
    ).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": "Recent bulk jobs · processing",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "accessory": {
              "action_id": "bulkjob_list_view_0",
              "text": {
                "emoji": true,
                "text": "View",
                "type": "plain_text",
              },
              "type": "button",
              "value": "{"kind":"view","jobId":"00000000-0000-4000-8000-000000000002","page":1,"back":{"page":2,"status":"PROCESSING"}}",
            },
            "text": {
              "text": ":arrows_counterclockwise: PROCESSING · *MOVE → DeletedItems*
      \`00000000-0000-4000-8000-000000000002\`
      1,000 discovered · 600 successful · 20 failed · 380 pending · ▓▓▓▓▓▓░░░░ 62%
      Created <!date^1772366400^{date_short_pretty} {time}|2026-03-01T12:00:00Z>
      Comment: INC-4711 phishing campaign",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "accessory": {
              "action_id": "bulkjob_list_view_1",
              "text": {
                "emoji": true,
                "text": "View",
                "type": "plain_text",
              },
              "type": "button",
              "value": "{"kind":"view","jobId":"00000000-0000-4000-8000-000000000001","page":1,"back":{"page":2,"status":"PROCESSING"}}",
            },
            "text": {
              "text": ":warning: COMPLETED with 20 failures (2%) · *MOVE → DeletedItems*
      \`00000000-0000-4000-8000-000000000001\`
      1,000 discovered · 600 successful · 20 failed · 380 pending · ▓▓▓▓▓▓░░░░ 62%
      Created <!date^1772359200^{date_short_pretty} {time}|2026-03-01T10:00:00Z>",
              "type": "mrkdwn",
              "verbatim": true,
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "Page 2 · processing · as of <!date^1772370270^{time_secs}|2026-03-01T13:04:30Z>",
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
                "action_id": "bulkjob_list_prev",
                "text": {
                  "emoji": true,
                  "text": "◀ Prev",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"list","status":"PROCESSING","page":1}",
              },
              {
                "action_id": "bulkjob_list_next",
                "text": {
                  "emoji": true,
                  "text": "Next ▶",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"list","status":"PROCESSING","page":3}",
              },
            ],
            "type": "actions",
          },
        ],
        "text": "2 bulk jobs (processing, page 2)",
      }
    `);
  });

  it('sorts by created_at, newest first, with unparseable times last', () => {
    const jobs = [
      makeJob({ job_id: idFor(1), created_at: 'garbage' }),
      makeJob({ job_id: idFor(2), created_at: '2026-01-01T00:00:00Z' }),
      makeJob({ job_id: idFor(3), created_at: '2026-02-01T00:00:00Z' }),
    ];
    const list = renderJobList(makeInput({ jobs }));
    const views = [...collectButtons(list).entries()]
      .filter(([id]) => id.startsWith(listViewButton.actionId))
      .map(([id, button]) => [id, (decodeQuery(button.value as string) as { jobId: string }).jobId]);
    expect(views).toEqual([
      [`${listViewButton.actionId}_0`, idFor(3)],
      [`${listViewButton.actionId}_1`, idFor(2)],
      [`${listViewButton.actionId}_2`, idFor(1)],
    ]);
  });

  it('gives each View button a unique action id and a view query for page 1 that knows its way back', () => {
    const list = renderJobList(makeInput({ query: { kind: 'list', status: 'PROCESSING', page: 3 } }));
    const value = collectButtons(list).get(`${listViewButton.actionId}_0`)?.value;
    expect(decodeQuery(value as string)).toEqual({
      kind: 'view',
      jobId: idFor(2),
      page: 1,
      back: { status: 'PROCESSING', page: 3 },
    });
  });

  describe('paging', () => {
    it('has Prev only after page 1 and Next only when there is more, keeping the filter', () => {
      const first = collectButtons(renderJobList(makeInput()));
      expect(first.has(listPrevButton.actionId)).toBe(false);
      expect(first.has(listNextButton.actionId)).toBe(false);
      const middle = renderJobList(makeInput({ query: { kind: 'list', status: 'FAILED', page: 3 }, hasNext: true }));
      const buttons = collectButtons(middle);
      expect(decodeQuery(buttons.get(listPrevButton.actionId)?.value as string)).toEqual({
        kind: 'list',
        status: 'FAILED',
        page: 2,
      });
      expect(decodeQuery(buttons.get(listNextButton.actionId)?.value as string)).toEqual({
        kind: 'list',
        status: 'FAILED',
        page: 4,
      });
      expect(middle.blocks.at(-1)).toMatchObject({ type: 'actions', block_id: BlockId.actions });
      expect(collectText(middle)).toContain('Page 3 · failed');
    });

    it('leaves out the actions block when there is nowhere to go', () => {
      expect(renderJobList(makeInput()).blocks.some((b) => b.type === 'actions')).toBe(false);
    });
  });

  it.each([
    [{ kind: 'list', status: 'FAILED', page: 1 }, 'No jobs with status failed.'],
    [{ kind: 'list', page: 1 }, 'No bulk jobs yet.'],
    [{ kind: 'list', page: 4 }, 'No bulk jobs on page 4.'],
  ] as const)('says so when the list is empty (%o)', (query, line) => {
    const list = renderJobList(makeInput({ jobs: [], query }));
    expect(collectText(list)).toContain(line);
    expect(findLimitViolations(list)).toEqual([]);
  });

  describe('limits', () => {
    it('fits 20 hostile, oversized jobs on a page and escapes them', () => {
      const jobs = Array.from({ length: 20 }, (_, i) => makeStressJob({ job_id: idFor(i) }));
      const list = renderJobList(makeInput({ jobs, query: { kind: 'list', page: 2 }, hasNext: true }));
      expect(findLimitViolations(list)).toEqual([]);
      expect(findUnsafeMarkup(list)).toEqual([]);
      expect(collectText(list)).not.toContain('<!channel>');
      expect(collectText(list)).toContain(':grey_question: QUARANTINED_FOREVER');
      expect(list.blocks.filter((b) => b.accessory !== undefined)).toHaveLength(20);
    });

    it('never passes 50 blocks, however many jobs arrive', () => {
      const jobs = Array.from({ length: 100 }, (_, i) => makeJob({ job_id: idFor(i) }));
      const list = renderJobList(makeInput({ jobs, hasNext: true, query: { kind: 'list', page: 2 } }));
      expect(findLimitViolations(list)).toEqual([]);
      expect(collectText(list)).toContain('53 more jobs not shown');
    });
  });
});
