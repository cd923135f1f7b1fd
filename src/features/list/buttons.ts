/** `/bulkjob list`'s buttons: paging, and a View button on each row that opens that job's view. */
import { defineButton } from '../../slack/button.js';
import { listCodec, viewCodec } from '../../slack/query.js';
import { openJobView } from '../job-view/handler.js';
import { openJobList } from './handler.js';

export const listPrevButton = defineButton({
  actionId: 'bulkjob_list_prev',
  label: '◀ Prev',
  codec: listCodec,
  handle: openJobList,
});

export const listNextButton = defineButton({
  actionId: 'bulkjob_list_next',
  label: 'Next ▶',
  codec: listCodec,
  handle: openJobList,
});

/** `bulkjob_list_view_<row>`: opens the row's job view in place of the list. */
export const listViewButton = defineButton({
  actionId: 'bulkjob_list_view',
  indexed: true,
  label: 'View',
  codec: viewCodec,
  handle: openJobView,
});
