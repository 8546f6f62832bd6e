import type { JobDetail, JobSummary, LogLine, RecordOutcome, RunDetail, RunSummary } from "../../../web/src/lib/run-types";

let sequence = 0;

function next(): number {
  sequence += 1;
  return sequence;
}

export function makeRun(overrides: Partial<RunSummary> = {}): RunSummary {
  const n = next();
  return {
    id: `run_${n}`,
    credential_id: "cred_demo_fleet",
    credential_name: "Demo fleet (sandbox)",
    type: "full",
    serial: null,
    mode: "dry",
    trigger: "manual",
    requested_by: "tester",
    status: "running",
    connection_ids: null,
    reset: false,
    rerun_of: null,
    plan_run_id: null,
    connection_count: 1,
    connections_succeeded: 0,
    connections_failed: 0,
    failed_records: 0,
    status_detail: null,
    cancel_requested_at: null,
    created_at: new Date(Date.UTC(2026, 10, 22, 12, 0, n)).toISOString(),
    started_at: new Date(Date.UTC(2026, 10, 22, 12, 0, n)).toISOString(),
    finished_at: null,
    duration_ms: null,
    eta: null,
    waiting: null,
    ...overrides,
  };
}

export function makeJob(overrides: Partial<JobSummary> = {}): JobSummary {
  const n = next();
  return {
    id: `job_${n}`,
    run_id: "run_0",
    connection_id: `conn_${n}`,
    connection_name: `Connection ${n}`,
    connection_version: 1,
    position: 1,
    mode: "dry",
    status: "running",
    in_scope: 500,
    incremental_since: null,
    processed: 0,
    would_update: 0,
    updated: 0,
    skipped_rule: 0,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 0,
    failed_records: 0,
    status_detail: null,
    drifted: 0,
    verified: 0,
    verify_mismatch: 0,
    bytes_sent: 0,
    bytes_received: 0,
    error: null,
    diagnoses: [],
    created_at: "2026-11-22T12:00:00.000Z",
    started_at: "2026-11-22T12:00:00.000Z",
    finished_at: null,
    duration_ms: null,
    waiting: null,
    eta: null,
    ...overrides,
  };
}

// A completed incremental job that found nothing changed since its cursor, as the API reads it.
export function makeUnchangedJob(since: string, overrides: Partial<JobSummary> = {}): JobSummary {
  return makeJob({
    status: "completed",
    in_scope: 0,
    processed: 0,
    incremental_since: since,
    diagnoses: [
      {
        severity: "info",
        code: "nothing_changed",
        label: "nothing changed",
        message: `No source record changed since ${since} and no serial failed last time: nothing to sync`,
        hint: "Nothing to do",
      },
    ],
    ...overrides,
  });
}

export function makeRunDetail(run: Partial<RunSummary> = {}, jobs: Array<Partial<JobSummary>> = [{}]): RunDetail {
  const summary = makeRun({ connection_count: jobs.length, ...run });
  return { ...summary, jobs: jobs.map((job, index) => makeJob({ run_id: summary.id, position: index + 1, mode: summary.mode, ...job })) };
}

export function makeLogLine(overrides: Partial<LogLine> = {}): LogLine {
  const n = next();
  return { job_id: "job_0", seq: n, at: "2026-11-22T12:00:00.000Z", level: "INFO", message: `line ${n}`, serial: null, ...overrides };
}

export function makeRecord(overrides: Partial<RecordOutcome> = {}): RecordOutcome {
  return {
    job_id: "job_0",
    run_id: "run_0",
    serial: `DEV-${String(next()).padStart(5, "0")}`,
    action: "would_update",
    changes: [],
    differences: null,
    http_status: null,
    payload_excerpt: null,
    error: null,
    recorded_at: "2026-11-22T12:00:00.000Z",
    ...overrides,
  };
}

export function makeJobDetail(overrides: Partial<JobSummary> = {}, run: Partial<RunSummary> = {}): JobDetail {
  const summary = makeRun(run);
  const job = makeJob({ run_id: summary.id, mode: summary.mode, ...overrides });
  const { id, credential_id, credential_name, type, serial, mode, trigger, requested_by, status } = summary;
  return { ...job, run: { id, credential_id, credential_name, type, serial, mode, trigger, requested_by, status } };
}
