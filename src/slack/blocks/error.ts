/**
 * A short ephemeral error (docs/design.md, "What users see" — Errors). The text is one line from `userMessageFor`, already escaped by
 * whoever built it (it may carry our own markup, such as a code span), so it is only fitted here.
 */
import { buildFallbackText, buildSection } from './builders.js';
import { truncateMrkdwn } from './format.js';
import { LIMITS } from './limits.js';
import type { SlackMessage } from './types.js';

const PREFIX = ':warning: ';

export function renderError(text: string): SlackMessage {
  const body = text.trim() === '' ? 'Something went wrong in bulkjob. Try again.' : text;
  return {
    text: buildFallbackText(body),
    blocks: [buildSection(`${PREFIX}${truncateMrkdwn(body, LIMITS.sectionText - PREFIX.length)}`)],
  };
}
