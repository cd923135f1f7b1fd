/**
 * What a user's Home tab shows: the watches they started (with each job read afresh), the cards they
 * shared lately, recent jobs, and the job they asked to see, if any. A job that cannot be read is shown as
 * such; the tab never fails as a whole for one job.
 */
import type { Priority } from '../../cloudflare/budget.js';
import type { CloudflareClient } from '../../cloudflare/client.js';
import type { Job } from '../../cloudflare/schema.js';
import type { Card, CardStore, Watch, WatchStore } from '../../store/types.js';

/** Watches shown on Home: more is a list nobody reads. */
export const HOME_WATCHES = 10;
export const HOME_CARDS = 5;
export const HOME_JOBS = 5;

export interface HomeWatch {
  watch: Watch;
  card: Card;
  /** Undefined when Cloudflare could not be read just now. */
  job: Job | undefined;
}

export interface HomeData {
  userId: string;
  watches: HomeWatch[];
  cards: Card[];
  /** Undefined when Cloudflare could not be read just now. */
  jobs: Job[] | undefined;
  selected: Job | undefined;
  /** One line to say above everything (what a click did, or why it could not). */
  note: string | undefined;
  now: Date;
  /** False when some Cloudflare read failed (the tab then says so where it would have shown it). */
  complete: boolean;
}

export interface HomeSources {
  cloudflare: CloudflareClient;
  store: Pick<CardStore, 'findCardById' | 'listCardsSharedBy'> & Pick<WatchStore, 'listActiveWatchesStartedBy'>;
  now: () => Date;
}

export async function loadHome(
  sources: HomeSources,
  userId: string,
  options: { selectedJobId?: string; note?: string; priority?: Priority } = {},
): Promise<HomeData> {
  const { cloudflare, store } = sources;
  const opts = { priority: options.priority ?? 'user' };
  let complete = true;
  const failed = () => {
    complete = false;
    return undefined;
  };
  const read = (jobId: string) => cloudflare.getJob(jobId, opts).catch(failed);
  const [watches, cards, jobs, selected] = await Promise.all([
    store.listActiveWatchesStartedBy(userId).then(async (all) => {
      const shown = await Promise.all(
        all.slice(0, HOME_WATCHES).map(async (watch) => {
          const card = await store.findCardById(watch.cardId);
          return card ? { watch, card, job: await read(card.jobId) } : undefined;
        }),
      );
      return shown.filter((w): w is HomeWatch => w !== undefined);
    }),
    store.listCardsSharedBy(userId, HOME_CARDS),
    cloudflare
      .listJobs({ page: 1, perPage: HOME_JOBS }, opts)
      .then((page) => page.jobs.slice(0, HOME_JOBS))
      .catch(failed),
    options.selectedJobId ? read(options.selectedJobId) : Promise.resolve(undefined),
  ]);
  return { userId, watches, cards, jobs, selected, note: options.note, now: sources.now(), complete };
}
