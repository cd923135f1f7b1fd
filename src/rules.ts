/**
 * The domain rules, in one place: when a job has ended, who may cancel one, and which of Watch, Stop
 * watching and Cancel a view or a card offers. Views, cards and handlers all ask here, so a rule changes in
 * one line (docs/design.md, "Domain rules").
 */
import type { Job } from './cloudflare/schema.js';
import type { Config } from './config.js';

/** A job in one of these states will not change any more: it offers no Watch or Cancel, and a watch ends. */
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED']);

export function hasEnded(job: Pick<Job, 'status'>): boolean {
  return ENDED_STATUSES.has(job.status);
}

/** Cancelling is the one write: only users in `BULKJOB_WRITE_USERS` (empty = nobody). */
export function mayCancel(access: Config['access'], userId: string): boolean {
  return access.writeUsers.has(userId);
}

/**
 * Whether a channel card offers Cancel: anyone in the channel sees it, so it shows when somebody could use
 * it; the click is checked against the clicking user (`mayCancel`) before anything happens.
 */
export function someoneMayCancel(access: Config['access']): boolean {
  return access.writeUsers.size > 0;
}

/** The job buttons a view or card offers besides its own navigation. */
export interface JobButtons {
  watch: boolean;
  stopWatching: boolean;
  cancel: boolean;
}

/**
 * What a job's view or card offers: Stop watching while a watch runs on that card, Watch while the job can
 * still change and nothing watches it, Cancel while the job can still change and the viewer may cancel.
 */
export function jobButtons(job: Pick<Job, 'status'>, options: { mayCancel: boolean; watching: boolean }): JobButtons {
  const running = !hasEnded(job);
  return {
    stopWatching: options.watching,
    watch: running && !options.watching,
    cancel: running && options.mayCancel,
  };
}
