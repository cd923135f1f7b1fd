/** The Home tab's buttons: Stop a watch you started, View a recent job. */
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { type Codec, defineButton } from '../../slack/button.js';
import { viewCodec } from '../../slack/query.js';
import { showJobOnHome, stopWatchFromHome } from './handler.js';

const CardValueSchema = z.strictObject({ cardId: z.number().int().positive() });

/** `{"cardId":12}`: the card whose watch a Home row shows. Clicked values are user input, so validated. */
const cardCodec: Codec<{ cardId: number }> = {
  encode: (value) => JSON.stringify(value),
  decode(raw) {
    try {
      return CardValueSchema.parse(JSON.parse(raw ?? ''));
    } catch {
      throw new InputError('That button is from an older version of bulkjob. Open Home again.', 'bad_value');
    }
  },
};

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
