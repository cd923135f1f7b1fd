/**
 * `/bulkjob export <job> [status]` and the job view's Export CSV: every message of the job (or of one
 * status) as a CSV file, sent only to the requester's direct message with the bot (the file holds
 * recipient addresses, personal data), with one message that sums it up.
 *
 * Pages of 1,000 are read five at a time at background priority (users' own reads come first); each is
 * turned into CSV text, tallied and written to the end of a temporary file the moment it arrives, in the
 * same synchronous step as its parse, so nothing of a page waits in memory for the pages before it and
 * memory stays flat whatever the job's size. The upload sends the pages' bytes in page order
 * (`uploadRanges`) through Slack's upload flow, which needs the length first (files.getUploadURLExternal →
 * upload → files.completeUploadExternal). When the job's counts give N messages, exactly ceil(N / 1000) pages are
 * asked for; a full last page (the counts were low) reads on until a short one, and a page that repeats
 * the one before stops the export. The temporary file is removed whatever happens.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebClient } from '@slack/web-api';
import { type CloudflareClient, MAX_PER_PAGE } from '../../cloudflare/client.js';
import type { Job, Message } from '../../cloudflare/schema.js';
import { CloudflarePagingError, InputError, SlackApiError, userMessageFor } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { exportOutcomeOf } from '../../metrics-labels.js';
import type { StatusFilter } from '../../slack/query.js';
import { toSlackApiError } from '../../slack/slack-api.js';
import { type FileRange, uploadRanges } from '../../slack/upload.js';
import { csvHeader, csvRecords, domainOf, toRow } from './csv.js';
import { ExportProgress } from './progress.js';
import { renderExportSummary } from './summary.js';

/** How long the file's upload to Slack may take, whatever its size. */
const UPLOAD_TIMEOUT_MS = 120_000;

/** Requests in flight at once. */
export const EXPORT_CONCURRENCY = 5;
/**
 * Pages asked for ahead of the one being taken, at most: what a job whose counts are too high can waste past
 * its short last page (each page waiting to be taken is a few numbers: its text is already in the file).
 */
export const EXPORT_LOOKAHEAD = 2 * EXPORT_CONCURRENCY;

export interface ExportRequest {
  userId: string;
  jobId: string;
  status?: StatusFilter | undefined;
}

export interface ExportTally {
  rows: number;
  byStatus: Map<string, number>;
  failureReasons: Map<string, number>;
  failedDomains: Map<string, number>;
}

/** The requester pressed Stop export: expected, and said to them as it is. */
export class ExportStoppedError extends InputError {
  constructor() {
    super('The export was stopped; no file was sent.', 'export_stopped');
  }
}

export interface ExportResult {
  rows: number;
  /** Cloudflare list requests made. */
  pages: number;
  bytes: number;
  filename: string;
  fileId: string;
  /** The requester's DM with the bot, where the file was shared. */
  channel: string;
}

export interface ExportDeps {
  cloudflare: CloudflareClient;
  client: WebClient;
  logger: Logger;
  now: () => Date;
  /** Messages a page (default 1,000, the API's maximum). */
  perPage?: number;
  /** Where temporary files go (default the system's temporary directory). */
  tempRoot?: string;
  /** When the progress message first shows (default 2 s: a quick export shows none), and how often it is edited. */
  progressTiming?: { afterMs: number; everyMs: number };
  /** Told when an export ends, with how (`exportOutcomeOf`) and the rows delivered (metrics). */
  onFinished?: (outcome: ReturnType<typeof exportOutcomeOf>, rows: number) => void;
}

/** What an export will take, said before it starts. */
export interface ExportPlan {
  /** Rows the job's counts give; undefined when they cannot say. */
  expected: number | undefined;
  pages: number | undefined;
  /** How long the budget will make it take, when that is more than a few minutes' worth of reading. */
  pacedMinutes: number | undefined;
}

interface Running {
  id: string;
  userId: string;
  controller: AbortController;
  promise: Promise<ExportResult>;
}

