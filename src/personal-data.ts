/**
 * What counts as an e-mail address, for masking on channel cards and scrubbing from logs: one pattern for
 * both, so the two can never disagree. Loose on purpose, since over-masking costs nothing and a missed
 * recipient address is a leak:
 * - the local part is anything up to the at-sign that is not a space or a delimiter, or a quoted string
 *   (`"John Doe"@corp.example`);
 * - the at-sign may be `@` or one of its Unicode lookalikes (full-width `＠`, small `﹫`);
 * - the domain is one label or more (`bob@localhost`), Unicode letters and digits (`bob@bücher.de`), with
 *   dots that may be full-width or ideographic (`．`, `。`);
 * - invisible characters (zero-width spaces and joiners, soft hyphens, bidi controls) may sit anywhere in
 *   it, and do not break the match.
 */
/**
 * Characters that show as nothing, as a regular-expression class body: soft hyphen, Mongolian vowel
 * separator, zero-width spaces and joiners, LRM/RLM, bidi embeddings and isolates, word joiner and
 * invisible operators, BOM. Masking lets them sit inside an address; command parsing reads them as spaces.
 */
export const INVISIBLE = '\\u00ad\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff';
const AT_SIGNS = '@\\uff20\\ufe6b';
const QUOTED_LOCAL = `"(?:[^"\\\\\\r\\n]|\\\\.){1,128}"`;
// Every repetition is bounded (RFC 5321: a local part of 64, labels of 63, a domain of 255), so a long run
// of text without an at-sign costs a bounded look from each position, never a quadratic scan.
const PLAIN_LOCAL = `[^\\s<>()[\\]"',;:|\`${AT_SIGNS}]{1,128}`;
const LABEL = `[\\p{L}\\p{N}\\p{M}${INVISIBLE}-]{1,96}`;
const GAP = `[${INVISIBLE}]{0,8}`;
const DOT = `${GAP}[.\\uff0e\\u3002]${GAP}`;

export const EMAIL_PATTERN = new RegExp(
  `(?:${QUOTED_LOCAL}|${PLAIN_LOCAL})${GAP}[${AT_SIGNS}]${GAP}${LABEL}(?:${DOT}${LABEL}){0,24}`,
  'gu',
);
const HAS_AT_SIGN = new RegExp(`[${AT_SIGNS}]`, 'u');

/** Replace every address in `text` with `replacement`. */
export function replaceEmails(text: string, replacement: string): string {
  // Most text has no at-sign at all: no address, and no regular expression to run.
  return HAS_AT_SIGN.test(text) ? text.replace(EMAIL_PATTERN, replacement) : text;
}

/**
 * Replace anything email-shaped with `[address]`. Used on every upstream string that can reach a channel or
 * an error line: recipient addresses are personal data, and a `status_message` could quote one.
 */
export function maskEmails(text: string): string {
  return replaceEmails(text, '[address]');
}
