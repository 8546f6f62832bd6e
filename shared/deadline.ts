// A time limit for outbound work whose far side may never answer. shared/ imports nothing, so every layer may load it.

/**
 * Runs `work` with a signal that aborts after `ms`, and rejects with `onTimeout()` then, even when the work ignores
 * the signal (a body that trickles in below every size limit): a caller never waits longer than `ms`.
 */
export async function withDeadline<T>(ms: number, onTimeout: () => Error, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = onTimeout();
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
