/** Buttons that post or redraw a channel status card. */
import { defineButton } from '../../slack/button.js';
import { jobCodec } from '../../slack/query.js';
import { refreshCard, shareCard } from './handler.js';

/** On the job view: post a status card for the job into the channel. */
export const shareButton = defineButton({
  actionId: 'bulkjob_share',
  label: 'Share to channel',
  style: 'primary',
  codec: jobCodec,
  handle: shareCard,
});

/** On a card: read the job afresh and edit the card in place. */
export const cardRefreshButton = defineButton({
  actionId: 'bulkjob_card_refresh',
  label: 'Refresh',
  codec: jobCodec,
  handle: refreshCard,
});
