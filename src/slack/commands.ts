/**
 * `/bulkjob`: ack first, always, then parse, check access and answer through `respond`.
 */
import type { App, RespondFn } from '@slack/bolt';
import { TERMINAL_STATUSES } from '../cloudflare/schema.js';
import { assertAllowed, canWrite } from './access.js';
import { renderHelp } from './blocks/help.js';
import { COMMAND } from './ids.js';
import { loadJobList, loadJobView } from './job-view.js';
import { type JobQuery, parseCommandText } from './query.js';
import type { TrackFields } from './reply.js';
import { respondNote, track } from './reply.js';
import type { Services } from './services.js';

export interface CommandInput {
  userId: string;
  channelId: string;
  text: string;
}

/** The command's work after the ack; exported so it can be tested as a plain function. */
export async function runCommand(
  services: Services,
  input: CommandInput,
  respond: RespondFn,
  fields: TrackFields,
): Promise<void> {
  // Access first: a user who is not allowed gets one line and no Cloudflare call is made.
  assertAllowed(services.config.access, { userId: input.userId, channelId: input.channelId });
  const query: JobQuery = parseCommandText(input.text);
  switch (query.kind) {
    case 'help':
      await respond({ response_type: 'ephemeral', ...renderHelp() });
      return;
    case 'view': {
      fields.job = query.jobId;
      const view = await loadJobView(
        {
          cloudflare: services.cloudflare,
          userId: input.userId,
          canCancel: (job) => canWrite(services.config.access, input.userId) && !TERMINAL_STATUSES.has(job.status),
          now: services.now,
        },
        query,
      );
      await respond({ response_type: 'ephemeral', ...view });
      return;
    }
    case 'list':
      await respond({ response_type: 'ephemeral', ...(await loadJobList(services, query)) });
      return;
    case 'watch':
      fields.job = query.jobId;
      await respondNote(
        respond,
        await services.cards.watch({ channelId: input.channelId, jobId: query.jobId, userId: input.userId }),
      );
      return;
  }
}

export function registerCommands(app: App, services: Services): void {
  app.command(COMMAND, async ({ command, ack, respond }) => {
    await ack();
    const input = { userId: command.user_id, channelId: command.channel_id, text: command.text ?? '' };
    await services.inFlight.track(
      track(services.logger, { kind: 'command', user: input.userId, channel: input.channelId }, respond, (fields) =>
        runCommand(services, input, respond, fields),
      ),
    );
  });
}
