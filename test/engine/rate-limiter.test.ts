import { describe, expect, it } from "vitest";
import { createRequestPacer, createSemaphore } from "../../worker/engine/rate-limiter";

// A virtual clock: sleeping moves time forward at once, so pacing is checked exactly.
function makeVirtualClock() {
  let time = 0;
  return {
    now: () => time,
    sleep: async (ms: number) => {
      time += ms;
    },
  };
}

describe("request pacer", () => {
  it("spaces consecutive requests evenly", async () => {
    const clock = makeVirtualClock();
    const pacer = createRequestPacer({ requestsPerSecond: 4, runtime: clock });
    const sentAt: number[] = [];

    for (let i = 0; i < 4; i++) {
      await pacer.acquire();
      sentAt.push(clock.now());
    }

    expect(sentAt).toEqual([0, 250, 500, 750]);
  });

  it("lets 10 ms worth of a high rate go together, and never more than the rate in any rolling second", async () => {
    const clock = makeVirtualClock();
    const pacer = createRequestPacer({ requestsPerSecond: 1000, runtime: clock });
    const sentAt: number[] = [];

    for (let i = 0; i < 2500; i++) {
      await pacer.acquire();
      sentAt.push(clock.now());
    }

    expect(sentAt.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(sentAt[10]).toBeGreaterThan(0);
    for (let i = 1000; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1000]!).toBeGreaterThanOrEqual(1000);
    expect(sentAt.at(-1)).toBeLessThanOrEqual(2510);
  });

  it("sends the first request after a pause at its end, even at a rate that allows bursts", async () => {
    const clock = makeVirtualClock();
    const pacer = createRequestPacer({ requestsPerSecond: 1000, runtime: clock });
    await pacer.acquire();

    pacer.pauseUntil(500);
    await pacer.acquire();

    expect(clock.now()).toBe(500);
  });

  it("holds every caller until a rate-limit pause ends", async () => {
    const clock = makeVirtualClock();
    const pacer = createRequestPacer({ requestsPerSecond: 10, runtime: clock });
    await pacer.acquire();

    pacer.pauseUntil(2000);
    const waited = await pacer.acquire();

    expect(waited).toBe(2000);
    expect(clock.now()).toBe(2000);
  });

  it("stops waiting when canceled", async () => {
    const clock = makeVirtualClock();
    const pacer = createRequestPacer({ requestsPerSecond: 1, runtime: clock });
    const controller = new AbortController();
    controller.abort(new Error("stop"));

    await expect(pacer.acquire(controller.signal)).rejects.toThrow("stop");
  });
});

describe("semaphore", () => {
  it("admits waiters in arrival order as slots free", async () => {
    const semaphore = createSemaphore(1);
    const order: number[] = [];
    const first = await semaphore.acquire();

    const waiting = [1, 2, 3].map((n) =>
      semaphore.acquire().then((release) => {
        order.push(n);
        release();
      }),
    );
    expect(semaphore.waiting).toBe(3);
    first();
    await Promise.all(waiting);

    expect(order).toEqual([1, 2, 3]);
    expect(semaphore.inUse).toBe(0);
  });

  it("drops the waiters of an aborted signal and keeps the others in order", async () => {
    const semaphore = createSemaphore(1);
    const slice = new AbortController();
    const other = new AbortController();
    const first = await semaphore.acquire();
    const order: string[] = [];
    const wait = (name: string, signal: AbortSignal) =>
      semaphore.acquire(signal).then(
        (release) => {
          order.push(name);
          release();
        },
        (error: unknown) => order.push(`${name}: ${String(error)}`),
      );

    const waiting = [wait("a", slice.signal), wait("b", other.signal), wait("c", slice.signal), wait("d", other.signal)];
    slice.abort("canceled");
    await Promise.resolve();
    expect(semaphore.waiting).toBe(2);
    first();
    await Promise.all(waiting);

    expect(order).toEqual(["a: canceled", "c: canceled", "b", "d"]);
    expect(semaphore.inUse).toBe(0);
  });

  it("ignores a second release of the same slot", async () => {
    const semaphore = createSemaphore(2);
    const release = await semaphore.acquire();
    await semaphore.acquire();

    release();
    release();

    expect(semaphore.inUse).toBe(1);
  });
});
