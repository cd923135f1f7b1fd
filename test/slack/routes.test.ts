/** The routes: every button any view renders is routed back to the button that rendered it. */
import { describe, expect, it } from 'vitest';
import { renderStatusCard } from '../../src/features/card/blocks.js';
import { renderExportProgress } from '../../src/features/export/progress.js';
import { renderHome } from '../../src/features/home/blocks.js';
import { renderJobView } from '../../src/features/job-view/blocks.js';
import { renderJobList } from '../../src/features/list/blocks.js';
import { ACTION_PREFIX } from '../../src/slack/ids.js';
import { BUTTONS, COMMAND_ROUTES, findButton } from '../../src/slack/routes.js';
import { collectButtons, JOB_ID, makeFailures, makeJob, makeMessage, NOW, USER } from '../helpers/block-factory.js';

const rendered = [
  renderExportProgress({
    job: makeJob(),
    status: 'FAILED',
    exportId: '6f1c2a4e-8b7d-4e2f-9a3b-1c2d3e4f5a6b',
    rows: 2_000,
    expected: 9_000,
    elapsedMs: 3_000,
  }),
  renderJobView({
    job: makeJob(),
    failures: makeFailures(),
    messages: [makeMessage(1)],
    query: { kind: 'view', jobId: JOB_ID, page: 2, back: { page: 1 } },
    pageSize: 10,
    totalPages: 3,
    hasNext: true,
    requestedBy: USER,
    mayCancel: true,
    now: NOW,
  }),
  renderJobList({
    jobs: [makeJob(), makeJob({ job_id: '0f8fad5b-d9cb-469f-a165-70867728950e' })],
    query: { kind: 'list', page: 2 },
    pageSize: 2,
    hasNext: true,
    now: NOW,
  }),
  ...[undefined, 'active', 'stopped'].map((state) =>
    renderStatusCard({
      job: makeJob(),
      failures: makeFailures(),
      sharedBy: USER,
      sharedAt: NOW,
      updatedAt: NOW,
      ...(state ? { watch: { state: state as 'active', startedBy: USER, intervalSeconds: 30 } } : {}),
      mayCancel: true,
      now: NOW,
    }),
  ),
  renderHome({
    userId: USER,
    watches: [
      {
        watch: { id: 1, cardId: 7, startedBy: USER, startedAt: NOW } as never,
        card: { id: 7, channel: 'C0INCIDENT', jobId: JOB_ID, sharedAt: NOW } as never,
        job: makeJob(),
      },
    ],
    cards: [],
    jobs: [makeJob()],
    selected: undefined,
    note: undefined,
    now: NOW,
    complete: true,
  }),
];

describe('routes', () => {
  it('give every button its own action_id, within Slack’s limit and our prefix', () => {
    const ids = BUTTONS.map((b) => b.actionId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id.startsWith(ACTION_PREFIX)).toBe(true);
      expect(id.length + 4).toBeLessThanOrEqual(255);
    }
    // No button's id (as rendered) is taken by another's matcher.
    for (const button of BUTTONS) {
      const id = 'indexed' in button && button.indexed ? `${button.actionId}_0` : button.actionId;
      expect(BUTTONS.filter((b) => b.matches(id))).toEqual([button]);
    }
  });

  it('route every button a view, list or card renders, and every one is rendered somewhere', () => {
    const seen = new Set<string>();
    for (const message of rendered) {
      for (const actionId of collectButtons(message).keys()) {
        const button = findButton(actionId);
        expect(button, actionId).toBeDefined();
        seen.add(button!.actionId);
      }
    }
    expect([...seen].sort()).toEqual(BUTTONS.map((b) => b.actionId).sort());
  });

  it('route a list row’s View whatever its row, and nothing that is not ours', () => {
    expect(findButton('bulkjob_list_view_0')?.actionId).toBe('bulkjob_list_view');
    expect(findButton('bulkjob_list_view_19')?.actionId).toBe('bulkjob_list_view');
    expect(findButton('bulkjob_list_view')).toBeUndefined();
    expect(findButton('bulkjob_list_view_x')).toBeUndefined();
    expect(findButton('bulkjob_nav_view_0')).toBeUndefined();
    expect(findButton('bulkjob_unknown')).toBeUndefined();
  });

  it('route every kind of command', () => {
    expect(Object.keys(COMMAND_ROUTES).sort()).toEqual(['export', 'help', 'list', 'view', 'watch']);
  });
});
