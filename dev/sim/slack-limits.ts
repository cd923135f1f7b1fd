/**
 * Slack's message limits (docs/design.md, "Slack limits"), checked on everything the bot sends to the simulator. Real Slack
 * rejects some of these outright and silently truncates others; the simulator rejects where the brief
 * says Slack does (`invalid_blocks` over 50 blocks, `msg_too_long`) and records every breach, so a test
 * can assert that none happened rather than hoping Slack would have been lenient.
 *
 * Sources: https://docs.slack.dev/reference/block-kit/blocks (per-block limits),
 * https://docs.slack.dev/reference/block-kit/block-elements/button-element (button),
 * https://docs.slack.dev/reference/methods/chat.postMessage (50 blocks, 4000 / 40000 text).
 */
import type { LimitViolation } from './slack-types.js';

export const SlackLimits = {
  blocks: 50,
  /** `text` over this is truncated by Slack; the design keeps fallback text within it. */
  fallbackText: 4000,
  /** `text` over this is rejected with `msg_too_long`. */
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
} as const;

export type Finding = Omit<LimitViolation, 'method' | 'channel'>;

export interface LimitCheck {
  findings: Finding[];
  /** The Slack error to answer with, when Slack would refuse the message. */
  reject: 'invalid_blocks' | 'msg_too_long' | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `text` of a composition text object (`{type, text}`), or undefined. */
function textOf(value: unknown): string | undefined {
  return isRecord(value) && typeof value.text === 'string' ? value.text : undefined;
}

/** Checks a message's fallback `text` and `blocks` (already parsed from JSON). */
/** `maxBlocks`: 50 for messages, 100 for a Home tab; `requireText`: views carry no fallback text. */
export function checkMessageLimits(
  text: unknown,
  blocks: unknown,
  options: { maxBlocks?: number; requireText?: boolean } = {},
): LimitCheck {
  const maxBlocks = options.maxBlocks ?? SlackLimits.blocks;
  const findings: Finding[] = [];
  let reject: LimitCheck['reject'];
  const over = (rule: string, path: string, limit: number, actual: number, rejected = false): void => {
    if (actual > limit) findings.push({ rule, path, limit, actual, rejected });
  };

  const fallback = typeof text === 'string' ? text : '';
  if (fallback.length > SlackLimits.messageText) {
    reject = 'msg_too_long';
    over('message_text', 'text', SlackLimits.messageText, fallback.length, true);
  } else {
    over('fallback_text', 'text', SlackLimits.fallbackText, fallback.length);
  }

  if (blocks === undefined) return { findings, reject };
  if (!Array.isArray(blocks) || !blocks.every((b) => isRecord(b) && typeof b.type === 'string')) {
    findings.push({ rule: 'blocks_shape', path: 'blocks', limit: 0, actual: 1, rejected: true });
    return { findings, reject: reject ?? 'invalid_blocks' };
  }
  if (options.requireText !== false && blocks.length > 0 && fallback.trim() === '') {
    // Slack accepts this, but notifications and screen readers then show nothing useful (docs/design.md, "Slack limits").
    findings.push({ rule: 'text_missing', path: 'text', limit: 1, actual: 0, rejected: false });
  }
  if (blocks.length > maxBlocks) {
    reject = reject ?? 'invalid_blocks';
    over('blocks_count', 'blocks', maxBlocks, blocks.length, true);
  }

  // Slack requires action_id and block_id to be unique within a message.
  const actionIds = new Set<string>();
  const blockIds = new Set<string>();

  const checkElement = (element: unknown, path: string): void => {
    if (!isRecord(element)) return;
    if (typeof element.action_id === 'string') {
      over('action_id', `${path}.action_id`, SlackLimits.actionId, element.action_id.length);
      if (actionIds.has(element.action_id)) {
        findings.push({ rule: 'duplicate_action_id', path: `${path}.action_id`, limit: 1, actual: 2, rejected: false });
      }
      actionIds.add(element.action_id);
    }
    if (element.type !== 'button') return;
    over('button_text', `${path}.text`, SlackLimits.buttonText, textOf(element.text)?.length ?? 0);
    if (typeof element.value === 'string') {
      over('button_value', `${path}.value`, SlackLimits.buttonValue, element.value.length);
    }
    if (typeof element.url === 'string') over('button_url', `${path}.url`, SlackLimits.buttonUrl, element.url.length);
  };

  blocks.forEach((block, i) => {
    const path = `blocks[${i}]`;
    if (typeof block.block_id === 'string') {
      over('block_id', `${path}.block_id`, SlackLimits.blockId, block.block_id.length);
      if (blockIds.has(block.block_id)) {
        findings.push({ rule: 'duplicate_block_id', path: `${path}.block_id`, limit: 1, actual: 2, rejected: false });
      }
      blockIds.add(block.block_id);
    }
    const elements: unknown[] = Array.isArray(block.elements) ? block.elements : [];
    switch (block.type) {
      case 'section': {
        over('section_text', `${path}.text`, SlackLimits.sectionText, textOf(block.text)?.length ?? 0);
        const fields: unknown[] = Array.isArray(block.fields) ? block.fields : [];
        over('section_fields', `${path}.fields`, SlackLimits.sectionFields, fields.length);
        fields.forEach((field, j) => {
          over('section_field_text', `${path}.fields[${j}]`, SlackLimits.sectionFieldText, textOf(field)?.length ?? 0);
        });
        checkElement(block.accessory, `${path}.accessory`);
        break;
      }
      case 'header':
        over('header_text', `${path}.text`, SlackLimits.headerText, textOf(block.text)?.length ?? 0);
        break;
      case 'actions':
        over('actions_elements', `${path}.elements`, SlackLimits.actionsElements, elements.length);
        elements.forEach((element, j) => {
          checkElement(element, `${path}.elements[${j}]`);
        });
        break;
      case 'context':
        over('context_elements', `${path}.elements`, SlackLimits.contextElements, elements.length);
        break;
      default:
        break;
    }
  });

  return { findings, reject };
}
