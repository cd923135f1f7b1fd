/** The job view's Export CSV: every message the view is filtered to, as a file in the requester's DM. */
import { defineButton } from '../../slack/button.js';
import { jobCodec } from '../../slack/query.js';
import { exportFromClick } from './handler.js';

export const exportButton = defineButton({
  actionId: 'bulkjob_export',
  label: 'Export CSV',
  codec: jobCodec,
  handle: exportFromClick,
});
