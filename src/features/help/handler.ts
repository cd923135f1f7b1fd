/** `/bulkjob` and `/bulkjob help`: usage, with examples. */
import type { CommandRequest } from '../../slack/context.js';
import { renderHelp } from './blocks.js';

export async function showHelp(request: CommandRequest): Promise<void> {
  await request.respond({ response_type: 'ephemeral', ...renderHelp() });
}
