/**
 * Three bulkjob replicas as separate processes on one PostgreSQL database, behind a load balancer without
 * sticky sessions (the Slack simulator sends each request to the next replica), with both simulators in
 * this process. Thirty watches are started round-robin and one replica is killed with SIGKILL mid-run:
 * every watch still ends with exactly one completion notice, no card is posted twice, and Cloudflare never
 * sees more than the budget in any window, though a burst of views asks for more. The same holds in Socket
 * Mode, where Slack spreads envelopes over the replicas' connections at random.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CloudflareSim } from '../../dev/sim/cloudflare.js';
import { SlackSim } from '../../dev/sim/slack.js';
import { startFromEnv } from '../../src/main.js';
import { createTestDatabase, describePostgres, POSTGRES_URL, type TestDatabase } from '../helpers/postgres.js';
import { type Replica, startReplica } from '../helpers/replica-process.js';
import { textOf } from '../helpers/slack-text.js';
import { CF_TOKEN, CHANNEL, startStack, USER } from '../helpers/stack.js';

const WATCHES = 30;
const CHANNELS = Array.from({ length: 10 }, (_, i) => `C0REPLICA${i}`);
const USERS = Array.from({ length: 6 }, (_, i) => `U0ANALYST${i}`);
/** The budget and its window, shortened from Cloudflare's 5 minutes so a test can press against it. */
const BUDGET = 100;
const WINDOW_MS = 20_000;
const APP = {
  watchTiming: { intervalMs: 1_000, tickMs: 100, leaseMs: 1_500, stuckNoticeMs: 2_000 },
  budgetWindowMs: WINDOW_MS,
  // Home refreshes read jobs too; this suite counts the watches' reads and the views'.
  homeRefreshDelayMs: 600_000,
};

