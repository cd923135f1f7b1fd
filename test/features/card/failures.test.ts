/**
 * Failure summaries and the store's shared cache: what one replica read, another reuses; a shared entry
 * read at another failed count is not used; and a store that fails, hangs or holds garbage only costs a read
 * from Cloudflare, never the card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareSim } from '../../../dev/sim/cloudflare.js';
import { CloudflareClient } from '../../../src/cloudflare/client.js';
import { FailureSummaries } from '../../../src/features/card/failures.js';
import { IN_MEMORY, openStore } from '../../../src/store/store.js';
import type { SharedCacheStore } from '../../../src/store/types.js';

let sim: CloudflareSim;
const clients: CloudflareClient[] = [];

beforeAll(async () => {
  sim = await CloudflareSim.start();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
});

function client(): CloudflareClient {
  const made = new CloudflareClient({
    baseUrl: sim.baseUrl,
    accountId: sim.accountId,
    auth: { kind: 'token', token: sim.token },
    jobCacheMs: 0,
  });
  clients.push(made);
  return made;
}

/** A replica's summaries: its own Cloudflare client and memory, and the store it is given. */
function replica(shared: SharedCacheStore | undefined): FailureSummaries {
  return new FailureSummaries(client(), shared ? { shared } : {});
}

const scansOf = (jobId: string) => sim.requests.filter((r) => r.jobId === jobId && r.query.status === 'FAILED').length;

const readJob = (jobId: string) => client().getJob(jobId, { fresh: true });

describe('failure summaries shared between replicas', () => {
  it('one replica reads the failures; another, on the same store, reuses them', async () => {
    const store = openStore({ dataDir: IN_MEMORY });
    const job = await readJob(sim.addJob({ total: 300, failureRate: 0.3 }).id);
    const first = await replica(store).for(job, { priority: 'user' });
    const second = await replica(store).for(job, { priority: 'user' });
    expect(second).toEqual(first);
    expect(first.reasons.length).toBeGreaterThan(0);
    expect(scansOf(job.job_id)).toBe(1);
    await store.close();
  });

  it('reads again when the failed count moved since the shared entry was kept', async () => {
    const store = openStore({ dataDir: IN_MEMORY });
    const job = await readJob(sim.addJob({ total: 300, failureRate: 0.3 }).id);
    await replica(store).for(job, { priority: 'user' });
    await replica(store).for({ ...job, messages_failed: job.messages_failed + 1 }, { priority: 'user' });
    expect(scansOf(job.job_id)).toBe(2);
    await store.close();
  });

  it('a store that throws, hangs or holds garbage costs one read from Cloudflare, not the card', async () => {
    const job = await readJob(sim.addJob({ total: 100, failureRate: 0.2 }).id);
    const expected = await replica(undefined).for(job, { priority: 'user' });
    const broken: SharedCacheStore[] = [
      {
        getShared: async () => Promise.reject(new Error('database down')),
        putShared: async () => Promise.reject(new Error('database down')),
      },
      { getShared: () => new Promise(() => {}), putShared: () => new Promise(() => {}) },
      { getShared: async () => '{"failed": "many"', putShared: async () => {} },
      {
        getShared: async () => JSON.stringify({ failed: job.messages_failed, summary: { reasons: 'none' } }),
        putShared: async () => {},
      },
    ];
    for (const store of broken) expect(await replica(store).for(job, { priority: 'user' })).toEqual(expected);
    expect(scansOf(job.job_id)).toBe(1 + broken.length);
  });

  it('a job without failures reads nothing and shares nothing', async () => {
    const puts: string[] = [];
    const store: SharedCacheStore = { getShared: async () => undefined, putShared: async (key) => void puts.push(key) };
    const job = await readJob(sim.addJob({ total: 50, failureRate: 0 }).id);
    expect(await replica(store).for(job, { priority: 'user' })).toEqual({ reasons: [], scanned: 0, complete: true });
    expect(scansOf(job.job_id)).toBe(0);
    expect(puts).toEqual([]);
  });
});
