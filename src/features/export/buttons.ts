/** Export buttons: Export CSV on the job view, Stop export on the progress message in the DM. */
import { z } from 'zod';
import { defineButton, jsonCodec } from '../../slack/button.js';
import { jobCodec } from '../../slack/query.js';
import { exportFromClick, stopExport } from './handler.js';

/** Every message the view is filtered to, as a file in the requester's DM. */
export const exportButton = defineButton({
  actionId: 'bulkjob_export',
  label: 'Export CSV',
  codec: jobCodec,
  handle: exportFromClick,
});

/** `{"exportId":"…"}`: the export a progress message shows. Clicked values are user input, so validated. */
const stopCodec = jsonCodec(z.strictObject({ exportId: z.uuid() }), 'That button is from an older version of bulkjob.');

export const exportStopButton = defineButton({
  actionId: 'bulkjob_export_stop',
  label: 'Stop export',
  style: 'danger',
  codec: stopCodec,
  handle: stopExport,
});