describePostgres('three replicas on one PostgreSQL database', () => {
  let db: TestDatabase;
  let cf: CloudflareSim;
  let slack: SlackSim;
  let sql: pg.Pool;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new pg.Pool({ connectionString: db.url, max: 2 });
    const signingSecret = randomBytes(16).toString('hex');
    const botToken = `xoxb-test-${randomBytes(8).toString('hex')}`;
    cf = await CloudflareSim.start({ token: CF_TOKEN });
    slack = await SlackSim.start({ signingSecret, botToken });
    const env = {
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      CLOUDFLARE_ACCOUNT_ID: cf.accountId,
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_BASE_URL: cf.baseUrl,
      DATABASE_URL: db.url,
      BULKJOB_CLOUDFLARE_BUDGET: String(BUDGET),
      PORT: '0',
      LOG_LEVEL: 'info',
    };
    // Started together: the migrations must run once however many replicas start at the same moment.
    replicas.push(...(await Promise.all(['r1', 'r2', 'r3'].map((name) => startReplica(name, env, APP)))));
    slack.botUrls = replicas.map((replica) => replica.url);
  }, 60_000);

  afterAll(async () => {
    // Each replica's log, for whoever reads a failure.
    mkdirSync('artifacts/replicas', { recursive: true });
    for (const replica of replicas) writeFileSync(`artifacts/replicas/${replica.name}.log`, replica.logs.join('\n'));
    await Promise.all(replicas.map((replica) => replica.kill('SIGTERM')));
    await sql?.end();
    await slack?.close();
    await cf?.close();
    await db?.drop();
  });

  const count = async (query: string): Promise<number> => Number((await sql.query(query)).rows[0].n);

  it('thirty watches, one replica killed with SIGKILL: one card each, one notice each, the budget held', async () => {
    expect(await count('SELECT count(*) AS n FROM bulkjob_schema_migrations')).toBeGreaterThan(0);
    const jobs = Array.from(
      { length: WATCHES },
      () =>
        cf.addJob({ total: 40, failureRate: 0.1, progress: { kind: 'live', discoverMs: 1_000, ratePerSecond: 4 } }).id,
    );
    const channelOf = (i: number) => CHANNELS[i % CHANNELS.length]!;
    // Round-robin: the load balancer sends each command to the next replica.
    const sent = await Promise.all(
      jobs.map((job, i) =>
        slack.sendCommand({ userId: USERS[i % USERS.length]!, channelId: channelOf(i), text: `watch ${job}` }),
      ),
    );
    for (const result of sent) expect(result.status).toBe(200);
    await slack.waitFor(
      async () => (await count("SELECT count(*) AS n FROM watches WHERE state = 'active'")) === WATCHES,
      {
        timeoutMs: 20_000,
      },
    );

    // A burst of views from every analyst on top of the watches asks Cloudflare for more than the budget.
    const views = jobs.flatMap((job, i) =>
      ['failed', 'pending', 'delivered'].map((status) =>
        slack.sendCommand({ userId: USERS[i % USERS.length]!, channelId: channelOf(i), text: `${job} ${status}` }),
      ),
    );

    // Kill a replica while it holds leases (mid-refresh), without any chance to release them.
    await slack.waitFor(
      async () => (await count('SELECT count(*) AS n FROM watches WHERE lease_owner IS NOT NULL')) > 0,
    );
    const killed = replicas[1]!;
    expect(await killed.kill('SIGKILL')).toBe('SIGKILL');
    slack.botUrls = [replicas[0]!.url, replicas[2]!.url];
    await Promise.all(views);

    await slack.waitFor(async () => (await count("SELECT count(*) AS n FROM watches WHERE state = 'active'")) === 0, {
      timeoutMs: 60_000,
    });
    await slack.waitFor(
      async () => (await count("SELECT count(*) AS n FROM watches WHERE notice_state <> 'posted'")) === 0,
      {
        timeoutMs: 10_000,
      },
    );
    // Settle: a duplicate notice would show up within a few intervals.
    await new Promise((resolve) => setTimeout(resolve, 3 * APP.watchTiming.intervalMs));

    const cards = CHANNELS.flatMap((channel) => slack.channelMessages(channel).filter((m) => !m.ephemeralTo));
    expect(cards).toHaveLength(WATCHES);
    for (const card of cards) {
      const notices = slack.threadReplies(card.channel, card.ts);
      expect(notices, `notices under the card ${card.channel}/${card.ts}`).toHaveLength(1);
    }
    const finished = await count("SELECT count(*) AS n FROM watches WHERE state = 'finished'");
    expect(finished).toBe(WATCHES);

    // Never more than the budget in any window, across all three replicas together.
    const times = cf.requests.map((request) => request.at).sort((a, b) => a - b);
    let most = 0;
    for (let start = 0, end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= WINDOW_MS) start++;
      most = Math.max(most, end - start + 1);
    }
    expect(most).toBeLessThanOrEqual(BUDGET);
    // The views asked for more than the budget left: some were told to wait, which shows it was shared.
    expect(cf.requests.length).toBeGreaterThan(BUDGET / 2);

    expect(slack.limitViolations).toEqual([]);
    // Nothing secret in any replica's log.
    const logs = replicas.flatMap((replica) => replica.logs).join('\n');
    expect(logs).not.toContain(CF_TOKEN);
  }, 120_000);
});

