/**
 * Slack wire ids, in one place. Navigation buttons (Prev, Next, Failed only, Refresh, View) all share the
 * `nav` prefix: each carries the query it leads to, so one listener serves them all. Slack requires action
 * ids to be unique within a message, hence the suffixes.
 */
export const ActionId = {
  navPrefix: 'bulkjob_nav',
  navPrev: 'bulkjob_nav_prev',
  navNext: 'bulkjob_nav_next',
  navFilter: 'bulkjob_nav_filter',
  navRefresh: 'bulkjob_nav_refresh',
  /** `bulkjob_nav_view_<n>`: the View button of row n in `/bulkjob list`. */
  navView: 'bulkjob_nav_view',
  share: 'bulkjob_share',
  cardRefresh: 'bulkjob_card_refresh',
  watch: 'bulkjob_watch',
  stopWatch: 'bulkjob_stop_watch',
  cancel: 'bulkjob_cancel',
} as const;

export const BlockId = {
  actions: 'bulkjob_actions',
  cardActions: 'bulkjob_card_actions',
} as const;

/** The slash command, as registered in manifest.yml. */
export const COMMAND = '/bulkjob';
