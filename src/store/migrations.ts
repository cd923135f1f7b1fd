/**
 * Versioned schema migrations. The database's version is `PRAGMA user_version`: the number of entries of
 * `MIGRATIONS` applied. Migrations are append-only: never edit or reorder a released one, add a new step.
 *
 * Schema (version 1), all times integer milliseconds since the epoch:
 *
 * cards — one row per status card the bot posted (Share or Watch).
 *   id, channel, ts (unique together: what chat.update needs), job_id, shared_by, shared_at, updated_at,
 *   last_render_hash + last_job_status (what was last sent, to edit only on change),
 *   cancelled_by + cancelled_at (who cancelled the job from this card), lost_at (message no longer editable).
 *
 * watches — one row per watch of a card (a card may be watched again after a watch ended; a partial unique
 *   index allows at most one `active` watch per card). ON DELETE CASCADE from cards.
 *   state ('active' | 'finished' | 'stopped' | 'expired' | 'lost'), started_by, started_at, interval_ms,
 *   expires_at, next_run_at, ended_at, stopped_by,
 *   notice_state ('none' | 'posting' | 'posted'), notice_started_at, notice_ts (exactly-once completion notice),
 *   failure_count, last_error, lease_owner + lease_until (one instance runs a watch at a time; a crashed
 *   instance's lease simply expires).
 *
 * locks (version 2) — named locks with a time limit (`LockStore`): key, owner, until.
 *
 * shared_cache (version 3) — what one instance read and the others reuse (`SharedCacheStore`): key, value
 *   (text), until.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../logger.js';
import { StoreError } from './store-error.js';

export interface Migration {
  /** Short description, for the log. */
  name: string;
  /** SQL run inside the migration's transaction (several statements allowed). */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'cards and watches',
    sql: `
      CREATE TABLE cards (
        id               INTEGER PRIMARY KEY,
        channel          TEXT    NOT NULL,
        ts               TEXT    NOT NULL,
        job_id           TEXT    NOT NULL,
        shared_by        TEXT    NOT NULL,
        shared_at        INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        last_render_hash TEXT,
        last_job_status  TEXT,
        cancelled_by     TEXT,
        cancelled_at     INTEGER,
        lost_at          INTEGER,
        UNIQUE (channel, ts)
      ) STRICT;
      CREATE INDEX cards_by_channel_job ON cards (channel, job_id);

      CREATE TABLE watches (
        id                INTEGER PRIMARY KEY,
        card_id           INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
        state             TEXT    NOT NULL CHECK (state IN ('active', 'finished', 'stopped', 'expired', 'lost')),
        started_by        TEXT    NOT NULL,
        started_at        INTEGER NOT NULL,
        interval_ms       INTEGER NOT NULL CHECK (interval_ms > 0),
        expires_at        INTEGER NOT NULL,
        next_run_at       INTEGER NOT NULL,
        ended_at          INTEGER,
        stopped_by        TEXT,
        notice_state      TEXT    NOT NULL DEFAULT 'none' CHECK (notice_state IN ('none', 'posting', 'posted')),
        notice_started_at INTEGER,
        notice_ts         TEXT,
        failure_count     INTEGER NOT NULL DEFAULT 0,
        last_error        TEXT,
        lease_owner       TEXT,
        lease_until       INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX watches_one_active_per_card ON watches (card_id) WHERE state = 'active';
      CREATE INDEX watches_due ON watches (next_run_at, id) WHERE state = 'active';
      CREATE INDEX watches_notice_posting ON watches (notice_started_at) WHERE notice_state = 'posting';
    `,
  },
  {
    name: 'named locks',
    sql: `
      CREATE TABLE locks (
        key   TEXT    PRIMARY KEY,
        owner TEXT    NOT NULL,
        until INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    name: 'shared cache',
    sql: `
      CREATE TABLE shared_cache (
        key   TEXT    PRIMARY KEY,
        value TEXT    NOT NULL,
        until INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

export function readSchemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to `migrations.length`, each step in its own IMMEDIATE transaction together with
 * its `user_version`, so a failed step leaves the previous version intact and two instances starting at once
 * apply each step once. Refuses a database whose version is newer than the code knows.
 * Returns the versions before and after.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  logger?: Pick<Logger, 'info'>,
): { from: number; to: number } {
  const known = migrations.length;
  const from = readSchemaVersion(db);
  assertNotNewer(from, known, db.name);
  for (let version = from + 1; version <= known; version++) {
    const migration = migrations[version - 1]!;
    const apply = db.transaction(() => {
      // Re-read under the write lock: another instance may have applied this step since we looked.
      const current = readSchemaVersion(db);
      assertNotNewer(current, known, db.name);
      if (current >= version) return false;
      db.exec(migration.sql);
      db.pragma(`user_version = ${version}`);
      return true;
    });
    try {
      if (apply.immediate()) logger?.info({ version, migration: migration.name }, 'store migration applied');
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(
        'store_migration_failed',
        `Migrating ${db.name} to schema version ${version} (${migration.name}) failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return { from, to: Math.max(from, known) };
}

function assertNotNewer(version: number, known: number, path: string): void {
  if (version <= known) return;
  throw new StoreError(
    'store_schema_too_new',
    `${path} has schema version ${version}, but this build of bulkjob knows only up to ${known}: it was written ` +
      'by a newer bulkjob. Run that version (or newer), or point BULKJOB_DATA_DIR at another directory.',
  );
}
