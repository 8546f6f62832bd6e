import type { Eta, JobSummary, RunDetail, RunSummary } from "../schemas/runs";
import type { RunMode } from "../schemas/vocabulary";
import { diagnoseJob } from "../engine/errors";
import { statusDetail } from "../schemas/status-detail";
import { jobCountersOf, type JobRow, type RunRow } from "./run-rows";
import { waitingReason } from "../breakers/breaker-words";

// The one mapping of run and job rows to the shapes the API, the live feed and the coordinator publish: a job
// read from D1 and a job the coordinator holds in memory read the same because both go through toJobSummary.

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

// Only a running row has an estimate; remaining_ms is counted from the moment of reading.
export function etaView(status: string, finishAt: number | null | undefined, now: number): Eta {
  if (status !== "running" || finishAt === null || finishAt === undefined) return null;
  return { remaining_ms: Math.max(0, finishAt - now), finish_at: iso(finishAt) };
}

export function toRunSummary(row: RunRow, now = Date.now()): RunSummary {
  return {
    id: row.id,
    credential_id: row.credential_id,
    credential_name: row.credential_name,
    type: row.type,
    serial: row.serial,
    mode: row.mode,
    trigger: row.trigger,
    requested_by: row.requested_by,
    status: row.status,
    connection_ids: row.scope_json === null ? null : (JSON.parse(row.scope_json) as string[]),
    reset: row.reset === 1,
    rerun_of: row.rerun_of,
    plan_run_id: row.plan_run_id ?? null,
    connection_count: row.connection_count,
    connections_succeeded: row.connections_succeeded,
    connections_failed: row.connections_failed,
    failed_records: row.failed_records ?? 0,
    status_detail: statusDetail(row.status, row.failed_records ?? 0),
    cancel_requested_at: isoOrNull(row.cancel_requested_at),
    created_at: iso(row.created_at),
    started_at: isoOrNull(row.started_at),
    finished_at: isoOrNull(row.finished_at),
    duration_ms: row.started_at !== null && row.finished_at !== null ? row.finished_at - row.started_at : null,
    eta: etaView(row.status, row.eta_finish_at, now),
    // Read only by the run list (RunRow.waiting_host): a run is held back while one of its running jobs is.
    waiting:
      row.status === "running" ? jobWaiting({ status: "running", waiting_host: row.waiting_host ?? null, waiting_until: row.waiting_until ?? null }) : null,
  };
}

// Jobs written before per-job modes (NULL) ran in their run's mode.
export function toJobSummary(row: JobRow, runMode: RunMode, now = Date.now()): JobSummary {
  return {
    id: row.id,
    run_id: row.run_id,
    connection_id: row.connection_id,
    connection_name: row.connection_name,
    connection_version: row.connection_version,
    position: row.position,
    mode: row.mode ?? runMode,
    status: row.status,
    ...jobCountersOf(row),
    incremental_since: isoOrNull(row.incremental_since ?? null),
    failed_records: row.failed,
    status_detail: statusDetail(row.status, row.failed),
    error:
      row.error_code === null ? null : { code: row.error_code, http_status: row.error_http_status, message: row.error_message ?? "", hint: row.error_hint },
    // Only a finished job's counters are the whole story; a running one's are not yet.
    diagnoses: row.status === "completed" ? diagnoseJob(row) : [],
    created_at: iso(row.created_at),
    started_at: isoOrNull(row.started_at),
    finished_at: isoOrNull(row.finished_at),
    duration_ms: row.duration_ms ?? (row.started_at !== null && row.finished_at !== null ? row.finished_at - row.started_at : null),
    waiting: jobWaiting(row),
    eta: etaView(row.status, row.eta_finish_at, now),
  };
}

// Only a running job waits; a job canceled while waiting keeps the columns but is no longer held back.
export function jobWaiting(row: Pick<JobRow, "status" | "waiting_host" | "waiting_until">): JobSummary["waiting"] {
  if (row.status !== "running" || !row.waiting_host) return null;
  const until = row.waiting_until ?? null;
  return { host: row.waiting_host, next_probe_at: isoOrNull(until), reason: waitingReason(row.waiting_host, until) };
}

// A run with its jobs in execution order, however the rows arrived.
export function toRunDetail(run: RunRow, jobs: readonly JobRow[], now = Date.now()): RunDetail {
  const ordered = [...jobs].sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const summaries = ordered.map((job) => toJobSummary(job, run.mode, now));
  // Its jobs say whether it waits, whatever the run row was read with.
  const waiting = run.status === "running" ? (summaries.find((job) => job.waiting !== null)?.waiting ?? null) : null;
  return { ...toRunSummary(run, now), waiting, jobs: summaries };
}
