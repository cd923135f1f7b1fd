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
