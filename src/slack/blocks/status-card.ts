/**
 * The status card (docs/design.md, "What users see" — Share and Watch): visible to everyone in a channel, edited in place by Refresh
 * and by a watch. It never shows a recipient address: it has no messages as input, and every upstream string
 * on it is masked (`[address]`) in case it quotes one.
 */
import { TERMINAL_STATUSES } from '../../cloudflare/schema.js';
import { ActionId, BlockId } from '../ids.js';
import { encodeQuery } from '../query.js';
import {
  buildActions,
  buildButton,
  buildCancelButton,
  buildContext,
  buildFallbackText,
  buildSection,
} from './builders.js';
import { formatFailureReasons } from './failure-reasons.js';
import { formatSlackDate, formatUser } from './format.js';
import { buildJobSummary, describeJobLine } from './job-summary.js';
import type { Block, CardWatch, SlackMessage, StatusCardInput } from './types.js';

/** How many failure reasons a card lists before "+ K more reasons". */
const TOP_REASONS = 5;

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
  const terminal = TERMINAL_STATUSES.has(job.status);
  const blocks: Block[] = buildJobSummary(job, { now: input.now, mask: true });

  const reasons = formatFailureReasons(input.failures, job.messages_failed, TOP_REASONS);
  if (reasons !== undefined) blocks.push(buildSection(reasons));
  if (input.cancelledBy !== undefined) {
    blocks.push(buildSection(`:no_entry_sign: Cancelled from Slack by ${formatUser(input.cancelledBy)}`));
  }

  const context = [
    `Shared by ${formatUser(input.sharedBy)} · ${formatSlackDate(input.sharedAt)}`,
    `Updated ${formatSlackDate(input.updatedAt)}`,
  ];
  if (input.watch !== undefined) context.push(describeWatch(input.watch));
  blocks.push(buildContext(context));

  const watching = input.watch?.state === 'active';
  const view = encodeQuery({ kind: 'view', jobId: job.job_id, page: 1 });
  const buttons = [buildButton({ text: 'Refresh', actionId: ActionId.cardRefresh, value: view })];
  if (watching) {
    buttons.push(
      buildButton({
        text: 'Stop watching',
        actionId: ActionId.stopWatch,
        value: encodeQuery({ kind: 'watch', jobId: job.job_id }),
      }),
    );
  } else if (!terminal) {
    buttons.push(
      buildButton({
        text: 'Watch',
        actionId: ActionId.watch,
        value: encodeQuery({ kind: 'watch', jobId: job.job_id }),
      }),
    );
  }
  if (input.showCancel && !terminal) buttons.push(buildCancelButton(view));
  blocks.push(...buildActions(BlockId.cardActions, buttons));

  return { text: buildFallbackText(describeJobLine(job, true)), blocks };
}
