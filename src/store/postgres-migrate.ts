/**
 * Brings a PostgreSQL database up to `POSTGRES_MIGRATIONS`. Every replica runs this at start-up, often at
 * the same moment, so each step is one transaction that first takes a transaction-scoped advisory lock and
 * then re-reads the version: whoever gets the lock first applies the step, the others wait, see it applied
 * and move on. A failed step rolls back with its version row, leaving the previous version intact.
 */
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './postgres-schema.js';
import { StoreError } from './store-error.js';

/** Applied versions, one row each: the database's version is the highest. */
export const SCHEMA_TABLE = 'bulkjob_schema_migrations';
/**
 * Any fixed number serves; this one is "bulkjo" in ASCII, unlikely to clash with another application's
 * advisory locks in a shared database. It is below 2^53, so JavaScript holds it exactly.
 */
export const MIGRATION_LOCK_ID = 0x62756c6b6a6f;
/** A step may wait for another replica's step and build indexes: longer than an ordinary statement. */
const MIGRATION_TIMEOUT_MS = 60_000;

export interface MigrateOptions {
  migrations?: readonly PostgresMigration[];
  logger?: Pick<Logger, 'info'> | undefined;
  /** Where the database is (`host:port/database`, no password), for messages. */
  location: string;
}

/** Reads the version without taking the lock: 0 for a database bulkjob never touched. */
export async function readPostgresSchemaVersion(db: pg.Pool | pg.PoolClient): Promise<number> {
  // Two statements: a statement naming a missing table fails as it is planned, whatever guards it.
  const table = await db.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [SCHEMA_TABLE]);
  if (!table.rows[0]?.found) return 0;
  const { rows } = await db.query<{ version: number }>(
    `SELECT coalesce(max(version), 0) AS version FROM ${SCHEMA_TABLE}`,
  );
  return rows[0]?.version ?? 0;
}

/**
 * Applies the steps after the stored version, each once across every replica. Throws `StoreError`
 * (`store_schema_too_new`) for a database from a newer bulkjob, and (`store_migration_failed`) when a step's
 * SQL fails; connection errors are thrown as they are, for the caller to retry. Returns the versions before
 * and after.
 */
export async function migratePostgres(pool: pg.Pool, options: MigrateOptions): Promise<{ from: number; to: number }> {
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  const known = migrations.length;
  // Most starts find the schema current: one read, no lock, no transaction. (Versions only ever grow, so a
  // current or newer version read without the lock stays true.)
  const seen = await readPostgresSchemaVersion(pool);
  assertNotNewer(seen, known, options.location);
  if (seen === known) return { from: seen, to: seen };
  let from: number | undefined;
  for (;;) {
    const client = await pool.connect();
    let applied: { version: number; name: string } | undefined;
    let current: number;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
      await client.query(withQueryTimeout({ text: 'SELECT pg_advisory_xact_lock($1)', values: [MIGRATION_LOCK_ID] }));
      // Under the lock: no other replica is between its version check and its commit.
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE} (
           version    integer     PRIMARY KEY,
           name       text        NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      current = await readPostgresSchemaVersion(client);
      from ??= current;
      assertNotNewer(current, known, options.location);
      const next = migrations[current];
      if (next) {
        const version = current + 1;
        try {
          await client.query(withQueryTimeout({ text: next.sql }));
        } catch (error) {
          throw migrationFailed(options.location, version, next.name, error);
        }
        await client.query(`INSERT INTO ${SCHEMA_TABLE} (version, name) VALUES ($1, $2)`, [version, next.name]);
        applied = { version, name: next.name };
      }
      await client.query('COMMIT');
    } catch (error) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      // A connection that cannot even roll back is broken: destroy it rather than hand it to anyone else.
      client.release(!rolledBack);
      throw error;
    }
    client.release();
    if (!applied) return { from, to: current };
    options.logger?.info({ version: applied.version, migration: applied.name }, 'store migration applied');
  }
}

/** The client waits a little longer than the server's own limit (`pg` honours this, though its types do not say so). */
function withQueryTimeout(query: pg.QueryConfig): pg.QueryConfig {
  return Object.assign(query, { query_timeout: MIGRATION_TIMEOUT_MS + 5_000 });
}

function migrationFailed(location: string, version: number, name: string, error: unknown): StoreError {
  return new StoreError(
    'store_migration_failed',
    `Migrating the PostgreSQL database ${location} to schema version ${version} (${name}) failed: ${(error as Error).message}`,
    { cause: error },
  );
}

function assertNotNewer(version: number, known: number, location: string): void {
  if (version <= known) return;
  throw new StoreError(
    'store_schema_too_new',
    `The PostgreSQL database ${location} has schema version ${version}, but this build of bulkjob knows only up to ${known}: ` +
      'it was written by a newer bulkjob. Run that version (or newer), or point DATABASE_URL at another database.',
  );
}
