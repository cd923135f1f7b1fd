/**
 * Reading what a Slack user sees: all the text of a message's blocks, and its buttons.
 */
import type { SimMessage } from '../../dev/sim/slack.js';

/** Every `text` string in a message (fallback and blocks, depth-first), joined by newlines. */
export function textOf(message: Pick<SimMessage, 'text' | 'blocks'> | undefined): string {
  if (!message) return '';
  const out: string[] = [message.text];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') out.push(value);
        else walk(value);
      }
    }
  };
  walk(message.blocks);
  return out.join('\n');
}

export interface Button {
  actionId: string;
  text: string;
  value: string | undefined;
  style: string | undefined;
  confirm: boolean;
}

/** The buttons of a message, in order (actions blocks and section accessories). */
export function buttonsOf(message: Pick<SimMessage, 'blocks'> | undefined): Button[] {
  const buttons: Button[] = [];
  const visit = (element: Record<string, unknown>) => {
    if (element.type !== 'button') return;
    buttons.push({
      actionId: String(element.action_id),
      text: String((element.text as { text?: string })?.text ?? ''),
      value: element.value as string | undefined,
      style: element.style as string | undefined,
      confirm: element.confirm !== undefined,
    });
  };
  for (const block of message?.blocks ?? []) {
    if (block.type === 'actions') for (const e of block.elements as Record<string, unknown>[]) visit(e);
    if (block.type === 'section' && block.accessory) visit(block.accessory as Record<string, unknown>);
  }
  return buttons;
}

export function buttonLabels(message: Pick<SimMessage, 'blocks'> | undefined): string[] {
  return buttonsOf(message).map((b) => b.text);
}
