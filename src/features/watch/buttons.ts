/** Watch (on the job view and on cards) and Stop watching (on a watched card). */
import { defineButton } from '../../slack/button.js';
import { watchCodec } from '../../slack/query.js';
import { startWatchFromClick, stopWatchFromClick } from './handler.js';

export const watchButton = defineButton({
  actionId: 'bulkjob_watch',
  label: 'Watch',
  codec: watchCodec,
  handle: startWatchFromClick,
});

export const stopWatchButton = defineButton({
  actionId: 'bulkjob_stop_watch',
  label: 'Stop watching',
  codec: watchCodec,
  handle: stopWatchFromClick,
});
