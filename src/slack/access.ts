import type { Config } from '../config.js';
import { NotAllowedError } from '../errors.js';

export interface Actor {
  userId: string;
  channelId: string | undefined;
}

/**
 * The allow lists (docs/design.md, "Configuration"), checked on every command and every click before any Cloudflare call.
 * Anyone in a channel can click a shared card's buttons, so the clicking user is what counts, every time.
 */
export function assertAllowed(access: Config['access'], actor: Actor): void {
  if (access.allowedUsers && !access.allowedUsers.has(actor.userId)) throw new NotAllowedError('user');
  if (access.allowedChannels && (!actor.channelId || !access.allowedChannels.has(actor.channelId))) {
    throw new NotAllowedError('channel');
  }
}

/** Cancelling is a write: only `BULKJOB_WRITE_USERS` (empty = nobody). */
export function canWrite(access: Config['access'], userId: string): boolean {
  return access.writeUsers.has(userId);
}

export function assertCanWrite(access: Config['access'], actor: Actor): void {
  assertAllowed(access, actor);
  if (!canWrite(access, actor.userId)) throw new NotAllowedError('write');
}
