/**
 * Status cards in channels: Share posts one, Refresh and the watch loop edit it in place, Watch and Cancel
 * find the card they act on. Everything a card shows comes from the job and the store; nothing on a card is
 * a recipient address. Slack is reached only through `SlackMessages`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { CloudflareClient, RequestOptions } from '../../cloudflare/client.js';
import type { Job } from '../../cloudflare/schema.js';
import type { Config } from '../../config.js';
import { InputError, SlackApiError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { PaceSamples } from '../../progress.js';
import { someoneMayCancel } from '../../rules.js';
import type { FailureSummary, SlackMessage } from '../../slack/blocks/types.js';
import { KeyedLock } from '../../slack/keyed-lock.js';
import type { MessageTag, SlackMessages } from '../../slack/slack-api.js';
import type { Card, CardStore, Watch, WatchStore } from '../../store/types.js';
import { type CardWatch, renderStatusCard } from './blocks.js';
import type { FailureSummaries } from './failures.js';

export interface CardServiceDeps {
  config: Config;
  logger: Logger;
  cloudflare: CloudflareClient;
  store: CardStore & Pick<WatchStore, 'findActiveWatch' | 'findLatestWatch'>;
  slack: SlackMessages;
  failures: FailureSummaries;
  now: () => Date;
}

export interface CardTarget {
  channelId: string;
  jobId: string;
  userId: string;
  /** The card's message ts, when the click came from the card itself. */
  ts?: string;
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
  readonly #cardLock = new KeyedLock();
  /** What the recent refreshes read, per job: the card's rate and time left come from them. */
  readonly #pace = new PaceSamples();

  constructor(deps: CardServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Post a new status card. `watch` makes it show a watch from its first render (Watch posts one message,
   * not a post and an edit); `knownJob` saves a read the caller already made.
   */
  async share(target: CardTarget, watch?: CardWatch, knownJob?: Job): Promise<Card> {
    const { store, now } = this.#deps;
    const job = knownJob ?? (await this.#deps.cloudflare.getJob(target.jobId, { priority: 'user', fresh: true }));
    this.#pace.record(job, now());
    const failures = await this.#deps.failures.for(job, { priority: 'user' });
    const sharedAt = now();
    const draft = { sharedBy: target.userId, sharedAt, cancelledBy: null } as const;
    const tag: MessageTag = { type: 'bulkjob_card', key: randomUUID() };
    const ts = await this.#postFindingLost(target.channelId, this.#render(job, failures, draft, watch), tag);
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
    const card = await this.adopt(target);
    await this.update(card, { priority: 'user', fresh: true }, { force: true });
  }

  /**
   * Re-read the job and edit the card if what it shows changed (or `force`). Returns the job. Throws
   * SlackApiError (e.g. `message_not_found` when the card was deleted) for the caller to act on.
   */
  async update(card: Card, opts: RequestOptions, options: { force?: boolean } = {}): Promise<Job> {
    const { store, now } = this.#deps;
    const job = await this.#deps.cloudflare.getJob(card.jobId, opts);
    this.#pace.record(job, now());
    const failures = await this.#deps.failures.for(job, opts);
    // One edit of a card at a time, and the card and its watch read inside the lock: an edit that started
    // earlier (a Refresh click) can never land after a newer one (the watch's final edit, a Stop).
    return this.#cardLock.run(String(card.id), async () => {
      const current = (await store.findCardById(card.id)) ?? card;
      const watch = await this.#latestWatch(current);
      const hash = hashCardState(job, failures, watch, current);
      if (!options.force && hash === current.lastRenderHash) return job;
      try {
        await this.#deps.slack.update(current.channel, current.ts, this.#render(job, failures, current, watch));
      } catch (error) {
        await this.#noteLostCard(current, error);
        throw error;
      }
      await store.markCardRendered(current.id, hash, job.status, now());
      return job;
    });
  }

  /** The job a card shows, for the watch loop (from the short cache unless `opts.fresh`). */
  readJob(card: Card, opts: RequestOptions): Promise<Job> {
    return this.#deps.cloudflare.getJob(card.jobId, opts);
  }

  findById(cardId: number): Promise<Card | undefined> {
    return this.#deps.store.findCardById(cardId);
  }

  /** The card a click acts on: the clicked card, or else the channel's card for the job, if any. */
  async cardFor(target: CardTarget): Promise<Card | undefined> {
    return target.ts ? await this.adopt({ ...target, ts: target.ts }) : await this.channelCard(target);
  }

  /** The channel's card for the job to adopt instead of posting a duplicate (see `findActiveCardForJob`). */
  channelCard(target: Pick<CardTarget, 'channelId' | 'jobId'>): Promise<Card | undefined> {
    return this.#deps.store.findActiveCardForJob(target.channelId, target.jobId);
  }

  /** The job was cancelled from Slack: say so on its card, with who did it. */
  async recordCancel(card: Card, userId: string): Promise<void> {
    await this.#deps.store.markCardCancelled(card.id, userId, this.#deps.now());
    await this.update(card, { priority: 'user', fresh: true }, { force: true });
  }

  /** Post a reply in the card's thread, tagged so that it can be found again; returns its ts. */
  async postInThread(card: Card, message: SlackMessage, tag: MessageTag): Promise<string> {
    try {
      return await this.#deps.slack.post(card.channel, message, card.ts, tag);
    } catch (error) {
      await this.#noteLostCard(card, error);
      throw error;
    }
  }

  /**
   * The ts of the card's thread reply tagged `tag`, or undefined when there is none. Throws SlackApiError
   * `missing_scope` without the history scopes (then nobody can tell).
   */
  findInThread(card: Card, tag: MessageTag): Promise<string | undefined> {
    return this.#deps.slack.findTagged(card.channel, tag, card.ts);
  }

  /**
   * Posts a card. When Slack's answer is lost (a timeout, a reset, a 5xx), the card may have landed
   * anyway: it is looked for by its tag in the channel's latest messages, and adopted when found, so the
   * user's next try does not make a second one. Without the history scopes the original error stands.
   */
  async #postFindingLost(channel: string, message: SlackMessage, tag: MessageTag): Promise<string> {
    try {
      return await this.#deps.slack.post(channel, message, undefined, tag);
    } catch (error) {
      if (!(error instanceof SlackApiError) || error.answered) throw error;
      const found = await this.#deps.slack.findTagged(channel, tag).catch(() => undefined);
      if (found === undefined) throw error;
      this.#deps.logger.info({ channel, slackError: error.slackError }, 'card posted though Slack did not confirm it');
      return found;
    }
  }

  /** The stored card for a clicked message; a card the store does not know (e.g. data dir wiped) is adopted. */
  async adopt(target: CardTarget & { ts: string }): Promise<Card> {
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

  async #latestWatch(card: Card): Promise<CardWatch | undefined> {
    const { store, config } = this.#deps;
    const watch = (await store.findActiveWatch(card.id)) ?? (await store.findLatestWatch(card.id));
    return toCardWatch(watch, config.watch.intervalSeconds);
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
      mayCancel: someoneMayCancel(config.access),
      samples: this.#pace.samplesOf(job.job_id),
      now: at,
    });
  }

  /** Slack says the card is gone or out of reach: mark it lost (which ends its watch). */
  async #noteLostCard(card: Card, error: unknown): Promise<void> {
    if (!(error instanceof SlackApiError) || !error.messageGone) return;
    await this.#deps.store.markCardLost(card.id, this.#deps.now());
    this.#deps.logger.info(
      { card: card.id, channel: card.channel, slackError: error.slackError },
      'card can no longer be edited',
    );
  }
}
