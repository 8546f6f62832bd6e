import { describe, expect, it } from "vitest";
import {
  CEILING_WINDOWS,
  CEILING_WINDOWS_MAX,
  HEALTHY_WINDOW_MIN,
  LATENCY_SAMPLES,
  LOG_INTERVAL_MS,
  createAdaptiveConcurrency,
  type AdaptiveConcurrency,
  type ConcurrencySignal,
} from "../../worker/engine/adaptive-concurrency";

// A scripted destination: each answer is sent at the controller's clock and answered durationMs later. settle()
// answers the requests let through before the last lowering, which say nothing about the new limit.
function scripted(max: number) {
  let clock = 1_000;
  const controller = createAdaptiveConcurrency({ max, now: clock });
  const limits: number[] = [];
  const answer = (answer: Partial<ConcurrencySignal> = {}) => {
    const sentAt = clock;
    const durationMs = answer.durationMs ?? 20;
    clock += durationMs;
    const changed = controller.observe({ status: 200, timedOut: false, sentAt, durationMs, at: clock, ...answer });
    if (changed !== null) limits.push(changed);
    return changed;
  };
  const healthy = (n: number) => {
    for (let i = 0; i < n; i += 1) answer();
  };
  const settle = () => healthy(controller.state().settling);
  return { controller, limits, answer, healthy, settle, tick: (ms: number) => (clock += ms), now: () => clock };
}

describe("the adaptive concurrency", () => {
  it("starts at the connection's concurrency and halves on a 429, down to 1 and never below", () => {
    const { controller, limits, answer, healthy, settle } = scripted(6);
    expect(controller.limit).toBe(6);
    answer({ status: 429 });
    settle();
    answer({ status: 429 });
    settle();
    answer({ status: 503 });
    settle();
    answer({ status: 429 });
    expect(limits).toEqual([3, 2, 1]);
    expect(controller.limit).toBe(1);
    // Refused at 2, then even alone: growing into 2 again waits twice CEILING_WINDOWS windows.
    healthy(HEALTHY_WINDOW_MIN * CEILING_WINDOWS * 2 - 1);
    expect(controller.limit).toBe(1);
    healthy(1);
    expect(controller.limit).toBe(2);
  });

  it("halves once for a burst of 429s to requests sent before the first one was answered", () => {
    const { controller, answer, now } = scripted(6);
    const sentTogether = now();
    answer({ status: 429, sentAt: sentTogether });
    for (let i = 0; i < 5; i += 1) expect(answer({ status: 429, sentAt: sentTogether })).toBeNull();
    expect(controller.limit).toBe(3);
  });

  it("lowers once for the requests let through before a lowering, though the clock stood still since", () => {
    // A Durable Object's clock moves only with I/O: the request given the permit the 429 freed was sent at the
    // very time the limit was lowered, and the destination, still answering the others, refused it too.
    const { controller, limits, answer } = scripted(6);
    answer({ status: 429, durationMs: 0 });
    for (let i = 0; i < 6; i += 1) expect(answer({ status: 429, durationMs: 0 })).toBeNull();
    expect(controller.limit).toBe(3);
    // Past them, a refusal is the destination's answer to the new limit.
    answer({ status: 429, durationMs: 0 });
    expect(limits).toEqual([3, 2]);
  });

  it("waits twice as long before asking again for a limit refused again, up to CEILING_WINDOWS_MAX windows", () => {
    const { controller, answer, healthy, settle } = scripted(6);
    answer({ status: 429 }); // 6 → 3
    settle();
    healthy(HEALTHY_WINDOW_MIN);
    expect(controller.limit).toBe(4);
    const waits: number[] = [];
    for (let refusals = 1; refusals <= 5; refusals += 1) {
      answer({ status: 429 }); // 4 → 2, refused at 4 once more
      settle();
      healthy(HEALTHY_WINDOW_MIN);
      expect(controller.limit).toBe(3);
      let answers = 0;
      while (controller.limit === 3) {
        answer();
        answers += 1;
      }
      waits.push(answers / HEALTHY_WINDOW_MIN);
    }
    expect(waits).toEqual([CEILING_WINDOWS, CEILING_WINDOWS * 2, CEILING_WINDOWS * 4, CEILING_WINDOWS_MAX, CEILING_WINDOWS_MAX]);
    // Taken this time: past it, growing and refusing start afresh.
    healthy(HEALTHY_WINDOW_MIN);
    expect(controller.limit).toBe(5);
    answer({ status: 429 }); // 5 → 3
    settle();
    healthy(HEALTHY_WINDOW_MIN);
    expect(controller.limit).toBe(4);
    healthy(HEALTHY_WINDOW_MIN * CEILING_WINDOWS);
    expect(controller.limit).toBe(5);
  });

  it("grows by one after a window of healthy answers, never above the connection's concurrency", () => {
    const { controller, limits, answer, healthy, settle } = scripted(4);
    answer({ status: 503 });
    settle();
    answer({ status: 503 });
    settle();
    expect(controller.limit).toBe(1);
    // 2 is where the destination last said no: growing into it takes CEILING_WINDOWS windows, past it one each.
    healthy(HEALTHY_WINDOW_MIN * CEILING_WINDOWS - 1);
    expect(controller.limit).toBe(1);
    healthy(1);
    expect(controller.limit).toBe(2);
    healthy(HEALTHY_WINDOW_MIN - 1);
    expect(controller.limit).toBe(2);
    healthy(1);
    expect(controller.limit).toBe(3);
    healthy(HEALTHY_WINDOW_MIN * 10);
    expect(limits).toEqual([2, 1, 2, 3, 4]);
    expect(controller.limit).toBe(4);
  });

  it("waits longer before growing into the limit the destination last refused", () => {
    const { controller, answer, healthy, settle } = scripted(6);
    answer({ status: 429 }); // 6 → 3, and 6 is where the destination said no
    settle();
    healthy(HEALTHY_WINDOW_MIN * 2);
    expect(controller.limit).toBe(5);
    healthy(HEALTHY_WINDOW_MIN * CEILING_WINDOWS - 1);
    expect(controller.limit).toBe(5);
    healthy(1);
    expect(controller.limit).toBe(6);
  });

  it("halves when answers slow well past the usual latency, and not for a little jitter", () => {
    const { controller, answer, healthy } = scripted(6);
    healthy(LATENCY_SAMPLES * 3);
    // Jitter, and stalls of the caller's own that add a little to a few answers, are not congestion.
    for (let i = 0; i < 60; i += 1) answer({ durationMs: i % 10 === 0 ? 150 : 20 + (i % 3) * 10 });
    expect(controller.limit).toBe(6);
    for (let i = 0; i < 30 && controller.limit === 6; i += 1) answer({ durationMs: 600 });
    expect(controller.limit).toBe(3);
  });

  it("halves on a timeout and ignores a 500, which says nothing about load", () => {
    const { controller, answer } = scripted(6);
    answer({ status: 500 });
    expect(controller.limit).toBe(6);
    answer({ status: null, timedOut: true, durationMs: 10_000 });
    expect(controller.limit).toBe(3);
  });

  it("resumes a state saved before it counted the requests let through or the refusals in a row", () => {
    const { controller, answer, settle } = scripted(6);
    answer({ status: 429 }); // 6 → 3, refused at 6
    settle();
    const { settling: _settling, ceiling_refusals: _refusals, ...saved } = controller.state();
    const resumed = createAdaptiveConcurrency({ max: 6, now: 0, state: saved as ReturnType<typeof controller.state> });
    const limits: number[] = [];
    let clock = 1_000_000;
    for (let i = 0; i < HEALTHY_WINDOW_MIN * (2 + CEILING_WINDOWS); i += 1) {
      const changed = resumed.observe({ status: 200, timedOut: false, sentAt: clock, durationMs: 20, at: (clock += 20) });
      if (changed !== null) limits.push(changed);
    }
    // Growing into 6, where the destination said no, still took CEILING_WINDOWS windows.
    expect(limits).toEqual([4, 5, 6]);
    expect(resumed.state()).toMatchObject({ limit: 6, ceiling: 6, ceiling_refusals: 1, settling: 0 });
  });

  it("never exceeds a connection concurrency lowered since its state was saved", () => {
    const { controller } = scripted(6);
    const resumed = createAdaptiveConcurrency({ max: 2, now: 0, state: controller.state() });
    expect(resumed.limit).toBe(2);
  });
});

