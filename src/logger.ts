/**
 * pino with redaction, and an adapter so Bolt (and the Slack SDKs under it) log through the same logger.
 * Redaction is by key path for structured fields, and by pattern for anything that slips into a message
 * string: Slack tokens, bearer tokens, e-mail addresses (recipients are personal data).
 */
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'authorization',
  'headers.authorization',
  'headers["x-auth-key"]',
  'headers["x-auth-email"]',
  'headers["x-slack-signature"]',
  'recipient',
  'client_recipient',
  '*.token',
  '*.botToken',
  '*.signingSecret',
  '*.client_recipient',
  '*.recipient',
  'config.slack',
  'config.cloudflare.auth',
];

const SECRET_PATTERNS: [RegExp, string][] = [
  [/xox[abposr]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/xapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  [/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email redacted]'],
];

/** Scrub tokens and e-mail addresses from free text before it is logged. */
export function scrub(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) if (secret.length >= 6) out = out.replaceAll(secret, '[redacted]');
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Secret values (signing secret, API key) to scrub wherever they appear. */
  secrets?: readonly string[];
  /** Where lines go; tests pass a stream that collects them. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? [];
  const scrubValue = (value: unknown): unknown => (typeof value === 'string' ? scrub(value, secrets) : value);
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'bulkjob' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        // Scrub every string argument (the message and any interpolated values).
        logMethod(args, method) {
          method.apply(this, args.map(scrubValue) as Parameters<typeof method>);
        },
      },
      formatters: {
        log(object) {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(object)) {
            if (v instanceof Error) {
              out[k] = { type: v.name, message: scrub(v.message, secrets), code: (v as { code?: unknown }).code };
            } else out[k] = scrubValue(v);
          }
          return out;
        },
      },
      serializers: {
        err: (err: Error & { code?: unknown }) => ({
          type: err.name,
          message: scrub(err.message ?? '', secrets),
          code: err.code,
          stack: err.stack ? scrub(err.stack, secrets) : undefined,
        }),
      },
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
