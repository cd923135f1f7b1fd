import type { CloudflareClient } from '../cloudflare/client.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { CardService } from './cards.js';
import type { InFlight } from './in-flight.js';

/** What the listeners need, passed in (never imported as module state) so tests can build it. */
export interface Services {
  config: Config;
  logger: Logger;
  cloudflare: CloudflareClient;
  cards: CardService;
  now: () => Date;
  /** Listener work still running after its ack; a graceful stop waits for it. */
  inFlight: InFlight;
}
