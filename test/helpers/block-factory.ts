/** Fixed jobs, messages and times for the Block Kit formatter tests. */
import type { Job, Message } from '../../src/cloudflare/schema.js';
import type { FailureSummary } from '../../src/slack/blocks/types.js';

export const JOB_ID = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
export const NOW = new Date('2026-03-01T13:04:30Z');
export const USER = 'U012ABCDEF';
export const OTHER_USER = 'U098ZYXWVU';

/** Text that must come out escaped wherever it goes. */
export const HOSTILE = '<!channel> & <@U999> > <https://evil.example|click>';

export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    job_id: JOB_ID,
    action_type: 'MOVE',
    action_params: { type: 'MOVE', destination: 'DeletedItems' },
    status: 'PROCESSING',
    status_message: null,
    comment: 'INC-4711 phishing campaign',
    total_messages_discovered: 1000,
    messages_pending: 380,
    messages_successful: 600,
    messages_failed: 20,
    created_at: '2026-03-01T12:00:00Z',
    started_at: '2026-03-01T12:00:30Z',
    completed_at: null,
    ...overrides,
  };
}

export function makeMessage(n: number, overrides: Partial<Message> = {}): Message {
  return {
    message_id: `msg-${n}`,
    postfix_id: `postfix-${n}`,
    action_type: 'MOVE',
    action_params: { type: 'MOVE', destination: 'DeletedItems', client_recipient: `user${n}@example.com` },
    status: 'COMPLETED',
    status_message: null,
    retry_count: 0,
    retry_after: null,
    created_at: '2026-03-01T12:00:40Z',
    processed_at: '2026-03-01T12:01:00Z',
    alert_id: null,
    email_message_id: null,
    ...overrides,
  };
}

export function makeFailedMessage(n: number, overrides: Partial<Message> = {}): Message {
  return makeMessage(n, {
    status: 'FAILED',
    status_message: 'Mailbox not found',
    retry_count: 3,
    retry_after: '2026-03-01T13:30:00Z',
    processed_at: null,
    ...overrides,
  });
}

export function makeFailures(overrides: Partial<FailureSummary> = {}): FailureSummary {
  return {
    reasons: [
      { reason: 'Mailbox not found', count: 12 },
      { reason: 'Throttled by Exchange Online', count: 8 },
    ],
    scanned: 20,
    complete: true,
    ...overrides,
  };
}

/** Every text a message would show, concatenated: for "never contains" assertions. */
export function collectText(message: { text: string; blocks: unknown[] }): string {
  return `${message.text}\n${JSON.stringify(message.blocks)}`;
}

/** Every button in a message, by action_id. */
export function collectButtons(message: { blocks: unknown[] }): Map<string, Record<string, unknown>> {
  const buttons = new Map<string, Record<string, unknown>>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (record.type === 'button' && typeof record.action_id === 'string') buttons.set(record.action_id, record);
      for (const value of Object.values(record)) visit(value);
    }
  };
  visit(message.blocks);
  return buttons;
}

/** The label of a button. */
export function labelOf(button: Record<string, unknown> | undefined): string | undefined {
  return (button?.text as { text?: string } | undefined)?.text;
}

/** Every string under a `text` key (text objects) plus the fallback text. */
export function collectTexts(message: { text: string; blocks: unknown[] }): string[] {
  const texts = [message.text];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') texts.push(value);
        else visit(value);
      }
    }
  };
  visit(message.blocks);
  return texts;
}

/** Markup we write ourselves: mentions of the fixture users and date tokens. Anything else in `<…>` leaked. */
const OUR_MARKUP =
  /^<(?:@U012ABCDEF|@U098ZYXWVU|!date\^\d+\^(?:\{date_short_pretty\} \{time\}|\{time_secs\})\|[0-9T:-]+Z)>$/;

/** Raw `<`/`>` outside our own markup, and `&` that does not start an entity: both mean unescaped text. */
export function findUnsafeMarkup(message: { text: string; blocks: unknown[] }): string[] {
  const problems: string[] = [];
  for (const text of collectTexts(message)) {
    const stripped = text.replace(/<[^<>]*>/g, (token) => (OUR_MARKUP.test(token) ? '' : token));
    const raw = stripped.search(/[<>]/);
    if (raw !== -1) problems.push(`raw markup: ${stripped.slice(Math.max(0, raw - 10), raw + 30)}`);
    const amp = stripped.search(/&(?!amp;|lt;|gt;)/);
    if (amp !== -1) problems.push(`bare &: ${stripped.slice(Math.max(0, amp - 10), amp + 10)}`);
  }
  return problems;
}

/** A job with hostile, oversized and unknown values in every field that reaches the text. */
export function makeStressJob(overrides: Partial<Job> = {}): Job {
  return makeJob({
    action_type: `${HOSTILE} ARCHIVE`,
    action_params: { type: 'ARCHIVE', destination: `Archive ${HOSTILE}`, nested: { odd: [1, 2] } },
    status: 'QUARANTINED_FOREVER',
    status_message: `${HOSTILE} bob@example.com ${'&<>x'.repeat(500)}`.slice(0, 2000),
    comment: `${HOSTILE} ${'comment & <b> '.repeat(200)}`.slice(0, 2000),
    total_messages_discovered: 0,
    messages_pending: 0,
    messages_successful: 0,
    messages_failed: 0,
    created_at: '2026-03-01T12:00:00Z',
    started_at: null,
    completed_at: null,
    ...overrides,
  });
}

/** A message with a 500-character recipient and a 2,000-character hostile failure reason. */
export function makeStressMessage(n: number): Message {
  return makeFailedMessage(n, {
    action_type: HOSTILE,
    action_params: {
      type: 'MOVE',
      destination: `Archive ${HOSTILE}`,
      client_recipient: `r${n}-${'<&>'.repeat(160)}${'x'.repeat(500)}@example.com`.slice(0, 500),
    },
    status: n % 2 === 0 ? 'QUARANTINED_FOREVER' : HOSTILE,
    status_message: `${HOSTILE} ${'&<>y'.repeat(500)}`.slice(0, 2000),
  });
}
