/**
 * The deterministic data behind the Cloudflare simulator: jobs whose state is a pure function of the clock,
 * and messages generated on demand from (job seed, index) so a 100,000-message job costs a few hundred
 * kilobytes of index lists, never 100,000 objects per request.
 *
 * Message `i` of a job is processed in index order: at any instant the job has `discovered` messages, of
 * which the first `processed` have an outcome (COMPLETED or FAILED, fixed per index by the seed) and the
 * rest share one "tail" status (PENDING while running, CANCELLED after a cancel, SKIPPED for a skipped job).
 * Filtering by status is therefore arithmetic over a range plus a cached, sorted list of failed indices.
 */

import { KNOWN_ACTION_TYPES, KNOWN_STATUSES, type KnownStatus } from '../../src/cloudflare/schema.js';
import { ENDED_STATUSES } from '../../src/rules.js';

/** The OpenAPI enums, shared with the client's schema: one source for what Cloudflare documents. */
export const SIM_STATUSES = KNOWN_STATUSES;
export type SimStatus = KnownStatus;
export const SIM_ACTION_TYPES = KNOWN_ACTION_TYPES;
export type SimActionType = (typeof SIM_ACTION_TYPES)[number];
export const SIM_TERMINAL = ENDED_STATUSES;

/** The largest job the simulator will generate (the bot's worst case). */
export const MAX_SIM_MESSAGES = 100_000;

/**
 * How a job moves through time. `live`: PENDING until `startAfterMs`, DISCOVERING for `discoverMs`,
 * then PROCESSING at `ratePerSecond` messages a second until done. `static`: frozen in `status` with
 * `processed` messages done (default: all of them for COMPLETED / FAILED, none otherwise).
 */
export type SimProgress =
  | { kind: 'live'; startAfterMs?: number; discoverMs?: number; ratePerSecond?: number }
  | { kind: 'static'; status: SimStatus; processed?: number };

export interface SimJobSpec {
  /** A UUID; generated from the simulator's seed when absent. */
  id?: string;
  /** Messages the job will discover, 0..100,000 (default 250). */
  total?: number;
  actionType?: SimActionType;
  /** MOVE destination (default `DeletedItems`); ignored for RELEASE. */
  destination?: string;
  /** Share of processed messages that fail, 0..1 (default 0.02). 1 makes a job end FAILED. */
  failureRate?: number;
  /**
   * The texts failed messages give as `status_message`, drawn evenly by index (none retryable); default a
   * realistic mix of Exchange errors. Lets a test put what email can hold (a formula, quotes) in the file.
   */
  failureReasons?: readonly string[];
  comment?: string | null;
  /** Epoch ms or ISO string (default: the simulator clock at `addJob`). */
  createdAt?: number | string;
  /** Default: `{ kind: 'static', status: 'COMPLETED' }`. */
  progress?: SimProgress;
  /** Varies the generated messages; default derived from the id. */
  seed?: number;
  /**
   * Send `messages_cancelled` (newer than the OpenAPI extract; Cloudflare sends it now). Default true;
   * false plays an older API that leaves cancelled messages out of every count.
   */
  reportsCancelled?: boolean;
}

/** A job as the simulator keeps it: the spec resolved, plus what happened to it since (a cancel). */
export interface SimJob {
  id: string;
  seed: number;
  total: number;
  actionType: SimActionType;
  destination: string;
  failureRate: number;
  failureReasons: readonly string[] | undefined;
  reportsCancelled: boolean;
  comment: string | null;
  createdAt: number;
  progress: SimProgress;
  /** Set by a cancel: the job is frozen in this state from then on. */
  frozen: JobState | undefined;
  /** Lazily built, sorted lists of the failed and of the successful indices (each over `total`). */
  failedIdx: Int32Array | undefined;
  okIdx: Int32Array | undefined;
}

export interface JobState {
  status: string;
  discovered: number;
  processed: number;
  /** Status of messages in [processed, discovered). */
  tail: 'PENDING' | 'CANCELLED' | 'SKIPPED';
  startedAt: number | null;
  completedAt: number | null;
  statusMessage: string | null;
}

const DEFAULT_LIVE = { startAfterMs: 0, discoverMs: 5_000, ratePerSecond: 50 };

