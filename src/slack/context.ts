/**
 * What handlers are given: the app's services (passed in, never module state, so tests can build them) and
 * the request they answer.
 */
import type { CloudflareClient } from '../cloudflare/client.js';
import type { Config } from '../config.js';
import type { CardService } from '../features/card/cards.js';
import type { FailureSummaries } from '../features/card/failures.js';
import type { HomeService } from '../features/home/home.js';
import type { WatchService } from '../features/watch/watches.js';
import type { Logger } from '../logger.js';
import type { ClickInput } from './click.js';
import type { InFlight } from './in-flight.js';
import type { TrackFields } from './reply.js';
import type { Respond } from './respond.js';

export interface AppContext {
  config: Config;
  logger: Logger;
  cloudflare: CloudflareClient;
  cards: CardService;
  /** Failure reasons per job, shared by views, cards and notices. */
  failures: FailureSummaries;
  watches: WatchService;
  /** The users' Home tabs. */
  home: HomeService;
  now: () => Date;
  /** Listener work still running after its ack; a graceful stop waits for it. */
  inFlight: InFlight;
}

/** A `/bulkjob` command, after its ack and the allow-list check. */
export interface CommandRequest {
  ctx: AppContext;
  userId: string;
  channelId: string;
  respond: Respond;
  /** The request's log line; handlers add the job they work on. */
  fields: TrackFields;
}

/** A button click, after its ack and the allow-list check. */
export interface ClickRequest {
  ctx: AppContext;
  click: ClickInput;
  respond: Respond;
  fields: TrackFields;
}
