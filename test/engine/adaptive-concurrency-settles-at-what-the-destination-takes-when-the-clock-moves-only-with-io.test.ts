import { describe, expect, it } from "vitest";
import { createAdaptiveConcurrency } from "../../worker/engine/adaptive-concurrency";
import { createHttpClient, type RequestAttempt } from "../../worker/engine/http-client";
import type { EngineRuntime } from "../../worker/engine/runtime";

// Virtual time moving as a Durable Object's clock does: only when I/O completes (a timer, an answer), never
// while code runs. Timers and answers fire in time order once every promise they let run has settled.
function ioClock() {
  let time = 1_000;
  let seq = 0;
  const timers: Array<{ at: number; seq: number; fire: () => void }> = [];
  const after = (ms: number, fire: () => void) => {
    const timer = { at: time + Math.max(0, ms), seq: (seq += 1), fire };
    timers.push(timer);
    return () => timers.splice(timers.indexOf(timer), 1);
  };
  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => time,
    after,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const cancel = after(ms, resolve);
        signal?.addEventListener("abort", () => {
          cancel();
          reject(signal.reason);
        });
      }),
    async run<T>(work: Promise<T>): Promise<T> {
      let done = false;
      work.then(
        () => (done = true),
        () => (done = true),
      );
      await settled();
      while (!done) {
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers.shift();
        if (next === undefined) throw new Error("nothing left to wait for");
        time = next.at;
        next.fire();
        await settled();
      }
      return work;
    },
  };
}

// A destination answering in 10 ms that refuses, with a 429 a millisecond later, a request arriving while it is
// answering `capacity` others (the bench's loopback fleet, bench/support/loopback-fleet.mjs).
function destinationTaking(capacity: number, clock: ReturnType<typeof ioClock>) {
  let answering = 0;
  const seen = { ok: 0, refused: 0 };
  const fetch = ((): Promise<Response> => {
    if (answering >= capacity) {
      seen.refused += 1;
      return new Promise<Response>((resolve) => clock.after(1, () => resolve(new Response("{}", { status: 429 }))));
    }
    answering += 1;
    seen.ok += 1;
    return new Promise<Response>((resolve) =>
      clock.after(10, () => {
        answering -= 1;
        resolve(new Response("{}", { status: 200 }));
      }),
    );
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

describe("the adaptive concurrency of an HTTP client whose clock moves only with I/O", () => {
  it("settles at the 3 requests the destination takes, not below, with few of them refused", async () => {
    const clock = ioClock();
    const destination = destinationTaking(3, clock);
    const runtime: EngineRuntime = { now: clock.now, sleep: clock.sleep, random: () => 0.5, fetch: destination.fetch };
    const adaptive = createAdaptiveConcurrency({ max: 6, now: clock.now() });
    const sent: RequestAttempt[] = [];
    const client = createHttpClient({
      runtime,
      limits: { requests_per_second: 1_000, concurrency: 6, timeout_ms: 10_000, retry_attempts: 5 },
      adaptive,
      onEvent: (event) => {
        if (event.type === "request") sent.push(event.entry);
      },
    });

    const writes = 1_500;
    let next = 0;
    const worker = async () => {
      while (next < writes) {
        next += 1;
        await client.request({ method: "PUT", url: `https://fleet.example/devices/${next}`, body: "{}" });
      }
    };
    await clock.run(Promise.all(Array.from({ length: 6 }, worker)));

    expect(destination.seen.ok).toBe(writes);
    // Once lowered from 6, never under 2. The permit a refused request frees goes to a waiting request before the
    // limit is lowered; sent at the same clock reading, it is refused too, which is no new pushback. Mostly at 3,
    // now and then asking for 4 again.
    const settled = sent.slice(sent.findIndex((entry) => entry.concurrency! < 6));
    expect(Math.min(...settled.map((entry) => entry.concurrency!))).toBeGreaterThanOrEqual(2);
    const mean = settled.reduce((sum, entry) => sum + entry.concurrency!, 0) / settled.length;
    expect(mean).toBeGreaterThan(2.8);
    expect(mean).toBeLessThan(3.3);
    expect(destination.seen.refused / sent.length).toBeLessThan(0.01);
  });
});