/** How many messages the job's counts say the export will hold; undefined when they cannot say. */
export function expectedRows(job: Job, status: StatusFilter | undefined): number | undefined {
  const counts: Partial<Record<string, number>> = {
    ALL: job.total_messages_discovered,
    FAILED: job.messages_failed,
    COMPLETED: job.messages_successful,
    PENDING: job.messages_pending,
  };
  const n = counts[status ?? 'ALL'];
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

export class ExportService {
  readonly #deps: ExportDeps;
  /** Exports in flight, by requester, job and filter: a second ask joins the first. */
  readonly #running = new Map<string, Running>();

  constructor(deps: ExportDeps) {
    this.#deps = deps;
  }

  /**
   * Runs an export, or joins the same user's export of the same job and filter already running (`joined`).
   * Resolves when the file is in the DM; rejects with why not (ExportStoppedError after Stop export).
   */
  start(
    request: ExportRequest,
    onPlanned: (plan: ExportPlan) => Promise<void> = async () => {},
  ): { promise: Promise<ExportResult>; joined: boolean } {
    const key = keyOf(request);
    const running = this.#running.get(key);
    if (running) return { promise: running.promise, joined: true };
    const controller = new AbortController();
    const id = randomUUID();
    const promise = this.#run(request, id, controller.signal, onPlanned)
      .then(
        (result) => {
          this.#deps.onFinished?.('ok', result.rows);
          return result;
        },
        (error: unknown) => {
          this.#deps.onFinished?.(exportOutcomeOf(error), 0);
          throw error;
        },
      )
      .finally(() => this.#running.delete(key));
    this.#running.set(key, { id, userId: request.userId, controller, promise });
    return { promise, joined: false };
  }

  run(request: ExportRequest): Promise<ExportResult> {
    return this.start(request).promise;
  }

  /** Stop export: only the requester's own export stops; false when there is none (it finished, or is not theirs). */
  stop(exportId: string, userId: string): boolean {
    for (const running of this.#running.values()) {
      if (running.id !== exportId || running.userId !== userId) continue;
      running.controller.abort(new ExportStoppedError());
      return true;
    }
    return false;
  }

  /** How many pages, and how long the background share of the budget will stretch them. */
  plan(job: Job, status: StatusFilter | undefined): ExportPlan {
    const expected = expectedRows(job, status);
    const pages = expected === undefined ? undefined : Math.ceil(expected / (this.#deps.perPage ?? MAX_PER_PAGE));
    const { backgroundLimit, windowMs } = this.#deps.cloudflare.budget.limits;
    const pacedMinutes =
      pages !== undefined && pages > backgroundLimit
        ? Math.ceil(pages / backgroundLimit) * Math.round(windowMs / 60_000)
        : undefined;
    return { expected, pages, pacedMinutes };
  }

  async #run(
    request: ExportRequest,
    id: string,
    signal: AbortSignal,
    onPlanned: (plan: ExportPlan) => Promise<void>,
  ): Promise<ExportResult> {
    const { cloudflare, now } = this.#deps;
    const job = await cloudflare.getJob(request.jobId, { priority: 'user', fresh: true });
    const plan = this.plan(job, request.status);
    await onPlanned(plan);
    const channel = await this.#openDm(request.userId);
    const progress = new ExportProgress({
      client: this.#deps.client,
      channel,
      exportId: id,
      job,
      status: request.status,
      expected: plan.expected,
      now: () => now().getTime(),
      logger: this.#deps.logger,
      ...(this.#deps.progressTiming ? { timing: this.#deps.progressTiming } : {}),
    });
    const dir = await mkdtemp(join(this.#deps.tempRoot ?? tmpdir(), 'bulkjob-export-'));
    try {
      const filename = `bulkjob-${job.job_id.slice(0, 8)}-${(request.status ?? 'all').toLowerCase()}-${now()
        .toISOString()
        .slice(0, 16)
        .replace(/[-:]/g, '')}.csv`;
      const path = join(dir, filename);
      const { tally, pages, ranges } = await this.#write(job, request.status, plan.expected, path, signal, (rows) =>
        progress.update(rows),
      );
      const size = ranges.reduce((sum, range) => sum + range.length, 0);
      if (signal.aborted) throw signal.reason;
      const fileId = await this.#upload(path, ranges, filename, size);
      const summary = renderExportSummary({ job, status: request.status, tally, filename });
      await this.#share(fileId, filename, channel, summary);
      await progress.finish('done', tally.rows);
      this.#deps.logger.info({ job: job.job_id, rows: tally.rows, pages, bytes: size }, 'export delivered');
      return { rows: tally.rows, pages, bytes: size, filename, fileId, channel };
    } catch (error) {
      const stopped = error instanceof ExportStoppedError;
      // The DM says why there is no file: stopped, or what went wrong.
      await progress.finish(stopped ? 'stopped' : 'failed', progress.rows, stopped ? undefined : userMessageFor(error));
      throw error;
    } finally {
      progress.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Reads the pages and writes each to the file as it arrives, wherever the file ends then; returns what
   * they held and where each page's bytes are, in page order (the upload sends them in that order).
   */
  async #write(
    job: Job,
    status: StatusFilter | undefined,
    expected: number | undefined,
    path: string,
    signal: AbortSignal,
    onRows: (rows: number) => void,
  ): Promise<{ tally: ExportTally; pages: number; ranges: FileRange[] }> {
    const perPage = this.#deps.perPage ?? MAX_PER_PAGE;
    const file = await open(path, 'w');
    let end = 0;
    const writes = new Set<Promise<unknown>>();
    /** Puts `bytes` at the end of the file now; the page keeps where they went. */
    const append = (bytes: Buffer): { range: FileRange; written: Promise<unknown> } => {
      const range = { start: end, length: bytes.length };
      end += bytes.length;
      const written = file.write(bytes, 0, bytes.length, range.start);
      writes.add(written);
      written.then(
        () => writes.delete(written),
        () => writes.delete(written),
      );
      return { range, written };
    };
    // A byte-order mark: Excel then reads the file as UTF-8, accents and all.
    const header = append(Buffer.from(`\ufeff${csvHeader()}`));
    const ranges: FileRange[] = [header.range];
    const tally = newTally();
    let requests = 0;
    const read = (page: number): Promise<WrittenPage> => {
      requests += 1;
      const params = { page, perPage, ...(status ? { status } : {}) };
      return this.#deps.cloudflare
        .readMessages(
          job.job_id,
          params,
          (messages) => {
            // Its text goes to the file the moment it is made: no page's text waits for the pages before it.
            const { csv, ...page } = pageText(messages);
            return { ...page, ...append(csv) };
          },
          { priority: 'background', signal },
        )
        .then(({ value }) => value);
    };
    let previousFirst: string | undefined;
    let previousLength = 0;
    /** Takes one page into the file, in page order; false once it was the last (short) page. */
    const take = async (page: number, written: WrittenPage): Promise<boolean> => {
      if (signal.aborted) throw signal.reason;
      if (written.first !== undefined && written.first === previousFirst && written.length === previousLength) {
        throw new CloudflarePagingError({ method: 'GET', path: `…/bulk/${job.job_id}/messages` }, page);
      }
      previousFirst = written.first;
      previousLength = written.length;
      // A write that failed (a full disk) fails the export here.
      await written.written;
      ranges.push(written.range);
      addTally(tally, written.tally);
      onRows(tally.rows);
      return written.length >= perPage;
    };
    try {
      await header.written;
      const planned = expected === undefined ? 1 : Math.ceil(expected / perPage);
      let page = 1;
      let more = planned > 0;
      // The planned pages, EXPORT_CONCURRENCY requests at a time: a new one starts as soon as any answer is
      // in (its text is in the file by then), not only the next page's, so one slow answer does not idle
      // the other slots. Pages are still taken in order; at most EXPORT_LOOKAHEAD pages ahead of the one awaited.
      const inFlight = new Map<number, Promise<WrittenPage>>();
      let next = 1;
      let active = 0;
      let ended = false;
      const launch = () => {
        while (
          !ended &&
          !signal.aborted &&
          next <= planned &&
          active < EXPORT_CONCURRENCY &&
          next < page + EXPORT_LOOKAHEAD
        ) {
          active += 1;
          const pending = read(next).finally(() => {
            active -= 1;
            launch();
          });
          // Awaited in page order below; one left behind by a stop or an error must not go unhandled.
          pending.catch(() => {});
          inFlight.set(next, pending);
          next += 1;
        }
      };
      try {
        while (more && page <= planned) {
          launch();
          const written = await inFlight.get(page)!;
          inFlight.delete(page);
          more = await take(page, written);
          page += 1;
        }
      } finally {
        ended = true;
      }
      // A full last page with exactly the rows the counts gave is the end (no empty page to confirm it);
      // more rows than that means the counts were low: read on, one page at a time, to a short one.
      if (more && expected !== undefined && tally.rows <= expected) more = false;
      while (more) {
        more = await take(page, await read(page));
        page += 1;
      }
    } finally {
      // Pages read past the end, or left behind by an error, may still be writing: the file closes after them.
      await Promise.allSettled([...writes]);
      await file.close();
    }
    return { tally, pages: requests, ranges };
  }

  async #openDm(userId: string): Promise<string> {
    try {
      const result = await this.#deps.client.conversations.open({ users: userId });
      const id = result.channel?.id;
      if (!id) throw new SlackApiError('conversations.open', 'unreachable', 'no_channel');
      return id;
    } catch (error) {
      throw toSlackApiError('conversations.open', error);
    }
  }

  async #upload(path: string, ranges: readonly FileRange[], filename: string, length: number): Promise<string> {
    let uploadUrl: string;
    let fileId: string;
    try {
      const result = await this.#deps.client.files.getUploadURLExternal({ filename, length });
      if (!result.upload_url || !result.file_id)
        throw new SlackApiError('files.getUploadURLExternal', 'unreachable', 'no_url');
      uploadUrl = result.upload_url;
      fileId = result.file_id;
    } catch (error) {
      throw toSlackApiError('files.getUploadURLExternal', error);
    }
    let status: number;
    try {
      status = await uploadRanges(uploadUrl, path, ranges, {
        contentType: 'text/csv; charset=utf-8',
        signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
      });
    } catch (error) {
      throw new SlackApiError('file upload', 'unreachable', 'request_failed', { cause: error });
    }
    if (status < 200 || status >= 300) {
      throw new SlackApiError('file upload', status >= 500 ? 'unreachable' : 'refused', `http_${status}`);
    }
    return fileId;
  }

  async #share(fileId: string, title: string, channel: string, summary: string): Promise<void> {
    try {
      await this.#deps.client.files.completeUploadExternal({
        files: [{ id: fileId, title }],
        channel_id: channel,
        initial_comment: summary,
      });
    } catch (error) {
      throw toSlackApiError('files.completeUploadExternal', error);
    }
  }
}

function keyOf(request: ExportRequest): string {
  return `${request.userId} ${request.jobId} ${request.status ?? 'ALL'}`;
}

/** Distinct reasons or domains tallied: the summary shows five; this only bounds memory. */
const TALLY_KEYS = 10_000;

function bump(map: Map<string, number>, key: string): void {
  const seen = map.get(key);
  if (seen === undefined && map.size >= TALLY_KEYS) return;
  map.set(key, (seen ?? 0) + 1);
}

function newTally(): ExportTally {
  return { rows: 0, byStatus: new Map(), failureReasons: new Map(), failedDomains: new Map() };
}

function count(tally: ExportTally, message: Message): void {
  tally.rows += 1;
  bump(tally.byStatus, message.status);
  if (message.status !== 'FAILED') return;
  bump(tally.failureReasons, (message.status_message?.trim() || '(no reason given)').slice(0, 200));
  const domain = domainOf((message.action_params as { client_recipient?: unknown }).client_recipient);
  if (domain) bump(tally.failedDomains, domain.slice(0, 100));
}

function addTally(into: ExportTally, page: ExportTally): void {
  into.rows += page.rows;
  for (const key of ['byStatus', 'failureReasons', 'failedDomains'] as const) {
    for (const [name, n] of page[key]) {
      const seen = into[key].get(name);
      if (seen === undefined && into[key].size >= TALLY_KEYS) continue;
      into[key].set(name, (seen ?? 0) + n);
    }
  }
}

/** A page as the file needs it, made as soon as it arrives: its CSV text, its tally, what the guards compare. */
/** A page once its text is in the file: where, and what it held. */
interface WrittenPage extends Omit<PageText, 'csv'> {
  range: FileRange;
  written: Promise<unknown>;
}

interface PageText {
  /** The page's records as UTF-8: bytes outside the heap, not the thousands of string pieces that built them. */
  csv: Buffer;
  tally: ExportTally;
  first: string | undefined;
  length: number;
}

function pageText(messages: Message[]): PageText {
  const tally = newTally();
  for (const message of messages) count(tally, message);
  return {
    csv: Buffer.from(csvRecords(messages.map(toRow))),
    tally,
    first: messages[0]?.message_id,
    length: messages.length,
  };
}
