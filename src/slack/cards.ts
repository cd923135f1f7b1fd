/**
 * Status cards in channels: Share posts one, Refresh and the watch loop edit it in place, Watch adopts or
 * posts one and keeps it current, Stop watching and Cancel record who did it. Everything a card shows
 * comes from the job and the store; nothing on a card is a recipient address.
 */
import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { CloudflareClient, RequestOptions } from '../cloudflare/client.js';
import { type Job, TERMINAL_STATUSES } from '../cloudflare/schema.js';
import type { Config } from '../config.js';
import { InputError, SlackPostError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Card, Store, Watch } from '../store/types.js';
import { renderCompletionNotice } from './blocks/completion-notice.js';
import { renderStatusCard } from './blocks/status-card.js';
import type { CardWatch, FailureSummary, SlackMessage } from './blocks/types.js';
import { summarizeFailures } from './job-view.js';
import { KeyedLock } from './keyed-lock.js';

export interface CardServiceDeps {
  config: Config;
  logger: Logger;
  cloudflare: CloudflareClient;
  store: Store;
  client: WebClient;
  now: () => Date;
}

/** The watch loop, as far as the card service needs it: to be told that a watch is due now. */
export interface WatchWaker {
  wake(): void;
  /** Effective interval for a new watch, slowed down when the Cloudflare budget is short. */
  intervalMs(): Promise<number>;
}

export interface CardTarget {
  channelId: string;
  jobId: string;
  userId: string;
  /** The card's message ts, when the click came from the card itself. */
  ts?: string;
}

/** What the listener should tell the user, ephemerally, when something did not simply happen. */
export type CardOutcome = { note?: string };

/** Slack errors that mean the card can never be edited again: its watch ends. */
const LOST_CARD_ERRORS = new Set([
  'message_not_found',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'cant_update_message',
]);

/** Read Slack's error string from a WebClient failure (platform error or rate limit). */
export function slackErrorOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; data?: { error?: unknown } };
  if (e?.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  return typeof e?.data?.error === 'string' ? e.data.error : undefined;
}

/** Seconds Slack asked us to wait, for a rate-limited call. */
export function slackRetryAfter(error: unknown): number | undefined {
  const seconds = (error as { retryAfter?: unknown })?.retryAfter;
  return typeof seconds === 'number' ? seconds : undefined;
}

function toSlackPostError(error: unknown): unknown {
  const slackError = slackErrorOf(error);
  return slackError ? new SlackPostError(slackError, error) : error;
}

/** A card changes only when what it shows changes: hash the inputs, not the rendered time stamps. */
function hashCardState(job: Job, failures: FailureSummary, watch: CardWatch | undefined, card: Card): string {
  const state = {
    status: job.status,
    status_message: job.status_message,
    counts: [job.total_messages_discovered, job.messages_successful, job.messages_failed, job.messages_pending],
    times: [job.started_at, job.completed_at],
    failures: failures.reasons,
    complete: failures.complete,
    watch: watch ? [watch.state, watch.stoppedBy ?? null] : null,
    cancelledBy: card.cancelledBy,
  };
  return createHash('sha256').update(JSON.stringify(state)).digest('hex').slice(0, 32);
}

export function toCardWatch(watch: Watch | undefined, intervalSeconds: number): CardWatch | undefined {
  if (!watch) return undefined;
  return {
    state: watch.state,
    startedBy: watch.startedBy,
    ...(watch.stoppedBy ? { stoppedBy: watch.stoppedBy } : {}),
    intervalSeconds: Math.max(1, Math.round(watch.intervalMs / 1000)) || intervalSeconds,
  };
}

export class CardService {
  readonly #deps: CardServiceDeps;
  #watcher: WatchWaker | undefined;
  /** Failure summaries per job, reused while the job's failed count has not moved. */
  readonly #failureCache = new Map<string, { failed: number; summary: FailureSummary }>();
  readonly #cardLock = new KeyedLock();
  readonly #watchLock = new KeyedLock();

  constructor(deps: CardServiceDeps) {
    this.#deps = deps;
  }

  attachWatcher(watcher: WatchWaker): void {
    this.#watcher = watcher;
  }

  /** Share to channel: post a new status card. */
  share(target: CardTarget): Promise<Card> {
    return this.#share(target);
  }

  async #share(target: CardTarget, watch?: CardWatch, knownJob?: Job): Promise<Card> {
    const { store, now } = this.#deps;
    const job = knownJob ?? (await this.#deps.cloudflare.getJob(target.jobId, { priority: 'user', fresh: true }));
    const failures = await this.#failuresFor(job, { priority: 'user' });
    const sharedAt = now();
    const draft = { sharedBy: target.userId, sharedAt, cancelledBy: null } as const;
    const ts = await this.#post(target.channelId, this.#render(job, failures, draft, watch));
    const card = await store.saveCard({
      channel: target.channelId,
      ts,
      jobId: job.job_id,
      sharedBy: target.userId,
      sharedAt,
    });
    await store.markCardRendered(card.id, hashCardState(job, failures, watch, card), job.status, sharedAt);
    return card;
  }

