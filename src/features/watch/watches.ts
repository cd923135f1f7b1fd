/**
 * Starting and stopping watches: Watch adopts the clicked card, or this channel's card for the job, or
 * posts a new one, then records the watch for the watch loop (src/features/watch/watcher.ts).
 */
import type { CloudflareClient } from '../../cloudflare/client.js';
import type { Config } from '../../config.js';
import { SlackApiError } from '../../errors.js';
import { hasEnded } from '../../rules.js';
import { describeOutcome } from '../../slack/blocks/job-summary.js';
import { KeyedLock } from '../../slack/keyed-lock.js';
import { withStoreLock } from '../../store/lock.js';
import type { Card, LockStore, WatchStore } from '../../store/types.js';
import type { CardWatch } from '../card/blocks.js';
import type { CardService, CardTarget } from '../card/cards.js';

/** The watch loop, as far as starting a watch needs it. */
export interface WatchLoop {
  /** Look for due watches now. */
  wake(): void;
  /** Effective interval for a new watch, slowed down when the Cloudflare budget is short. */
  intervalMs(): Promise<number>;
}

export interface WatchServiceDeps {
  config: Config;
  cloudflare: CloudflareClient;
  store: WatchStore & LockStore;
  cards: CardService;
  loop: WatchLoop;
  now: () => Date;
  /** Told when a watch starts or stops, with who started it (their Home tab shows their watches). */
  onChanged?: (userId: string) => void;
}

/** What the listener should tell the user, ephemerally, when something did not simply happen. */
export type WatchOutcome = { note?: string; ended?: boolean };

export class WatchService {
  readonly #deps: WatchServiceDeps;
  readonly #lock = new KeyedLock();

  constructor(deps: WatchServiceDeps) {
    this.#deps = deps;
  }

  start(target: CardTarget): Promise<WatchOutcome> {
    // Two Watch clicks for one job in one channel must not post two cards, whichever instances they reach:
    // the decision is taken holding the database's lock (the in-process lock only spares it the polling).
    const key = `${target.channelId} ${target.jobId}`;
    return this.#lock.run(key, () => withStoreLock(this.#deps.store, `watch-card ${key}`, () => this.#start(target)));
  }

  async #start(target: CardTarget): Promise<WatchOutcome> {
    const { store, cards, config, now } = this.#deps;
    const clicked = target.ts ? await cards.adopt({ ...target, ts: target.ts }) : undefined;
    // A card that can no longer be edited is not adopted: the watch gets a new card.
    const existing = clicked && !clicked.lostAt ? clicked : await cards.channelCard(target);
    if (existing && (await store.findActiveWatch(existing.id))) {
      return { note: 'This job is already being watched in this channel; its card updates by itself.' };
    }
    const job = await this.#deps.cloudflare.getJob(target.jobId, { priority: 'user', fresh: true });
    if (hasEnded(job)) {
      if (!existing || !(await this.#redraw(existing, false))) await cards.share(target, undefined, job);
      return {
        note: `This job has already ended (${describeOutcome(job)}); the card shows its final state.`,
        ended: true,
      };
    }
    const intervalMs = await this.#deps.loop.intervalMs();
    const watchView: CardWatch = {
      state: 'active',
      startedBy: target.userId,
      intervalSeconds: Math.max(1, Math.round(intervalMs / 1000)),
    };
    // A new card is posted already showing the watch, so the channel sees one message, not a post and an edit.
    const card = existing ?? (await cards.share(target, watchView, job));
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
      if (!existing) await cards.update(card, { priority: 'user' }, { force: true }).catch(() => {});
      throw error;
    }
    if (existing && !(await this.#redraw(card, true))) {
      // The channel's card was deleted in Slack, which the bot learns only now; marking it lost ended the
      // watch just started on it. Start again: with no card left to adopt, the watch gets a new one.
      const { ts: _deleted, ...fresh } = target;
      return await this.#start(fresh);
    }
    this.#deps.loop.wake();
    this.#deps.onChanged?.(target.userId);
    return {};
  }

  /** Edits an adopted card; false when Slack says it is gone (it is then marked lost, ending its watch). */
  async #redraw(card: Card, force: boolean): Promise<boolean> {
    try {
      await this.#deps.cards.update(card, { priority: 'user' }, { force });
      return true;
    } catch (error) {
      if (error instanceof SlackApiError && error.messageGone) return false;
      throw error;
    }
  }

  /** Stop watching: end the card's watch and say on the card who stopped it. */
  async stop(target: CardTarget & { ts: string }): Promise<WatchOutcome> {
    const { store, cards, now } = this.#deps;
    const card = await cards.adopt(target);
    const stopped = await store.stopWatch(card.id, target.userId, now());
    if (!stopped) return { note: 'This card is not being watched.' };
    this.#deps.onChanged?.(stopped.startedBy);
    await cards.update(card, { priority: 'user' }, { force: true });
    return {};
  }
}