describePostgres('three Socket Mode replicas on one PostgreSQL database', () => {
  const botToken = `xoxb-sock-${randomBytes(6).toString('hex')}`;
  const appToken = `xapp-1-A0SIM-1-${randomBytes(8).toString('hex')}`;
  let clock = Date.now();
  let db: TestDatabase;
  let cf: CloudflareSim;
  let slack: SlackSim;
  const bots: Extract<Awaited<ReturnType<typeof startFromEnv>>, { ok: true }>[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    cf = await CloudflareSim.start({ token: CF_TOKEN, now: () => clock });
    slack = await SlackSim.start({
      signingSecret: randomBytes(16).toString('hex'),
      botToken,
      appToken,
      transport: 'socket',
    });
    for (const name of ['s1', 's2', 's3']) {
      const started = await startFromEnv({
        env: {
          SLACK_BOT_TOKEN: botToken,
          SLACK_APP_TOKEN: appToken,
          SLACK_API_URL: slack.apiUrl,
          CLOUDFLARE_ACCOUNT_ID: cf.accountId,
          CLOUDFLARE_API_TOKEN: CF_TOKEN,
          CLOUDFLARE_BASE_URL: cf.baseUrl,
          DATABASE_URL: db.url,
          PORT: '0',
          LOG_LEVEL: 'warn',
        },
        logDestination: { write: (line: string) => void logs.push(`${name} ${line}`) },
        stderr: (line) => {
          throw new Error(`${name} did not start: ${line}`);
        },
        app: {
          socketMode: { clientPingTimeout: 1_000 },
          watchTiming: { intervalMs: 200, tickMs: 50, leaseMs: 1_000 },
          // Watch intervals stretch to fit the budget's background share: a short window keeps them short.
          budgetWindowMs: 20_000,
        },
      });
      if (!started.ok) throw new Error(`${name} did not start`);
      bots.push(started);
    }
    await slack.waitFor((s) => s.openSocketConnections.length === 3);
    // Slack spreads envelopes over an app's connections at random.
    slack.socketSpread = 'random';
  }, 60_000);

  afterAll(async () => {
    mkdirSync('artifacts/replicas', { recursive: true });
    writeFileSync('artifacts/replicas/socket.log', logs.join(''));
    for (const started of bots) await started.bot.stop();
    await slack?.close();
    await cf?.close();
    await db?.drop();
  });

  it('each job watched twice at once, one envelope delivered twice: one card and one notice per job', async () => {
    const channel = 'C0SOCKETROOM';
    const jobs = Array.from(
      { length: 6 },
      () =>
        cf.addJob({ total: 40, createdAt: clock, progress: { kind: 'live', discoverMs: 1_000, ratePerSecond: 5 } }).id,
    );
    const sent = await Promise.all(
      jobs.flatMap((job) => [
        slack.sendCommand({ userId: 'U0ANALYST0', channelId: channel, text: `watch ${job}`, deliveries: 2 }),
        slack.sendCommand({ userId: 'U0ANALYST1', channelId: channel, text: `watch ${job}` }),
      ]),
    );
    for (const result of sent) expect(result.status).toBe(200);
    // Every replica got some of the envelopes.
    const connections = new Set(slack.socketEnvelopes.map((envelope) => envelope.connectionId));
    expect(connections.size).toBeGreaterThan(1);
    const cards = () => slack.channelMessages(channel).filter((m) => !m.ephemeralTo);
    await slack.waitFor(() => cards().length === jobs.length, { timeoutMs: 15_000 });

    clock += 60_000; // every job completes
    await slack.waitFor(() => cards().every((card) => slack.threadReplies(channel, card.ts).length > 0), {
      timeoutMs: 15_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(cards()).toHaveLength(jobs.length);
    for (const card of cards()) expect(slack.threadReplies(channel, card.ts)).toHaveLength(1);
  }, 40_000);
});

describePostgres('a replica whose database is not there yet', () => {
  it('serves views at once, says not ready, and watches once the database appears', async () => {
    const db = await createTestDatabase();
    // The database is dropped before the bot starts: as if PostgreSQL were still coming up.
    await db.drop();
    const stack = await startStack({
      env: { DATABASE_URL: db.url, BULKJOB_WRITE_USERS: USER },
      app: { watchTiming: { intervalMs: 100, tickMs: 50, leaseMs: 1_000 }, budgetWindowMs: 30_000 },
    });
    try {
      const probe = async () => {
        const response = await fetch(`http://127.0.0.1:${stack.port}/readyz`);
        return { status: response.status, body: (await response.json()) as { ok: boolean; reason?: string } };
      };
      const notReady = await probe();
      expect(notReady.status).toBe(503);
      expect(notReady.body.reason).toMatch(/does not exist|migrations are running/);

      // A view needs no store: served while the database is missing.
      const job = stack.cf.addJob({ total: 30 }).id;
      const view = await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: job });
      await stack.slack.waitFor((s) => s.answered(view.responseUrl));
      expect(textOf(stack.slack.ephemeralFor(USER, CHANNEL).at(-1))).toContain(job.slice(0, 8));

      // The database appears: the store migrates by itself, and a watch works end to end.
      await recreate(db.name);
      await stack.slack.waitFor(async () => (await probe()).status === 200, { timeoutMs: 20_000 });
      const live = stack.cf.addJob({ total: 20, progress: { kind: 'live', discoverMs: 200, ratePerSecond: 50 } }).id;
      await stack.slack.sendCommand({ userId: USER, channelId: CHANNEL, text: `watch ${live}` });
      const card = await stack.slack.waitFor(() => stack.slack.channelMessages(CHANNEL).find((m) => !m.ephemeralTo));
      await stack.slack.waitFor(() => stack.slack.threadReplies(CHANNEL, card.ts).length === 1, { timeoutMs: 10_000 });
    } finally {
      await stack.stop();
      await db.drop();
    }
  }, 40_000);
});

async function recreate(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}
