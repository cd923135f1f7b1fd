import { describe, expect, it } from 'vitest';
import { cancelButton } from '../../../src/features/cancel/buttons.js';
import type { StatusCardInput } from '../../../src/features/card/blocks.js';
import { renderStatusCard } from '../../../src/features/card/blocks.js';
import { cardRefreshButton } from '../../../src/features/card/buttons.js';
import { stopWatchButton, watchButton } from '../../../src/features/watch/buttons.js';
import { findLimitViolations } from '../../../src/slack/blocks/limits.js';
import { BlockId } from '../../../src/slack/ids.js';
import { decodeQuery } from '../../../src/slack/query.js';
import {
  collectButtons,
  collectText,
  findUnsafeMarkup,
  HOSTILE,
  JOB_ID,
  makeFailures,
  makeJob,
  makeStressJob,
  NOW,
  OTHER_USER,
  USER,
} from '../../helpers/block-factory.js';

function makeInput(overrides: Partial<StatusCardInput> = {}): StatusCardInput {
  return {
    job: makeJob(),
    failures: makeFailures(),
    sharedBy: USER,
    sharedAt: new Date('2026-03-01T13:00:00Z'),
    updatedAt: NOW,
    mayCancel: false,
    now: NOW,
    ...overrides,
  };
}

const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'];

