import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readActiveRuns, readRunDetail } from "../../../worker/ledger/run-reads";
import { makeJob, makeRun } from "../factories";

// Both reads map rows through ledger/run-views.ts; this pins that they agree on order, modes and errors.
describe("a run's jobs", () => {
  it("read the same, in execution order, from the run's detail and from the live snapshot", async () => {
    const run = await makeRun({ status: "running", mode: "live" });
    // Inserted out of order; one older job without its own mode, one failed with an error.
    await makeJob(run, { position: 3, status: "pending", started_at: null, finished_at: null, duration_ms: null });
    await makeJob(run, { position: 1, mode: null, status: "completed", processed: 4, updated: 4 });
    await makeJob(run, {
      position: 2,
      status: "failed",
      error_code: "http_error",
      error_http_status: 500,
      error_message: "Update returned 500",
      error_hint: "Check the endpoint",
    });

    const detail = await readRunDetail(env.LEDGER, run.id);
    const snapshot = (await readActiveRuns(env.LEDGER)).find((active) => active.id === run.id);

    expect(detail).not.toBeNull();
    expect(snapshot).toEqual(detail);
    expect(detail!.jobs.map((job) => [job.position, job.mode, job.status])).toEqual([
      [1, "live", "completed"],
      [2, "live", "failed"],
      [3, "live", "pending"],
    ]);
    expect(detail!.jobs[1]!.error).toEqual({ code: "http_error", http_status: 500, message: "Update returned 500", hint: "Check the endpoint" });
  });
});
