/**
 * What every Block Kit formatter shares; each feature's blocks declare their own inputs. Formatters take
 * plain data (already fetched) and the current time, and return a message that fits Slack's limits
 * (docs/design.md, "Slack limits").
 */

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
  /** The latest `retry_after` among these messages (epoch ms): Cloudflare retries them then, if it is ahead. */
  retryAt?: number;
}

export interface FailureSummary {
  reasons: FailureReason[];
  /** How many failed messages were read to build `reasons`. */
  scanned: number;
  /** False when reading stopped at a cap before every failed message was seen. */
  complete: boolean;
}
