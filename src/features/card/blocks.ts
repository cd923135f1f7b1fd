/**
 * The status card (docs/design.md, "What users see" — Share and Watch): visible to everyone in a channel, edited in place by Refresh
 * and by a watch. It never shows a recipient address: it has no messages as input, and every upstream string
 * on it is masked (`[address]`) in case it quotes one.
 */
import type { Job } from '../../cloudflare/schema.js';
import type { PaceSample } from '../../progress.js';
import { jobButtons } from '../../rules.js';
import { buildActions, buildContext, buildFallbackText, buildSection } from '../../slack/blocks/builders.js';
import { formatFailureReasons } from '../../slack/blocks/failure-reasons.js';
import { formatAsOf, formatSlackDate, formatUser } from '../../slack/blocks/format.js';
import { buildJobSummary, describeJobLine } from '../../slack/blocks/job-summary.js';
import type { Block, FailureSummary, SlackMessage } from '../../slack/blocks/types.js';
import { BlockId } from '../../slack/ids.js';
import type { ViewQuery } from '../../slack/query.js';
import type { WatchState } from '../../store/types.js';
import { cancelButton } from '../cancel/buttons.js';
import { stopWatchButton, watchButton } from '../watch/buttons.js';
import { cardRefreshButton } from './buttons.js';

/** A card's watch, as the card shows it. */
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
  /** Someone may cancel jobs (src/rules.ts decides whether this job's card offers Cancel). */
  mayCancel: boolean;
  /** Counts the recent refreshes saw, for a steadier rate and time left. */
  samples?: readonly PaceSample[];
  now: Date;
}

/** Sections of failure reasons a card may fill: dozens of reasons, and still a card one can read. */
const REASON_SECTIONS = 3;

/** The watch line of a card, by watch state. */
export function describeWatch(watch: CardWatch): string {
  switch (watch.state) {
    case 'active':
      return `:eyes: Watching — updates every ${watch.intervalSeconds} s, started by ${formatUser(watch.startedBy)}`;
    case 'finished':
      return `:checkered_flag: Watch finished: the job reached a final state (started by ${formatUser(watch.startedBy)})`;
    case 'stopped':
      return watch.stoppedBy === undefined
        ? ':black_square_for_stop: Watch stopped'
        : `:black_square_for_stop: Watch stopped by ${formatUser(watch.stoppedBy)}`;
    case 'expired':
      return ':hourglass: Watch expired before the job ended; press Refresh for the latest, or Watch again';
    case 'lost':
      return ':warning: Watch lost: this card is no longer updated; press Refresh, or Watch again';
    default:
      return `:grey_question: Watch state unknown`;
  }
}

/** The status card: masked summary, failure reasons, who shared it and when, watch state, buttons. */
export function renderStatusCard(input: StatusCardInput): SlackMessage {
  const { job } = input;
  const blocks: Block[] = buildJobSummary(job, {
    now: input.now,
    mask: true,
    // Cloudflare's job names no requester: the card names, as the view did, the analyst who asked bulkjob.
    requestedBy: input.sharedBy,
    ...(input.samples ? { samples: input.samples } : {}),
  });

  const reasons = formatFailureReasons(input.failures, job.messages_failed, {
    now: input.now,
    sections: REASON_SECTIONS,
    mask: true,
  });
  blocks.push(...reasons.map((text) => buildSection(text)));
  if (input.cancelledBy !== undefined) {
    blocks.push(buildSection(`:no_entry_sign: Cancelled from Slack by ${formatUser(input.cancelledBy)}`));
  }

  const context = [
    `Shared by ${formatUser(input.sharedBy)} · ${formatSlackDate(input.sharedAt)}`,
    formatAsOf(input.updatedAt, 'As of'),
  ];
  if (input.watch !== undefined) context.push(describeWatch(input.watch));
  blocks.push(buildContext(context));

  const view: ViewQuery = { kind: 'view', jobId: job.job_id, page: 1 };
  const watch = { kind: 'watch', jobId: job.job_id } as const;
  const offered = jobButtons(job, { mayCancel: input.mayCancel, watching: input.watch?.state === 'active' });
  const buttons = [cardRefreshButton.render(view)];
  if (offered.stopWatching) buttons.push(stopWatchButton.render(watch));
  if (offered.watch) buttons.push(watchButton.render(watch));
  if (offered.cancel) buttons.push(cancelButton.render(view));
  blocks.push(...buildActions(BlockId.cardActions, buttons));

  return { text: buildFallbackText(describeJobLine(job, true)), blocks };
}
