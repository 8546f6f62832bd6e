import { describe, expect, it } from "vitest";
import { createRateGate } from "../../../worker/alerts/rate-gate";

function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}

describe("the Slack rate gate", () => {
  it("lets the first message go at once and spaces the next ones to the same URL a second apart", async () => {
    const clock = fakeClock();
    const gate = createRateGate({ minIntervalMs: 1000, now: clock.now, sleep: clock.sleep });
    const sentAt: number[] = [];
    await Promise.all([1, 2, 3].map(() => gate.wait("https://hooks.slack.com/services/A").then(() => sentAt.push(clock.now()))));
    expect(sentAt).toEqual([1_000_000, 1_001_000, 1_002_000]);
  });

  it("does not hold back a different URL", async () => {
    const clock = fakeClock();
    const gate = createRateGate({ minIntervalMs: 1000, now: clock.now, sleep: clock.sleep });
    await gate.wait("a");
    await gate.wait("b");
    expect(clock.sleeps).toEqual([]);
  });

  it("waits only for what is left of the second", async () => {
    const clock = fakeClock();
    const gate = createRateGate({ minIntervalMs: 1000, now: clock.now, sleep: clock.sleep });
    await gate.wait("a");
    clock.advance(700);
    await gate.wait("a");
    expect(clock.sleeps).toEqual([300]);
  });
});