describe("the adaptive concurrency's log notes", () => {
  const note = (controller: AdaptiveConcurrency, now: number) => controller.takeNote(now);

  it("tell a change at once, then at most one line per interval summing up what happened meanwhile", () => {
    const { controller, answer, healthy, settle, tick, now } = scripted(6);
    expect(note(controller, now())).toBeNull();
    answer({ status: 429 });
    expect(note(controller, now())).toMatchObject({ level: "WARN", from: 6, to: 3, max: 6, pushback: "rate_limited" });
    settle();
    answer({ status: 429 });
    settle();
    healthy(HEALTHY_WINDOW_MIN);
    expect(controller.limit).toBe(2);
    expect(note(controller, now())).toBeNull();
    tick(LOG_INTERVAL_MS);
    expect(note(controller, now())).toMatchObject({ level: "WARN", from: 3, to: 2, lowest: 2, pushback: "rate_limited" });
    expect(note(controller, now())).toBeNull();
    healthy(HEALTHY_WINDOW_MIN * CEILING_WINDOWS);
    tick(LOG_INTERVAL_MS);
    expect(note(controller, now())).toMatchObject({ level: "INFO", from: 2, to: 4, pushback: null });
  });

  it("carry the latency that made it slow", () => {
    const { controller, answer, healthy, now } = scripted(6);
    healthy(LATENCY_SAMPLES * 3);
    for (let i = 0; i < 30 && controller.limit === 6; i += 1) answer({ durationMs: 600 });
    const told = note(controller, now());
    expect(told).toMatchObject({ level: "WARN", to: 3, pushback: "slow" });
    expect(told!.slow_ms! - told!.usual_ms!).toBeGreaterThan(250);
    expect(told!.usual_ms).toBeLessThan(100);
    expect(controller.state().slow_ms).toBeNull();
  });
});
