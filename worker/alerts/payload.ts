import { writtenTotal } from "../engine/reconcile";
import { JOB_COUNTER_COLUMNS, type JobCounterColumn, type JobOutcomeColumns } from "../ledger/run-rows";
import type { AlertSeverity, AlertState, EventType, PayloadType, RuleCondition } from "./vocabulary";
import { assertNever } from "../../shared/lang";
import { dashboardPaths, dashboardUrl } from "../../shared/dashboard-paths";
import { TERMINAL_STATUSES } from "../schemas/vocabulary";
import { statusDetail } from "../schemas/status-detail";

// The one body every channel starts from: a custom webhook receives it as JSON; Slack, PagerDuty and
// email render it. It is built when the event is fanned out and stored with each delivery, so retries
// and redeliveries send exactly the same bytes.

export interface PayloadCounters {
  in_scope: number | null;
  processed: number;
  would_update: number;
  updated: number;
  skipped: number;
  skipped_rule: number;
  skipped_no_change: number;
  missing_source: number;
  missing_destination: number;
  failed: number;
  drifted: number;
  verified: number;
  verify_mismatch: number;
  // Records written: updated + verified + verify_mismatch.
  records_synced: number;
  records_failed: number;
  bytes_synced: number;
  // Runs only: the "14 / 14" of the jobs view.
  connections_total?: number;
  connections_succeeded?: number;
  connections_failed?: number;
}

export interface PayloadError {
  code: string;
  http_status: number | null;
  message: string;
  hint: string | null;
}

export interface AlertDetails {
  rule_id: string;
  channel_id: string;
  dedup_key: string;
  // What the rule watches; `records`: that outcome's records in the job (null for job_failed). Absent in
  // payloads stored before conditions.
  condition?: RuleCondition;
  failure_threshold: number;
  consecutive_failures: number;
  records?: number | null;
  // The incident's level, and what this notification says: it opened or moved to a level, or it resolved.
  // Absent in payloads stored before severities.
  severity?: AlertSeverity;
  state?: AlertState;
  // The conditions judged against history, the clock or a destination say in one line what they found
  // (e.g. "took 12m 3s, 3.1× the median 3m 52s of the last 10 successful runs"), and what to check first.
  summary?: string;
  hint?: string | null;
}

export interface EventPayload {
  type: PayloadType;
  event_id: string;
  occurred_at: string;
  run_id: string | null;
  job_id: string | null;
  connection_id: string | null;
  connection_name: string | null;
  credential_name: string | null;
  status: string;
  previous_status: string | null;
  run_type: string | null;
  mode: string | null;
  trigger: string | null;
  started_at: string | null;
  finished_at: string | null;
  failed_at: string | null;
  duration_ms: number | null;
  error_summary: string | null;
  error: PayloadError | null;
  job_url: string | null;
  run_url: string | null;
  // The connection's page: where an alert about a connection (freshness, a pause) can be looked into. Absent in
  // payloads stored before it.
  connection_url?: string | null;
  // The dashboard's home, where a destination's breaker shows: what an alert about a whole host links. Absent in
  // payloads stored before it.
  dashboard_url?: string;
  counters: PayloadCounters | null;
  alert: AlertDetails | null;
  // A job's or run's failed records, and the status line a completed one with failures shows ("Completed with
  // 3 failed records"); absent in payloads stored before them.
  failed_records?: number | null;
  status_detail?: string | null;
}

// Column names match the ledger's rows so a row can be passed as it is.
export interface JobFacts extends JobOutcomeColumns {
  id: string;
  run_id: string;
  connection_id: string;
  connection_name: string;
  status: string;
  mode?: string | null;
}

