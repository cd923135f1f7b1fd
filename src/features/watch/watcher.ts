/**
 * The watch loop: keeps every watched card current until its job ends (or the watch expires), then posts
 * the completion notice in the card's thread exactly once. All state lives in the store, so a restart or
 * a crash resumes every watch where it was; leases keep two instances from running the same watch.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from '../../cloudflare/schema.js';
import type { Config } from '../../config.js';
import { withDeadline } from '../../deadline.js';
import { BotError, SlackApiError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { hasEnded } from '../../rules.js';
import { assertAllowed } from '../../slack/access.js';
import type { MessageTag } from '../../slack/slack-api.js';
import type { EndedWatchState, Store, Watch } from '../../store/types.js';
import type { CardService } from '../card/cards.js';
import type { FailureSummaries } from '../card/failures.js';
import { buildNotice } from './notice.js';
import type { WatchLoop } from './watches.js';

export interface WatcherDeps {
  cards: CardService;
  failures: FailureSummaries;
  store: Store;
  config: Config;
  logger: Logger;
  now: () => Date;
  /** Overrides `BULKJOB_WATCH_INTERVAL` (tests use a fraction of a second). */
  intervalMs?: number;
  /** How often the loop looks for due watches. */
  tickMs?: number;
  /** The Cloudflare requests watches may use per window (the budget's background share); intervals stretch to fit. */
  backgroundBudget?: { limit: number; windowMs: number };
  /** How long a claimed watch stays this instance's if it dies mid-refresh (default about one interval; tests shorten it). */
  leaseMs?: number;
  /** How long a notice may stay `posting` before it is looked for and, if absent, posted again (tests). */
  stuckNoticeMs?: number;
  /** Unique per process, so leases tell instances apart. */
  owner?: string;
  /** Told when a watch ends, with who started it (their Home tab shows their watches). */
  onEnded?: (userId: string) => void;
  /** Told each time a completion notice is posted (metrics). */
  onNoticePosted?: () => void;
}

/**
 * A claimed watch is this instance's for one lease, renewed every third of it while its refresh runs, so a
 * slow refresh keeps its watch and an instance killed mid-refresh loses it within one lease: another
 * replica (or the restarted one) resumes it at its next tick. About one watch interval, within bounds: a
 * lease far shorter than Slack's or Cloudflare's time limits would be renewed more than it is used.
 */
const MIN_LEASE_MS = 10_000;
const MAX_LEASE_MS = 60_000;
/** Watches claimed and refreshed at once; the next batch is claimed only when this one is done. */
const CONCURRENCY = 4;
/** Batches a tick may run before it yields to the next tick. */
const MAX_BATCHES_PER_TICK = 25;
/** How long a stop waits for refreshes in flight after aborting them. */
const STOP_WAIT_MS = 3_000;
/**
 * A notice still `posting` this long after it began was interrupted: by a crash, or by a post whose answer
 * was lost. Far longer than a post can take (4 s, never retried), so a live post is never raced.
 */
const STUCK_NOTICE_MS = 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;
/**
 * Cloudflare requests one refresh is planned to cost: the job read, plus a page of failures whenever the
 * failed count moved (every refresh, for a job that is failing as it goes). The budget caps the rest.
 */
const REQUESTS_PER_REFRESH = 2;

/** A watch's notice is tagged with the watch: one watch, one notice, whoever posts it. */
function noticeTag(watch: Watch): MessageTag {
  return { type: 'bulkjob_notice', key: `watch-${watch.id}` };
}

export class Watcher implements WatchLoop {
  readonly #deps: WatcherDeps;
  readonly #owner: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wakeRequested = false;
  /** Aborted by stop(): refreshes waiting for the budget or Cloudflare give up at once. */
  readonly #abort = new AbortController();

  constructor(deps: WatcherDeps) {
    this.#deps = deps;
    this.#owner = deps.owner ?? `bulkjob-${randomUUID()}`;
  }

  /** The configured interval, stretched so that all active watches together stay within their budget share. */
  async intervalMs(): Promise<number> {
    const base = this.#baseIntervalMs();
    const budget = this.#deps.backgroundBudget;
    if (!budget) return base;
    const active = Math.max(1, await this.#deps.store.countActiveWatches());
    const needed = Math.ceil((active * REQUESTS_PER_REFRESH * budget.windowMs) / budget.limit);
    return Math.max(base, needed);
  }

  /** The configured interval, before any stretching. */
  #baseIntervalMs(): number {
    return this.#deps.intervalMs ?? this.#deps.config.watch.intervalSeconds * 1000;
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    const tickMs = this.#deps.tickMs ?? Math.min(1000, this.#baseIntervalMs());
    this.#timer = setInterval(() => this.#kick(), tickMs);
    this.#timer.unref();
    this.#kick();
  }

