import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../src/slack/keyed-lock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('KeyedLock', () => {
  it('runs work for one key one at a time, in order, and other keys freely', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const job = (key: string, name: string) =>
      lock.run(key, async () => {
        events.push(`${name}:start`);
        await tick();
        events.push(`${name}:end`);
        return name;
      });
    const results = await Promise.all([job('a', 'a1'), job('a', 'a2'), job('b', 'b1')]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(events.indexOf('a1:end')).toBeLessThan(events.indexOf('a2:start'));
    expect(events.indexOf('b1:start')).toBeLessThan(events.indexOf('a1:end'));
    expect(lock.size).toBe(0);
  });

  it('releases the key when the work fails', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run('a', async () => 'next')).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});
