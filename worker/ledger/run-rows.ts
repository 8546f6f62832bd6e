// Row shapes of the runs and jobs tables, shared by the writers and the readers; their words are in schemas/vocabulary.ts.
import type { JobStatus, RunMode, RunStatus, RunTrigger, RunType } from "../schemas/vocabulary";

export interface RunRow {
  id: string;
  credential_id: string;
  credential_name: string;
  type: RunType;
  serial: string | null;
  mode: RunMode;
  trigger: RunTrigger;
  requested_by: string;
  status: RunStatus;
  scope_json: string | null;
  reset: number;
  rerun_of: string | null;
  // An apply run: the dry run whose plan it sends (absent from rows read before migration 0017's column).
  plan_run_id?: string | null;
  idempotency_key: string | null;
  connection_count: number;
  connections_succeeded: number;
  connections_failed: number;
  // The sum of its jobs' failed records (absent from rows read before migration 0024's column).
  failed_records?: number;
  cancel_requested_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  // Issue 17: the coordinator's estimate of the finish while running (migration 0027); absent from other reads.
  eta_finish_at?: number | null;
  // The run list's: a running job of the run held back by a destination breaker (its jobs' columns); absent elsewhere.
  waiting_host?: string | null;
  waiting_until?: number | null;
}

export interface JobRow {
  id: string;
  run_id: string;
  connection_id: string;
  connection_name: string;
  connection_version: number;
  position: number;
  status: JobStatus;
  mode: RunMode | null;
  in_scope: number | null;
  processed: number;
  would_update: number;
  updated: number;
  skipped_rule: number;
  skipped_no_change: number;
  missing_source: number;
  missing_destination: number;
  failed: number;
  drifted: number;
  verified: number;
  verify_mismatch: number;
  bytes_sent: number;
  bytes_received: number;
  error_code: string | null;
  error_http_status: number | null;
  error_message: string | null;
  error_hint: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  // Where the job's outcomes and logs are: the R2 archive under this UTC day, or (null) rows of D1.
  archive_day: string | null;
  // Exceptions (changed, failed, missing) of an archived job beyond those record_outcomes keeps.
  exceptions_omitted: number;
  // A job of an apply run: the dry job of the same connection whose plan it sends.
  plan_job_id?: string | null;
  // A running job held back by an open destination breaker: the host, and when it looks again.
  waiting_host?: string | null;
  waiting_until?: number | null;
  // Issue 17: the coordinator's estimate of the finish while running (migration 0027); absent from other reads.
  eta_finish_at?: number | null;
  // An incremental full job: the cursor (epoch ms) it read changes since (migration 0031); null for a complete read.
  incremental_since?: number | null;
}

// A job's counters, bytes, error and times: what other queries select beside their own columns.
export type JobOutcomeColumns = Pick<
  JobRow,
  | "in_scope"
  | "processed"
  | "would_update"
  | "updated"
  | "skipped_rule"
  | "skipped_no_change"
  | "missing_source"
  | "missing_destination"
  | "failed"
  | "drifted"
  | "verified"
  | "verify_mismatch"
  | "bytes_sent"
  | "bytes_received"
  | "error_code"
  | "error_http_status"
  | "error_message"
  | "error_hint"
  | "started_at"
  | "finished_at"
  | "duration_ms"
>;

// The counter columns of a job, written as absolute values so a replayed flush changes nothing.
export const JOB_COUNTER_COLUMNS = [
  "in_scope",
  "processed",
  "would_update",
  "updated",
  "skipped_rule",
  "skipped_no_change",
  "missing_source",
  "missing_destination",
  "failed",
  "drifted",
  "verified",
  "verify_mismatch",
  "bytes_sent",
  "bytes_received",
] as const;
export type JobCounterColumn = (typeof JOB_COUNTER_COLUMNS)[number];
export type JobCounterValues = Record<JobCounterColumn, number>;

// A job's counters as stored (in_scope stays null until the scope is known), in column order.
export function jobCountersOf(row: Pick<JobRow, JobCounterColumn>): Pick<JobRow, JobCounterColumn> {
  return Object.fromEntries(JOB_COUNTER_COLUMNS.map((column) => [column, row[column]])) as Pick<JobRow, JobCounterColumn>;
}

export interface JobError {
  code: string;
  http_status: number | null;
  message: string;
  hint: string;
}
