import { describe, expect, it } from 'vitest';
import type { CompletionNoticeInput } from '../../../src/features/watch/notice-blocks.js';
import { renderCompletionNotice } from '../../../src/features/watch/notice-blocks.js';
import { findLimitViolations } from '../../../src/slack/blocks/limits.js';
import {
  collectText,
  findUnsafeMarkup,
  HOSTILE,
  makeFailures,
  makeJob,
  makeStressJob,
  NOW,
  USER,
} from '../../helpers/block-factory.js';

function makeInput(overrides: Partial<CompletionNoticeInput> = {}): CompletionNoticeInput {
  return {
    job: makeJob({
      status: 'COMPLETED',
      messages_pending: 0,
      messages_successful: 980,
      completed_at: '2026-03-01T13:04:30Z',
    }),
    failures: makeFailures(),
    watcher: USER,
    reason: 'terminal',
    now: NOW,
    ...overrides,
  };
}

describe('renderCompletionNotice', () => {
  it('mentions the watcher and says how the job ended, with counts, duration and reasons', () => {
    expect(renderCompletionNotice(makeInput())).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "text": "<@U012ABCDEF> Bulk MOVE → DeletedItems \`182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e\` ended: :warning: COMPLETED with 20 failures (2%).
      1,000 discovered · 980 successful · 20 failed · 0 pending · duration 1h 4m",
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
        ],
        "text": "<@U012ABCDEF> Bulk MOVE → DeletedItems job 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e ended COMPLETED with 20 failures (2%): 1,000 discovered · 980 successful · 20 failed · 0 pending",
      }
    `);
  });

  it.each([
    ['COMPLETED', 0, 'ended: :white_check_mark: COMPLETED.'],
    ['COMPLETED', 20, 'ended: :warning: COMPLETED with 20 failures (2%).'],
    ['FAILED', 20, 'ended: :x: FAILED'],
    ['CANCELLED', 20, 'ended: :no_entry_sign: CANCELLED'],
    ['SKIPPED', 0, 'ended: :fast_forward: SKIPPED'],
    ['QUARANTINED_FOREVER', 0, 'ended: :grey_question: QUARANTINED_FOREVER'],
  ])('%s with %i failures → %s', (status, failed, words) => {
    const notice = renderCompletionNotice(
      makeInput({
        job: makeJob({ status, completed_at: '2026-03-01T13:04:30Z', messages_failed: failed, messages_pending: 0 }),
      }),
    );
    expect(collectText(notice)).toContain(words);
    expect(notice.text).toContain('<@U012ABCDEF>');
  });

  it('says the watch gave up while the job still runs', () => {
    const notice = renderCompletionNotice(
      makeInput({ job: makeJob({ status: 'PROCESSING' }), reason: 'expired', watchedForSeconds: 12 * 3600 }),
    );
    expect(collectText(notice)).toContain(
      '<@U012ABCDEF> :hourglass: Stopped watching after 12h, job still :arrows_counterclockwise: PROCESSING',
    );
    expect(collectText(notice)).toContain('elapsed 1h 4m');
  });

  it('lists every failure reason that fits, masked', () => {
    const reasons = [
      { reason: 'a', count: 1 },
      { reason: 'to bob@example.com', count: 9 },
      { reason: 'c', count: 5 },
      { reason: 'd', count: 3 },
    ];
    const text = collectText(renderCompletionNotice(makeInput({ failures: makeFailures({ reasons }) })));
    expect(text).toContain('• 9 × to [address]\\n• 5 × c\\n• 3 × d\\n• 1 × a');
    expect(text).not.toContain('more reason');
    expect(text).not.toContain('bob@example.com');
  });

  it('fits and escapes a hostile, oversized, unknown job', () => {
    const reasons = Array.from({ length: 30 }, (_, i) => ({
      reason: `${HOSTILE} ${'&'.repeat(1990)}`,
      count: 100 - i,
    }));
    for (const reason of ['terminal', 'expired'] as const) {
      const notice = renderCompletionNotice(
        makeInput({ job: makeStressJob(), failures: makeFailures({ reasons }), watcher: '<!channel>', reason }),
      );
      expect(findLimitViolations(notice)).toEqual([]);
      expect(findUnsafeMarkup(notice)).toEqual([]);
      expect(collectText(notice)).not.toContain('<!channel>');
      expect(collectText(notice)).not.toContain('@example.com');
    }
  });
});