  /** Look for due watches now (a watch was just started). */
  wake(): void {
    if (this.#timer) this.#kick();
  }

  /** Stop scheduling; wait for the refreshes in flight (their leases are released as they finish). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort(new Error('bulkjob is stopping'));
    if (this.#running) await withDeadline(this.#running, STOP_WAIT_MS);
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#wakeRequested = true;
      return;
    }
    this.#running = this.tick()
      .catch((err: unknown) => this.#deps.logger.error({ err }, 'watch tick failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#wakeRequested && !this.#stopped) {
          this.#wakeRequested = false;
          this.#kick();
        }
      });
  }

  /**
   * One pass: recover stuck notices, then refresh due watches a batch at a time. A batch is claimed just
   * before it runs, so no lease is held by a watch that is only waiting its turn.
   */
  async tick(): Promise<void> {
    const { store, now } = this.#deps;
    await this.#recoverStuckNotices();
    const leaseMs = this.#leaseMs();
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK && !this.#stopped; batch++) {
      // One step: replicas claiming at the same moment get disjoint batches.
      const claimed = await store.claimDueWatches(this.#owner, leaseMs, CONCURRENCY, now());
      if (claimed.length === 0) return;
      // allSettled: one refresh's failure must not leave the others running unattended.
      await Promise.allSettled(claimed.map((w) => this.#whileLeased(w, leaseMs)));
    }
  }

  #leaseMs(): number {
    return this.#deps.leaseMs ?? Math.min(MAX_LEASE_MS, Math.max(MIN_LEASE_MS, this.#baseIntervalMs()));
  }

  /**
   * Refreshes a claimed watch, renewing its lease every third of it. A renewal that fails means another
   * instance may own the watch now (this one stalled past its lease): the refresh is aborted, and whatever it
   * had begun stays safe because notices and ends are compare-and-set in the store.
   */
  async #whileLeased(watch: Watch, leaseMs: number): Promise<void> {
    const { store, now, logger } = this.#deps;
    const lost = new AbortController();
    const renew = setInterval(
      () => {
        store.renewLease(watch.id, this.#owner, leaseMs, now()).then(
          (held) => {
            if (!held && !lost.signal.aborted) {
              lost.abort(new Error('this instance no longer holds the watch'));
              logger.warn({ watch: watch.id }, 'watch lease lost mid-refresh; leaving the watch to its new owner');
            }
          },
          // The store blipped: keep going; the lease is tried again in a third of it.
          (err: unknown) => logger.warn({ err, watch: watch.id }, 'renewing a watch lease failed'),
        );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    renew.unref();
    try {
      await this.#refresh(watch, AbortSignal.any([this.#abort.signal, lost.signal]));
    } finally {
      clearInterval(renew);
    }
  }

  async #refresh(watch: Watch, signal: AbortSignal): Promise<void> {
    const { store, cards, logger, now } = this.#deps;
    const card = await store.findCardById(watch.cardId);
    if (!card || card.lostAt) {
      await this.#end(watch, 'lost');
      return;
    }
    const log = logger.child({ watch: watch.id, card: card.id, job: card.jobId, channel: card.channel });
    // Watches are stored, so they outlive a change of the allow lists: re-check them on every refresh.
    try {
      assertAllowed(this.#deps.config.access, { userId: watch.startedBy, channelId: card.channel });
    } catch {
      await this.#end(watch, 'stopped');
      log.info('watch ended: its channel or its watcher is no longer allowed');
      return;
    }
    const opts = { priority: 'background', signal } as const;
    const expired = now().getTime() >= watch.expiresAt.getTime();
    try {
      const job = await cards.readJob(card, opts);
      if (hasEnded(job) || expired) {
        const reason = hasEnded(job) ? 'terminal' : 'expired';
        // The notice first (only an active watch posts one), then the end, then one edit showing it.
        await this.#notifyOnce(watch, job, reason, log);
        await this.#end(watch, reason === 'terminal' ? 'finished' : 'expired');
        await cards.update(card, opts).catch((err: unknown) => log.warn({ err }, 'final card edit failed'));
        log.info({ status: job.status, reason }, 'watch ended');
        return;
      }
      await cards.update(card, opts);
      await store.clearWatchError(watch.id);
      await store.scheduleNext(watch.id, this.#owner, new Date(now().getTime() + (await this.intervalMs())));
    } catch (error) {
      try {
        await this.#handleFailure(watch, error, expired, signal, log);
      } catch (storeError) {
        // The store itself failed (busy, closed at shutdown): the lease expires and the watch runs again.
        log.error({ err: storeError }, 'could not record a failed watch refresh');
      }
    }
  }

  /** End a watch (first end wins) and tell whoever keeps its starter's Home tab. */
  async #end(watch: Watch, state: EndedWatchState): Promise<void> {
    if (await this.#deps.store.finishWatch(watch.id, state, this.#deps.now())) this.#deps.onEnded?.(watch.startedBy);
  }

  async #handleFailure(
    watch: Watch,
    error: unknown,
    expired: boolean,
    signal: AbortSignal,
    log: Logger,
  ): Promise<void> {
    const { store, now } = this.#deps;
    if (signal.aborted) {
      await store.releaseWatch(watch.id, this.#owner);
      return;
    }
    if (error instanceof SlackApiError && error.messageGone) {
      // The card was deleted, or the bot lost the channel: nobody can see updates any more.
      await this.#end(watch, 'lost');
      log.info({ slackError: error.slackError }, 'watch ended: card can no longer be edited');
      return;
    }
    if (expired) {
      // Past its maximum time and still failing: end it rather than retry for ever.
      await this.#end(watch, 'expired');
      log.warn({ err: error }, 'watch expired while its refreshes were failing');
      return;
    }
    const failures = await store.recordWatchError(watch.id, error instanceof Error ? error.message : String(error));
    // Slack's and Cloudflare's errors, and the budget's, say how long to wait when they know.
    const retryAfterSeconds = (error as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    const backoff = Math.min(MAX_BACKOFF_MS, (await this.intervalMs()) * 2 ** Math.min(failures, 6));
    const asked = Math.min(MAX_BACKOFF_MS, Math.max(0, Number(retryAfterSeconds) || 0) * 1000);
    const delay = Math.max(backoff, asked);
    await store.scheduleNext(watch.id, this.#owner, new Date(now().getTime() + delay));
    log.warn(
      { err: error, code: error instanceof BotError ? error.code : undefined, failures, delayMs: delay },
      'watch refresh failed',
    );
  }

  /**
   * The completion notice, exactly once: `beginNotice` is recorded before the post, so only one instance
   * ever posts; a crash in the milliseconds between Slack's answer and `completeNotice` is settled by
   * `#recoverStuckNotices` without posting again (no duplicate ever reaches the channel).
   */
  async #notifyOnce(watch: Watch, job: Job, reason: 'terminal' | 'expired', log: Logger): Promise<void> {
    const { store, cards } = this.#deps;
    if ((await store.findWatch(watch.id))?.noticeState !== 'none') return;
    const card = (await store.findCardById(watch.cardId))!;
    const message = await buildNotice(this.#deps.failures, watch, job, reason, this.#deps.now());
    if (!(await store.beginNotice(watch.id, this.#deps.now()))) return;
    try {
      const ts = await cards.postInThread(card, message, noticeTag(watch));
      await store.completeNotice(watch.id, ts);
      this.#deps.onNoticePosted?.();
      log.info({ noticeTs: ts }, 'completion notice posted');
    } catch (error) {
      // Slack answered: nothing was posted, so the next refresh may try again. Without an answer (a
      // timeout, a reset, a 5xx) it may have been posted: the notice stays `posting` and is settled by
      // #recoverStuckNotices, which looks for it before posting again.
      if (error instanceof SlackApiError && error.answered) await store.abandonNotice(watch.id);
      throw error;
    }
  }

  /**
   * Notices left `posting` (a crash, a lost answer, Slack down when the job ended). Each is taken by one
   * instance (`reclaimNotice`), then its thread is read for the tagged reply: there → recorded, absent →
   * posted again, tagged. Tried at every tick until it lands; given up only when the watch's maximum time
   * has passed. Without the history scopes nobody can tell whether it landed, and a duplicate in an
   * incident channel is worse than a missing one: it is recorded as posted, and the log says so.
   */
  async #recoverStuckNotices(): Promise<void> {
    const { store, now, logger, cards } = this.#deps;
    const olderThan = new Date(now().getTime() - (this.#deps.stuckNoticeMs ?? STUCK_NOTICE_MS));
    for (const watch of await store.listStuckNotices(olderThan)) {
      if (!(await store.reclaimNotice(watch.id, olderThan, now()))) continue;
      const log = logger.child({ watch: watch.id });
      const card = await store.findCardById(watch.cardId);
      if (!card || card.lostAt || now().getTime() > watch.expiresAt.getTime()) {
        await store.completeNotice(watch.id, '');
        log.warn('completion notice given up: its card is gone or the watch time has passed');
        continue;
      }
      try {
        const found = await cards.findInThread(card, noticeTag(watch));
        if (found !== undefined) {
          await store.completeNotice(watch.id, found);
          log.info({ noticeTs: found }, 'completion notice found in the thread; not posting again');
          continue;
        }
        const job = await cards.readJob(card, { priority: 'background', signal: this.#abort.signal });
        const reason = hasEnded(job) ? 'terminal' : 'expired';
        const message = await buildNotice(this.#deps.failures, watch, job, reason, now());
        const ts = await cards.postInThread(card, message, noticeTag(watch));
        await store.completeNotice(watch.id, ts);
        this.#deps.onNoticePosted?.();
        log.info({ noticeTs: ts }, 'completion notice posted after an interruption');
      } catch (error) {
        if (error instanceof SlackApiError && error.slackError === 'missing_scope') {
          await store.completeNotice(watch.id, '');
          log.warn(
            'completion notice interrupted; without the channels:history and groups:history scopes bulkjob cannot tell whether it landed, so it is not posted again',
          );
          continue;
        }
        // Still failing (Slack down, Cloudflare unreadable): it stays `posting` and is tried again later.
        log.warn({ err: error }, 'completion notice still not settled; trying again later');
      }
    }
  }
}
