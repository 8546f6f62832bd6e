import { abortReason, type EngineRuntime } from "./runtime";
import { createSignalFollowers } from "./signal-followers";

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
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
}

// FIFO, so a burst of lookups cannot starve the writes queued before them. Waiters on one signal share one abort
// listener: a slice queues thousands of records behind a handful of permits, each with the slice's signal.
export function createSemaphore(initial: number): Semaphore {
  const checked = (max: number) => {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a positive integer, got ${max}`);
    return max;
  };
  let max = checked(initial);
  let inUse = 0;
  // Granted from `head` on (shifting a long queue per grant would move all the rest); compacted now and then.
  let queue: Waiter[] = [];
  let head = 0;

  const waiting = () => queue.length - head;
  const grantWaiting = () => {
    while (inUse < max && head < queue.length) {
      const waiter = queue[head]!;
      head += 1;
      if (waiter.signal !== undefined) following.remove(waiter.signal, waiter);
      inUse += 1;
      waiter.grant(makeRelease());
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
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
  const following = createSignalFollowers<Waiter>((waiters, signal) => {
    queue = queue.slice(head).filter((each) => !waiters.has(each));
    head = 0;
    for (const each of waiters) each.reject(abortReason(signal));
  });

  return {
    get inUse() {
      return inUse;
    },
    get waiting() {
      return waiting();
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
        const waiter: Waiter = { grant: resolve, reject, signal };
        queue.push(waiter);
        if (signal !== undefined) following.add(signal, waiter);
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

// Even spacing rather than a bursty bucket: destinations count requests per rolling second. At high rates a few
// milliseconds' worth may go together (up to 10 ms of the rate): timers have millisecond grain and a Durable
// Object's clock stands still between I/O, so finer spacing would cost a timer per request and delay each burst
// of answers' follow-ups. A window of the last `rate` send times still keeps any rolling second within the rate.
const BURST_MS = 10;

export function createRequestPacer({ requestsPerSecond, runtime }: RequestPacerOptions): RequestPacer {
  if (!(requestsPerSecond > 0)) throw new RangeError(`requests per second must be > 0, got ${requestsPerSecond}`);
  const interval = 1000 / requestsPerSecond;
  const burst = Math.max(1, Math.floor((requestsPerSecond * BURST_MS) / 1000));
  const tolerance = (burst - 1) * interval;
  const lastSecond = burst > 1 ? new Float64Array(Math.floor(requestsPerSecond)).fill(Number.NEGATIVE_INFINITY) : null;
  let oldest = 0;
  // When the next request is due at the steady rate (a burst may run ahead of it by `tolerance`).
  let nextSlot = Number.NEGATIVE_INFINITY;
  let pausedUntil = Number.NEGATIVE_INFINITY;

  const reserve = (now: number): number => {
    let slot = Math.max(now, nextSlot - tolerance);
    if (lastSecond !== null) {
      slot = Math.max(slot, lastSecond[oldest]! + 1000);
      lastSecond[oldest] = slot;
      oldest = (oldest + 1) % lastSecond.length;
    }
    nextSlot = Math.max(nextSlot, slot) + interval;
    return slot;
  };

  return {
    pauseUntil(time) {
      pausedUntil = Math.max(pausedUntil, time);
      nextSlot = Math.max(nextSlot, time + tolerance);
    },
    async acquire(signal) {
      let waited = 0;
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        const now = runtime.now();
        const slot = reserve(now);
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
