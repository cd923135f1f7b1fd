/**
 * Slack's `v0` request signature, computed here independently of `src/` so a test can check the
 * simulator's (or the bot's) signing against the spec rather than against itself.
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function slackSignature(signingSecret: string, timestamp: string | number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** True when `signature` is the right `v0` signature and `timestamp` is within five minutes of `nowMs`. */
export function isValidSlackSignature(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowMs?: number;
}): boolean {
  if (input.timestamp === undefined || input.signature === undefined) return false;
  const ageSeconds = Math.abs(Math.floor((input.nowMs ?? Date.now()) / 1000) - Number(input.timestamp));
  if (!Number.isFinite(ageSeconds) || ageSeconds > 5 * 60) return false;
  const expected = Buffer.from(slackSignature(input.signingSecret, input.timestamp, input.rawBody));
  const actual = Buffer.from(input.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Headers for a signed request to a bot, for tests that post to the bot without the simulator's driver. */
export function signedHeaders(signingSecret: string, rawBody: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': slackSignature(signingSecret, timestamp, rawBody),
  };
}
