/**
 * PostgreSQL for a test file: the run's throw-away cluster (test/global-setup.ts), a fresh database per
 * call, dropped afterwards. `describePostgres` skips its suite, naming how to get PostgreSQL, when the
 * cluster is missing (never in CI: the setup fails there instead).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { POSTGRES_HINT } from '../../dev/postgres-cluster.js';

export const POSTGRES_URL = inject('postgresUrl');

/** `describe` when PostgreSQL is here; otherwise a skipped suite whose name says how to get it. */
export const describePostgres: typeof describe = (
  POSTGRES_URL ? describe : (name: string, fn: () => void) => describe.skip(`${name} (skipped: ${POSTGRES_HINT})`, fn)
) as typeof describe;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the run's cluster. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!POSTGRES_URL) throw new Error(POSTGRES_HINT);
  const name = `bulkjob_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
