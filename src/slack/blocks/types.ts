/**
 * Inputs and outputs of the pure Block Kit formatters. Formatters take plain data (already fetched) and
 * the current time, and return a message that fits Slack's limits (docs/design.md, "Slack limits").
 */
import type { Job, Message } from '../../cloudflare/schema.js';
import type { ListQuery, ViewQuery } from '../query.js';

/** A Block Kit block, loosely typed: formatters build them, tests check them against the limits. */
export type Block = Record<string, unknown> & { type: string };

/** What `respond`, `chat.postMessage` and `chat.update` take: fallback `text` (≤ 4000) plus blocks (≤ 50). */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** Messages of a job grouped by `status_message`, most frequent first. */
export interface FailureReason {
  reason: string;
  count: number;
}

export interface FailureSummary {
  reasons: FailureReason[];
  /** How many failed messages were read to build `reasons`. */
  scanned: number;
  /** False when reading stopped at a cap before every failed message was seen. */
  complete: boolean;
}

export interface JobViewInput {
  job: Job;
  /** One page of messages (recipients included: the view is ephemeral to the one who asked). */
  messages: Message[];
  query: ViewQuery;
  /** Messages a page; `messages.length` ≤ this. */
  pageSize: number;
  /** Total pages for the filter, from the job's counts; undefined when the counts cannot tell. */
  totalPages: number | undefined;
  hasNext: boolean;
  /** Slack user id of whoever asked. */
  requestedBy: string;
  /** Show the Cancel job button (the viewer is a write user and the job is not terminal). */
  canCancel: boolean;
  now: Date;
}

export type WatchState = 'active' | 'finished' | 'stopped' | 'expired' | 'lost';

export interface CardWatch {
  state: WatchState;
  /** Who started the watch. */
  startedBy: string;
  /** Who pressed Stop watching, when state is 'stopped'. */
  stoppedBy?: string;
  intervalSeconds: number;
}

export interface StatusCardInput {
  job: Job;
  failures: FailureSummary;
  sharedBy: string;
  sharedAt: Date;
  /** When the card's data was read from Cloudflare. */
  updatedAt: Date;
  watch?: CardWatch;
  /** Who cancelled the job from Slack, if someone did. */
  cancelledBy?: string;
  /** Show the Cancel job button (write users are configured and the job is not terminal). */
  showCancel: boolean;
  now: Date;
}

export interface JobListInput {
  jobs: Job[];
  query: ListQuery;
  pageSize: number;
  hasNext: boolean;
  now: Date;
}

export interface CompletionNoticeInput {
  job: Job;
  failures: FailureSummary;
  /** Who started the watch: mentioned in the notice. */
  watcher: string;
  /** 'terminal': the job ended; 'expired': the watch hit its maximum time first. */
  reason: 'terminal' | 'expired';
  /** How long the watch ran, for "stopped watching after 12h" when `reason` is 'expired'. */
  watchedForSeconds?: number;
  now: Date;
}
