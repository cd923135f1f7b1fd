import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const BASE = {
  SLACK_BOT_TOKEN: 'xoxb-1-secret-bot-token',
  SLACK_SIGNING_SECRET: 'signing-secret-value-123',
  CLOUDFLARE_ACCOUNT_ID: '023e105f4ecef8ad9ca31a8372d0c353',
  CLOUDFLARE_API_TOKEN: 'cf-secret-token-abcdef',
};

function problemsFor(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads a minimal HTTP-mode configuration with the documented defaults', () => {
    const config = loadConfig(BASE);
    expect(config.slack).toEqual({
      botToken: BASE.SLACK_BOT_TOKEN,
      signingSecret: BASE.SLACK_SIGNING_SECRET,
      appToken: undefined,
      apiUrl: undefined,
      port: 3000,
    });
    expect(config.cloudflare).toEqual({
      accountId: BASE.CLOUDFLARE_ACCOUNT_ID,
      auth: { kind: 'token', token: BASE.CLOUDFLARE_API_TOKEN },
      baseUrl: 'https://api.cloudflare.com/client/v4',
      budgetPer5Min: 400,
    });
    expect(config.access.allowedUsers).toBeNull();
    expect(config.access.allowedChannels).toBeNull();
    expect(config.access.writeUsers.size).toBe(0);
    expect(config.watch).toEqual({ intervalSeconds: 30, maxHours: 12 });
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...BASE,
      CLOUDFLARE_API_TOKEN: '',
      CLOUDFLARE_EMAIL: 'soc@example.com',
      CLOUDFLARE_API_KEY: 'legacy-key',
      SLACK_APP_TOKEN: 'xapp-1-abc',
      SLACK_API_URL: 'https://slack-gov.com/api/',
      PORT: '8080',
      CLOUDFLARE_BASE_URL: 'http://127.0.0.1:9999/client/v4/',
      BULKJOB_ALLOWED_USERS: 'U111, U222',
      BULKJOB_ALLOWED_CHANNELS: 'C111,G222',
      BULKJOB_WRITE_USERS: 'U111',
      BULKJOB_WATCH_INTERVAL: '10',
      BULKJOB_WATCH_MAX_HOURS: '2',
      BULKJOB_CLOUDFLARE_BUDGET: '120',
      BULKJOB_DATA_DIR: '/var/lib/bulkjob',
      DATABASE_URL: 'postgres://bulkjob:s3cret@db.internal:5432/bulkjob',
      LOG_LEVEL: 'debug',
    });
    expect(config.databaseUrl).toBe('postgres://bulkjob:s3cret@db.internal:5432/bulkjob');
    expect(config.cloudflare.auth).toEqual({ kind: 'key', email: 'soc@example.com', key: 'legacy-key' });
    expect(config.slack.apiUrl).toBe('https://slack-gov.com/api');
    expect(config.slack.appToken).toBe('xapp-1-abc');
    expect(config.slack.port).toBe(8080);
    expect(config.cloudflare.baseUrl).toBe('http://127.0.0.1:9999/client/v4');
    expect([...(config.access.allowedUsers ?? [])]).toEqual(['U111', 'U222']);
    expect([...(config.access.allowedChannels ?? [])]).toEqual(['C111', 'G222']);
    expect(config.access.writeUsers.has('U111')).toBe(true);
    expect(config.watch).toEqual({ intervalSeconds: 10, maxHours: 2 });
    expect(config.cloudflare.budgetPer5Min).toBe(120);
    expect(config.dataDir).toBe('/var/lib/bulkjob');
  });

  it('refuses a DATABASE_URL that is not PostgreSQL, without quoting it (it holds a password)', () => {
    for (const url of ['mysql://u:hunter2@db/x', 'hunter2', 'postgres://']) {
      const problems = problemsFor({ ...BASE, DATABASE_URL: url });
      expect(problems).toEqual(['DATABASE_URL: must be a PostgreSQL URL, postgres://user:password@host:5432/database']);
    }
    expect(problemsFor({ ...BASE, DATABASE_URL: 'postgresql://localhost/bulkjob' })).toEqual([]);
  });

  it('Socket Mode needs no signing secret', () => {
    expect(problemsFor({ ...BASE, SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-x' })).toEqual([]);
  });

  it.each<[string, Record<string, string | undefined>, string[]]>([
    [
      'nothing set',
      {},
      [
        'CLOUDFLARE_ACCOUNT_ID: is required (the Cloudflare account ID)',
        'CLOUDFLARE_API_TOKEN: is required (or both CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)',
        'SLACK_BOT_TOKEN: is required (the bot token, xoxb-…)',
        'SLACK_SIGNING_SECRET: is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
      ],
    ],
    ['wrong token kind', { ...BASE, SLACK_BOT_TOKEN: 'xapp-oops' }, ['SLACK_BOT_TOKEN: must start with xoxb-']],
    [
      'email without key',
      { ...BASE, CLOUDFLARE_API_TOKEN: undefined, CLOUDFLARE_EMAIL: 'a@b.co' },
      ['CLOUDFLARE_API_KEY: is required with CLOUDFLARE_EMAIL'],
    ],
    [
      'long account id',
      { ...BASE, CLOUDFLARE_ACCOUNT_ID: 'a'.repeat(33) },
      ['CLOUDFLARE_ACCOUNT_ID: must be at most 32 characters'],
    ],
    ['bad port', { ...BASE, PORT: 'eighty' }, ['PORT: must be a whole number from 0 to 65535']],
    ['port out of range', { ...BASE, PORT: '70000' }, ['PORT: must be at most 65535']],
    ['bad url', { ...BASE, CLOUDFLARE_BASE_URL: 'ftp://x' }, ['CLOUDFLARE_BASE_URL: must be an http(s) URL']],
    [
      'token over plain http',
      { ...BASE, CLOUDFLARE_BASE_URL: 'http://api.cloudflare.com/client/v4', SLACK_API_URL: 'http://slack.com/api' },
      [
        'CLOUDFLARE_BASE_URL: must use https (plain http only for localhost)',
        'SLACK_API_URL: must use https (plain http only for localhost)',
      ],
    ],
    [
      'bad user list',
      { ...BASE, BULKJOB_ALLOWED_USERS: 'alice,U123' },
      ['BULKJOB_ALLOWED_USERS: must be a comma-separated list of Slack user IDs (U…)'],
    ],
    ['interval too short', { ...BASE, BULKJOB_WATCH_INTERVAL: '1' }, ['BULKJOB_WATCH_INTERVAL: must be at least 5']],
    [
      'budget above Cloudflare',
      { ...BASE, BULKJOB_CLOUDFLARE_BUDGET: '5000' },
      ['BULKJOB_CLOUDFLARE_BUDGET: must be at most 1200'],
    ],
    [
      'bad level',
      { ...BASE, LOG_LEVEL: 'loud' },
      ['LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"'],
    ],
  ])('%s: one line per problem, naming the variable', (_name, env, expected) => {
    expect(problemsFor(env)).toEqual(expected);
  });

  it('never prints a secret value, even a malformed one', () => {
    const secretish = 'xapp-THIS-IS-A-SECRET';
    const problems = problemsFor({ ...BASE, SLACK_BOT_TOKEN: secretish, SLACK_APP_TOKEN: 'xoxb-ALSO-SECRET' });
    expect(problems.join('\n')).not.toContain('SECRET');
    expect(problems).toHaveLength(2);
  });
});
