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

  it("ignores a second release of the same slot", async () => {
    const semaphore = createSemaphore(2);
    const release = await semaphore.acquire();
    await semaphore.acquire();

    release();
    release();

    expect(semaphore.inUse).toBe(1);
  });
});
