/**
 * Slack's Block Kit limits (docs/design.md, "Slack limits"), and a checker that reports every place a message breaks one. Slack
 * rejects a whole message with `invalid_blocks` for one oversized field, so the formatters keep inside these
 * limits by construction; the checker is for tests and for the app's last-resort safety net.
 *
 * Sources: https://docs.slack.dev/reference/block-kit/blocks (50 blocks; section, header, context, actions),
 * https://docs.slack.dev/reference/block-kit/block-elements/button-element,
 * https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object,
 * https://docs.slack.dev/reference/methods/chat.postMessage (`text` is truncated past 4000 characters).
 */
import type { SlackMessage } from './types.js';

export const LIMITS = {
  blocks: 50,
  /** A Home tab view (views.publish) holds up to 100 blocks. */
  homeBlocks: 100,
  fallbackText: 4000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  id: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly violations: string[] = [];
  readonly actionIds = new Map<string, string>();
  readonly blockIds = new Map<string, string>();

  report(where: string, problem: string): void {
    this.violations.push(`${where}: ${problem}`);
  }

  /** A text object: the right type, non-empty (Slack's minimum is 1), and at most `max`. */
  checkText(where: string, value: unknown, max: number, types: readonly string[] = ['plain_text', 'mrkdwn']): void {
    if (!isObject(value)) {
      this.report(where, 'missing text object');
      return;
    }
    if (typeof value.type !== 'string' || !types.includes(value.type)) {
      this.report(where, `text type must be ${types.join(' or ')}, got ${String(value.type)}`);
    }
    if (typeof value.text !== 'string') {
      this.report(where, 'text is not a string');
      return;
    }
    if (value.text.trim().length === 0) this.report(where, 'text is empty (minimum 1 character)');
    if (value.text.length > max) this.report(where, `text is ${value.text.length} characters (max ${max})`);
  }

  checkString(where: string, name: string, value: unknown, max: number): void {
    if (value === undefined) return;
    if (typeof value !== 'string') {
      this.report(where, `${name} is not a string`);
    } else if (value.length > max) {
      this.report(where, `${name} is ${value.length} characters (max ${max})`);
    }
  }

  checkUnique(where: string, kind: string, id: unknown, seen: Map<string, string>): void {
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first !== undefined) this.report(where, `duplicate ${kind} "${id}" (also at ${first})`);
    else seen.set(id, where);
  }

  checkElement(where: string, element: unknown): void {
    if (!isObject(element)) {
      this.report(where, 'element is not an object');
      return;
    }
    if (element.type !== 'button') {
      this.report(where, `unexpected element type ${String(element.type)}`);
      return;
    }
    this.checkText(`${where} (button text)`, element.text, LIMITS.buttonText, ['plain_text']);
    if (typeof element.action_id !== 'string' || element.action_id === '') {
      this.report(where, 'button has no action_id');
    }
    this.checkString(where, 'action_id', element.action_id, LIMITS.id);
    this.checkUnique(where, 'action_id', element.action_id, this.actionIds);
    this.checkString(where, 'value', element.value, LIMITS.buttonValue);
    this.checkString(where, 'url', element.url, LIMITS.buttonUrl);
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
      this.report(where, `button style must be primary or danger, got ${String(element.style)}`);
    }
    if (element.confirm !== undefined) this.checkConfirm(`${where} (confirm)`, element.confirm);
  }

  checkConfirm(where: string, confirm: unknown): void {
    if (!isObject(confirm)) {
      this.report(where, 'confirm is not an object');
      return;
    }
    this.checkText(`${where} title`, confirm.title, LIMITS.confirmTitle, ['plain_text']);
    this.checkText(`${where} text`, confirm.text, LIMITS.confirmText, ['plain_text']);
    this.checkText(`${where} confirm`, confirm.confirm, LIMITS.confirmButton, ['plain_text']);
    this.checkText(`${where} deny`, confirm.deny, LIMITS.confirmButton, ['plain_text']);
  }

  checkBlock(index: number, block: unknown): void {
    const where = `blocks[${index}]`;
    if (!isObject(block)) {
      this.report(where, 'block is not an object');
      return;
    }
    const at = `${where} (${String(block.type)})`;
    this.checkString(at, 'block_id', block.block_id, LIMITS.id);
    this.checkUnique(at, 'block_id', block.block_id, this.blockIds);
    switch (block.type) {
      case 'header':
        this.checkText(at, block.text, LIMITS.headerText, ['plain_text']);
        return;
      case 'divider':
        return;
      case 'section':
        this.checkSection(at, block);
        return;
      case 'context':
        this.checkContext(at, block);
        return;
      case 'actions':
        this.checkActions(at, block);
        return;
      default:
        this.report(at, 'unexpected block type');
    }
  }

  checkSection(at: string, block: Json): void {
    if (block.text === undefined && block.fields === undefined) this.report(at, 'section has neither text nor fields');
    if (block.text !== undefined) this.checkText(at, block.text, LIMITS.sectionText);
    if (block.fields !== undefined) {
      if (!Array.isArray(block.fields)) {
        this.report(at, 'fields is not an array');
      } else {
        if (block.fields.length > LIMITS.sectionFields) {
          this.report(at, `${block.fields.length} fields (max ${LIMITS.sectionFields})`);
        }
        block.fields.forEach((field, i) => {
          this.checkText(`${at} fields[${i}]`, field, LIMITS.fieldText);
        });
      }
    }
    if (block.accessory !== undefined) this.checkElement(`${at} accessory`, block.accessory);
  }

  checkContext(at: string, block: Json): void {
    this.checkElements(at, block, 'context', LIMITS.contextElements, (where, element) =>
      this.checkText(where, element, LIMITS.contextText),
    );
  }

  checkActions(at: string, block: Json): void {
    this.checkElements(at, block, 'actions block', LIMITS.actionsElements, (where, element) =>
      this.checkElement(where, element),
    );
  }

  /** A block's `elements`: present, not empty, at most `max`, each checked by `check`. */
  checkElements(
    at: string,
    block: Json,
    what: string,
    max: number,
    check: (at: string, element: unknown) => void,
  ): void {
    if (!Array.isArray(block.elements) || block.elements.length === 0) {
      this.report(at, `${what} has no elements`);
      return;
    }
    if (block.elements.length > max) this.report(at, `${block.elements.length} elements (max ${max})`);
    block.elements.forEach((element, i) => {
      check(`${at} elements[${i}]`, element);
    });
  }
}

/**
 * Every way `message` breaks Slack's limits, as human-readable lines (`blocks[3] (section): text is 3120
 * characters (max 3000)`); `[]` when it is fine. Also catches empty texts, duplicate `action_id`s and
 * `block_id`s, bad button styles and block types the formatters never produce.
 */
export function findLimitViolations(message: SlackMessage, options: { maxBlocks?: number } = {}): string[] {
  const maxBlocks = options.maxBlocks ?? LIMITS.blocks;
  const checker = new Checker();
  if (typeof message.text !== 'string' || message.text.trim() === '') {
    checker.report('text', 'fallback text is empty');
  } else if (message.text.length > LIMITS.fallbackText) {
    checker.report('text', `fallback text is ${message.text.length} characters (max ${LIMITS.fallbackText})`);
  }
  if (!Array.isArray(message.blocks)) {
    checker.report('blocks', 'blocks is not an array');
    return checker.violations;
  }
  if (message.blocks.length > maxBlocks) {
    checker.report('blocks', `${message.blocks.length} blocks (max ${maxBlocks})`);
  }
  message.blocks.forEach((block, i) => {
    checker.checkBlock(i, block);
  });
  return checker.violations;
}
