import { archiveDay } from "../archive/archive-keys";
import type { NewJob, NewRun } from "../ledger/run-writes";
import type { JobRow, RunRow } from "../ledger/run-rows";
import { emptyCounters } from "../engine/counters";
import { toRunDetail } from "../ledger/run-views";
import type { RunDetail } from "../schemas/runs";
import type { RunPlan } from "./coordinator-store";

/** What a coordinator needs to start a run without reading the ledger: its plan and the detail it publishes. */
export interface PromotedRunStart {
  plan: RunPlan;
  detail: RunDetail;
}

/**
 * The start of a run its caller has just inserted and promoted to running at `startedAt`, from the rows it
 * wrote: the same plan and live detail the coordinator would read back from D1 (run-coordinator's ensurePlan).
 */
export function promotedRunStart(run: NewRun, jobs: readonly NewJob[], startedAt: number): PromotedRunStart {
  const day = archiveDay(run.created_at);
  const runRow: RunRow = {
    ...run,
    reset: run.reset ? 1 : 0,
    status: "running",
    connection_count: jobs.length,
    connections_succeeded: 0,
    connections_failed: 0,
    cancel_requested_at: null,
    started_at: startedAt,
    finished_at: null,
  };
  const jobRows: JobRow[] = jobs.map((job) => ({
    ...job,
    run_id: run.id,
    status: "pending",
    in_scope: null,
    ...emptyCounters(),
    error_code: null,
    error_http_status: null,
    error_message: null,
    error_hint: null,
    created_at: run.created_at,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    archive_day: day,
    exceptions_omitted: 0,
  }));
  const plan: RunPlan = {
    run_id: run.id,
    credential_id: run.credential_id,
    credential_name: run.credential_name,
    type: run.type,
    serial: run.serial,
    reset: run.reset,
    started_at: startedAt,
    jobs: jobs.map((job) => ({
      job_id: job.id,
      connection_id: job.connection_id,
      connection_name: job.connection_name,
      position: job.position,
      mode: job.mode,
      created_at: run.created_at,
      archive_day: day,
    })),
  };
  return { plan, detail: toRunDetail(runRow, jobRows) };
}
