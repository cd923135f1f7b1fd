/**
 * Configuration from the environment (docs/design.md, "Configuration"; the variable names are a contract). Read once at start;
 * every problem is reported, one line per variable, and no secret value is ever echoed.
 */
import { z } from 'zod';

export const DEFAULT_CLOUDFLARE_BASE_URL = 'https://api.cloudflare.com/client/v4';

/** Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard; we take a third. */
export const CLOUDFLARE_LIMIT_PER_5_MIN = 1200;
export const DEFAULT_BUDGET_PER_5_MIN = 400;

export type CloudflareAuth = { kind: 'token'; token: string } | { kind: 'key'; email: string; key: string };

export interface Config {
  slack: {
    botToken: string;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string | undefined;
    port: number;
  };
  cloudflare: {
    accountId: string;
    auth: CloudflareAuth;
    baseUrl: string;
    /** Cloudflare requests the bot allows itself per 5 minutes, users and watches together. */
    budgetPer5Min: number;
  };
  access: {
    /** `null` = everyone. */
    allowedUsers: ReadonlySet<string> | null;
    /** `null` = every channel. */
    allowedChannels: ReadonlySet<string> | null;
    /** Empty = nobody may cancel. */
    writeUsers: ReadonlySet<string>;
  };
  watch: { intervalSeconds: number; maxHours: number };
  dataDir: string;
  /** `postgres://…`: the shared PostgreSQL store and budget instead of SQLite in `dataDir`. */
  databaseUrl: string | undefined;
  logLevel: string;
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(blankToUndefined, z.string().trim().optional());
const idList = (pattern: RegExp, what: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .refine((ids) => ids.every((id) => pattern.test(id)), `must be a comma-separated list of ${what}`)
      .optional(),
  );
const intInRange = (min: number, max: number, fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: `must be a whole number from ${min} to ${max}` })
      .int(`must be a whole number from ${min} to ${max}`)
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  );
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** An API base URL. Tokens travel to it, so plain http is allowed only on loopback (tests, the demo). */
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((u) => {
    const url = URL.parse(u);
    // Anything not http(s) was already reported by the check above.
    return url?.protocol !== 'http:' || LOOPBACK_HOSTS.has(url.hostname);
  }, 'must use https (plain http only for localhost)')
  .transform((u) => u.replace(/\/+$/, ''));

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/** The raw environment contract: names exactly as in docs/design.md, "Configuration". */
export const EnvSchema = z.object({
  SLACK_BOT_TOKEN: z.preprocess(
    blankToUndefined,
    z.string({ error: 'is required (the bot token, xoxb-…)' }).startsWith('xoxb-', 'must start with xoxb-'),
  ),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: z.preprocess(blankToUndefined, z.string().startsWith('xapp-', 'must start with xapp-').optional()),
  SLACK_API_URL: z.preprocess(blankToUndefined, httpUrl.optional()),
  // 0 asks the OS for a free port (tests, the demo).
  PORT: intInRange(0, 65535, 3000),
  CLOUDFLARE_ACCOUNT_ID: z.preprocess(
    blankToUndefined,
    z.string({ error: 'is required (the Cloudflare account ID)' }).max(32, 'must be at most 32 characters'),
  ),
  CLOUDFLARE_API_TOKEN: optionalString,
  CLOUDFLARE_EMAIL: optionalString,
  CLOUDFLARE_API_KEY: optionalString,
  CLOUDFLARE_BASE_URL: z.preprocess(blankToUndefined, httpUrl.default(DEFAULT_CLOUDFLARE_BASE_URL)),
  BULKJOB_ALLOWED_USERS: idList(USER_ID, 'Slack user IDs (U…)'),
  BULKJOB_ALLOWED_CHANNELS: idList(CHANNEL_ID, 'Slack channel IDs (C…, G…)'),
  BULKJOB_WRITE_USERS: idList(USER_ID, 'Slack user IDs (U…)'),
  BULKJOB_WATCH_INTERVAL: intInRange(5, 3600, 30),
  BULKJOB_WATCH_MAX_HOURS: intInRange(1, 72, 12),
  BULKJOB_CLOUDFLARE_BUDGET: intInRange(10, CLOUDFLARE_LIMIT_PER_5_MIN, DEFAULT_BUDGET_PER_5_MIN),
  BULKJOB_DATA_DIR: z.preprocess(blankToUndefined, z.string().default('./data')),
  // The URL holds the database password: the message never quotes it.
  DATABASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine(
        (u) => /^postgres(ql)?:$/.test(URL.parse(u)?.protocol ?? '') && (URL.parse(u)?.hostname ?? '') !== '',
        'must be a PostgreSQL URL, postgres://user:password@host:5432/database',
      )
      .optional(),
  ),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

/** Start-up could not proceed; `problems` has one line per variable, safe to print. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Read and check the configuration. Issue messages are built from our own texts and the variable name only;
 * zod's default messages can quote the received value, so they are never used for secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      problems.push(`${name}: ${issue.message}`);
    }
  }
  const e = parsed.success ? parsed.data : undefined;
  const raw = (name: string) => blankToUndefined(env[name]) as string | undefined;
  if (!raw('SLACK_APP_TOKEN') && !raw('SLACK_SIGNING_SECRET')) {
    problems.push('SLACK_SIGNING_SECRET: is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  const hasToken = raw('CLOUDFLARE_API_TOKEN') !== undefined;
  const hasEmail = raw('CLOUDFLARE_EMAIL') !== undefined;
  const hasKey = raw('CLOUDFLARE_API_KEY') !== undefined;
  if (!hasToken && !(hasEmail && hasKey)) {
    if (hasEmail !== hasKey) {
      problems.push(
        `${hasEmail ? 'CLOUDFLARE_API_KEY' : 'CLOUDFLARE_EMAIL'}: is required with ${hasEmail ? 'CLOUDFLARE_EMAIL' : 'CLOUDFLARE_API_KEY'}`,
      );
    } else {
      problems.push('CLOUDFLARE_API_TOKEN: is required (or both CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)');
    }
  }
  if (problems.length > 0 || !e) throw new ConfigError(problems.sort());

  const auth: CloudflareAuth = e.CLOUDFLARE_API_TOKEN
    ? { kind: 'token', token: e.CLOUDFLARE_API_TOKEN }
    : { kind: 'key', email: e.CLOUDFLARE_EMAIL!, key: e.CLOUDFLARE_API_KEY! };
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      port: e.PORT,
    },
    cloudflare: {
      accountId: e.CLOUDFLARE_ACCOUNT_ID,
      auth,
      baseUrl: e.CLOUDFLARE_BASE_URL,
      budgetPer5Min: e.BULKJOB_CLOUDFLARE_BUDGET,
    },
    access: {
      allowedUsers: e.BULKJOB_ALLOWED_USERS ? new Set(e.BULKJOB_ALLOWED_USERS) : null,
      allowedChannels: e.BULKJOB_ALLOWED_CHANNELS ? new Set(e.BULKJOB_ALLOWED_CHANNELS) : null,
      writeUsers: new Set(e.BULKJOB_WRITE_USERS ?? []),
    },
    watch: { intervalSeconds: e.BULKJOB_WATCH_INTERVAL, maxHours: e.BULKJOB_WATCH_MAX_HOURS },
    dataDir: e.BULKJOB_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
  };
}
