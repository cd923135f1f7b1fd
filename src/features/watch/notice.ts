/** The completion notice's message, built before the notice is claimed (it reads the failure reasons). */
import type { Job } from '../../cloudflare/schema.js';
import type { SlackMessage } from '../../slack/blocks/types.js';
import type { Watch } from '../../store/types.js';
import type { FailureSummaries } from '../card/failures.js';
import { renderCompletionNotice } from './notice-blocks.js';

export async function buildNotice(
  failures: FailureSummaries,
  watch: Watch,
  job: Job,
  reason: 'terminal' | 'expired',
  now: Date,
): Promise<SlackMessage> {
  return renderCompletionNotice({
    job,
    failures: await failures.for(job, { priority: 'background' }),
    watcher: watch.startedBy,
    reason,
    now,
    watchedForSeconds: Math.max(0, Math.round((now.getTime() - watch.startedAt.getTime()) / 1000)),
  });
}
