/**
 * Once per test run: a throw-away PostgreSQL cluster for the suites that need one (test/helpers/postgres.ts
 * gives each file a database of its own). Without PostgreSQL's server programs those suites are skipped with
 * a one-line hint — except in CI (`CI=true`), where a missing PostgreSQL fails the run instead.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBin, POSTGRES_HINT, startPostgresCluster } from '../dev/postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cluster's superuser URL, or '' when there is no PostgreSQL here. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const bin = findPostgresBin();
  if (!bin) {
    if (process.env.CI === 'true') throw new Error(`CI=true, so the PostgreSQL suites must run. ${POSTGRES_HINT}`);
    project.provide('postgresUrl', '');
    return undefined;
  }
  const cluster = await startPostgresCluster(bin);
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
