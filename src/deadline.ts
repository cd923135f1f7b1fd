/**
 * The one deadline helper: wait for `work`, but never longer than `ms`. Used wherever a stop or a drain must
 * finish inside a bound whatever the work does (the work itself is not cancelled; pass it a signal for that).
 */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** Resolves with `work`'s value, or with `TIMED_OUT` after `ms`; rejects only if `work` rejects in time. */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    // A pending deadline must not keep a stopping process alive.
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
