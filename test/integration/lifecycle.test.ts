/**
 * Start-up from the environment, health, and graceful shutdown.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareSim } from '../../dev/sim/cloudflare.js';
import { SlackSim } from '../../dev/sim/slack.js';
import { DEMO_HINT, startFromEnv } from '../../src/main.js';
import { DATABASE_FILE, openStore } from '../../src/store/store.js';
import { textOf } from '../helpers/slack-text.js';
import { CF_TOKEN, CHANNEL, USER } from '../helpers/stack.js';

const signingSecret = randomBytes(16).toString('hex');
const botToken = `xoxb-life-${randomBytes(6).toString('hex')}`;
let cf: CloudflareSim;
let slack: SlackSim;
let dataDir: string;

beforeAll(async () => {
  cf = await CloudflareSim.start({ token: CF_TOKEN });
  slack = await SlackSim.start({ signingSecret, botToken });
  dataDir = mkdtempSync(join(tmpdir(), 'bulkjob-life-'));
});
afterAll(async () => {
  await slack?.close();
  await cf?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    CLOUDFLARE_ACCOUNT_ID: cf.accountId,
    CLOUDFLARE_API_TOKEN: CF_TOKEN,
    CLOUDFLARE_BASE_URL: cf.baseUrl,
    BULKJOB_DATA_DIR: dataDir,
    PORT: '0',
    ...extra,
  };
}

describe('start-up', () => {
  it('stops at once with one line per bad variable, and no secret', async () => {
    const lines: string[] = [];
    const result = await startFromEnv({
      env: { SLACK_BOT_TOKEN: 'xapp-secret-value', CLOUDFLARE_ACCOUNT_ID: cf.accountId, PORT: 'x' },
      stderr: (l) => lines.push(l),
    });
    expect(result).toEqual({ ok: false, exitCode: 1 });
    expect(lines).toEqual([
      'config: CLOUDFLARE_API_TOKEN: is required (or both CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)',
      'config: PORT: must be a whole number from 0 to 65535',
      'config: SLACK_BOT_TOKEN: must start with xoxb-',
      'config: SLACK_SIGNING_SECRET: is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
      DEMO_HINT,
    ]);
    expect(lines.join('\n')).not.toContain('secret-value');
  });

  it('says why when Slack refuses the token, without printing it', async () => {
    const lines: string[] = [];
    const result = await startFromEnv({
      env: env({ SLACK_BOT_TOKEN: 'xoxb-wrong-token-123' }),
      stderr: (l) => lines.push(l),
      logDestination: { write: () => {} },
    });
    expect(result).toEqual({ ok: false, exitCode: 1 });
    expect(lines.join('\n')).toMatch(/could not start: .*invalid_auth/);
    expect(lines.join('\n')).not.toContain('xoxb-wrong-token-123');
  });
});

describe('a store that cannot be opened', () => {
  it('names the file and BULKJOB_DATA_DIR, and exits 1', async () => {
    const garbage = mkdtempSync(join(tmpdir(), 'bulkjob-garbage-'));
    try {
      writeFileSync(join(garbage, DATABASE_FILE), 'this is not a database '.repeat(300));
      const lines: string[] = [];
      const result = await startFromEnv({
        env: env({ BULKJOB_DATA_DIR: garbage }),
        stderr: (l) => lines.push(l),
        logDestination: { write: () => {} },
      });
      expect(result).toEqual({ ok: false, exitCode: 1 });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`could not start: cannot open the store at ${join(garbage, DATABASE_FILE)}`);
      expect(lines[0]).toContain(`BULKJOB_DATA_DIR=${garbage}`);
      expect(lines[0]).toMatch(/not a database/);
    } finally {
      rmSync(garbage, { recursive: true, force: true });
    }
  });
});

describe('a running bot', () => {
  it('serves /healthz, answers commands, and on stop finishes the answer in flight', async () => {
    const logs: string[] = [];
    const result = await startFromEnv({
      env: env({ PORT: '0' }),
      stderr: () => {},
      logDestination: { write: (l) => void logs.push(l) },
    });
    if (!result.ok) throw new Error('did not start');
    const port = result.port!;
    slack.botUrl = `http://127.0.0.1:${port}/slack/events`;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    // A slow Cloudflare answer is in flight when the stop begins: the user still gets the view.
    const job = cf.addJob({ total: 12, fault: { kind: 'slow', delayMs: 800 } }).id;
    const ack = await slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
    expect(ack.status).toBe(200);
    await result.bot.stop();
    const view = slack.ephemeralFor(USER, CHANNEL).at(-1);
    expect(textOf(view)).toContain(job);
    // The store was closed cleanly: another process can open it at once.
    const store = openStore({ dataDir });
    expect((await store.describe()).schemaVersion).toBeGreaterThan(0);
    await store.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(logs.some((l) => l.includes('bulkjob is running'))).toBe(true);
  });
});
