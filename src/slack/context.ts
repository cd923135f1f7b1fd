/**
 * What handlers are given: the app's services (passed in, never module state, so tests can build them) and
 * the request they answer.
 */
import type { CloudflareClient } from '../cloudflare/client.js';
import type { Config } from '../config.js';
import type { CardService } from '../features/card/cards.js';
import type { FailureSummaries } from '../features/card/failures.js';
import type { ExportService } from '../features/export/export.js';
import type { HomeService } from '../features/home/home.js';
import type { WatchService } from '../features/watch/watches.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ClickInput } from './click.js';
import type { Deliveries } from './deliveries.js';
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
  /** CSV exports to the requester's DM. */
  exports: ExportService;
  now: () => Date;
  /** Listener work still running after its ack; a graceful stop waits for it. */
  inFlight: InFlight;
  /** Drops a request Slack delivered twice (to this replica or another). */
  deliveries: Deliveries;
  /** Counters and timings for `GET /metrics`. */
  metrics: Metrics;
}

/** What commands and clicks have in common: the services, the answer, the log line. */
export interface RequestBase {
  ctx: AppContext;
  respond: Respond;
  /** The request's log line; handlers add the job they work on. */
  fields: TrackFields;
}

/** A `/bulkjob` command, after its ack and the allow-list check. */
export interface CommandRequest extends RequestBase {
  userId: string;
  channelId: string;
}

/** A button click, after its ack and the allow-list check. */
export interface ClickRequest extends RequestBase {
  click: ClickInput;
}