describe('renderStatusCard', () => {
  it('renders the summary, failure reasons, who shared it, the watch and the buttons', () => {
    expect(
      renderStatusCard(
        makeInput({ watch: { state: 'active', startedBy: OTHER_USER, intervalSeconds: 30 }, mayCancel: true }),
      ),
    ).toMatchInlineSnapshot(`
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
            "elements": [
              {
                "text": "Shared by <@U012ABCDEF> · <!date^1772370000^{date_short_pretty} {time}|2026-03-01T13:00:00Z>",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": "As of <!date^1772370270^{time_secs}|2026-03-01T13:04:30Z>",
                "type": "mrkdwn",
                "verbatim": true,
              },
              {
                "text": ":eyes: Watching — updates every 30 s, started by <@U098ZYXWVU>",
                "type": "mrkdwn",
                "verbatim": true,
              },
            ],
            "type": "context",
          },
          {
            "block_id": "bulkjob_card_actions",
            "elements": [
              {
                "action_id": "bulkjob_card_refresh",
                "text": {
                  "emoji": true,
                  "text": "Refresh",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","page":1}",
              },
              {
                "action_id": "bulkjob_stop_watch",
                "text": {
                  "emoji": true,
                  "text": "Stop watching",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"watch","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"}",
              },
              {
                "action_id": "bulkjob_cancel",
                "confirm": {
                  "confirm": {
                    "emoji": true,
                    "text": "Cancel job",
                    "type": "plain_text",
                  },
                  "deny": {
                    "emoji": true,
                    "text": "Keep running",
                    "type": "plain_text",
                  },
                  "style": "danger",
                  "text": {
                    "emoji": true,
                    "text": "Messages still pending will not be processed. Messages already moved or released stay where they are.",
                    "type": "plain_text",
                  },
                  "title": {
                    "emoji": true,
                    "text": "Cancel this job?",
                    "type": "plain_text",
                  },
                },
                "style": "danger",
                "text": {
                  "emoji": true,
                  "text": "Cancel job",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"kind":"view","jobId":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","page":1}",
              },
            ],
            "type": "actions",
          },
        ],
        "text": "Bulk MOVE → DeletedItems 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e: PROCESSING, 62% done (1,000 discovered · 600 successful · 20 failed · 380 pending)",
      }
    `);
  });

  it('names who requested it, as the view did, says who shared it and when it was read, and has no recipient', () => {
    const text = collectText(renderStatusCard(makeInput()));
    expect(text).toMatch(/\*Requested by\*(\\n|\n)<@U012ABCDEF>/);
    expect(text).not.toMatch(/@example-corp/);
    expect(text).toContain('Shared by <@U012ABCDEF> · <!date^1772370000^');
    expect(text).toContain('As of <!date^1772370270^{time_secs}|2026-03-01T13:04:30Z>');
  });

  it('masks every email-shaped string in status messages, comments, reasons and destinations', () => {
    const card = renderStatusCard(
      makeInput({
        job: makeJob({
          status_message: 'Delivery to bob@example.com failed',
          comment: 'asked by alice@corp.example.org',
          action_params: { type: 'MOVE', destination: 'carol@example.net' },
        }),
        failures: makeFailures({ reasons: [{ reason: '550 <dave@example.com> unknown user', count: 3 }] }),
      }),
    );
    const text = collectText(card);
    expect(text).not.toMatch(/bob@|alice@|carol@|dave@|example\.(com|net|org)/);
    expect(text).toContain('Delivery to [address] failed');
    expect(text).toContain('asked by [address]');
    expect(text).toContain('3 × 550 &lt;[address]&gt; unknown user');
    expect(card.text).toContain('MOVE → [address]');
  });

  describe('failure reasons', () => {
    it('lists every reason that fits, most frequent first, and "+N more" only for those that do not', () => {
      const reasons = Array.from({ length: 8 }, (_, i) => ({ reason: `reason ${i}`, count: i + 1 }));
      const text = collectText(renderStatusCard(makeInput({ failures: makeFailures({ reasons, scanned: 36 }) })));
      expect(text).toContain('• 8 × reason 7\\n• 7 × reason 6');
      expect(text).toContain('• 1 × reason 0');
      expect(text).not.toContain('more reason');

      // 300 reasons of 300 characters are far more than three sections hold.
      const many = Array.from({ length: 300 }, (_, i) => ({ reason: `${i} ${'x'.repeat(300)}`, count: 1000 - i }));
      const card = renderStatusCard(makeInput({ failures: makeFailures({ reasons: many, scanned: 5000 }) }));
      const shown = (collectText(card).match(/• [\d,]+ × /g) ?? []).length;
      expect(shown).toBeGreaterThan(20);
      expect(collectText(card)).toContain(`+ ${300 - shown} more reasons`);
      expect(findLimitViolations(card)).toEqual([]);
    });

    it('says when Cloudflare will retry a reason, and not when that time has passed', () => {
      const ahead = Date.parse('2026-03-01T13:30:00Z');
      const past = Date.parse('2026-03-01T12:30:00Z');
      const reasons = [
        { reason: '503 Service Unavailable', count: 1, retryAt: ahead },
        { reason: 'Mailbox not found', count: 9, retryAt: past },
      ];
      const text = collectText(renderStatusCard(makeInput({ failures: makeFailures({ reasons }) })));
      expect(text).toContain('• 1 × 503 Service Unavailable · Cloudflare retries <!date^1772371800^');
      expect(text).toContain('• 9 × Mailbox not found\\n');
    });

    it('says when reasons come from a capped scan', () => {
      const capped = collectText(
        renderStatusCard(makeInput({ failures: makeFailures({ scanned: 5000, complete: false }) })),
      );
      expect(capped).toContain('*Failure reasons* (from the first 5,000 failures)');
      expect(collectText(renderStatusCard(makeInput()))).not.toContain('from the first');
    });

    it('leaves the section out when nothing failed', () => {
      const text = collectText(
        renderStatusCard(
          makeInput({ job: makeJob({ messages_failed: 0 }), failures: { reasons: [], scanned: 0, complete: true } }),
        ),
      );
      expect(text).not.toContain('Failure reasons');
    });
  });

  it.each([
    [
      'active',
      { state: 'active', startedBy: USER, intervalSeconds: 30 },
      ':eyes: Watching — updates every 30 s, started by <@U012ABCDEF>',
    ],
    ['finished', { state: 'finished', startedBy: USER, intervalSeconds: 30 }, 'Watch finished'],
    [
      'stopped',
      { state: 'stopped', startedBy: USER, stoppedBy: OTHER_USER, intervalSeconds: 30 },
      'Watch stopped by <@U098ZYXWVU>',
    ],
    ['expired', { state: 'expired', startedBy: USER, intervalSeconds: 30 }, 'Watch expired'],
    ['lost', { state: 'lost', startedBy: USER, intervalSeconds: 30 }, 'Watch lost'],
  ] as const)('shows the %s watch line', (_state, watch, line) => {
    expect(collectText(renderStatusCard(makeInput({ watch })))).toContain(line);
  });

  it('says who cancelled the job from Slack', () => {
    const text = collectText(
      renderStatusCard(makeInput({ job: makeJob({ status: 'CANCELLED' }), cancelledBy: OTHER_USER })),
    );
    expect(text).toContain('Cancelled from Slack by <@U098ZYXWVU>');
  });

  describe('buttons', () => {
    it('always has Refresh, leading to page 1 of the job view, in the card actions block', () => {
      const card = renderStatusCard(makeInput({ job: makeJob({ status: 'COMPLETED' }) }));
      const value = collectButtons(card).get(cardRefreshButton.actionId)?.value;
      expect(decodeQuery(value as string)).toEqual({ kind: 'view', jobId: JOB_ID, page: 1 });
      expect(card.blocks.at(-1)).toMatchObject({ type: 'actions', block_id: BlockId.cardActions });
    });

    it('has Watch when no watch is active and the job runs; Stop watching while a watch is active', () => {
      const unwatched = collectButtons(renderStatusCard(makeInput()));
      expect(decodeQuery(unwatched.get(watchButton.actionId)?.value as string)).toEqual({
        kind: 'watch',
        jobId: JOB_ID,
      });
      expect(unwatched.has(stopWatchButton.actionId)).toBe(false);
      const stopped = collectButtons(
        renderStatusCard(makeInput({ watch: { state: 'stopped', startedBy: USER, intervalSeconds: 30 } })),
      );
      expect(stopped.has(watchButton.actionId)).toBe(true);
      const active = collectButtons(
        renderStatusCard(makeInput({ watch: { state: 'active', startedBy: USER, intervalSeconds: 30 } })),
      );
      expect(active.has(stopWatchButton.actionId)).toBe(true);
      expect(active.has(watchButton.actionId)).toBe(false);
    });

    it('has Cancel job behind a confirm only when shown and the job runs', () => {
      expect(collectButtons(renderStatusCard(makeInput())).has(cancelButton.actionId)).toBe(false);
      const cancel = collectButtons(renderStatusCard(makeInput({ mayCancel: true }))).get(cancelButton.actionId);
      expect(cancel).toMatchObject({ style: 'danger', confirm: { title: { text: 'Cancel this job?' } } });
    });

    it.each(TERMINAL)('has neither Watch nor Cancel for a %s job', (status) => {
      const buttons = collectButtons(renderStatusCard(makeInput({ job: makeJob({ status }), mayCancel: true })));
      expect(buttons.has(watchButton.actionId)).toBe(false);
      expect(buttons.has(cancelButton.actionId)).toBe(false);
      expect(buttons.has(cardRefreshButton.actionId)).toBe(true);
    });
  });

  describe('limits', () => {
    it('fits and escapes everything for a hostile, oversized, unknown job', () => {
      const reasons = Array.from({ length: 40 }, (_, i) => ({
        reason: `${HOSTILE} eve${i}@example.com ${'&<>'.repeat(600)}`.slice(0, 2000),
        count: 1000 - i,
      }));
      const card = renderStatusCard(
        makeInput({
          job: makeStressJob({ messages_failed: 5000 }),
          failures: { reasons, scanned: 5000, complete: false },
          watch: { state: 'stopped', startedBy: '<!channel>', stoppedBy: '<!here>', intervalSeconds: 30 },
          cancelledBy: '<!everyone>',
          sharedBy: HOSTILE,
          mayCancel: true,
        }),
      );
      expect(findLimitViolations(card)).toEqual([]);
      expect(findUnsafeMarkup(card)).toEqual([]);
      const text = collectText(card);
      expect(text).not.toContain('<!channel>');
      expect(text).toContain('&lt;!channel&gt;');
      expect(text).toContain(':grey_question: QUARANTINED_FOREVER');
      expect(text).not.toContain('@example.com');
      // As many as three sections hold (27 of these long ones), then how many more.
      const shown = (text.match(/• [\d,]+ × /g) ?? []).length;
      expect(shown).toBeGreaterThan(20);
      expect(text).toContain(`+ ${40 - shown} more reasons`);
    });

    it('fits for every watch state and a job with total 0 and no times', () => {
      for (const state of ['active', 'finished', 'stopped', 'expired', 'lost'] as const) {
        const card = renderStatusCard(
          makeInput({ job: makeStressJob(), watch: { state, startedBy: USER, intervalSeconds: 30 }, mayCancel: true }),
        );
        expect(findLimitViolations(card)).toEqual([]);
      }
    });
  });
});
