/**
 * pino with redaction, and an adapter so Bolt (and the Slack SDKs under it) log through the same logger.
 * Every line is scrubbed deeply before it is written: secret keys are dropped, and strings lose Slack
 * tokens, bearer tokens, configured secret values, Slack response URLs and e-mail addresses (recipients
 * are personal data).
 */

import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';
import { replaceEmails } from './personal-data.js';

export type { Logger };

const SECRET_PATTERNS: [RegExp, string][] = [
  [/xox[abposr]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/xapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  [/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]'],
  // Slack payloads that the SDKs log at debug (Socket Mode logs every envelope): the legacy verification
  // token, and response URLs, which let anyone holding one post as the app for 30 minutes.
  [/"token"\s*:\s*"[^"]*"/g, '"token":"[redacted]"'],
  [/"response_url"\s*:\s*"[^"]*"/g, '"response_url":"[redacted]"'],
  [/https?:\/\/hooks\.slack(?:-gov)?\.com\/[^\s"'\\]+/g, 'https://hooks.slack.com/[redacted]'],
  [/ticket=[^&\s"\\]+/g, 'ticket=[redacted]'],
];

/** Scrub tokens, Slack response URLs and e-mail addresses (personal data) from free text. */
export function scrub(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) if (secret.length >= 6) out = out.replaceAll(secret, '[redacted]');
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return replaceEmails(out, '[email redacted]');
}

/** Keys whose values are dropped wherever they appear in a logged object, whatever their case. */
const SECRET_KEYS = new Set([
  'token',
  'bottoken',
  'apptoken',
  'signingsecret',
  'authorization',
  'x-auth-key',
  'x-auth-email',
  'x-slack-signature',
  'cookie',
  'recipient',
  'client_recipient',
  'response_url',
]);
const MAX_DEPTH = 6;

/** Scrub a logged value deeply: strings scrubbed, secret keys dropped, errors kept with type and stack. */
function scrubValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: scrub(value.message ?? '', secrets),
      ...(code === undefined ? {} : { code }),
      ...(value.stack ? { stack: scrub(value.stack, secrets) } : {}),
      ...(value.cause === undefined ? {} : { cause: scrubValue(value.cause, secrets, depth + 1) }),
    };
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[redacted]' : scrubValue(item, secrets, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Secret values (signing secret, tokens, API key) to scrub wherever they appear. */
  secrets?: readonly string[];
  /** Where lines go; tests pass a stream that collects them. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? [];
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'bulkjob' },
      hooks: {
        // The message and any interpolated string arguments.
        logMethod(args, method) {
          const clean = args.map((a) => (typeof a === 'string' ? scrub(a, secrets) : a));
          method.apply(this, clean as Parameters<typeof method>);
        },
      },
      formatters: {
        // Every line's fields, deeply, before they are written (pino applies this before serializers,
        // so errors are serialized here too).
        log: (object) => scrubValue(object, secrets) as Record<string, unknown>,
      },
      // Errors are already plain objects by then; pino's default `err` serializer would relabel them `Object`.
      serializers: { err: (value: unknown) => value },
    },
    options.destination,
  );
}

/** Bolt's `Logger` interface over pino, so the Slack SDKs' lines are redacted and structured like ours. */
export function toSlackLogger(logger: Logger): SlackLogger {
  let child = logger.child({ module: 'bolt' });
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : safeJson(m))).join(' ');
  return {
    debug: (...msg) => child.debug(text(msg)),
    info: (...msg) => child.info(text(msg)),
    warn: (...msg) => child.warn(text(msg)),
    error: (...msg) => child.error(text(msg)),
    // LOG_LEVEL decides; Bolt's receivers call setLevel with their own defaults, which must not override it.
    setLevel: () => {},
    getLevel: () => {
      const lvl = child.level;
      if (lvl === 'debug' || lvl === 'trace') return LogLevel.DEBUG;
      if (lvl === 'warn') return LogLevel.WARN;
      if (lvl === 'error' || lvl === 'fatal') return LogLevel.ERROR;
      return LogLevel.INFO;
    },
    setName: (name) => {
      child = logger.child({ module: name });
    },
  };
}

function safeJson(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
