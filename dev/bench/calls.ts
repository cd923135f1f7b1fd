/**
 * Counting what the bot sends to the Slack simulator, by subscribing to its `call` events: cheaper than
 * re-reading `slack.calls` (a deep copy) on every change, and it records the real arrival time of each call.
 */
import { performance } from 'node:perf_hooks';
import type { SimCall, SlackSim } from '../sim/slack.js';

export interface CallCounter {
  /** `performance.now()` at each arrival, in order. */
  readonly arrivals: readonly number[];
  /** Resolves with the arrival time of the `n`th call; rejects after `timeoutMs`. */
  until(n: number, timeoutMs: number): Promise<number>;
  stop(): void;
}

/** Count the calls of `method` (`response_url`, `chat.update`, …) from now on. */
export function countCalls(slack: SlackSim, method: string): CallCounter {
  const arrivals: number[] = [];
  const waiters = new Set<() => void>();
  const onCall = (call: SimCall) => {
    if (call.method !== method) return;
    arrivals.push(performance.now());
    for (const wake of waiters) wake();
  };
  slack.events.on('call', onCall);
  return {
    arrivals,
    until(n, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (arrivals.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(arrivals[n - 1]!);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${method}: ${arrivals.length} of ${n} calls within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop() {
      slack.events.off('call', onCall);
    },
  };
}
