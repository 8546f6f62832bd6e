import { describe, expect, it } from "vitest";
import { counterCells, countersOf, jobProgress, runProgress, writtenCount } from "../../../web/src/lib/progress";
import { makeJob, makeUnchangedJob } from "../factories";

describe("progress of one connection", () => {
  it("reads X of N in scope with the bar at processed / in scope", () => {
    const progress = jobProgress(makeJob({ processed: 125, in_scope: 500 }));

    expect(progress.label).toBe("125 of 500 in scope");
    expect(progress.fraction).toBe(0.25);
  });

  it("is indeterminate while the scope is still being counted", () => {
    const progress = jobProgress(makeJob({ status: "running", processed: 0, in_scope: null }));

    expect(progress.fraction).toBeNull();
    expect(progress.label).toBe("0 processed, scope not counted yet");
  });

  it("fills the bar for a finished job with nothing in scope, and never past full", () => {
    expect(jobProgress(makeJob({ status: "completed", processed: 0, in_scope: 0 })).fraction).toBe(1);
    expect(jobProgress(makeJob({ status: "running", processed: 0, in_scope: 0 })).fraction).toBe(0);
    expect(jobProgress(makeJob({ processed: 12, in_scope: 10 })).fraction).toBe(1);
  });

  it("reads 1 of 1 for a single run", () => {
    expect(jobProgress(makeJob({ status: "completed", processed: 1, in_scope: 1 })).label).toBe("1 of 1 in scope");
  });

  // "0 of 0" alone reads like an empty source.
  it("says an incremental job with nothing in scope found nothing changed", () => {
    const since = "2026-12-07T04:51:12.000Z";
    const unchanged = makeUnchangedJob(since);
    expect(jobProgress(unchanged).label).toBe("0 of 0 in scope: nothing changed since the last sync");
    expect(jobProgress(makeJob({ status: "completed", processed: 0, in_scope: 0, incremental_since: null })).label).toBe("0 of 0 in scope");
    expect(jobProgress(makeJob({ status: "completed", processed: 3, in_scope: 3, incremental_since: since })).label).toBe("3 of 3 in scope");

    expect(runProgress([unchanged, unchanged]).label).toBe("0 of 0 in scope: nothing changed since the last sync");
    expect(runProgress([unchanged, makeJob({ status: "completed", processed: 0, in_scope: 0, incremental_since: null })]).label).toBe("0 of 0 in scope");
  });
});

describe("progress of a whole run", () => {
  it("adds records across connections and gives each connection an equal share of the bar", () => {
    const progress = runProgress([
      makeJob({ status: "completed", processed: 500, in_scope: 500 }),
      makeJob({ status: "running", processed: 250, in_scope: 500 }),
      makeJob({ status: "pending", processed: 0, in_scope: null }),
    ]);

    expect(progress.processed).toBe(750);
    expect(progress.inScope).toBe(1000);
    expect(progress.scopeComplete).toBe(false);
    expect(progress.label).toBe("750 of 1,000+ in scope");
    expect(progress.fraction).toBeCloseTo(0.5);
  });

  it("is complete and full when every connection finished", () => {
    const progress = runProgress([
      makeJob({ status: "completed", processed: 500, in_scope: 500 }),
      makeJob({ status: "failed", processed: 20, in_scope: 500 }),
    ]);

    expect(progress.label).toBe("520 of 1,000 in scope");
    expect(progress.scopeComplete).toBe(true);
  });

  it("knows nothing before the first connection starts", () => {
    const progress = runProgress([makeJob({ status: "running", processed: 0, in_scope: null })]);

    expect(progress.fraction).toBeNull();
  });
});

describe("counters", () => {
  it("add skipped by rule and by no change into Skipped, and processed adds up", () => {
    const job = makeJob({ would_update: 142, skipped_rule: 5, skipped_no_change: 320, missing_source: 8, missing_destination: 25, processed: 500 });
    const counters = countersOf([job]);

    expect(counters.skipped).toBe(325);
    expect(counters.would_update + counters.skipped + counters.missing_source + counters.missing_destination + counters.failed).toBe(job.processed);
  });

  it("show the seed's four for a dry row and five for a live row", () => {
    const counters = countersOf([makeJob({ would_update: 3, updated: 2 })]);

    expect(counterCells(counters, "dry").map((cell) => cell.label)).toEqual(["Would Update", "Skipped", "Missing Source", "Missing Destination"]);
    expect(counterCells(counters, "live").map((cell) => cell.label)).toEqual(["Updated", "Skipped", "Missing Source", "Missing Destination", "Failed"]);
  });

  it("show Failed on a dry row only when something failed, so the counts still add up", () => {
    const counters = countersOf([makeJob({ failed: 2 })]);

    expect(counterCells(counters, "dry").at(-1)).toEqual({ key: "failed", label: "Failed", value: 2 });
  });

  it("show Verified, Verify Mismatch and Drifted on a live row only when it has them", () => {
    const counters = countersOf([makeJob({ mode: "live", updated: 1, verified: 4, verify_mismatch: 1, drifted: 2 })]);

    expect(counterCells(counters, "live").map((cell) => `${cell.label} ${cell.value}`)).toEqual([
      "Updated 1",
      "Verified 4",
      "Verify Mismatch 1",
      "Skipped 0",
      "Missing Source 0",
      "Missing Destination 0",
      "Failed 0",
      "Drifted 2",
    ]);
    expect(writtenCount(counters)).toBe(6);
  });
});
