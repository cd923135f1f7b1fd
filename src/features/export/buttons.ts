/** Export buttons: Export CSV on the job view, Stop export on the progress message in the DM. */
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { type Codec, defineButton } from '../../slack/button.js';
import { jobCodec } from '../../slack/query.js';
import { exportFromClick, stopExport } from './handler.js';

/** Every message the view is filtered to, as a file in the requester's DM. */
export const exportButton = defineButton({
  actionId: 'bulkjob_export',
  label: 'Export CSV',
  codec: jobCodec,
  handle: exportFromClick,
});

const StopValueSchema = z.strictObject({ exportId: z.uuid() });

/** `{"exportId":"…"}`: the export a progress message shows. Clicked values are user input, so validated. */
const stopCodec: Codec<{ exportId: string }> = {
  encode: (value) => JSON.stringify(value),
  decode(raw) {
    try {
      return StopValueSchema.parse(JSON.parse(raw ?? ''));
    } catch {
      throw new InputError('That button is from an older version of bulkjob.', 'bad_value');
    }
  },
};

export const exportStopButton = defineButton({
  actionId: 'bulkjob_export_stop',
  label: 'Stop export',
  style: 'danger',
  codec: stopCodec,
  handle: stopExport,
});
