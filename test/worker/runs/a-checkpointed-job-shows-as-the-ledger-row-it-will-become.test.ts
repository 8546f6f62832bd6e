import { describe, expect, it } from "vitest";
import { emptyCounters } from "../../../worker/engine/counters";
import { checkpointJobRow } from "../../../worker/runs/checkpoint-job-row";
import { makeCheckpoint, makePagedProgress } from "./job-factories";

const counters = { ...emptyCounters(), in_scope: 40, processed: 12, updated: 12 };
const failure = { code: "timeout", http_status: null, message: "No answer in 30 s", hint: "Raise the timeout" };

describe("a checkpointed job as a ledger row", () => {
  it("carries the checkpoint's counters, plan and contract version", () => {
    const job = makeCheckpoint({ status: "running", progress: { version: 7, started_at: 1_000 } });
    expect(checkpointJobRow("run_1", job, counters)).toMatchObject({
      id: job.plan.job_id,
      run_id: "run_1",
      connection_name: job.plan.connection_name,
      connection_version: 7,
      status: "running",
      mode: "live",
      in_scope: 40,
      processed: 12,
      updated: 12,
      started_at: 1_000,
      finished_at: null,
      duration_ms: null,
    });
  });

  it("shows the scope of an HTTP source as unknown until its first page is counted", () => {
    const unread = makeCheckpoint({ status: "running", progress: { source: makePagedProgress() } });
    expect(checkpointJobRow("run_1", unread, { ...counters, in_scope: 0 }).in_scope).toBeNull();
    const counted = makeCheckpoint({ status: "running", progress: { source: makePagedProgress({ kept: 0 }) } });
    expect(checkpointJobRow("run_1", counted, { ...counters, in_scope: 0 }).in_scope).toBe(0);
  });

  it("shows a finish and its error only once the job's status is final", () => {
    const finish = { status: "failed" as const, at: 4_000, error: failure, ran: true };
    const decided = makeCheckpoint({ status: "running", progress: { started_at: 1_000, finish } });
    expect(checkpointJobRow("run_1", decided, counters)).toMatchObject({ error_code: null, finished_at: null });
    const committed = makeCheckpoint({ status: "failed", progress: { started_at: 1_000, finish } });
    expect(checkpointJobRow("run_1", committed, counters)).toMatchObject({
      error_code: "timeout",
      error_message: "No answer in 30 s",
      error_hint: "Raise the timeout",
      finished_at: 4_000,
      duration_ms: 3_000,
    });
  });
});
