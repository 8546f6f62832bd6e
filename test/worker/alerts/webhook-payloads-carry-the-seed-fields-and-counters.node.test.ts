import { describe, expect, it } from "vitest";
import { buildStatusPayload } from "../../../worker/alerts/payload";
import { makeJob, makeRun } from "../factories/alert-payloads";

const T0 = Date.UTC(2026, 3, 6, 8, 0, 1);

describe("the webhook payload", () => {
  it("carries the seed's fields for a failed job, with its counters and links", () => {
    const job = makeJob({ id: "job_01HX4M9QZPKR" });
    const payload = buildStatusPayload({
      change: {
        eventId: "evt_1",
        type: "job.status_changed",
        occurredAt: T0 + 196_000,
        status: "failed",
        previousStatus: "running",
        runId: job.run_id,
        jobId: job.id,
        connectionId: job.connection_id,
      },
      run: makeRun(),
      jobs: [job],
      publicUrl: "https://app.example.com/",
    });
    expect(payload).toMatchObject({
      type: "job.status_changed",
      connection_name: "Salesforce → Snowflake",
      job_id: "job_01HX4M9QZPKR",
      run_id: "run_01",
      status: "failed",
      previous_status: "running",
      started_at: "2026-04-06T08:00:01.000Z",
      finished_at: "2026-04-06T08:03:17.000Z",
      failed_at: "2026-04-06T08:03:17.000Z",
      error_summary: "Stream Account: 401 Unauthorized — token expired",
      job_url: "https://app.example.com/jobs/job_01HX4M9QZPKR",
      run_url: "https://app.example.com/jobs?run=run_01",
      error: { code: "unauthorized", http_status: 401, hint: "Refresh the credential's token." },
      counters: { records_synced: 12, records_failed: 1, processed: 14, in_scope: 14, skipped: 1, bytes_synced: 3200 },
    });
  });

  it("describes a run with every connection's counters summed and its failures summarised", () => {
    const failed = makeJob({ connection_name: "Fleet XML" });
    const ok = makeJob({
      connection_name: "Fleet JSON",
      status: "completed",
      error_code: null,
      error_message: null,
      error_http_status: null,
      error_hint: null,
      updated: 20,
      verified: 8,
      verify_mismatch: 2,
      drifted: 1,
      failed: 0,
    });
    const payload = buildStatusPayload({
      change: {
        eventId: "evt_2",
        type: "run.status_changed",
        occurredAt: T0 + 200_000,
        status: "failed",
        previousStatus: "running",
        runId: "run_01",
        jobId: null,
        connectionId: null,
      },
      run: makeRun(),
      jobs: [ok, failed],
      publicUrl: "https://app.example.com",
    });
    expect(payload.job_id).toBeNull();
    expect(payload.credential_name).toBe("Fleet API");
    expect(payload.error_summary).toBe("Fleet XML: Stream Account: 401 Unauthorized — token expired");
    // Records synced are records written: read back as sent or not, they were written all the same.
    expect(payload.counters).toMatchObject({ records_synced: 42, records_failed: 1, connections_total: 2, connections_succeeded: 1, connections_failed: 1 });
    expect(payload.counters).toMatchObject({ updated: 32, verified: 8, verify_mismatch: 2, drifted: 1 });
    expect(payload.job_url).toBe("https://app.example.com/jobs?run=run_01");
  });

  it("says a completed job or run with failed records completed with them, and a clean one plainly", () => {
    const change = (status: string, jobId: string | null) => ({
      eventId: "evt_q",
      type: jobId === null ? ("run.status_changed" as const) : ("job.status_changed" as const),
      occurredAt: T0 + 200_000,
      status,
      previousStatus: "running",
      runId: "run_01",
      jobId,
      connectionId: null,
    });
    const partial = makeJob({ status: "completed", error_code: null, error_message: null, error_http_status: null, error_hint: null, failed: 3 });
    const clean = makeJob({ status: "completed", error_code: null, error_message: null, error_http_status: null, error_hint: null, failed: 0 });
    const job = buildStatusPayload({ change: change("completed", partial.id), run: makeRun(), jobs: [partial], publicUrl: "https://app.example.com" });
    expect(job).toMatchObject({ status: "completed", failed_records: 3, status_detail: "Completed with 3 failed records" });
    const run = buildStatusPayload({ change: change("completed", null), run: makeRun(), jobs: [partial, clean], publicUrl: "https://app.example.com" });
    expect(run).toMatchObject({ failed_records: 3, status_detail: "Completed with 3 failed records" });
    const plain = buildStatusPayload({ change: change("completed", clean.id), run: makeRun(), jobs: [clean], publicUrl: "https://app.example.com" });
    expect(plain).toMatchObject({ failed_records: 0, status_detail: null });
    // A failed job is red already: its failed records are counted, the status says Failed.
    const failed = buildStatusPayload({ change: change("failed", partial.id), run: makeRun(), jobs: [partial], publicUrl: "https://app.example.com" });
    expect(failed).toMatchObject({ failed_records: 3, status_detail: null });
  });

  it("leaves finish times empty while a job runs, and prefers what the status change itself reported", () => {
    const job = makeJob({ status: "completed", finished_at: T0 + 500_000 });
    const running = buildStatusPayload({
      change: {
        eventId: "evt_3",
        type: "job.status_changed",
        occurredAt: T0,
        status: "running",
        previousStatus: "pending",
        runId: "run_01",
        jobId: job.id,
        connectionId: job.connection_id,
      },
      run: makeRun(),
      jobs: [job],
      publicUrl: "https://app.example.com",
    });
    expect(running).toMatchObject({ status: "running", finished_at: null, failed_at: null, error_summary: null, duration_ms: null });

    const reported = buildStatusPayload({
      change: {
        eventId: "evt_4",
        type: "job.status_changed",
        occurredAt: T0 + 100,
        status: "failed",
        previousStatus: "running",
        runId: "run_01",
        jobId: job.id,
        connectionId: job.connection_id,
        reported: {
          failed_at: "2026-04-06T08:03:17.000Z",
          finished_at: "2026-04-06T08:03:17.000Z",
          error_summary: "As reported",
          counters: { processed: 3, failed: 3 },
        },
      },
      run: makeRun(),
      jobs: [job],
      publicUrl: "https://app.example.com",
    });
    expect(reported).toMatchObject({ failed_at: "2026-04-06T08:03:17.000Z", error_summary: "As reported", counters: { processed: 3, records_failed: 3 } });
  });
});
