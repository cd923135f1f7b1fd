import { BotError } from '../errors.js';

/**
 * The store cannot do what was asked: a database from a newer bulkjob, a failed migration, a database that
 * cannot be opened or reached, or a card that is missing or lost. `code` is stable (`store_schema_too_new`,
 * `store_migration_failed`, `store_open_failed`, `store_unavailable`, `store_card_not_found`, `store_card_lost`).
 */
export class StoreError extends BotError {}
