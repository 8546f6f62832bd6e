import { describe, expect, it } from "vitest";
import { emptyCounters } from "../../../worker/engine/counters";
import type { LogRecord, OutcomeRecord } from "../../../worker/ledger/run-writes";
import { exceptionsOmitted, planFlush, type JobArchiveState } from "../../../worker/runs/archive-flush";
import type { OutboxRequest } from "../../../worker/runs/coordinator-store";
import { makeCheckpoint } from "./job-factories";

const outcome = (jobId: string, serial: string, action: string): OutcomeRecord => ({
  job_id: jobId,
  serial,
  action,
  changes: null,
  http_status: null,
  payload_excerpt: null,
  error: null,
  at: 1_000,
});
const log = (jobId: string, seq: number): LogRecord => ({ job_id: jobId, seq, at: 1_000, level: "INFO", message: `line ${seq}`, serial: null });

const request = (jobId: string, seq: number): OutboxRequest => ({
  job_id: jobId,
  seq,
  at: 1_000,
  phase: "lookup",
  method: "GET",
  url: `https://dest.example/devices/S${seq}`,
  request_headers: {},
  request_body: null,
  status: 200,
  duration_ms: 5,
  concurrency: 6,
  attempt: 1,
  retry_reason: null,
  error: null,
  response_headers: {},
  response_body: null,
  serials: [`S${seq}`],
  truncated: false,
});

function state(jobId: string, archiveDay: string | null, overrides: Partial<JobArchiveState> = {}): [string, JobArchiveState] {
  const { plan } = makeCheckpoint();
  return [
    jobId,
    {
      plan: { ...plan, job_id: jobId, connection_id: `conn_${jobId}`, archive_day: archiveDay },
      nextOutcomeChunk: 1,
      nextLogChunk: 1,
      nextRequestChunk: 1,
      nextPlanChunk: 1,
      exceptionsKept: 0,
      ...overrides,
    },
  ];
}

describe("a flush of the outbox", () => {
  it("writes one outcome chunk and one log chunk per archived job, numbered from the job's own next chunk", () => {
    const jobs = new Map([state("a", "2026-12-05", { nextOutcomeChunk: 4, nextLogChunk: 7 }), state("b", "2026-12-05")]);
    const plan = planFlush(
      [outcome("a", "S2", "skipped_no_change"), outcome("b", "S1", "updated"), outcome("a", "S1", "failed")],
      [log("a", 1), log("b", 1), log("a", 2)],
      jobs,
      1_000,
    );
    expect(
      plan.archived.map((f) => [f.jobId, f.outcomes?.chunk, f.outcomes?.rows.map((r) => r.serial), f.logs?.chunk, f.logs?.rows.map((r) => r.seq)]),
    ).toEqual([
      ["a", 4, ["S2", "S1"], 7, [1, 2]],
      ["b", 1, ["S1"], 1, [1]],
    ]);
    expect(plan.ledgerLogs).toEqual([]);
  });

  it("keeps in D1 only changed, failed and missing outcomes, up to the limit per job across flushes", () => {
    const jobs = new Map([state("a", "2026-12-05", { exceptionsKept: 1 })]);
    const outcomes = [
      outcome("a", "S1", "skipped_no_change"),
      outcome("a", "S2", "skipped_rule"),
      outcome("a", "S3", "would_update"),
      outcome("a", "S4", "missing_destination"),
      outcome("a", "S5", "failed"),
    ];
    const plan = planFlush(outcomes, [], jobs, 3);
    expect(plan.ledgerOutcomes.map((o) => o.serial)).toEqual(["S3", "S4"]);
    expect(plan.archived[0]!.exceptionsTaken).toBe(2);
    expect(plan.archived[0]!.outcomes!.rows).toHaveLength(5);
    expect(exceptionsOmitted({ ...emptyCounters(), would_update: 1, missing_destination: 1, failed: 1, skipped_no_change: 9 }, 1)).toBe(2);
    expect(exceptionsOmitted({ ...emptyCounters(), would_update: 1 }, 1_000)).toBe(0);
  });

  it("keeps drifted, verified and verify mismatch outcomes as exceptions, with their differences in the chunk", () => {
    const differences = JSON.stringify([{ field: "name", expected: "a", found: "b", side: "stored" }]);
    const outcomes = [
      { ...outcome("a", "S1", "verify_mismatch"), differences },
      outcome("a", "S2", "verified"),
      outcome("a", "S3", "drifted"),
      outcome("a", "S4", "skipped_no_change"),
    ];
    const plan = planFlush(outcomes, [], new Map([state("a", "2026-12-05")]), 10);
    expect(plan.ledgerOutcomes.map((o) => o.serial)).toEqual(["S1", "S2", "S3"]);
    expect(plan.archived[0]!.outcomes!.rows.map((r) => r.differences)).toEqual([differences, null, null, null]);
    expect(exceptionsOmitted({ ...emptyCounters(), verified: 2, verify_mismatch: 1, drifted: 1 }, 1)).toBe(3);
  });

  it("offers every outcome to latest_outcomes with its connection", () => {
    const plan = planFlush([outcome("a", "S1", "skipped_no_change")], [], new Map([state("a", "2026-12-05")]), 0);
    expect(plan.latest).toEqual([{ connection_id: "conn_a", serial: "S1", action: "skipped_no_change", job_id: "a", at: 1_000 }]);
    expect(plan.ledgerOutcomes).toEqual([]);
  });

  it("writes a job's requests as one chunk numbered from its own next request chunk, and none of a job from before the archive", () => {
    const jobs = new Map([state("a", "2026-12-05", { nextRequestChunk: 3 }), state("old", null)]);
    const plan = planFlush([], [], jobs, 1_000, [request("a", 1), request("old", 1), request("a", 2)]);
    expect(plan.archived.map((f) => [f.jobId, f.requests?.chunk, f.requests?.rows.map((r) => r.seq), f.outcomes, f.logs])).toEqual([
      ["a", 3, [1, 2], null, null],
    ]);
    expect(plan.archived[0]!.requests!.rows[0]).not.toHaveProperty("job_id");
    expect(plan.ledgerOutcomes).toEqual([]);
    expect(plan.ledgerLogs).toEqual([]);
  });

  it("writes every row of a job from before the archive to D1, as its readers expect", () => {
    const plan = planFlush([outcome("old", "S1", "skipped_no_change")], [log("old", 1)], new Map([state("old", null)]), 0);
    expect(plan.archived).toEqual([]);
    expect(plan.ledgerOutcomes.map((o) => o.serial)).toEqual(["S1"]);
    expect(plan.ledgerLogs.map((l) => l.seq)).toEqual([1]);
  });
});
