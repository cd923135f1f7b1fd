/** Cancel job, on the job view and on cards, always behind a confirm dialog. */
import { buildPlainText } from '../../slack/blocks/builders.js';
import { LIMITS } from '../../slack/blocks/limits.js';
import { defineButton } from '../../slack/button.js';
import { jobCodec } from '../../slack/query.js';
import { cancelJob } from './handler.js';

/** The confirm dialog in front of Cancel job: cancelling cannot be undone. */
function buildCancelConfirm(): Record<string, unknown> {
  return {
    title: buildPlainText('Cancel this job?', LIMITS.confirmTitle),
    text: buildPlainText(
      'Messages still pending will not be processed. Messages already moved or released stay where they are.',
      LIMITS.confirmText,
    ),
    confirm: buildPlainText('Cancel job', LIMITS.confirmButton),
    deny: buildPlainText('Keep running', LIMITS.confirmButton),
    style: 'danger',
  };
}

export const cancelButton = defineButton({
  actionId: 'bulkjob_cancel',
  label: 'Cancel job',
  style: 'danger',
  confirm: buildCancelConfirm,
  codec: jobCodec,
  handle: cancelJob,
});
