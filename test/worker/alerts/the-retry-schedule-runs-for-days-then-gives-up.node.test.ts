import { describe, expect, it } from "vitest";
import { DISABLE_AFTER_FAILING_MS, MAX_ATTEMPTS, RETRY_DELAYS_MS, nextStep, type AttemptOutcome } from "../../../worker/alerts/retry-schedule";

const failure: AttemptOutcome = { statusCode: 503, error: null, retryAfterMs: null };
const START = Date.UTC(2026, 3, 6, 8, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe("the retry schedule", () => {
  it("is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h", () => {
    expect(RETRY_DELAYS_MS).toEqual([0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR]);
    expect(MAX_ATTEMPTS).toBe(10);
  });

  it("schedules each retry after the previous attempt and fails the delivery after the tenth", () => {
    let now = START;
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const step = nextStep({ outcome: failure, cycleAttempts: attempt, now, channelFailingSince: START });
      if (attempt < MAX_ATTEMPTS) {
        expect(step.status).toBe("pending");
        if (step.status !== "pending") return;
        gaps.push(step.nextAttemptAt - now);
        now = step.nextAttemptAt;
      } else {
        expect(step).toMatchObject({ status: "failed" });
      }
    }
    expect(gaps).toEqual(RETRY_DELAYS_MS.slice(1));
    // The tenth attempt comes about three days (75 h 35 min 5 s) after the first.
    expect(now - START).toBe(75 * HOUR + 35 * MINUTE + 5 * SECOND);
  });

  it("disables a channel that has failed without a success for three days once a delivery runs out", () => {
    const now = START + DISABLE_AFTER_FAILING_MS + HOUR;
    const step = nextStep({ outcome: failure, cycleAttempts: MAX_ATTEMPTS, now, channelFailingSince: START });
    expect(step.status).toBe("failed");
    expect(step.status === "failed" && step.disableReason).toMatch(/^Every delivery has failed since 2026-04-06T08:00:00.000Z \(3 days\); last: HTTP 503\./);
  });

  it("does not disable a channel that succeeded recently, even when one delivery runs out", () => {
    const now = START + DISABLE_AFTER_FAILING_MS;
    expect(nextStep({ outcome: failure, cycleAttempts: MAX_ATTEMPTS, now, channelFailingSince: now - HOUR })).toEqual({
      status: "failed",
      disableReason: null,
    });
  });

  it("fails at once and disables on 410 Gone", () => {
    const step = nextStep({ outcome: { statusCode: 410, error: null, retryAfterMs: null }, cycleAttempts: 1, now: START, channelFailingSince: null });
    expect(step.status === "failed" && step.disableReason).toContain("410 Gone");
  });

  it("waits at least as long as Retry-After asks", () => {
    const step = nextStep({ outcome: { statusCode: 429, error: null, retryAfterMs: 60_000 }, cycleAttempts: 1, now: START, channelFailingSince: null });
    expect(step).toEqual({ status: "pending", nextAttemptAt: START + 60_000 });
  });

  it("counts an email without error as delivered and any error as a retry", () => {
    expect(nextStep({ outcome: { statusCode: null, error: null, retryAfterMs: null }, cycleAttempts: 1, now: START, channelFailingSince: null })).toEqual({
      status: "succeeded",
    });
    expect(
      nextStep({ outcome: { statusCode: null, error: "Email not sent", retryAfterMs: null }, cycleAttempts: 1, now: START, channelFailingSince: null }).status,
    ).toBe("pending");
  });
});
