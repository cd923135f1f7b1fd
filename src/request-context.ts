/**
 * Who a piece of work is for, carried through every `await` without threading a parameter through each
 * layer: the Slack listeners run each handler inside `runAsUser`, and the Cloudflare client asks
 * `currentUser()` when it takes a budget slot, so one user's share can be counted (src/cloudflare/budget.ts).
 * Work started outside a handler (watch refreshes, an export's background pages) has no user.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface RequestContext {
  userId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Run `fn` (and everything it starts) on behalf of the Slack user `userId`. */
export function runAsUser<T>(userId: string, fn: () => T): T {
  return storage.run({ userId }, fn);
}

/** The Slack user the current work is for, or undefined outside a user's request. */
export function currentUser(): string | undefined {
  return storage.getStore()?.userId;
}
