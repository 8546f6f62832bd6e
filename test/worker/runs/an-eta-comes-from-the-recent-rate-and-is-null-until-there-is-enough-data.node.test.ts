import { describe, expect, it } from "vitest";
import { addSample, etaOf, jobRemainingMs, recentRate, runRemainingMs, type ProgressSample } from "../../../worker/runs/eta";

const T0 = Date.UTC(2026, 11, 6, 4, 0, 0);

// Samples as the coordinator records them: one per checkpoint, `perSecond` records a second, from `from` ms.
function steady(perSecond: number, seconds: number, from = T0, startCount = 0): ProgressSample[] {
  let samples: ProgressSample[] = [];
  for (let s = 0; s <= seconds; s++) samples = addSample(samples, { at: from + s * 1_000, processed: startCount + s * perSecond });
  return samples;
}

describe("a job's ETA", () => {
  it("is the remaining records over the measured rate", () => {
    const samples = steady(10, 30);
    const now = T0 + 30_000;
    const rate = recentRate(samples, now);
    expect(rate).toBeCloseTo(0.01, 10);
    // 1,000 in scope, 300 done, 10 a second: 70 s left.
    expect(jobRemainingMs({ in_scope: 1_000, processed: 300 }, rate)).toBe(70_000);
    expect(etaOf(70_000, now)).toEqual({ remaining_ms: 70_000, finish_at: now + 70_000 });
  });

  it("is null until five seconds and twenty records of progress were seen", () => {
    expect(recentRate([], T0)).toBeNull();
    expect(recentRate(steady(10, 4), T0 + 4_000)).toBeNull();
    expect(recentRate(steady(3, 6), T0 + 6_000)).toBeNull();
    expect(recentRate(steady(4, 5), T0 + 5_000)).toBeCloseTo(0.004, 10);
  });

  it("is null while the scope is unknown", () => {
    expect(jobRemainingMs({ in_scope: null, processed: 300 }, 0.01)).toBeNull();
  });

  it("follows the last minute's rate, not the average since the start", () => {
    // Two minutes at 10 a second, then one at 2 a second.
    let samples = steady(10, 120);
    for (let s = 1; s <= 60; s++) samples = addSample(samples, { at: T0 + (120 + s) * 1_000, processed: 1_200 + s * 2 });
    const now = T0 + 180_000;
    expect(recentRate(samples, now)).toBeCloseTo(0.002, 4);
    expect(samples.length).toBeLessThanOrEqual(64);
  });

  it("slows down while no record moves and is null after a minute without progress", () => {
    const samples = steady(10, 30);
    expect(recentRate(samples, T0 + 60_000)).toBeCloseTo(300 / 60_000, 10);
    expect(recentRate(samples, T0 + 91_000)).toBeNull();
  });

  it("starts over when the count goes down (the job restarted from a checkpoint)", () => {
    const before = steady(10, 30);
    const after = addSample(before, { at: T0 + 31_000, processed: 100 });
    expect(after).toEqual([{ at: T0 + 31_000, processed: 100 }]);
    expect(recentRate(after, T0 + 32_000)).toBeNull();
  });

  it("is never negative when more were processed than the scope said", () => {
    expect(jobRemainingMs({ in_scope: 100, processed: 120 }, 0.01)).toBe(0);
  });
});

describe("a run's ETA", () => {
  const rate = 0.01;

  it("adds the queued jobs: by their scope at the running job's rate, else their connection's last duration", () => {
    const remaining = runRemainingMs(
      { in_scope: 1_000, processed: 500 },
      [
        { in_scope: 200, typical_ms: null },
        { in_scope: null, typical_ms: 45_000 },
      ],
      rate,
    );
    expect(remaining).toBe(50_000 + 20_000 + 45_000);
  });

  it("is null when a queued job has neither a scope nor a history", () => {
    expect(runRemainingMs({ in_scope: 1_000, processed: 500 }, [{ in_scope: null, typical_ms: null }], rate)).toBeNull();
  });

  it("is null between jobs and before the running job's rate is known", () => {
    expect(runRemainingMs(null, [], rate)).toBeNull();
    expect(runRemainingMs({ in_scope: 1_000, processed: 5 }, [], null)).toBeNull();
  });
});
