/** The Home tab's buttons: Stop a watch you started, View a recent job. */
import { z } from 'zod';
import { defineButton, jsonCodec } from '../../slack/button.js';
import { viewCodec } from '../../slack/query.js';
import { showJobOnHome, stopWatchFromHome } from './handler.js';

/** `{"cardId":12}`: the card whose watch a Home row shows. Clicked values are user input, so validated. */
const cardCodec = jsonCodec(
  z.strictObject({ cardId: z.number().int().positive() }),
  'That button is from an older version of bulkjob. Open Home again.',
);

export const homeStopButton = defineButton({
  actionId: 'bulkjob_home_stop',
  indexed: true,
  label: 'Stop watching',
  codec: cardCodec,
  handle: stopWatchFromHome,
});

export const homeViewButton = defineButton({
  actionId: 'bulkjob_home_view',
  indexed: true,
  label: 'View',
  codec: viewCodec,
  handle: showJobOnHome,
});
