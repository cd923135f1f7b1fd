/**
 * The PostgreSQL schema, as versioned migrations (append-only: never edit or reorder a released step, add a
 * new one). The same tables as the SQLite store (src/store/migrations.ts), with every time an integer count
 * of milliseconds since the epoch (`bigint`), plus the shared Cloudflare budget, which only a shared
 * database can hold.
 *
 * budget_grants — one row per Cloudflare request any replica was allowed to send: when, at which priority
 *   ('user' | 'background'), for which Slack user (user requests only). Rows older than the window are
 *   deleted as grants are taken.
 * budget_signal — one row (id = 1): what Cloudflare last said about the account's real quota, which the
 *   dashboard and other tools share (`Ratelimit` / `Ratelimit-Policy`), and until when a 429's `retry-after`
 *   pauses background work on every replica.
 * shared_cache — what one replica read from Cloudflare and the others reuse (a job's failure reasons): key,
 *   value (text), until.
 */

export interface PostgresMigration {
  /** Short description, for the log. */
  name: string;
  /** SQL run inside the migration's transaction (several statements allowed). */
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    name: 'cards, watches and locks',
    sql: `
      CREATE TABLE cards (
        id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel          text    NOT NULL,
        ts               text    NOT NULL,
        job_id           text    NOT NULL,
        shared_by        text    NOT NULL,
        shared_at        bigint  NOT NULL,
        updated_at       bigint  NOT NULL,
        last_render_hash text,
        last_job_status  text,
        cancelled_by     text,
        cancelled_at     bigint,
        lost_at          bigint,
        UNIQUE (channel, ts)
      );
      CREATE INDEX cards_by_channel_job ON cards (channel, job_id);
      CREATE INDEX cards_by_sharer ON cards (shared_by, shared_at DESC);

      CREATE TABLE watches (
        id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        card_id           integer NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
        state             text    NOT NULL CHECK (state IN ('active', 'finished', 'stopped', 'expired', 'lost')),
        started_by        text    NOT NULL,
        started_at        bigint  NOT NULL,
        interval_ms       integer NOT NULL CHECK (interval_ms > 0),
        expires_at        bigint  NOT NULL,
        next_run_at       bigint  NOT NULL,
        ended_at          bigint,
        stopped_by        text,
        notice_state      text    NOT NULL DEFAULT 'none' CHECK (notice_state IN ('none', 'posting', 'posted')),
        notice_started_at bigint,
        notice_ts         text,
        failure_count     integer NOT NULL DEFAULT 0,
        last_error        text,
        lease_owner       text,
        lease_until       bigint
      );
      CREATE UNIQUE INDEX watches_one_active_per_card ON watches (card_id) WHERE state = 'active';
      CREATE INDEX watches_due ON watches (next_run_at, id) WHERE state = 'active';
      CREATE INDEX watches_notice_posting ON watches (notice_started_at) WHERE notice_state = 'posting';
      CREATE INDEX watches_by_starter ON watches (started_by) WHERE state = 'active';

      CREATE TABLE locks (
        key   text   PRIMARY KEY,
        owner text   NOT NULL,
        until bigint NOT NULL
      );
    `,
  },
  {
    name: 'shared Cloudflare budget',
    sql: `
      CREATE TABLE budget_grants (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at       bigint NOT NULL,
        priority text   NOT NULL CHECK (priority IN ('user', 'background')),
        user_id  text
      );
      CREATE INDEX budget_grants_at ON budget_grants (at);

      CREATE TABLE budget_signal (
        id                 integer PRIMARY KEY CHECK (id = 1),
        paused_until       bigint  NOT NULL DEFAULT 0,
        remaining          integer,
        quota              integer,
        window_seconds     integer,
        resets_at          bigint,
        observed_at        bigint
      );
      INSERT INTO budget_signal (id) VALUES (1);
    `,
  },
  {
    name: 'shared cache',
    sql: `
      CREATE TABLE shared_cache (
        key   text   PRIMARY KEY,
        value text   NOT NULL,
        until bigint NOT NULL
      );
    `,
  },
];
