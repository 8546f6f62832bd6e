import { abortReason, type EngineRuntime } from "./runtime";

export type Release = () => void;

export interface Semaphore {
  acquire(signal?: AbortSignal): Promise<Release>;
  readonly inUse: number;
  readonly waiting: number;
  // Lowered, holders keep their permits and no one new gets one until in use is below the new limit.
  limit: number;
}

interface Waiter {
  grant(release: Release): void;
}

// FIFO, so a burst of lookups cannot starve the writes queued before them.
export function createSemaphore(initial: number): Semaphore {
  const checked = (max: number) => {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a positive integer, got ${max}`);
    return max;
  };
  let max = checked(initial);
  let inUse = 0;
  const queue: Waiter[] = [];

  const grantWaiting = () => {
    while (inUse < max && queue.length > 0) {
      inUse += 1;
      queue.shift()!.grant(makeRelease());
    }
  };
  const makeRelease = (): Release => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inUse -= 1;
      grantWaiting();
    };
  };

  return {
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.length;
    },
    get limit() {
      return max;
    },
    set limit(value) {
      max = checked(value);
      grantWaiting();
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      if (inUse < max) {
        inUse += 1;
        return Promise.resolve(makeRelease());
      }
      return new Promise<Release>((resolve, reject) => {
        const onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(abortReason(signal as AbortSignal));
        };
        const waiter: Waiter = {
          grant(release) {
            signal?.removeEventListener("abort", onAbort);
            resolve(release);
          },
        };
        queue.push(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}

export interface RequestPacer {
  // Resolves when the caller may send; returns the milliseconds it waited.
  acquire(signal?: AbortSignal): Promise<number>;
  // Holds every caller until `time` (a 429 applies to the whole connection, not one request).
  pauseUntil(time: number): void;
}

export interface RequestPacerOptions {
  requestsPerSecond: number;
  runtime: Pick<EngineRuntime, "now" | "sleep">;
}

// Even spacing rather than a bursty bucket: destinations count requests per rolling second.
export function createRequestPacer({ requestsPerSecond, runtime }: RequestPacerOptions): RequestPacer {
  if (!(requestsPerSecond > 0)) throw new RangeError(`requests per second must be > 0, got ${requestsPerSecond}`);
  const interval = 1000 / requestsPerSecond;
  let nextSlot = Number.NEGATIVE_INFINITY;
  let pausedUntil = Number.NEGATIVE_INFINITY;

  return {
    pauseUntil(time) {
      pausedUntil = Math.max(pausedUntil, time);
      nextSlot = Math.max(nextSlot, time);
    },
    async acquire(signal) {
      let waited = 0;
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        const now = runtime.now();
        const slot = Math.max(now, nextSlot);
        nextSlot = slot + interval;
        if (slot > now) {
          await runtime.sleep(slot - now, signal);
          waited += slot - now;
        }
        // A pause that began while this caller slept sends it back to the queue behind the pause.
        if (slot >= pausedUntil) return waited;
      }
    },
  };
}
