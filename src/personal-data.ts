/**
 * What counts as an e-mail address, for masking on channel cards and scrubbing from logs: one pattern for
 * both, so the two can never disagree. Unicode-aware (`bob@bücher.de`, `josé@example.com`), and loose on
 * the local part, since over-masking costs nothing and a missed recipient address is a leak.
 */
export const EMAIL_PATTERN = /[^\s<>()[\]"',;:@|`]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

/** Replace every address in `text` with `replacement`. */
export function replaceEmails(text: string, replacement: string): string {
  return text.replace(EMAIL_PATTERN, replacement);
}

/**
 * Replace anything email-shaped with `[address]`. Used on every upstream string that can reach a channel or
 * an error line: recipient addresses are personal data, and a `status_message` could quote one.
 */
export function maskEmails(text: string): string {
  return replaceEmails(text, '[address]');
}
