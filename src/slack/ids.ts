/** The slash command, as registered in manifest.yml. */
export const COMMAND = '/bulkjob';

/** Every bulkjob `action_id` starts with this; each button declares its own (src/slack/button.ts). */
export const ACTION_PREFIX = 'bulkjob_';

/** The actions block of a job view or list, and of a status card. */
export const BlockId = {
  actions: 'bulkjob_actions',
  cardActions: 'bulkjob_card_actions',
} as const;
