/**
 * Rows as both databases hold them (the same columns, every time an integer count of milliseconds since the
 * epoch) and their mapping to the records of `types.ts`, so the SQLite and PostgreSQL stores cannot drift.
 */
import { scrub } from '../logger.js';
import type { Card, EndedWatchState, NoticeState, Watch, WatchState } from './types.js';

/** `last_error` is for humans reading logs and tables; a Cloudflare error body can be long. */
const MAX_ERROR_LENGTH = 500;

export const ENDED_STATES: ReadonlySet<string> = new Set<EndedWatchState>(['finished', 'stopped', 'expired', 'lost']);

/**
 * The store is not a log, but the same rule holds: no tokens or recipient addresses at rest. No NUL either:
 * PostgreSQL text cannot hold one, and an upstream body could carry it.
 */
export function cleanWatchError(message: string): string {
  return scrub(message.replaceAll('\u0000', '')).slice(0, MAX_ERROR_LENGTH);
}

export interface CardRow {
  id: number;
  channel: string;
  ts: string;
  job_id: string;
  shared_by: string;
  shared_at: number;
  updated_at: number;
  last_render_hash: string | null;
  last_job_status: string | null;
  cancelled_by: string | null;
  cancelled_at: number | null;
  lost_at: number | null;
}

export interface WatchRow {
  id: number;
  card_id: number;
  state: string;
  started_by: string;
  started_at: number;
  interval_ms: number;
  expires_at: number;
  next_run_at: number;
  ended_at: number | null;
  stopped_by: string | null;
  notice_state: string;
  notice_started_at: number | null;
  notice_ts: string | null;
  failure_count: number;
  last_error: string | null;
  lease_owner: string | null;
  lease_until: number | null;
}

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function toCard(row: CardRow): Card {
  return {
    id: row.id,
    channel: row.channel,
    ts: row.ts,
    jobId: row.job_id,
    sharedBy: row.shared_by,
    sharedAt: new Date(row.shared_at),
    updatedAt: new Date(row.updated_at),
    lastRenderHash: row.last_render_hash,
    lastJobStatus: row.last_job_status,
    cancelledBy: row.cancelled_by,
    cancelledAt: dateOrNull(row.cancelled_at),
    lostAt: dateOrNull(row.lost_at),
  };
}

export function toWatch(row: WatchRow): Watch {
  return {
    id: row.id,
    cardId: row.card_id,
    // The CHECK constraints guarantee both values.
    state: row.state as WatchState,
    startedBy: row.started_by,
    startedAt: new Date(row.started_at),
    intervalMs: row.interval_ms,
    expiresAt: new Date(row.expires_at),
    nextRunAt: new Date(row.next_run_at),
    endedAt: dateOrNull(row.ended_at),
    stoppedBy: row.stopped_by,
    noticeState: row.notice_state as NoticeState,
    noticeStartedAt: dateOrNull(row.notice_started_at),
    noticeTs: row.notice_ts,
    failureCount: row.failure_count,
    lastError: row.last_error,
    leaseOwner: row.lease_owner,
    leaseUntil: dateOrNull(row.lease_until),
  };
}
