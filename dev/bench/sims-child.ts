/**
 * The Cloudflare simulator in a process of its own, for the export benchmark: generating and serialising
 * 100,000 messages is Cloudflare's work, not the bot's, and must not share the bot's CPU or memory.
 * Driven over IPC by `export.ts`: `{ addJob }` → `{ id }`, `{ count }` → `{ requests }`, `{ stop }`.
 */
import { CloudflareSim, type SimJobSpec } from '../sim/cloudflare.js';

type Ask = { seq: number } & ({ addJob: SimJobSpec } | { count: string } | { stop: true });

const sim = await CloudflareSim.start({
  token: process.env.BENCH_CF_TOKEN ?? 'bench',
  latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0),
});
process.send?.({ ready: true, baseUrl: sim.baseUrl, accountId: sim.accountId });
process.on('message', (ask: Ask) => {
  if ('addJob' in ask) process.send?.({ seq: ask.seq, id: sim.addJob(ask.addJob).id });
  else if ('count' in ask) {
    const requests = sim.requests.filter((r) => r.jobId === ask.count && r.path.endsWith('/messages')).length;
    process.send?.({ seq: ask.seq, requests });
  } else {
    void sim.close().then(() => process.exit(0));
  }
});
