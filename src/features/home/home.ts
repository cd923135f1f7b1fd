/** Publishing a user's Home tab (views.publish), on request and, in the background, when their watches change. */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger.js';
import { KeyedLock } from '../../slack/keyed-lock.js';
import { toSlackApiError } from '../../slack/slack-api.js';
import { renderHome } from './blocks.js';
import { type HomeSources, loadHome } from './load.js';

/**
 * How long a background refresh waits for more changes: a user starting 100 watches in a minute gets a
 * handful of publishes, not 100 (each reads up to 11 jobs from Cloudflare).
 */
export const HOME_REFRESH_DELAY_MS = 2_000;

export class HomeService {
  readonly #sources: HomeSources;
  readonly #client: WebClient;
  readonly #logger: Logger;
  readonly #lock = new KeyedLock();
  readonly #refreshDelayMs: number;
  /** Background refreshes waiting for their delay, per user. */
  readonly #pending = new Map<string, NodeJS.Timeout>();

  constructor(deps: HomeSources & { client: WebClient; logger: Logger; refreshDelayMs?: number }) {
    this.#sources = deps;
    this.#client = deps.client;
    this.#logger = deps.logger;
    this.#refreshDelayMs = deps.refreshDelayMs ?? HOME_REFRESH_DELAY_MS;
  }

  /**
   * One publish per user at a time, in the order asked: the latest request is what the user sees. It reads
   * everything afresh, so a background refresh still waiting for this user is dropped: it would only
   * replace what the user just asked for (a click's note, the job they picked) with less.
   */
  publish(userId: string, options: { selectedJobId?: string; note?: string } = {}): Promise<void> {
    const pending = this.#pending.get(userId);
    if (pending) {
      clearTimeout(pending);
      this.#pending.delete(userId);
    }
    return this.#lock.run(userId, () => this.#publish(userId, options, 'user'));
  }

  /**
   * Re-publish in the background (a watch started, stopped or ended), after a short delay that gathers
   * changes, at background priority (users' own reads come first). A refresh whose reads did not all
   * succeed publishes nothing: the tab keeps what it showed until the next refresh or the next open.
   * A failure is logged, never thrown.
   */
  refreshSoon(userId: string): void {
    if (this.#pending.has(userId)) return;
    const timer = setTimeout(() => {
      this.#pending.delete(userId);
      this.#lock
        .run(userId, () => this.#publish(userId, {}, 'background'))
        .catch((err: unknown) => this.#logger.warn({ err, user: userId }, 'home tab refresh failed'));
    }, this.#refreshDelayMs);
    timer.unref();
    this.#pending.set(userId, timer);
  }

  /** Drops the refreshes still waiting (the bot is stopping). */
  stop(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  async #publish(
    userId: string,
    options: { selectedJobId?: string; note?: string },
    priority: 'user' | 'background',
  ): Promise<void> {
    const data = await loadHome(this.#sources, userId, { ...options, priority });
    if (priority === 'background' && !data.complete) {
      this.#logger.debug({ user: userId }, 'home tab refresh skipped: Cloudflare could not be read');
      return;
    }
    const view = renderHome(data);
    try {
      await this.#client.views.publish({ user_id: userId, view: view as never });
    } catch (error) {
      throw toSlackApiError('views.publish', error);
    }
  }
}
