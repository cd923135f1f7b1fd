import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { currentUser, runAsUser } from '../src/request-context.js';

describe('request context', () => {
  it('carries the user through awaits, and only inside runAsUser', async () => {
    expect(currentUser()).toBeUndefined();
    const seen = await runAsUser('U1', async () => {
      await sleep(1);
      const inner = await Promise.all([
        runAsUser('U2', async () => {
          await sleep(1);
          return currentUser();
        }),
        (async () => currentUser())(),
      ]);
      return [currentUser(), ...inner];
    });
    expect(seen).toEqual(['U1', 'U2', 'U1']);
    expect(currentUser()).toBeUndefined();
  });
});