  /** Refresh on a card: read the job afresh and edit the card in place. */
  async refresh(target: CardTarget & { ts: string }): Promise<void> {
    const card = await this.#adopt(target);
    await this.update(card, { priority: 'user', fresh: true }, { force: true });
  }

  /**
   * Re-read the job and edit the card if what it shows changed (or `force`). Returns the job. Throws
   * SlackPostError (e.g. `message_not_found` when the card was deleted) for the caller to act on.
   */
  async update(card: Card, opts: RequestOptions, options: { force?: boolean } = {}): Promise<Job> {
    const { store, now } = this.#deps;
    const job = await this.#deps.cloudflare.getJob(card.jobId, opts);
    const failures = await this.#failuresFor(job, opts);
    // One edit of a card at a time, and the card and its watch read inside the lock: an edit that started
    // earlier (a Refresh click) can never land after a newer one (the watch's final edit, a Stop).
    return this.#cardLock.run(String(card.id), async () => {
      const current = (await store.findCardById(card.id)) ?? card;
      const watch = await this.#latestWatch(current);
      const hash = hashCardState(job, failures, watch, current);
      if (!options.force && hash === current.lastRenderHash) return job;
      await this.#edit(current, this.#render(job, failures, current, watch));
      await store.markCardRendered(current.id, hash, job.status, now());
      return job;
    });
  }

  /** The job a card shows, for the watch loop (from the short cache unless `opts.fresh`). */
  readJob(card: Card, opts: RequestOptions): Promise<Job> {
    return this.#deps.cloudflare.getJob(card.jobId, opts);
  }

  /** Watch: adopt the clicked card, or this channel's card for the job, or post a new one; then keep it current. */
  watch(target: CardTarget): Promise<CardOutcome> {
    // Two Watch clicks for one job in one channel must not post two cards.
    return this.#watchLock.run(`${target.channelId} ${target.jobId}`, () => this.#watch(target));
  }

  async #watch(target: CardTarget): Promise<CardOutcome> {
    const { store, config, now } = this.#deps;
    const clicked = target.ts ? await this.#adopt({ ...target, ts: target.ts }) : undefined;
    // A card that can no longer be edited is not adopted: the watch gets a new card.
    const existing =
      clicked && !clicked.lostAt ? clicked : await store.findActiveCardForJob(target.channelId, target.jobId);
    if (existing && (await store.findActiveWatch(existing.id))) {
      return { note: 'This job is already being watched in this channel; its card updates by itself.' };
    }
    const job = await this.#deps.cloudflare.getJob(target.jobId, { priority: 'user', fresh: true });
    if (TERMINAL_STATUSES.has(job.status)) {
      if (existing) await this.update(existing, { priority: 'user' });
      else await this.#share(target, undefined, job);
      return { note: `This job has already ended (${job.status}); the card shows its final state.` };
    }
    const intervalMs = (await this.#watcher?.intervalMs()) ?? config.watch.intervalSeconds * 1000;
    const watchView: CardWatch = {
      state: 'active',
      startedBy: target.userId,
      intervalSeconds: Math.max(1, Math.round(intervalMs / 1000)),
    };
    // A new card is posted already showing the watch, so the channel sees one message, not a post and an edit.
    const card = existing ?? (await this.#share(target, watchView, job));
    const startedAt = now();
    try {
      await store.startWatch({
        cardId: card.id,
        startedBy: target.userId,
        intervalMs,
        expiresAt: new Date(startedAt.getTime() + config.watch.maxHours * 3_600_000),
        now: startedAt,
      });
    } catch (error) {
      // The card must not claim a watch that does not exist: show it without one, then report the error.
      if (!existing) await this.update(card, { priority: 'user' }, { force: true }).catch(() => {});
      throw error;
    }
    if (existing) await this.update(card, { priority: 'user' }, { force: true });
    this.#watcher?.wake();
    return {};
  }

  /** Stop watching: end the card's watch and say on the card who stopped it. */
  async stopWatch(target: CardTarget & { ts: string }): Promise<CardOutcome> {
    const card = await this.#adopt(target);
    const stopped = await this.#deps.store.stopWatch(card.id, target.userId, this.#deps.now());
    if (!stopped) return { note: 'This card is not being watched.' };
    await this.update(card, { priority: 'user' }, { force: true });
    return {};
  }

  /** Cancel job (the caller has checked write access): cancel at Cloudflare, record who, update the card. */
  async cancel(target: CardTarget): Promise<Job> {
    const { store, cloudflare, now, logger } = this.#deps;
    const job = await cloudflare.cancelJob(target.jobId, { priority: 'user' });
    logger.info({ job: target.jobId, user: target.userId }, 'job cancelled from Slack');
    const card = target.ts
      ? await this.#adopt({ ...target, ts: target.ts })
      : await store.findActiveCardForJob(target.channelId, target.jobId);
    if (card) {
      await store.markCardCancelled(card.id, target.userId, now());
      await this.update(card, { priority: 'user', fresh: true }, { force: true });
    }
    return job;
  }

  /** Build the completion notice (reads the failure reasons: do it before claiming the notice). */
  async buildNotice(watch: Watch, job: Job, reason: 'terminal' | 'expired'): Promise<SlackMessage> {
    const failures = await this.#failuresFor(job, { priority: 'background' });
    const now = this.#deps.now();
    return renderCompletionNotice({
      job,
      failures,
      watcher: watch.startedBy,
      reason,
      now,
      watchedForSeconds: Math.max(0, Math.round((now.getTime() - watch.startedAt.getTime()) / 1000)),
    });
  }

  /** Post a reply in the card's thread; returns its ts. Slack's refusals become SlackPostError. */
  async postInThread(card: Card, message: SlackMessage): Promise<string> {
    try {
      return await this.#post(card.channel, message, card.ts);
    } catch (error) {
      await this.#noteLostCard(card, error);
      throw error;
    }
  }

  async #latestWatch(card: Card): Promise<CardWatch | undefined> {
    const { store, config } = this.#deps;
    const watch = (await store.findActiveWatch(card.id)) ?? (await store.findLatestWatch(card.id));
    return toCardWatch(watch, config.watch.intervalSeconds);
  }

  /** The stored card for a clicked message; a card the store does not know (e.g. data dir wiped) is adopted. */
  async #adopt(target: CardTarget & { ts: string }): Promise<Card> {
    const { store, now } = this.#deps;
    const card = await store.findCard(target.channelId, target.ts);
    if (card) {
      if (card.jobId !== target.jobId) throw new InputError('That button does not match its card. Refresh the card.');
      return card;
    }
    return await store.saveCard({
      channel: target.channelId,
      ts: target.ts,
      jobId: target.jobId,
      sharedBy: target.userId,
      sharedAt: now(),
    });
  }

  #render(
    job: Job,
    failures: FailureSummary,
    card: Pick<Card, 'sharedBy' | 'sharedAt' | 'cancelledBy'>,
    watch: CardWatch | undefined,
  ): SlackMessage {
    const { config, now } = this.#deps;
    const at = now();
    return renderStatusCard({
      job,
      failures,
      sharedBy: card.sharedBy,
      sharedAt: card.sharedAt,
      updatedAt: at,
      ...(watch ? { watch } : {}),
      ...(card.cancelledBy ? { cancelledBy: card.cancelledBy } : {}),
      showCancel: config.access.writeUsers.size > 0 && !TERMINAL_STATUSES.has(job.status),
      now: at,
    });
  }

  async #failuresFor(job: Job, opts: RequestOptions): Promise<FailureSummary> {
    const cached = this.#failureCache.get(job.job_id);
    if (cached && cached.failed === job.messages_failed) return cached.summary;
    const summary = await summarizeFailures(this.#deps.cloudflare, job, opts);
    this.#failureCache.set(job.job_id, { failed: job.messages_failed, summary });
    if (this.#failureCache.size > 500) this.#failureCache.delete(this.#failureCache.keys().next().value!);
    return summary;
  }

  async #post(channel: string, message: SlackMessage, threadTs?: string): Promise<string> {
    try {
      const result = await this.#deps.client.chat.postMessage({
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        text: message.text,
        blocks: message.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!result.ts) throw new SlackPostError('no_ts');
      return result.ts;
    } catch (error) {
      throw toSlackPostError(error);
    }
  }

  async #edit(card: Card, message: SlackMessage): Promise<void> {
    try {
      await this.#deps.client.chat.update({
        channel: card.channel,
        ts: card.ts,
        text: message.text,
        blocks: message.blocks as never,
      });
    } catch (error) {
      await this.#noteLostCard(card, error);
      throw toSlackPostError(error);
    }
  }

  /** Slack says the card is gone or out of reach: mark it lost (which ends its watch). */
  async #noteLostCard(card: Card, error: unknown): Promise<void> {
    const slackError = error instanceof SlackPostError ? error.slackError : slackErrorOf(error);
    if (!slackError || !LOST_CARD_ERRORS.has(slackError)) return;
    await this.#deps.store.markCardLost(card.id, this.#deps.now());
    this.#deps.logger.info({ card: card.id, channel: card.channel, slackError }, 'card can no longer be edited');
  }
}
