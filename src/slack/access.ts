import type { Config } from '../config.js';
import { NotAllowedError } from '../errors.js';
import { mayCancel } from '../rules.js';

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

/** The Home tab belongs to no channel: only the user list applies. */
export function assertUserAllowed(access: Config['access'], userId: string): void {
  if (access.allowedUsers && !access.allowedUsers.has(userId)) throw new NotAllowedError('user');
}

/** Before a cancel: the clicking user must be allowed and may cancel (src/rules.ts). */
export function assertMayCancel(access: Config['access'], actor: Actor): void {
  assertAllowed(access, actor);
  if (!mayCancel(access, actor.userId)) throw new NotAllowedError('write');
}