export interface RunFacts {
  id: string;
  credential_name: string;
  type: string;
  mode: string;
  trigger: string;
  status: string;
  connection_count: number;
  connections_succeeded: number;
  connections_failed: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface StatusChange {
  eventId: string;
  type: EventType;
  occurredAt: number;
  status: string;
  previousStatus: string | null;
  runId: string | null;
  jobId: string | null;
  connectionId: string | null;
  // What the status-change writer put in the event itself; it wins over the row, which may have moved on.
  reported?: ReportedFacts;
}

export interface ReportedFacts {
  connection_name?: string;
  started_at?: string;
  finished_at?: string;
  failed_at?: string;
  error_summary?: string;
  duration_ms?: number;
  counters?: Partial<Record<JobCounterColumn, number>>;
}

// Picks the known, well-typed facts out of an event's payload_json; anything else is ignored.
export function readReportedFacts(data: Record<string, unknown>): ReportedFacts {
  const facts: ReportedFacts = {};
  for (const key of ["connection_name", "started_at", "finished_at", "failed_at", "error_summary"] as const) {
    const value = data[key];
    if (typeof value === "string" && value !== "") facts[key] = value;
  }
  if (typeof data.duration_ms === "number" && Number.isFinite(data.duration_ms)) facts.duration_ms = data.duration_ms;
  const counters = data.counters;
  if (typeof counters === "object" && counters !== null && !Array.isArray(counters)) {
    const picked: NonNullable<ReportedFacts["counters"]> = {};
    for (const key of JOB_COUNTER_COLUMNS) {
      const value = (counters as Record<string, unknown>)[key];
      if (typeof value === "number" && Number.isFinite(value)) picked[key] = value;
    }
    facts.counters = picked;
  }
  return facts;
}

export interface BuildPayloadInput {
  change: StatusChange;
  run: RunFacts | null;
  // The job of a job event; every job of the run for a run event.
  jobs: readonly JobFacts[];
  publicUrl: string;
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
const ERROR_SUMMARY_CHARS = 500;

export function buildStatusPayload(input: BuildPayloadInput): EventPayload {
  const { change, run, publicUrl } = input;
  const reported = change.reported ?? {};
  const terminal = TERMINAL.has(change.status);
  const isJob = change.type === "job.status_changed" || change.jobId !== null;
  const jobs = input.jobs.map((j) => (j.id === change.jobId && reported.counters ? { ...j, ...reported.counters } : j));
  const job = isJob ? (jobs.find((j) => j.id === change.jobId) ?? null) : null;
  const subject = job ?? run;
  const finishedMs = terminal ? (subject?.finished_at ?? change.occurredAt) : null;
  const runId = change.runId ?? job?.run_id ?? run?.id ?? null;
  const jobId = job?.id ?? change.jobId;

  const payload: EventPayload = {
    type: change.type,
    event_id: change.eventId,
    occurred_at: iso(change.occurredAt),
    run_id: runId,
    job_id: jobId,
    connection_id: job?.connection_id ?? change.connectionId,
    connection_name: job?.connection_name ?? null,
    credential_name: run?.credential_name ?? null,
    status: change.status,
    previous_status: change.previousStatus,
    run_type: run?.type ?? null,
    mode: job?.mode ?? run?.mode ?? null,
    trigger: run?.trigger ?? null,
    started_at: subject?.started_at == null ? null : iso(subject.started_at),
    finished_at: finishedMs === null ? null : iso(finishedMs),
    failed_at: change.status === "failed" && finishedMs !== null ? iso(finishedMs) : null,
    duration_ms: terminal ? durationOf(job, run, finishedMs) : null,
    error_summary: change.status === "failed" ? errorSummary(job, jobs) : null,
    error: change.status === "failed" && job !== null ? jobError(job) : null,
    job_url: jobId !== null ? dashboardUrl(publicUrl, dashboardPaths.job(jobId)) : runUrl(publicUrl, runId),
    run_url: runUrl(publicUrl, runId),
    connection_url: connectionUrl(publicUrl, job?.connection_id ?? change.connectionId),
    dashboard_url: dashboardUrl(publicUrl, "/"),
    counters: job !== null ? jobCounters(job) : !isJob && (jobs.length > 0 || run !== null) ? runCounters(run, jobs) : null,
    alert: null,
  };
  payload.failed_records = payload.counters?.failed ?? null;
  payload.status_detail = statusDetail(payload.status, payload.failed_records ?? 0);
  if (payload.connection_name === null && isJob && reported.connection_name !== undefined) payload.connection_name = reported.connection_name;
  if (reported.started_at !== undefined) payload.started_at = reported.started_at;
  if (terminal && reported.finished_at !== undefined) payload.finished_at = reported.finished_at;
  if (change.status === "failed") payload.failed_at = reported.failed_at ?? reported.finished_at ?? payload.failed_at;
  if (change.status === "failed" && reported.error_summary !== undefined) payload.error_summary = clip(reported.error_summary);
  if (terminal && reported.duration_ms !== undefined) payload.duration_ms = reported.duration_ms;
  return payload;
}

export interface AlertPayloadInput {
  type: "alert.raised" | "alert.resolved";
  eventId: string;
  occurredAt: number;
  // The connection the alert is about; null for one about something wider (a destination host).
  connection: { id: string; name: string; credential_name: string | null } | null;
  alert: AlertDetails;
  // Where the alert can be looked into (a run or job it came from), when there is one.
  runId?: string | null;
  jobId?: string | null;
  publicUrl: string;
}

/** The payload of an alert judged outside a job's status change (the minute tick, the circuit breaker). */
export function buildAlertPayload(input: AlertPayloadInput): EventPayload {
  const runId = input.runId ?? null;
  const jobId = input.jobId ?? null;
  return {
    type: input.type,
    event_id: input.eventId,
    occurred_at: iso(input.occurredAt),
    run_id: runId,
    job_id: jobId,
    connection_id: input.connection?.id ?? null,
    connection_name: input.connection?.name ?? null,
    credential_name: input.connection?.credential_name ?? null,
    status: input.alert.state ?? (input.type === "alert.resolved" ? "resolved" : "critical"),
    previous_status: null,
    run_type: null,
    mode: null,
    trigger: null,
    started_at: null,
    finished_at: null,
    failed_at: null,
    duration_ms: null,
    error_summary: input.type === "alert.raised" ? (input.alert.summary ?? null) : null,
    error: null,
    job_url: jobId !== null ? dashboardUrl(input.publicUrl, dashboardPaths.job(jobId)) : runUrl(input.publicUrl, runId),
    run_url: runUrl(input.publicUrl, runId),
    connection_url: connectionUrl(input.publicUrl, input.connection?.id ?? null),
    dashboard_url: dashboardUrl(input.publicUrl, "/"),
    counters: null,
    alert: input.alert,
  };
}

// The one line every channel shows about why an alert was raised.
export function alertFact(alert: AlertDetails): { label: string; value: string } {
  const condition = alert.condition ?? "job_failed";
  switch (condition) {
    case "job_failed":
      return { label: "Consecutive failures", value: `${alert.consecutive_failures} (alert after ${alert.failure_threshold})` };
    case "verify_mismatch":
      return { label: "Verify Mismatch", value: `${alert.records ?? 0} record(s) accepted but stored differently (alert at ${alert.failure_threshold})` };
    case "drifted":
      return { label: "Drifted", value: `${alert.records ?? 0} record(s) changed since the dry run, not written (alert at ${alert.failure_threshold})` };
    case "record_failure_rate":
    case "slow_run":
    case "volume_change":
    case "missing_spike":
    case "freshness":
    case "destination_down":
    case "connection_paused":
      return { label: CONDITION_FACT_LABELS[condition], value: alert.summary ?? "" };
    default:
      return assertNever(condition);
  }
}

const CONDITION_FACT_LABELS = {
  record_failure_rate: "Record failure rate",
  slow_run: "Slow run",
  volume_change: "Volume change",
  missing_spike: "Destination missing spike",
  freshness: "Freshness",
  destination_down: "Destination down",
  connection_paused: "Connection paused",
} as const satisfies Partial<Record<RuleCondition, string>>;

export function alertHeadline(alert: AlertDetails | null): string {
  switch (alert?.condition ?? "job_failed") {
    case "verify_mismatch":
      return "Writes not stored as sent";
    case "drifted":
      return "Apply drifted from its plan";
    case "record_failure_rate":
      return "Records failing";
    case "slow_run":
      return "Run slower than usual";
    case "volume_change":
      return "Unusual volume";
    case "missing_spike":
      return "Destination missing spike";
    case "freshness":
      return "Data not fresh";
    case "destination_down":
      return "Destination down";
    case "connection_paused":
      return "Connection paused";
    default:
      return "Sync failing";
  }
}

// What to check first: a raised alert's own hint (the anomalies say what to look at), else the job error's.
export function alertHint(payload: EventPayload): string | null {
  return (payload.type === "alert.raised" ? payload.alert?.hint : null) ?? payload.error?.hint ?? null;
}

export function withAlert(base: EventPayload, type: "alert.raised" | "alert.resolved", eventId: string, occurredAt: number, alert: AlertDetails): EventPayload {
  return { ...base, type, event_id: eventId, occurred_at: iso(occurredAt), alert };
}

function jobCounters(job: JobFacts): PayloadCounters {
  const skipped = job.skipped_rule + job.skipped_no_change;
  return {
    in_scope: job.in_scope,
    processed: job.processed,
    would_update: job.would_update,
    updated: job.updated,
    skipped,
    skipped_rule: job.skipped_rule,
    skipped_no_change: job.skipped_no_change,
    missing_source: job.missing_source,
    missing_destination: job.missing_destination,
    failed: job.failed,
    drifted: job.drifted,
    verified: job.verified,
    verify_mismatch: job.verify_mismatch,
    records_synced: writtenTotal(job),
    records_failed: job.failed,
    bytes_synced: job.bytes_sent,
  };
}

function runCounters(run: RunFacts | null, jobs: readonly JobFacts[]): PayloadCounters {
  const sum = (pick: (job: JobFacts) => number) => jobs.reduce((total, job) => total + pick(job), 0);
  const inScope = jobs.every((job) => job.in_scope === null) ? null : sum((job) => job.in_scope ?? 0);
  return {
    in_scope: inScope,
    processed: sum((j) => j.processed),
    would_update: sum((j) => j.would_update),
    updated: sum((j) => j.updated),
    skipped: sum((j) => j.skipped_rule + j.skipped_no_change),
    skipped_rule: sum((j) => j.skipped_rule),
    skipped_no_change: sum((j) => j.skipped_no_change),
    missing_source: sum((j) => j.missing_source),
    missing_destination: sum((j) => j.missing_destination),
    failed: sum((j) => j.failed),
    drifted: sum((j) => j.drifted),
    verified: sum((j) => j.verified),
    verify_mismatch: sum((j) => j.verify_mismatch),
    records_synced: sum(writtenTotal),
    records_failed: sum((j) => j.failed),
    bytes_synced: sum((j) => j.bytes_sent),
    connections_total: run?.connection_count ?? jobs.length,
    connections_succeeded: jobs.length > 0 ? jobs.filter((j) => j.status === "completed").length : (run?.connections_succeeded ?? 0),
    connections_failed: jobs.length > 0 ? jobs.filter((j) => j.status === "failed").length : (run?.connections_failed ?? 0),
  };
}

function jobError(job: JobFacts): PayloadError | null {
  if (job.error_code === null && job.error_message === null) return null;
  return {
    code: job.error_code ?? "failed",
    http_status: job.error_http_status,
    message: job.error_message ?? "",
    hint: job.error_hint,
  };
}

function errorSummary(job: JobFacts | null, jobs: readonly JobFacts[]): string | null {
  if (job !== null) return clip(describeJobError(job));
  const failed = jobs.filter((j) => j.status === "failed");
  if (failed.length === 0) return null;
  return clip(failed.map((j) => `${j.connection_name}: ${describeJobError(j) ?? "failed"}`).join("; "));
}

function describeJobError(job: JobFacts): string | null {
  if (job.error_message === null) return job.error_code;
  return job.error_http_status === null || job.error_message.includes(String(job.error_http_status))
    ? job.error_message
    : `${job.error_http_status} — ${job.error_message}`;
}

function durationOf(job: JobFacts | null, run: RunFacts | null, finishedMs: number | null): number | null {
  if (job?.duration_ms != null) return job.duration_ms;
  const started = job?.started_at ?? run?.started_at ?? null;
  return started === null || finishedMs === null ? null : Math.max(0, finishedMs - started);
}

function runUrl(publicUrl: string, runId: string | null): string | null {
  return runId === null ? null : dashboardUrl(publicUrl, dashboardPaths.run(runId));
}

function connectionUrl(publicUrl: string, connectionId: string | null): string | null {
  return connectionId === null ? null : dashboardUrl(publicUrl, dashboardPaths.connection(connectionId));
}

// The dashboard page a message links to, named for what it shows: the job, else the run, else the connection, else
// the dashboard itself (an alert about a destination host, whose breaker it shows).
export function dashboardLink(payload: EventPayload): { url: string; text: string } | null {
  if (payload.job_id !== null && payload.job_url !== null) return { url: payload.job_url, text: "View job" };
  if (payload.run_url !== null) return { url: payload.run_url, text: "View run" };
  if (payload.connection_url != null) return { url: payload.connection_url, text: "View connection" };
  // A test alert links the Alerts page.
  if (payload.job_url !== null) return { url: payload.job_url, text: "Open Outbound Sync" };
  if (payload.dashboard_url !== undefined) return { url: payload.dashboard_url, text: "Open the dashboard" };
  return null;
}

function clip(text: string | null): string | null {
  if (text === null) return null;
  return text.length <= ERROR_SUMMARY_CHARS ? text : `${text.slice(0, ERROR_SUMMARY_CHARS - 1)}…`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
