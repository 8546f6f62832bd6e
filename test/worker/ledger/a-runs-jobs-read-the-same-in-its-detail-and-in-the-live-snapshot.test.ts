import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readActiveRuns, readRunDetail } from "../../../worker/ledger/run-reads";
import { makeRun } from "../factories";

// Both reads map rows through ledger/run-views.ts; this pins that they agree on order, modes and errors.
describe("a run's jobs", () => {
  it("read the same, in execution order, from the run's detail and from the live snapshot", async () => {
    // Inserted out of order; one failed with an error.
    const run = await makeRun({ status: "running", mode: "live" }, [
      { position: 3, status: "pending", started_at: null, finished_at: null },
      { position: 1, status: "completed", processed: 4, updated: 4 },
      {
        position: 2,
        status: "failed",
        error_code: "http_error",
        error_http_status: 500,
        error_message: "Update returned 500",
        error_hint: "Check the endpoint",
      },
    ]);
    // A job from before per-job modes has none; the ledger no longer writes such a row.
    await env.LEDGER.prepare("UPDATE jobs SET mode = NULL WHERE run_id = ? AND position = 1").bind(run.id).run();

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
