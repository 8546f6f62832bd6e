import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { openJobHistory, readJobOutcome } from "../../../worker/archive/job-history";
import { HISTORY_LAYOUTS } from "../factories";

describe.each(HISTORY_LAYOUTS)("one serial's outcome in a job, from $name", ({ makeRun, makeOutcomes }) => {
  it("answers the serial's latest outcome, null for a serial the job lacks, and no history for an unknown job", async () => {
    const job = (await makeRun()).jobs[0]!;
    await makeOutcomes(job, [
      { serial: "SN-10", action: "failed", http_status: 503, error: "busy" },
      { serial: "SN-100", action: "skipped_no_change" },
    ]);
    await makeOutcomes(job, [{ serial: "SN-10", action: "updated", changes: [{ field: "site", before: "A", after: "B", written: true }] }]);
    const history = await openJobHistory(env, job.id);
    if (!history) throw new Error("no history");
    expect(await readJobOutcome(history, "SN-10")).toEqual({
      job_id: job.id,
      run_id: job.run_id,
      serial: "SN-10",
      action: "updated",
      changes: [{ field: "site", before: "A", after: "B", written: true }],
      differences: null,
      http_status: null,
      payload_excerpt: null,
      error: null,
      recorded_at: new Date(job.created_at + 100).toISOString(),
    });
    expect(await readJobOutcome(history, "SN-1")).toBeNull();
    expect(await openJobHistory(env, "job_nope")).toBeNull();
  });
});
