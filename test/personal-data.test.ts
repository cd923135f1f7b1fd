import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scrub } from '../src/logger.js';
import { replaceEmails } from '../src/personal-data.js';
import { maskEmails } from '../src/slack/blocks/format.js';

describe('one address pattern for cards and logs', () => {
  it.each([
    'jane.doe@example-corp.com',
    'bob@bücher.de',
    'josé@example.com',
    'x@例子.广告',
    'first+tag@sub.example.co.uk',
  ])('%s is masked on cards and scrubbed from logs', (address) => {
    expect(maskEmails(`failed for ${address}.`)).toBe('failed for [address].');
    expect(scrub(`failed for ${address}`)).toBe('failed for [email redacted]');
  });

  it('leaves text without an address alone', () => {
    expect(replaceEmails('Graph API throttled (429) @ 10:00', '[x]')).toBe('Graph API throttled (429) @ 10:00');
  });
});

describe('addresses in disguise', () => {
  it.each([
    ['a quoted local part', '"John Doe"@corp.example'],
    ['a quoted local part with an escaped quote', '"John \\"JD\\" Doe"@corp.example'],
    ['a one-label domain', 'bob@localhost'],
    ['a full-width at-sign', 'bob＠corp.example'],
    ['a small at-sign', 'bob﹫corp.example'],
    ['a full-width dot', 'bob@corp．example'],
    ['a zero-width space inside the domain', 'bob@corp\u200b.example'],
    ['a zero-width space around the at-sign', 'bob\u200b@\u200bcorp.example'],
    ['a zero-width joiner in the domain', 'bob@co\u200drp.example'],
    ['a bidi override inside', 'bob@\u202ecorp.example'],
    ['a soft hyphen in the local part', 'bo\u00adb@corp.example'],
  ])('%s is masked on cards and scrubbed from logs', (_name, address) => {
    expect(maskEmails(`failed for ${address}, retry`)).toBe('failed for [address], retry');
    expect(scrub(`failed for ${address} now`)).toBe('failed for [email redacted] now');
  });

  it('leaves mentions, handles and times alone', () => {
    for (const text of ['Shared by <@U012ABCDEF>', 'ping @alex.rivera', 'at 10:00 @ HQ', '<!subteam^S1|@soc>']) {
      expect(maskEmails(text)).toBe(text);
    }
  });
});

describe('generated addresses never survive', () => {
  const invisible = fc.constantFrom('', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u202e');
  const atSign = fc.constantFrom('@', '＠', '﹫');
  const dot = fc.constantFrom('.', '．', '。');
  const labelChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-éüß例子');
  const label = fc.array(labelChar, { minLength: 1, maxLength: 12 }).map((chars) => chars.join(''));
  const plainLocal = fc
    .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789.+_-!#$%&*/=?^{}~'), { minLength: 1, maxLength: 20 })
    .map((chars) => chars.join(''));
  const quotedLocal = fc
    .array(fc.constantFrom(...'abc XYZ.,:;<>@()[]'), { minLength: 1, maxLength: 20 })
    .map((chars) => `"${chars.join('')}"`);
  const address = fc
    .tuple(
      fc.oneof(plainLocal, quotedLocal),
      invisible,
      atSign,
      invisible,
      fc.array(fc.tuple(label, invisible, dot, invisible), { maxLength: 3 }),
      label,
    )
    .map(([local, i1, at, i2, labels, last]) => {
      const domain = labels.map(([l, a, d, b]) => `${l}${a}${d}${b}`).join('') + last;
      return `${local}${i1}${at}${i2}${domain}`;
    });
  const around = fc.constantFrom(' ', ', ', ': ', '\n', ' (', '> ');

  it('masks every generated variant, wherever it sits in a sentence', () => {
    fc.assert(
      fc.property(address, around, around, (addr, before, after) => {
        const masked = maskEmails(`Delivery to${before}${addr}${after}failed`);
        const scrubbed = scrub(`Delivery to${before}${addr}${after}failed`);
        for (const out of [masked, scrubbed]) {
          expect(out).not.toContain(addr);
          // Nothing of the domain's last label is left next to an at-sign.
          expect(out).not.toMatch(/[@＠﹫]/u);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('hostile lengths', () => {
  it('a 200,000-character word before an at-sign is scanned in bounded steps, not quadratically', () => {
    // Unbounded repetitions took minutes here (a log line or an upstream error could hang the bot).
    const word = 'a'.repeat(200_000);
    expect(maskEmails(`${word}@corp.example`)).toMatch(/^a+\[address\]$/);
    expect(scrub(`"${word}@`)).toContain('@');
  });
});
