/** Publishing a user's Home tab (views.publish), on request and, in the background, when their watches change. */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger.js';
import { KeyedLock } from '../../slack/keyed-lock.js';
import { toSlackApiError } from '../../slack/slack-api.js';
import { renderHome } from './blocks.js';
import { type HomeSources, loadHome } from './load.js';

export class HomeService {
  readonly #sources: HomeSources;
  readonly #client: WebClient;
  readonly #logger: Logger;
  readonly #lock = new KeyedLock();

  constructor(deps: HomeSources & { client: WebClient; logger: Logger }) {
    this.#sources = deps;
    this.#client = deps.client;
    this.#logger = deps.logger;
  }

  /** One publish per user at a time, in the order asked: the latest request is what the user sees. */
  publish(userId: string, options: { selectedJobId?: string; note?: string } = {}): Promise<void> {
    return this.#lock.run(userId, async () => {
      const view = renderHome(await loadHome(this.#sources, userId, options));
      try {
        await this.#client.views.publish({ user_id: userId, view: view as never });
      } catch (error) {
        throw toSlackApiError('views.publish', error);
      }
    });
  }

  /** Re-publish in the background (a watch started or ended); a failure is logged, never thrown. */
  refreshSoon(userId: string): void {
    this.publish(userId).catch((err: unknown) => this.#logger.warn({ err, user: userId }, 'home tab refresh failed'));
  }
}
