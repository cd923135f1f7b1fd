/**
 * The HTTP edge in front of Bolt's receiver (HTTP mode). Bolt checks the signature, but accepts timestamps
 * from the future, processes a replayed request again, crashes on a signed JSON body that is not an object
 * (`null`), and serves any workspace. This guard answers those requests itself, each with a 4xx and one log
 * line, before Bolt sees them; what passes is handed to Bolt with its body already read (`rawBody`, which
 * Bolt reuses).
 *
 * Replays are remembered in this process only: two replicas behind a load balancer could each serve one
 * copy of a replayed request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '../logger.js';
import { readUpTo } from '../read-capped.js';

export const EVENTS_PATH = '/slack/events';
/** Slack's own rule: a request more than five minutes from now, either way, is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Far above anything Slack sends (a click on a 50-block message with its view is well under 200 KB). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Signatures remembered for replay detection; at Slack's pace of a few per second, minutes' worth. */
const MAX_REMEMBERED = 50_000;

export interface RequestGuardOptions {
  signingSecret: string;
  logger: Logger;
  /** The workspace the app is installed in, once known (auth.test at start); until then any is served. */
  teamId: () => string | undefined;
  now?: () => number;
}

type Verdict = { status: number; reason: string; level: 'info' | 'warn' } | { rawBody: Buffer };

/** Wraps Bolt's request listener; everything but `POST /slack/events` goes straight through. */
export function guardSlackRequests(inner: RequestListener, options: RequestGuardOptions): RequestListener {
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();

  const remember = (signature: string, at: number): boolean => {
    for (const [key, expires] of seen) {
      if (expires > at && seen.size < MAX_REMEMBERED) break;
      seen.delete(key);
    }
    if (seen.has(signature)) return false;
    // A signature is valid for the skew either side of its timestamp: keep it for both.
    seen.set(signature, at + 2 * MAX_CLOCK_SKEW_MS);
    return true;
  };

  const check = async (req: IncomingMessage): Promise<Verdict> => {
    const rawBody = await readUpTo(req, MAX_BODY_BYTES);
    if (rawBody === undefined) return { status: 413, reason: 'request body too large', level: 'warn' };
    const text = rawBody.toString('utf8');
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim();
    // Slack's SSL check carries no signature; Bolt answers it (and strips anything smuggled with it).
    if (contentType === 'application/x-www-form-urlencoded' && parseQuery(text).ssl_check === '1') return { rawBody };

    const timestamp = header(req, 'x-slack-request-timestamp');
    const signature = header(req, 'x-slack-signature');
    const at = now();
    if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) {
      return { status: 401, reason: 'request is not signed', level: 'warn' };
    }
    if (Math.abs(at - Number(timestamp) * 1000) > MAX_CLOCK_SKEW_MS) {
      return { status: 401, reason: 'request timestamp is more than 5 minutes from now', level: 'warn' };
    }
    if (!signatureMatches(options.signingSecret, timestamp, text, signature)) {
      return { status: 401, reason: 'request signature does not match', level: 'warn' };
    }
    if (!remember(signature, at)) return { status: 409, reason: 'replayed request ignored', level: 'warn' };

    const body = parseBody(text, contentType);
    if (body === undefined) return { status: 400, reason: 'request body is not a Slack payload', level: 'warn' };
    const installed = options.teamId();
    const team = teamOf(body);
    if (installed !== undefined && team !== undefined && team !== installed) {
      return { status: 403, reason: 'request from a workspace the app is not installed in', level: 'warn' };
    }
    return { rawBody };
  };

  return (req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== EVENTS_PATH) {
      inner(req, res);
      return;
    }
    check(req).then(
      (verdict) => {
        if ('rawBody' in verdict) {
          Object.assign(req, { rawBody: verdict.rawBody });
          inner(req, res);
          return;
        }
        options.logger[verdict.level]({ status: verdict.status, reason: verdict.reason }, 'slack request refused');
        refuse(res, verdict.status);
      },
      (error: unknown) => {
        options.logger.warn({ err: error }, 'slack request could not be read');
        refuse(res, 400);
      },
    );
  };
}

function refuse(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function signatureMatches(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const actual = Buffer.from(signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

type Payload = Record<string, unknown>;

/**
 * A slash command (form fields with `command`), an interaction (form field `payload`, a JSON object with a
 * `type`), or an Events API request (a JSON object with a `type`); anything else is undefined.
 */
export function parseBody(text: string, contentType: string | undefined): Payload | undefined {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = parseQuery(text);
      if (typeof form.payload === 'string') return objectWithType(JSON.parse(form.payload));
      return typeof form.command === 'string' ? (form as Payload) : undefined;
    }
    if (contentType === 'application/json') return objectWithType(JSON.parse(text));
    return undefined;
  } catch {
    return undefined;
  }
}

function objectWithType(value: unknown): Payload | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return typeof (value as Payload).type === 'string' ? (value as Payload) : undefined;
}

/** The workspace a payload comes from, wherever its kind puts it. */
export function teamOf(body: Payload): string | undefined {
  const team = body.team;
  const user = body.user;
  const candidates = [
    body.team_id,
    typeof team === 'object' && team !== null ? (team as Payload).id : team,
    typeof user === 'object' && user !== null ? (user as Payload).team_id : undefined,
  ];
  return candidates.find((value): value is string => typeof value === 'string' && value !== '');
}
