import { describe, expect, it } from 'vitest';
import { findLimitViolations } from '../../../src/slack/blocks/limits.js';
import type { Block, SlackMessage } from '../../../src/slack/blocks/types.js';

const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const button = (actionId: string, extra: Record<string, unknown> = {}) => ({
  type: 'button',
  text: plain('Go'),
  action_id: actionId,
  value: 'v',
  ...extra,
});
const message = (...blocks: Block[]): SlackMessage => ({ text: 'fallback', blocks });
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text) });

describe('findLimitViolations', () => {
  it('passes a message within every limit', () => {
    expect(
      findLimitViolations(
        message(
          { type: 'header', text: plain('x'.repeat(150)) },
          section('x'.repeat(3000)),
          { type: 'section', fields: Array.from({ length: 10 }, () => mrkdwn('x'.repeat(2000))) },
          { type: 'context', elements: Array.from({ length: 10 }, () => mrkdwn('x')) },
          { type: 'divider' },
          {
            type: 'actions',
            block_id: 'b'.repeat(255),
            elements: Array.from({ length: 25 }, (_, i) => button(`a${i}`, { value: 'v'.repeat(2000) })),
          },
        ),
      ),
    ).toEqual([]);
  });

  it.each<[string, SlackMessage, string]>([
    ['too many blocks', message(...Array.from({ length: 51 }, () => section('x'))), 'blocks: 51 blocks (max 50)'],
    ['fallback text too long', { text: 'x'.repeat(4001), blocks: [] }, 'text: fallback text is 4001 characters'],
    ['fallback text empty', { text: ' ', blocks: [] }, 'text: fallback text is empty'],
    ['section text too long', message(section('x'.repeat(3001))), 'text is 3001 characters (max 3000)'],
    ['empty text', message(section('')), 'text is empty'],
    ['blank text', message(section(' \n ')), 'text is empty'],
    [
      'too many fields',
      message({ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('x')) }),
      '11 fields (max 10)',
    ],
    [
      'field too long',
      message({ type: 'section', fields: [mrkdwn('x'.repeat(2001))] }),
      'fields[0]: text is 2001 characters (max 2000)',
    ],
    ['section with nothing', message({ type: 'section' }), 'section has neither text nor fields'],
    ['header too long', message({ type: 'header', text: plain('x'.repeat(151)) }), 'text is 151 characters (max 150)'],
    ['header in mrkdwn', message({ type: 'header', text: mrkdwn('x') }), 'text type must be plain_text'],
    [
      'too many context elements',
      message({ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('x')) }),
      '11 elements (max 10)',
    ],
    [
      'too many actions',
      message({ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`a${i}`)) }),
      '26 elements (max 25)',
    ],
    ['empty actions', message({ type: 'actions', elements: [] }), 'actions block has no elements'],
    [
      'button text too long',
      message({ type: 'actions', elements: [{ ...button('a'), text: plain('x'.repeat(76)) }] }),
      'text is 76 characters (max 75)',
    ],
    [
      'button value too long',
      message({ type: 'actions', elements: [button('a', { value: 'v'.repeat(2001) })] }),
      'value is 2001 characters (max 2000)',
    ],
    [
      'action_id too long',
      message({ type: 'actions', elements: [button('a'.repeat(256))] }),
      'action_id is 256 characters (max 255)',
    ],
    [
      'block_id too long',
      message({ type: 'divider', block_id: 'b'.repeat(256) }),
      'block_id is 256 characters (max 255)',
    ],
    [
      'duplicate action_id',
      message(
        { type: 'actions', elements: [button('same')] },
        { type: 'section', text: mrkdwn('x'), accessory: button('same') },
      ),
      'duplicate action_id "same"',
    ],
    [
      'duplicate block_id',
      message({ type: 'divider', block_id: 'b' }, { type: 'divider', block_id: 'b' }),
      'duplicate block_id "b"',
    ],
    [
      'bad button style',
      message({ type: 'actions', elements: [button('a', { style: 'loud' })] }),
      'button style must be primary or danger',
    ],
    [
      'accessory button text too long',
      message({ type: 'section', text: mrkdwn('x'), accessory: { ...button('a'), text: plain('x'.repeat(80)) } }),
      'accessory (button text): text is 80 characters (max 75)',
    ],
    [
      'confirm title too long',
      message({
        type: 'actions',
        elements: [
          button('a', {
            confirm: { title: plain('x'.repeat(101)), text: plain('x'), confirm: plain('y'), deny: plain('n') },
          }),
        ],
      }),
      '(confirm) title: text is 101 characters (max 100)',
    ],
    [
      'confirm button too long',
      message({
        type: 'actions',
        elements: [
          button('a', {
            confirm: { title: plain('t'), text: plain('x'), confirm: plain('y'.repeat(31)), deny: plain('n') },
          }),
        ],
      }),
      '(confirm) confirm: text is 31 characters (max 30)',
    ],
    ['unknown block type', message({ type: 'video' }), 'unexpected block type'],
  ])('catches %s', (_name, input, expected) => {
    const violations = findLimitViolations(input);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.join('\n')).toContain(expected);
  });
});
