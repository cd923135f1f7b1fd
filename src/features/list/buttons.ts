/** `/bulkjob list`'s buttons: paging, and a View button on each row that opens that job's view. */
import { defineButton, definePaging } from '../../slack/button.js';
import { listCodec, viewCodec } from '../../slack/query.js';
import { openJobView } from '../job-view/handler.js';
import { openJobList } from './handler.js';

/** `bulkjob_list_prev`, `bulkjob_list_next`. */
export const { prev: listPrevButton, next: listNextButton } = definePaging('bulkjob_list', listCodec, openJobList);

/** `bulkjob_list_view_<row>`: opens the row's job view in place of the list. */
export const listViewButton = defineButton({
  actionId: 'bulkjob_list_view',
  indexed: true,
  label: 'View',
  codec: viewCodec,
  handle: openJobView,
});

/** On a job view opened from the list: back to the same page of the list, with the same filter. */
export const backToListButton = defineButton({
  actionId: 'bulkjob_list_back',
  label: '◀ Back to list',
  codec: listCodec,
  handle: openJobList,
});
