import { describe, expect, it } from "vitest";
import { EngineError } from "../../../worker/engine/errors";
import { cursorAdvance, decideRunFinish, jobEnding, nextCursor, stoppingJob } from "../../../worker/runs/run-finish";
import { makeCheckpoint, makeConfig } from "./job-factories";

const AT = 50_000;
const failure = { code: "unexpected_status", http_status: 500, message: "The destination answered 500", hint: "Try again later" };
const stops = makeConfig("dataset", (c) => void (c.limits.stop_on_failure = true));

describe("a job's ending", () => {
  it("is a cancel for a canceled request, and a failure with the engine's error otherwise", () => {
    expect(jobEnding(new EngineError({ code: "canceled", message: "the run was canceled" }))).toBe("canceled");
    expect(jobEnding(new EngineError({ code: "timeout", message: "No answer in 30 s", hint: "Raise the timeout" }))).toMatchObject({
      code: "timeout",
      hint: "Raise the timeout",
    });
  });

  it("is not decided for a fault of the step itself, which is thrown on", () => {
    const fault = new Error("D1 is unavailable");
    expect(() => jobEnding(fault)).toThrow(fault);
  });
});

describe("the cursor a job leaves", () => {
  it("is the latest updated-at it saw, never behind the one it started from", () => {
    expect(nextCursor({ cursor: null, max_seen_ms: Date.parse("2026-11-02T00:00:00Z") })).toBe("2026-11-02T00:00:00.000Z");
    expect(nextCursor({ cursor: "2026-11-05T00:00:00.000Z", max_seen_ms: Date.parse("2026-11-02T00:00:00Z") })).toBe("2026-11-05T00:00:00.000Z");
    expect(nextCursor({ cursor: "2026-11-05T00:00:00.000Z", max_seen_ms: null })).toBe("2026-11-05T00:00:00.000Z");
  });

  it("moves only after a completed live full run", () => {
    const progress = { cursor: null, max_seen_ms: Date.parse("2026-11-02T00:00:00Z") };
    expect(cursorAdvance({ status: "completed" }, { type: "full" }, "live", progress)).toEqual({ cursor: "2026-11-02T00:00:00.000Z" });
    expect(cursorAdvance({ status: "completed" }, { type: "full" }, "dry", progress)).toBeNull();
    expect(cursorAdvance({ status: "completed" }, { type: "single" }, "live", progress)).toBeNull();
    expect(cursorAdvance({ status: "failed" }, { type: "full" }, "live", progress)).toBeNull();
  });
});

describe("a run's finish", () => {
  it("is completed when every job completed", () => {
    const end = decideRunFinish([makeCheckpoint({ status: "completed" }), makeCheckpoint({ status: "completed" })], "done", null, AT);
    expect(end).toMatchObject({ status: "completed", succeeded: 2, failed: 0, errorSummary: null });
    expect(end.jobs.every((j) => j.canceled === null)).toBe(true);
  });

  it("is failed when a job failed, summarised by the first failure", () => {
    const failed = makeCheckpoint({ status: "failed", name: "Fleet API", progress: { finish: { status: "failed", at: 1, error: failure, ran: true } } });
    const end = decideRunFinish([makeCheckpoint({ status: "completed" }), failed], "done", null, AT);
    expect(end).toMatchObject({ status: "failed", succeeded: 1, failed: 1, errorSummary: "Fleet API: The destination answered 500" });
  });

  it("cancels the running and pending jobs on a cancel, keeping what finished", () => {
    const jobs = [makeCheckpoint({ status: "completed" }), makeCheckpoint({ status: "running" }), makeCheckpoint({ status: "pending" })];
    const end = decideRunFinish(jobs, "cancel", null, AT);
    expect(end).toMatchObject({ status: "canceled", succeeded: 1, failed: 0, errorSummary: "Canceled" });
    expect(end.jobs.map((j) => [j.status, j.canceled])).toEqual([
      ["completed", null],
      ["canceled", { ran: true, error: null }],
      ["canceled", { ran: false, error: null }],
    ]);
    expect(end.jobs[1]!.progress).toMatchObject({ phase: "done", finish: { status: "canceled", at: AT, error: null, ran: true } });
  });

  it("is failed, not canceled, when a stop-on-failure job stops it, and says why the rest did not run", () => {
    const stopper = makeCheckpoint({
      status: "failed",
      name: "Fleet API",
      progress: { config: stops, finish: { status: "failed", at: 1, error: failure, ran: true } },
    });
    const jobs = [stopper, makeCheckpoint({ status: "pending" })];
    expect(stoppingJob(jobs)).toBe(stopper);
    const end = decideRunFinish(jobs, "stop", null, AT);
    expect(end.status).toBe("failed");
    expect(end.jobs[1]!.canceled).toEqual({
      ran: false,
      error: {
        code: "stopped_by_failure",
        http_status: null,
        message: 'Not run: "Fleet API" failed and its connection stops the run on failure',
        hint: "Fix the failed connection, then rerun the failed connections",
      },
    });
  });

  it("keeps a status decided before a crash", () => {
    const end = decideRunFinish(
      [makeCheckpoint({ status: "completed" }), makeCheckpoint({ status: "running" })],
      "done",
      { status: "canceled", at: 7, committed: false },
      AT,
    );
    expect(end.status).toBe("canceled");
  });
});
