/** The job view's own buttons: each carries the page of the view it leads to. */
import { defineButton, definePaging } from '../../slack/button.js';
import { viewCodec } from '../../slack/query.js';
import { openJobView, refreshJobView } from './handler.js';

/** `bulkjob_nav_prev`, `bulkjob_nav_next`. */
export const { prev: prevButton, next: nextButton } = definePaging('bulkjob_nav', viewCodec, openJobView);

/** Failed only ⇄ All statuses: the label names the view the button leads to. */
export const filterButton = defineButton({
  actionId: 'bulkjob_nav_filter',
  label: (query) => (query.status === undefined ? 'All statuses' : 'Failed only'),
  codec: viewCodec,
  handle: openJobView,
});

/** Read the job again (bypassing the short cache) and redraw this page. */
export const refreshButton = defineButton({
  actionId: 'bulkjob_nav_refresh',
  label: 'Refresh',
  codec: viewCodec,
  handle: refreshJobView,
});
