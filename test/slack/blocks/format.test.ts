import { describe, expect, it } from 'vitest';
import {
  computePercent,
  describeActionRaw,
  escapeAndTruncate,
  formatDurationCompact,
  formatSlackDate,
  formatStatus,
  formatUser,
  maskEmails,
  progressBar,
  statusEmoji,
  truncate,
  truncateMrkdwn,
} from '../../../src/slack/blocks/format.js';

describe('statusEmoji / formatStatus', () => {
  it.each([
    ['PENDING', ':hourglass_flowing_sand:'],
    ['DISCOVERING', ':mag:'],
    ['PROCESSING', ':arrows_counterclockwise:'],
    ['COMPLETED', ':white_check_mark:'],
    ['FAILED', ':x:'],
    ['CANCELLED', ':no_entry_sign:'],
    ['SKIPPED', ':fast_forward:'],
    ['QUARANTINED_FOREVER', ':grey_question:'],
    ['toString', ':grey_question:'],
  ])('%s → %s', (status, emoji) => {
    expect(statusEmoji(status)).toBe(emoji);
  });

  it('shows an unknown status as-is, escaped', () => {
    expect(formatStatus('QUARANTINED_FOREVER')).toBe(':grey_question: QUARANTINED_FOREVER');
    expect(formatStatus('<!channel>')).toBe(':grey_question: &lt;!channel&gt;');
  });
});

describe('truncate', () => {
  it('leaves short text alone and cuts long text with an ellipsis within the limit', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcdef', 4)).toHaveLength(4);
  });

  it('never splits a surrogate pair', () => {
    const out = truncate('a😀😀😀', 4);
    expect(out).toBe('a😀…');
    expect(out.isWellFormed()).toBe(true);
  });
});

describe('escapeAndTruncate', () => {
  it('escapes & < >', () => {
    expect(escapeAndTruncate('<!channel> & co', 100)).toBe('&lt;!channel&gt; &amp; co');
  });

  it('never cuts an entity in half', () => {
    for (let max = 1; max <= 20; max++) {
      const out = escapeAndTruncate('&&&&<<<<>>>>', max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/[&<>]/);
    }
  });
});

describe('truncateMrkdwn', () => {
  it('drops a half entity or a half token at the cut', () => {
    expect(truncateMrkdwn('ab &amp; cd', 6)).toBe('ab …');
    expect(truncateMrkdwn('hi <@U012ABCDEF> there', 10)).toBe('hi …');
    expect(truncateMrkdwn('short', 10)).toBe('short');
  });
});

describe('formatSlackDate', () => {
  it('renders a date token with an ISO fallback', () => {
    expect(formatSlackDate('2026-03-01T12:00:00.123Z')).toBe(
      '<!date^1772366400^{date_short_pretty} {time}|2026-03-01T12:00:00Z>',
    );
    expect(formatSlackDate(new Date('2026-03-01T12:00:00Z'))).toContain('<!date^1772366400^');
  });

  it('shows — for a missing time and an unparseable one escaped', () => {
    expect(formatSlackDate(null)).toBe('—');
    expect(formatSlackDate(undefined)).toBe('—');
    expect(formatSlackDate('<!channel> soon')).toBe('&lt;!channel&gt; soon');
  });
});

describe('progressBar / computePercent', () => {
  it.each([
    [620, 1000, '▓▓▓▓▓▓░░░░ 62%'],
    [0, 1000, '░░░░░░░░░░ 0%'],
    [1000, 1000, '▓▓▓▓▓▓▓▓▓▓ 100%'],
    [999, 1000, '▓▓▓▓▓▓▓▓▓░ 99%'],
    [0, 0, '░░░░░░░░░░ 0%'],
    [5, 0, '░░░░░░░░░░ 0%'],
    [1200, 1000, '▓▓▓▓▓▓▓▓▓▓ 100%'],
    [-3, 10, '░░░░░░░░░░ 0%'],
  ])('%i of %i → %s', (done, total, bar) => {
    expect(progressBar(done, total)).toBe(bar);
  });

  it('never shows 100% before the job is done', () => {
    expect(computePercent(9999, 10000)).toBe(99);
  });
});

describe('formatDurationCompact', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [245_000, '4m 5s'],
    [3_840_000, '1h 4m'],
    [3_600_000, '1h'],
    [183_600_000, '2d 3h'],
    [-5000, '0s'],
    [Number.NaN, '0s'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDurationCompact(ms)).toBe(text);
  });
});

describe('maskEmails', () => {
  it('masks anything email-shaped', () => {
    expect(maskEmails('550 5.1.1 <bob@example.com>: mailbox unavailable, cc a.b+c@mail.example.co.uk.')).toBe(
      '550 5.1.1 <[address]>: mailbox unavailable, cc [address].',
    );
    expect(maskEmails('no address here @ all')).toBe('no address here @ all');
  });
});

describe('formatUser', () => {
  it('mentions Slack user ids and escapes anything else', () => {
    expect(formatUser('U012ABCDEF')).toBe('<@U012ABCDEF>');
    expect(formatUser('W012ABCDEF')).toBe('<@W012ABCDEF>');
    expect(formatUser('<!channel>')).toBe('&lt;!channel&gt;');
  });
});

describe('describeActionRaw', () => {
  it('reads destination defensively from any shape', () => {
    expect(describeActionRaw('MOVE', { type: 'MOVE', destination: 'DeletedItems' })).toBe('MOVE → DeletedItems');
    expect(describeActionRaw('RELEASE', { type: 'RELEASE' })).toBe('RELEASE');
    expect(describeActionRaw('MOVE', { destination: { nested: true } })).toBe('MOVE');
    expect(describeActionRaw('', null)).toBe('UNKNOWN');
    expect(describeActionRaw('ARCHIVE', 'weird')).toBe('ARCHIVE');
  });
});
