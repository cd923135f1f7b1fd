/**
 * The simulators in a process of their own, for the export benchmark: generating and serialising 100,000
 * messages is Cloudflare's work, and taking in a 25 MB upload is Slack's; neither must share the bot's CPU or
 * memory. Driven over IPC by `export.ts`: `{ addJob }` → `{ id }`, `{ count }` → `{ requests }`, `{ stop }`.
 */
import { CloudflareSim, type SimJobSpec } from '../sim/cloudflare.js';
import { SlackSim } from '../sim/slack.js';

type Ask = { seq: number } & ({ addJob: SimJobSpec } | { count: string } | { stop: true });

const cf = await CloudflareSim.start({
  token: process.env.BENCH_CF_TOKEN ?? 'bench',
  latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0),
});
// Uploads are counted and checked for length, not kept.
const slack = await SlackSim.start({
  signingSecret: 'bench-export',
  botToken: process.env.BENCH_SLACK_TOKEN ?? 'xoxb-bench',
  retainUploads: false,
});
process.send?.({ ready: true, baseUrl: cf.baseUrl, accountId: cf.accountId, slackApiUrl: slack.apiUrl });
process.on('message', (ask: Ask) => {
  if ('addJob' in ask) process.send?.({ seq: ask.seq, id: cf.addJob(ask.addJob).id });
  else if ('count' in ask) {
    const requests = cf.requests.filter((r) => r.jobId === ask.count && r.path.endsWith('/messages')).length;
    process.send?.({ seq: ask.seq, requests });
  } else {
    void Promise.all([cf.close(), slack.close()]).then(() => process.exit(0));
  }
});
