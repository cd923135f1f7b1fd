/**
 * Cloudflare's own word on the account's quota, read from every REST answer
 * (https://developers.cloudflare.com/fundamentals/api/reference/limits/): `Ratelimit: "default";r=50;t=30`
 * (r requests left, t seconds until the window resets) and `Ratelimit-Policy: "default";q=1200;w=300`
 * (q requests per w seconds), in the structured-field list syntax of the IETF RateLimit headers draft
 * (https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/). The account's 1,200 requests
 * per 5 minutes are shared with the dashboard and every other tool, so this is the only count that is the
 * whole story.
 *
 * Pure and total: junk is ignored item by item, nothing here throws.
 */

/** What one answer said about the account's quota. */
export interface RateLimitObservation {
  /** Requests left in Cloudflare's current window. */
  remaining: number;
  /** Seconds until that window resets. */
  resetSeconds: number;
  /** The policy's quota (q) for that window, when the answer named it. */
  quota?: number;
  /** The policy's window in seconds (w), when the answer named it. */
  windowSeconds?: number;
}

/** Larger numbers are not a quota but garbage: ignore them rather than trust them. */
const MAX_COUNT = 1_000_000;
/** Cloudflare's windows are minutes long; a day is far past anything real. */
const MAX_SECONDS = 86_400;

type Header = string | string[] | undefined;

interface Item {
  name: string;
  params: Map<string, number>;
}

/**
 * The most constraining limit of the two headers: the `Ratelimit` item with the fewest requests left (on a
 * tie, the longer wait), with the quota of the `Ratelimit-Policy` item of the same name, or else the
 * smallest quota named. Undefined when no item carries a usable `r` and `t`.
 */
export function parseRateLimitHeaders(ratelimit: Header, policy: Header): RateLimitObservation | undefined {
  let best: { item: Item; remaining: number; reset: number } | undefined;
  for (const item of parseList(ratelimit)) {
    const remaining = item.params.get('r');
    const reset = item.params.get('t');
    if (remaining === undefined || reset === undefined || remaining > MAX_COUNT || reset > MAX_SECONDS) continue;
    if (!best || remaining < best.remaining || (remaining === best.remaining && reset > best.reset)) {
      best = { item, remaining, reset };
    }
  }
  if (!best) return undefined;
  const policies = parseList(policy).filter((p) => {
    const q = p.params.get('q');
    const w = p.params.get('w');
    return q !== undefined && q > 0 && q <= MAX_COUNT && (w === undefined || (w > 0 && w <= MAX_SECONDS));
  });
  const named = policies.find((p) => p.name === best.item.name);
  const chosen = named ?? policies.sort((a, b) => (a.params.get('q') ?? 0) - (b.params.get('q') ?? 0))[0];
  const observation: RateLimitObservation = { remaining: best.remaining, resetSeconds: best.reset };
  const quota = chosen?.params.get('q');
  const windowSeconds = chosen?.params.get('w');
  if (quota !== undefined) observation.quota = quota;
  if (windowSeconds !== undefined) observation.windowSeconds = windowSeconds;
  return observation;
}

/**
 * A structured-field list, leniently: members split on commas outside quotes, each `name;key=value;…` with
 * the name a token or a quoted string. Only non-negative integer parameters are kept; anything else in a
 * member is skipped, and a member without a name is dropped.
 */
function parseList(header: Header): Item[] {
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (typeof raw !== 'string' || raw.length > 4096) return [];
  const items: Item[] = [];
  for (const member of splitOutsideQuotes(raw, ',')) {
    const [head, ...rest] = splitOutsideQuotes(member, ';');
    const name = parseName(head ?? '');
    if (name === undefined) continue;
    const params = new Map<string, number>();
    for (const part of rest) {
      const match = /^\s*([a-z*][a-z0-9_.*-]*)\s*=\s*(\d{1,15})\s*$/.exec(part);
      if (match?.[1] && match[2] && !params.has(match[1])) params.set(match[1], Number(match[2]));
    }
    items.push({ name, params });
  }
  return items;
}

function parseName(text: string): string | undefined {
  const trimmed = text.trim();
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(trimmed);
  if (quoted) return (quoted[1] ?? '').replace(/\\(.)/g, '$1');
  return /^[A-Za-z*][A-Za-z0-9_.:%*/!#$&'+^`|~-]*$/.test(trimmed) ? trimmed : undefined;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] as string);
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}
