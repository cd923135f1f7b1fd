/**
 * An export's progress in the requester's DM: posted once the export has run a moment (a quick one shows
 * none), edited at a bounded rate as rows arrive (rows so far of N, a bar, the time left), with a Stop
 * export button; at the end it says how it ended: done (the file follows), stopped, or failed and why.
 */
import type { WebClient } from '@slack/web-api';
import type { Job } from '../../cloudflare/schema.js';
import type { Logger } from '../../logger.js';
import { buildActions, buildSection } from '../../slack/blocks/builders.js';
import {
  escapeOneLine,
  formatCount,
  formatDurationCompact,
  pluralize,
  progressBar,
} from '../../slack/blocks/format.js';
import { formatJobId } from '../../slack/blocks/job-summary.js';
import type { Block } from '../../slack/blocks/types.js';
import type { StatusFilter } from '../../slack/query.js';
import { exportStopButton } from './buttons.js';

/** `job `…` (failed only)`. */
function describeExport(job: Job, status: StatusFilter | undefined): string {
  return `job ${formatJobId(job.job_id)}${status === undefined ? '' : ` (${status.toLowerCase()} only)`}`;
}

/** The progress message while an export runs: rows so far of N, a bar, the time left, Stop export. */
export function renderExportProgress(input: {
  job: Job;
  status: StatusFilter | undefined;
  exportId: string;
  rows: number;
  expected: number | undefined;
  elapsedMs: number;
}): { blocks: Block[]; text: string } {
  const { expected, rows, elapsedMs } = input;
  let text = `:hourglass_flowing_sand: Exporting ${describeExport(input.job, input.status)} to CSV: ${formatCount(rows)}`;
  if (expected !== undefined && expected > 0) {
    text += ` of ${formatCount(expected)} rows\n${progressBar(Math.min(rows, expected), expected)}`;
    const left = rows > 0 && elapsedMs > 0 ? ((expected - rows) * elapsedMs) / rows : Number.NaN;
    text += Number.isFinite(left) && left >= 0 ? ` · about ${formatDurationCompact(left)} left` : ' · time left —';
  } else {
    text += ' rows so far';
  }
  return {
    blocks: [
      buildSection(text),
      ...buildActions('bulkjob_export_actions', [exportStopButton.render({ exportId: input.exportId })]),
    ],
    text,
  };
}

export interface ExportProgressOptions {
  client: WebClient;
  channel: string;
  exportId: string;
  job: Job;
  status: StatusFilter | undefined;
  expected: number | undefined;
  now: () => number;
  logger: Logger;
  timing?: { afterMs: number; everyMs: number };
}

const DEFAULT_TIMING = { afterMs: 2_000, everyMs: 2_000 };

export class ExportProgress {
  readonly #options: ExportProgressOptions;
  readonly #timing: { afterMs: number; everyMs: number };
  readonly #started: number;
  #rows = 0;
  #ts: string | undefined;
  #lastEdit = 0;
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  /** One Slack call at a time, in order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(options: ExportProgressOptions) {
    this.#options = options;
    this.#timing = options.timing ?? DEFAULT_TIMING;
    this.#started = options.now();
    this.#timer = setTimeout(() => this.#show(), this.#timing.afterMs);
    this.#timer.unref();
  }

  get rows(): number {
    return this.#rows;
  }

  update(rows: number): void {
    this.#rows = rows;
    if (this.#ts === undefined || this.#finished) return;
    if (this.#options.now() - this.#lastEdit < this.#timing.everyMs) return;
    this.#lastEdit = this.#options.now();
    this.#enqueue(() => this.#edit(...this.#running()));
  }

  /** Says how it ended; a quick export that is done posts nothing (the file and its summary say it all). */
  async finish(outcome: 'done' | 'stopped' | 'failed', rows: number, why?: string): Promise<void> {
    this.#finished = true;
    this.close();
    this.#rows = rows;
    const text = this.#ending(outcome, why);
    if (this.#ts === undefined && outcome === 'done') {
      await this.#chain;
      if (this.#ts === undefined) return;
    }
    this.#enqueue(async () => {
      if (this.#ts === undefined) await this.#post([buildSection(text)], text);
      else await this.#edit([buildSection(text)], text);
    });
    await this.#chain;
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #show(): void {
    if (this.#finished) return;
    this.#lastEdit = this.#options.now();
    this.#enqueue(() => this.#post(...this.#running()));
  }

  #enqueue(work: () => Promise<void>): void {
    this.#chain = this.#chain.then(work).catch((err: unknown) => {
      this.#options.logger.warn({ err }, 'export progress message failed');
    });
  }

  #what(): string {
    return describeExport(this.#options.job, this.#options.status);
  }

  /** The message while it runs. */
  #running(): [Block[], string] {
    const { blocks, text } = renderExportProgress({
      job: this.#options.job,
      status: this.#options.status,
      exportId: this.#options.exportId,
      rows: this.#rows,
      expected: this.#options.expected,
      elapsedMs: this.#options.now() - this.#started,
    });
    return [blocks, text];
  }

  #ending(outcome: 'done' | 'stopped' | 'failed', why: string | undefined): string {
    const rows = pluralize(this.#rows, 'row');
    if (outcome === 'done') return `:white_check_mark: Export of ${this.#what()} done: ${rows}. The file is below.`;
    if (outcome === 'stopped')
      return `:black_square_for_stop: Export of ${this.#what()} stopped after ${rows}. No file was sent.`;
    return `:warning: Export of ${this.#what()} failed after ${rows}: ${escapeOneLine(why ?? 'unknown error', 500)} No file was sent.`;
  }

  async #post(blocks: Block[], text: string): Promise<void> {
    const result = await this.#options.client.chat.postMessage({
      channel: this.#options.channel,
      text,
      blocks: blocks as never,
    });
    this.#ts = result.ts;
  }

  async #edit(blocks: Block[], text: string): Promise<void> {
    if (this.#ts === undefined) return;
    await this.#options.client.chat.update({
      channel: this.#options.channel,
      ts: this.#ts,
      text,
      blocks: blocks as never,
    });
  }
}