// ---------------------------------------------------------------------------------------------------------
// Deterministic hashing: message `i` of a job is mix(seed, i, salt), so any message can be built alone.

function mix32(x: number): number {
  let a = x | 0;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  return (a ^ (a >>> 16)) >>> 0;
}

/** A 32-bit hash of (seed, index, salt). */
export function hash3(seed: number, index: number, salt: number): number {
  return mix32(seed ^ mix32(index + Math.imul(salt + 1, 0x9e3779b9)));
}

/** A number in [0, 1) from (seed, index, salt). */
function unit(seed: number, index: number, salt: number): number {
  return hash3(seed, index, salt) / 4_294_967_296;
}

export function seedFromString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Two hex digits per byte value: a page of 1,000 messages formats about 8,000 of these. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number) => HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;

/** A version-4-shaped UUID from (seed, index, salt). */
export function uuidFrom(seed: number, index: number, salt: number): string {
  const a = hex8(hash3(seed, index, salt));
  const b = hex8(hash3(seed, index, salt + 101));
  const c = hex8(hash3(seed, index, salt + 202));
  const d = hex8(hash3(seed, index, salt + 303));
  const variant = ((Number.parseInt(c[0] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

// ---------------------------------------------------------------------------------------------------------
// Realistic content. Recipients are personal data in real life: the bot must never log or share them.

const FIRST_NAMES = [
  ...'alice bruno chloe daniel elena farid grace hiroshi ines jamal katrin liam maria'.split(' '),
  ...'nikhil olivia pavel quinn rosa samuel tanvi ugo valeria wei yusuf zoe'.split(' '),
];
const LAST_NAMES = [
  ...'anderson becker costa dubois eriksen fischer garcia haddad ivanova jensen kowalski'.split(' '),
  ...'lopez moreau nakamura okafor patel rossi schmidt tanaka varga weber young'.split(' '),
];
const DOMAINS = ['example-corp.com', 'example-corp.com', 'example-corp.com', 'eu.example-corp.com', 'example-labs.io'];

/** Failure reasons seen in `status_message`; retryable ones carry a `retry_after`. */
export const FAILURE_REASONS: readonly { message: string; retryable: boolean; weight: number }[] = [
  { message: 'Mailbox not found', retryable: false, weight: 3 },
  { message: 'Message already moved', retryable: false, weight: 4 },
  { message: 'Graph API throttled (429)', retryable: true, weight: 3 },
  { message: 'Access denied to mailbox', retryable: false, weight: 2 },
  { message: 'Message not found in mailbox', retryable: false, weight: 4 },
  { message: 'Mailbox temporarily unavailable (503)', retryable: true, weight: 1 },
];
const REASON_WEIGHT_TOTAL = FAILURE_REASONS.reduce((sum, r) => sum + r.weight, 0);

const POSTFIX_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function postfixId(seed: number, index: number): string {
  let out = '4';
  for (let k = 0; k < 11; k++) out += POSTFIX_ALPHABET[hash3(seed, index, 50 + k) % POSTFIX_ALPHABET.length];
  return out;
}

export function recipientFor(seed: number, index: number): string {
  const first = FIRST_NAMES[hash3(seed, index, 1) % FIRST_NAMES.length];
  const last = LAST_NAMES[hash3(seed, index, 2) % LAST_NAMES.length];
  const domain = DOMAINS[hash3(seed, index, 3) % DOMAINS.length];
  return `${first}.${last}@${domain}`;
}

function reasonFor(job: SimJob, index: number): (typeof FAILURE_REASONS)[number] {
  const seed = job.seed;
  const own = job.failureReasons;
  if (own) return { message: own[hash3(seed, index, 4) % own.length]!, retryable: false, weight: 1 };
  let pick = hash3(seed, index, 4) % REASON_WEIGHT_TOTAL;
  for (const reason of FAILURE_REASONS) {
    if (pick < reason.weight) return reason;
    pick -= reason.weight;
  }
  return FAILURE_REASONS[0]!;
}

// ---------------------------------------------------------------------------------------------------------
// Jobs and their state over time.

export function resolveJob(spec: SimJobSpec, fallbackId: string, now: number): SimJob {
  const total = Math.trunc(spec.total ?? 250);
  if (!(total >= 0 && total <= MAX_SIM_MESSAGES)) throw new RangeError(`total must be 0..${MAX_SIM_MESSAGES}`);
  const failureRate = spec.failureRate ?? 0.02;
  if (!(failureRate >= 0 && failureRate <= 1)) throw new RangeError('failureRate must be 0..1');
  const id = (spec.id ?? fallbackId).toLowerCase();
  const createdAt =
    spec.createdAt === undefined
      ? now
      : typeof spec.createdAt === 'number'
        ? spec.createdAt
        : Date.parse(spec.createdAt);
  if (!Number.isFinite(createdAt)) throw new RangeError('createdAt is not a valid time');
  return {
    id,
    seed: spec.seed ?? seedFromString(id),
    total,
    actionType: spec.actionType ?? 'MOVE',
    destination: spec.destination ?? 'DeletedItems',
    failureRate,
    failureReasons: spec.failureReasons?.length ? [...spec.failureReasons] : undefined,
    reportsCancelled: spec.reportsCancelled ?? true,
    comment: spec.comment === undefined ? null : spec.comment,
    createdAt,
    progress: spec.progress ?? { kind: 'static', status: 'COMPLETED' },
    frozen: undefined,
    failedIdx: undefined,
    okIdx: undefined,
  };
}

function isFailed(job: SimJob, index: number): boolean {
  return unit(job.seed, index, 0) < job.failureRate;
}

/** Build (once per job) the sorted lists of failed and successful indices, so filters are slices. */
function ensureIndex(job: SimJob): { failed: Int32Array; ok: Int32Array } {
  if (!job.failedIdx || !job.okIdx) {
    const failed = new Int32Array(job.total);
    const ok = new Int32Array(job.total);
    let f = 0;
    let o = 0;
    for (let i = 0; i < job.total; i++) {
      if (isFailed(job, i)) failed[f++] = i;
      else ok[o++] = i;
    }
    job.failedIdx = failed.slice(0, f);
    job.okIdx = ok.slice(0, o);
  }
  return { failed: job.failedIdx, ok: job.okIdx };
}

/** How many entries of a sorted list are below `limit`. */
function countBelow(list: Int32Array, limit: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] ?? 0) < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function processedDuration(total: number, ratePerSecond: number): number {
  return Math.ceil((total * 1000) / ratePerSecond);
}

function liveTimes(job: SimJob) {
  const p: { startAfterMs?: number; discoverMs?: number; ratePerSecond?: number } =
    job.progress.kind === 'live' ? job.progress : {};
  const startAfterMs = p.startAfterMs ?? DEFAULT_LIVE.startAfterMs;
  const discoverMs = Math.max(0, p.discoverMs ?? DEFAULT_LIVE.discoverMs);
  const rate = Math.max(0.001, p.ratePerSecond ?? DEFAULT_LIVE.ratePerSecond);
  const startAt = job.createdAt + startAfterMs;
  const processStart = startAt + discoverMs;
  return { startAt, discoverMs, rate, processStart, doneAt: processStart + processedDuration(job.total, rate) };
}

function failedCountBelow(job: SimJob, processed: number): number {
  if (processed <= 0 || job.failureRate === 0) return 0;
  if (job.failureRate === 1) return processed;
  return countBelow(ensureIndex(job).failed, processed);
}

function endState(job: SimJob, startedAt: number, completedAt: number): JobState {
  const failed = failedCountBelow(job, job.total);
  const allFailed = job.total > 0 && failed === job.total;
  return {
    status: allFailed ? 'FAILED' : 'COMPLETED',
    discovered: job.total,
    processed: job.total,
    tail: 'PENDING',
    startedAt,
    completedAt,
    statusMessage: allFailed ? `All ${job.total} messages failed` : null,
  };
}

/** The job's state at time `t`: a pure function of the spec, a cancel (if any) and the clock. */
export function stateAt(job: SimJob, t: number): JobState {
  if (job.frozen) return job.frozen;
  const progress = job.progress;
  if (progress.kind === 'static') {
    const { status } = progress;
    const terminalDone = status === 'COMPLETED' || status === 'FAILED';
    const processed = Math.min(job.total, Math.max(0, progress.processed ?? (terminalDone ? job.total : 0)));
    const started = status === 'PENDING' ? null : job.createdAt + 2_000;
    const done = SIM_TERMINAL.has(status) ? job.createdAt + 2_000 + processedDuration(processed, 50) + 1_000 : null;
    if (terminalDone && processed === job.total) {
      const end = endState(job, started ?? job.createdAt, done ?? job.createdAt);
      return { ...end, status };
    }
    return {
      status,
      discovered: status === 'PENDING' ? 0 : job.total,
      processed,
      tail: status === 'CANCELLED' ? 'CANCELLED' : status === 'SKIPPED' ? 'SKIPPED' : 'PENDING',
      startedAt: started,
      completedAt: done,
      statusMessage: status === 'SKIPPED' ? 'No messages matched the search' : null,
    };
  }
  const times = liveTimes(job);
  if (t < times.startAt) {
    return {
      status: 'PENDING',
      discovered: 0,
      processed: 0,
      tail: 'PENDING',
      startedAt: null,
      completedAt: null,
      statusMessage: null,
    };
  }
  if (t < times.processStart) {
    const fraction = times.discoverMs === 0 ? 1 : (t - times.startAt) / times.discoverMs;
    return {
      status: 'DISCOVERING',
      discovered: Math.min(job.total, Math.floor(job.total * fraction)),
      processed: 0,
      tail: 'PENDING',
      startedAt: times.startAt,
      completedAt: null,
      statusMessage: null,
    };
  }
  if (t >= times.doneAt) return endState(job, times.startAt, times.doneAt);
  const processed = Math.min(job.total, Math.floor(((t - times.processStart) * times.rate) / 1000));
  return {
    status: 'PROCESSING',
    discovered: job.total,
    processed,
    tail: 'PENDING',
    startedAt: times.startAt,
    completedAt: null,
    statusMessage: null,
  };
}

/** Cancel at `t`: freeze what was done, and mark everything not yet processed CANCELLED. */
export function cancelAt(job: SimJob, t: number): JobState {
  const state = stateAt(job, t);
  job.frozen = {
    status: 'CANCELLED',
    discovered: state.discovered,
    processed: state.processed,
    tail: 'CANCELLED',
    startedAt: state.startedAt,
    completedAt: t,
    statusMessage: 'Cancelled by API request',
  };
  return job.frozen;
}

/** `toISOString` up to the second, kept for the seconds a page's messages share (they are close in time). */
const isoSeconds = new Map<number, string>();
const ISO_FAST_MAX = 253_402_300_800_000; // 10000-01-01: beyond it, toISOString's format changes

/** Epoch ms as `toISOString` gives them, without a Date for each of the thousands of times a page holds. */
function iso(ms: number): string {
  const whole = Math.trunc(ms);
  if (!(whole >= 0 && whole < ISO_FAST_MAX)) return new Date(ms).toISOString();
  const second = Math.floor(whole / 1000);
  let prefix = isoSeconds.get(second);
  if (prefix === undefined) {
    if (isoSeconds.size >= 4096) isoSeconds.clear();
    prefix = new Date(second * 1000).toISOString().slice(0, 20);
    isoSeconds.set(second, prefix);
  }
  const milli = whole - second * 1000;
  return `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** `email-security_BulkJobDetail` for the job at time `t`. */
export function jobDetail(job: SimJob, t: number): Record<string, unknown> {
  const state = stateAt(job, t);
  const failed = failedCountBelow(job, state.processed);
  return {
    job_id: job.id,
    action_type: job.actionType,
    action_params:
      job.actionType === 'MOVE' ? { type: 'MOVE', destination: job.destination } : { type: job.actionType },
    search_params: {
      start: iso(job.createdAt - 7 * 86_400_000),
      end: iso(job.createdAt),
      final_disposition: 'MALICIOUS',
      detections_only: true,
      subject: 'Action required: shared document pending',
    },
    status: state.status,
    status_message: state.statusMessage,
    comment: job.comment,
    total_messages_discovered: state.discovered,
    messages_pending: state.tail === 'PENDING' ? state.discovered - state.processed : 0,
    messages_successful: state.processed - failed,
    messages_failed: failed,
    ...(job.reportsCancelled
      ? { messages_cancelled: state.tail === 'CANCELLED' ? state.discovered - state.processed : 0 }
      : {}),
    created_at: iso(job.createdAt),
    started_at: state.startedAt === null ? null : iso(state.startedAt),
    completed_at: state.completedAt === null ? null : iso(state.completedAt),
  };
}

/** When message `i` was processed: spread evenly over the processing phase. */
function processedAtOf(job: SimJob, state: JobState, index: number): number {
  const start = (state.startedAt ?? job.createdAt) + (job.progress.kind === 'live' ? liveTimes(job).discoverMs : 0);
  const rate = job.progress.kind === 'live' ? liveTimes(job).rate : 50;
  return start + Math.floor(((index + 1) * 1000) / rate);
}

/** `email-security_BulkActionMessageDetail` for message `index` of the job, in the given state. */
export function messageDetail(job: SimJob, state: JobState, index: number): Record<string, unknown> {
  const seed = job.seed;
  const recipient = recipientFor(seed, index);
  const createdAt = (state.startedAt ?? job.createdAt) + Math.floor(index * 0.05);
  let status: string;
  let statusMessage: string | null = null;
  let retryCount = 0;
  let retryAfter: string | null = null;
  let processedAt: string | null = null;
  if (index < state.processed) {
    const at = processedAtOf(job, state, index);
    processedAt = iso(at);
    if (isFailed(job, index)) {
      const reason = reasonFor(job, index);
      status = 'FAILED';
      statusMessage = reason.message;
      retryCount = reason.retryable ? 3 : hash3(seed, index, 5) % 2;
      if (reason.retryable) retryAfter = iso(at + 15 * 60_000);
    } else {
      status = 'COMPLETED';
      // A few messages succeed only after being throttled once: realistic, and exercises the column.
      retryCount = hash3(seed, index, 6) % 17 === 0 ? 1 : 0;
    }
  } else {
    status = state.tail;
  }
  const postfix = postfixId(seed, index);
  return {
    message_id: uuidFrom(seed, index, 7),
    postfix_id: postfix,
    action_type: job.actionType,
    action_params:
      job.actionType === 'MOVE'
        ? { type: 'MOVE', destination: job.destination, client_recipient: recipient }
        : { type: job.actionType, client_recipient: recipient },
    status,
    status_message: statusMessage,
    retry_count: retryCount,
    retry_after: retryAfter,
    created_at: iso(createdAt),
    processed_at: processedAt,
    alert_id: hash3(seed, index, 8) % 3 === 0 ? `${postfix}-${(hash3(seed, index, 9) % 90) + 10}` : null,
    email_message_id: `<${hex8(hash3(seed, index, 10))}${hex8(hash3(seed, index, 11))}@mail.sender-example.net>`,
  };
}

/**
 * The indices of the messages on one page, optionally filtered by status: slices of a range or of the
 * cached index lists, so a page of a 100,000-message job costs O(per_page + log n).
 */
export function pageIndices(
  job: SimJob,
  state: JobState,
  status: string | undefined,
  page: number,
  perPage: number,
): { indices: number[]; hasNext: boolean } {
  const offset = (page - 1) * perPage;
  const fromRange = (lo: number, hi: number) => {
    const out: number[] = [];
    for (let i = lo + offset; i < hi && out.length < perPage; i++) out.push(i);
    return { indices: out, hasNext: lo + offset + perPage < hi };
  };
  const fromList = (list: Int32Array, limit: number) => {
    const size = countBelow(list, limit);
    const out: number[] = [];
    for (let k = offset; k < size && out.length < perPage; k++) out.push(list[k] ?? 0);
    return { indices: out, hasNext: offset + perPage < size };
  };
  if (status === undefined) return fromRange(0, state.discovered);
  if (status === state.tail) return fromRange(state.processed, state.discovered);
  if (status === 'FAILED') {
    if (job.failureRate === 1) return fromRange(0, state.processed);
    if (job.failureRate === 0) return { indices: [], hasNext: false };
    return fromList(ensureIndex(job).failed, state.processed);
  }
  if (status === 'COMPLETED') {
    if (job.failureRate === 0) return fromRange(0, state.processed);
    if (job.failureRate === 1) return { indices: [], hasNext: false };
    return fromList(ensureIndex(job).ok, state.processed);
  }
  return { indices: [], hasNext: false };
}
