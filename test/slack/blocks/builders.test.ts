import { describe, expect, it } from 'vitest';
import {
  buildActions,
  buildButton,
  buildContext,
  buildFallbackText,
  buildFieldsSection,
  buildHeader,
  buildSection,
} from '../../../src/slack/blocks/builders.js';
import { findLimitViolations } from '../../../src/slack/blocks/limits.js';
import { findUnsafeMarkup } from '../../helpers/block-factory.js';

describe('builders (the last-resort cut)', () => {
  it('keeps every oversized piece within its limit without splitting an entity or a token', () => {
    const huge = `${'&amp;'.repeat(700)} <@U012ABCDEF> ${'x'.repeat(5000)}`;
    const message = {
      text: buildFallbackText(huge),
      blocks: [
        buildHeader(huge),
        buildSection(huge),
        buildFieldsSection(Array.from({ length: 12 }, () => huge)),
        buildContext(Array.from({ length: 12 }, () => huge)),
        ...buildActions(
          'b',
          Array.from({ length: 30 }, (_, i) => buildButton({ text: huge, actionId: `a${i}`, value: 'v' })),
        ),
      ],
    };
    expect(findLimitViolations(message)).toEqual([]);
    expect(findUnsafeMarkup(message)).toEqual([]);
  });

  it('never builds an empty text or an empty actions block', () => {
    expect(
      findLimitViolations({ text: buildFallbackText(''), blocks: [buildSection(''), ...buildActions('b', [])] }),
    ).toEqual([]);
    expect(buildActions('b', [])).toEqual([]);
  });
});
