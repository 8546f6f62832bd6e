import type { JobCounterValues, JobRow } from "../ledger/run-rows";
import { TERMINAL_STATUS } from "../schemas/vocabulary";
import type { ScopedCounterValues } from "../ledger/run-writes";
import { archiveDayOf, exceptionsOmitted } from "./archive-flush";
import { DEFAULT_COORDINATOR_CONFIG } from "./coordinator-config";
import { scopeCounted, type JobCheckpoint, type JobProgress } from "./coordinator-store";
import { incrementalSince } from "./job-scope";

// A job as the ledger and the live feed show it, built from the coordinator's checkpoint (which is ahead of
// the ledger between flushes). Pure.

// A scope not yet counted (an HTTP source before its first page) is unknown, not zero.
export function scopedCounters(counters: JobCounterValues, progress: JobProgress | null): ScopedCounterValues {
  return progress === null || scopeCounted(progress) ? counters : { ...counters, in_scope: null };
}

export function checkpointJobRow(
  runId: string,
  job: JobCheckpoint,
  counters: JobCounterValues,
  exceptionLimit = DEFAULT_COORDINATOR_CONFIG.exceptionsPerJob,
): JobRow {
  const archiveDay = archiveDayOf(job.plan);
  const scoped = scopedCounters(counters, job.progress);
  const finish = TERMINAL_STATUS[job.status] ? job.progress.finish : null;
  const error = finish?.error ?? null;
  const startedAt = job.progress.started_at;
  return {
    id: job.plan.job_id,
    run_id: runId,
    connection_id: job.plan.connection_id,
    connection_name: job.plan.connection_name,
    connection_version: job.progress.version,
    position: job.plan.position,
    status: job.status,
    mode: job.plan.mode,
    ...scoped,
    in_scope: scoped.in_scope,
    incremental_since: incrementalSince(job.progress.source),
    error_code: error?.code ?? null,
    error_http_status: error?.http_status ?? null,
    error_message: error?.message ?? null,
    error_hint: error?.hint ?? null,
    created_at: job.plan.created_at,
    started_at: startedAt,
    finished_at: finish?.at ?? null,
    duration_ms: finish && startedAt !== null ? finish.at - startedAt : null,
    archive_day: archiveDay,
    exceptions_omitted: archiveDay === null ? 0 : exceptionsOmitted(counters, exceptionLimit),
    waiting_host: job.progress.waiting?.host ?? null,
    waiting_until: job.progress.waiting?.until ?? null,
  };
}
