/**
 * A button is declared once, with everything about it: its `action_id`, its label, how its `value` is
 * encoded and decoded, and the handler a click runs. Views render it with `render(value)`; the routes file
 * lists every button, so a click finds its handler there (docs/design.md, "Buttons and routes").
 */
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { buildButton } from './blocks/builders.js';
import type { ClickRequest } from './context.js';

/** A button value's format: Slack gives the value back on click, so `decode` treats it as user input. */
export interface Codec<V> {
  encode(value: V): string;
  /** Throws `InputError` with what to do when the value cannot be used. */
  decode(raw: string | undefined): V;
}

/**
 * A codec for a small JSON value checked by `schema`: what cannot be read says `stale` (what to do instead
 * of clicking an old or tampered button).
 */
export function jsonCodec<V>(schema: z.ZodType<V>, stale: string): Codec<V> {
  return {
    encode: (value) => JSON.stringify(value),
    decode(raw) {
      try {
        return schema.parse(JSON.parse(raw ?? ''));
      } catch {
        throw new InputError(stale, 'bad_value');
      }
    },
  };
}

export interface ButtonSpec<V> {
  /** Slack's `action_id`. With `indexed`, each copy in a message gets `<actionId>_<n>` (ids are unique per message). */
  actionId: string;
  indexed?: boolean;
  label: string | ((value: V) => string);
  style?: 'primary' | 'danger';
  /** A confirm dialog shown before the click is sent. */
  confirm?: () => Record<string, unknown>;
  codec: Codec<V>;
  /** What the click does, after its ack and the allow-list check, with its decoded value. */
  handle(request: ClickRequest, value: V): Promise<void>;
}

/** A button as the routes see it, whatever its value type. */
export interface Clickable {
  actionId: string;
  /** Whether a click's `action_id` is one of this button's. */
  matches(actionId: string): boolean;
  /** Decode the clicked value, then handle it. */
  click(request: ClickRequest): Promise<void>;
}

export interface Button<V> extends ButtonSpec<V>, Clickable {
  render(value: V, options?: { index?: number }): Record<string, unknown>;
}

export function defineButton<V>(spec: ButtonSpec<V>): Button<V> {
  const indexed = new RegExp(`^${spec.actionId}_\\d{1,3}$`);
  return {
    ...spec,
    render(value, options = {}) {
      const label = typeof spec.label === 'function' ? spec.label(value) : spec.label;
      return buildButton({
        text: label,
        actionId: spec.indexed ? `${spec.actionId}_${options.index ?? 0}` : spec.actionId,
        value: spec.codec.encode(value),
        ...(spec.style ? { style: spec.style } : {}),
        ...(spec.confirm ? { confirm: spec.confirm() } : {}),
      });
    },
    matches(actionId) {
      return spec.indexed ? indexed.test(actionId) : actionId === spec.actionId;
    },
    click(request) {
      return spec.handle(request, spec.codec.decode(request.click.value));
    },
  };
}

/** ◀ Prev and Next ▶ for a paged message: `<prefix>_prev` and `<prefix>_next`, each carrying the page it leads to. */
export function definePaging<V>(
  prefix: string,
  codec: Codec<V>,
  handle: ButtonSpec<V>['handle'],
): { prev: Button<V>; next: Button<V> } {
  return {
    prev: defineButton({ actionId: `${prefix}_prev`, label: '◀ Prev', codec, handle }),
    next: defineButton({ actionId: `${prefix}_next`, label: 'Next ▶', codec, handle }),
  };
}
