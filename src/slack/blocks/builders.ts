/**
 * Block Kit constructors. They take text that is already escaped and sized by the caller (the formatters
 * budget each piece so it fits), and apply a last, markup-aware cut to the limit so that no single
 * oversized piece can get a whole message rejected.
 */
import { truncateMrkdwn } from './format.js';
import { LIMITS } from './limits.js';
import type { Block } from './types.js';

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji: true;
}

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
  /**
   * `verbatim` stops Slack's automatic parsing of plain words (bare URLs, `@channel`-like words,
   * #channel names) in text we did not write, while our own `<@U…>` and `<!date…>` markup still renders.
   */
  verbatim: true;
}

/** Slack's minimum text length is 1 (whitespace does not count): an empty text gets the whole message rejected. */
function ensureText(text: string): string {
  return text.trim() === '' ? '—' : text;
}

/** A plain_text object; `text` must be escaped (Slack decodes `&amp;` `&lt;` `&gt;` in plain text too). */
export function buildPlainText(text: string, max: number): PlainText {
  return { type: 'plain_text', text: ensureText(truncateMrkdwn(text, max)), emoji: true };
}

export function buildMrkdwn(text: string, max: number): MrkdwnText {
  return { type: 'mrkdwn', text: ensureText(truncateMrkdwn(text, max)), verbatim: true };
}

export function buildHeader(text: string): Block {
  return { type: 'header', text: buildPlainText(text, LIMITS.headerText) };
}

export function buildSection(text: string): Block {
  return { type: 'section', text: buildMrkdwn(text, LIMITS.sectionText) };
}

export function buildFieldsSection(fields: string[]): Block {
  return {
    type: 'section',
    fields: fields.slice(0, LIMITS.sectionFields).map((field) => buildMrkdwn(field, LIMITS.fieldText)),
  };
}

export function buildContext(texts: string[]): Block {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((text) => buildMrkdwn(text, LIMITS.contextText)),
  };
}

export function buildDivider(): Block {
  return { type: 'divider' };
}

export interface ButtonOptions {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: Record<string, unknown>;
}

export function buildButton(options: ButtonOptions): Record<string, unknown> {
  return {
    type: 'button',
    text: buildPlainText(options.text, LIMITS.buttonText),
    action_id: options.actionId,
    value: options.value,
    ...(options.style === undefined ? {} : { style: options.style }),
    ...(options.confirm === undefined ? {} : { confirm: options.confirm }),
  };
}

/** An actions block, or nothing when there are no buttons (Slack rejects an empty actions block). */
export function buildActions(blockId: string, elements: Record<string, unknown>[]): Block[] {
  if (elements.length === 0) return [];
  return [{ type: 'actions', block_id: blockId, elements: elements.slice(0, LIMITS.actionsElements) }];
}

/** Fit the fallback `text` of a message (notifications, screen readers); upstream pieces are escaped by the caller. */
export function buildFallbackText(text: string): string {
  return ensureText(truncateMrkdwn(text, LIMITS.fallbackText));
}
