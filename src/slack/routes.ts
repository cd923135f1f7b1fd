/**
 * Every command keyword and every button, and the handler each one runs: to find what a button does,
 * start here (docs/design.md, "Buttons and routes").
 */
import { cancelButton } from '../features/cancel/buttons.js';
import { cardRefreshButton, shareButton } from '../features/card/buttons.js';
import { exportButton, exportStopButton } from '../features/export/buttons.js';
import { exportFromCommand } from '../features/export/handler.js';
import { showHelp } from '../features/help/handler.js';
import { homeStopButton, homeViewButton } from '../features/home/buttons.js';
import { filterButton, nextButton, prevButton, refreshButton } from '../features/job-view/buttons.js';
import { showJobView } from '../features/job-view/handler.js';
import { backToListButton, listNextButton, listPrevButton, listViewButton } from '../features/list/buttons.js';
import { showJobList } from '../features/list/handler.js';
import { stopWatchButton, watchButton } from '../features/watch/buttons.js';
import { watchFromCommand } from '../features/watch/handler.js';
import type { Clickable } from './button.js';
import type { CommandRequest } from './context.js';
import type { JobQuery } from './query.js';

type CommandRoutes = {
  [K in JobQuery['kind']]: (request: CommandRequest, query: Extract<JobQuery, { kind: K }>) => Promise<void>;
};

/** `/bulkjob …`, by what `parseCommandText` (src/slack/query.ts) made of the text. */
export const COMMAND_ROUTES: CommandRoutes = {
  /** `/bulkjob`, `/bulkjob help`, `/bulkjob ?` */
  help: showHelp,
  /** `/bulkjob list [status]` */
  list: showJobList,
  /** `/bulkjob watch <job>` */
  watch: watchFromCommand,
  /** `/bulkjob export <job> [status]` */
  export: exportFromCommand,
  /** `/bulkjob <job> [status]` */
  view: showJobView,
};

/** Every button bulkjob renders; each declares its `action_id`, label, value codec and handler. */
export const BUTTONS: readonly Clickable[] = [
  // The job view (ephemeral)
  prevButton,
  nextButton,
  filterButton,
  refreshButton,
  shareButton,
  exportButton,
  // `/bulkjob list` (ephemeral)
  listPrevButton,
  listNextButton,
  listViewButton,
  backToListButton,
  // Status cards (in channels) and the job view
  cardRefreshButton,
  watchButton,
  stopWatchButton,
  cancelButton,
  // The export's progress message (in the requester's DM)
  exportStopButton,
  // The Home tab
  homeStopButton,
  homeViewButton,
];

export function routeCommand(request: CommandRequest, query: JobQuery): Promise<void> {
  const handler = COMMAND_ROUTES[query.kind] as (request: CommandRequest, query: JobQuery) => Promise<void>;
  return handler(request, query);
}

/** The button a click's `action_id` belongs to, if it is one of ours. */
export function findButton(actionId: string): Clickable | undefined {
  return BUTTONS.find((button) => button.matches(actionId));
}
