import { z } from "zod";
import { listJobStatuses, matchConnections, summarizeJobStatuses, type JobStatusRow } from "../ledger/job-status";
import { RUN_MODES, RUN_STATUSES, type JobStatus } from "../schemas/vocabulary";
import { successRate } from "../stats/stats-report";
import { durationText } from "../stats/duration-text";
import { DAY_MS, resolveTimeRange } from "../stats/time-range";
import { ToolInputError } from "./tool-errors";
import { statusDetail } from "../schemas/status-detail";
import { etaView, jobWaiting } from "../ledger/run-views";
import { dashboardPaths, dashboardUrl } from "../../shared/dashboard-paths";

// The seed's documentation says "Succeeded" and "Cancelled"; agents quoting it should still match.
const STATUS_ALIASES: Record<string, JobStatus> = { succeeded: "completed", success: "completed", cancelled: "canceled" };
const STATUS_WORDS = [...RUN_STATUSES, ...Object.keys(STATUS_ALIASES)] as [string, ...string[]];
const statusWord = z.enum(STATUS_WORDS);

export const JOB_STATUS_TOOL = {
  name: "get_job_status",
  title: "Get sync job status",
  description:
    "Lists outbound sync jobs (one job = one connection's execution inside a run), newest first, with status, " +
    'mode (dry/live), trigger, timing, record counters (failed_records, and a status_detail such as "Completed with 3 ' +
    'failed records" for a completed job whose records partly failed), for a running job its eta ({remaining_ms, finish_at}) and ' +
    "waiting (the destination breaker holding it back: {host, next_probe_at, reason}), for failed jobs the error and a hint, and job_url and " +
    "run_url, the dashboard pages to link a person to. Also returns a " +
    "summary over ALL matching jobs, not only the listed ones: count per status, success rate, and the average, " +
    "median (p50) and p95 duration of the completed ones. Examples: failed jobs from the last 24 hours → " +
    '{"status":"failed","since":"24h"}; average duration of the Salesforce connection this week → ' +
    '{"connection":"salesforce","since":"7d","status":"completed"} and read summary.completed_durations. ' +
    "Jobs are selected by when they were created; without `since` the last 7 days are searched.",
  inputSchema: {
    status: z
      .union([statusWord, z.array(statusWord).min(1).max(RUN_STATUSES.length)])
      .optional()
      .describe('Only jobs in this status, or any of these statuses: pending, running, completed (alias "succeeded"), failed, canceled (alias "cancelled").'),
    connection: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('A connection id, or part of a connection name, case-insensitive (e.g. "salesforce" matches "Salesforce → Snowflake").'),
    since: z
      .string()
      .max(40)
      .optional()
      .describe('Earliest job creation time: ISO 8601 ("2026-11-20T00:00:00Z") or a time ago ("30m", "24h", "7d", "2w"). Default "7d".'),
    until: z.string().max(40).optional().describe("Latest job creation time (exclusive), same formats as since. Default now."),
    mode: z.enum(RUN_MODES).optional().describe("dry (diagnostics only, writes nothing) or live (writes to the destination)."),
    job_id: z.string().max(100).optional().describe("Only this job."),
    run_id: z.string().max(100).optional().describe("Only the jobs of this run."),
    limit: z.number().int().min(1).max(100).default(20).describe("How many jobs to list (1–100, default 20); the summary covers all matches."),
  },
};

export type JobStatusInput = z.output<z.ZodObject<typeof JOB_STATUS_TOOL.inputSchema>>;

export async function getJobStatus(db: D1Database, input: JobStatusInput, now: number, origin: string) {
  const range = resolveTimeRange({ since: input.since, until: input.until }, now, 7 * DAY_MS);
  const words = input.status === undefined ? null : Array.isArray(input.status) ? input.status : [input.status];
  const statuses = words === null ? null : [...new Set(words.map(normaliseStatus))];

  let matched: Array<{ id: string; name: string }> | null = null;
  if (input.connection !== undefined) {
    const found = await matchConnections(db, input.connection);
    if (found.length === 0) {
      throw new ToolInputError(`No connection has the id "${input.connection}" or a name containing it. Call list_connections to see the connections.`);
    }
    matched = found.map((c) => ({ id: c.id, name: c.name }));
  }

  const filter = {
    since: range.since,
    until: range.until,
    statuses,
    connectionIds: matched === null ? null : matched.map((c) => c.id),
    mode: input.mode ?? null,
    jobId: input.job_id ?? null,
    runId: input.run_id ?? null,
  };
  const [jobs, summary] = await Promise.all([listJobStatuses(db, filter, input.limit), summarizeJobStatuses(db, filter)]);
  const durations = summary.completedDurations;
  return {
    window: { since: iso(range.since), until: iso(range.until) },
    filters: { status: statuses, connections: matched, mode: filter.mode, job_id: filter.jobId, run_id: filter.runId },
    summary: {
      matching_jobs: summary.total,
      by_status: summary.byStatus,
      success_rate: successRate(summary.byStatus),
      completed_durations: {
        count: durations.count,
        average_ms: durations.averageMs,
        average: durationText(durations.averageMs),
        p50_ms: durations.p50Ms,
        p95_ms: durations.p95Ms,
        min_ms: durations.minMs,
        max_ms: durations.maxMs,
      },
    },
    returned: jobs.length,
    truncated: summary.total > jobs.length,
    jobs: jobs.map((row) => jobView(row, now, origin)),
  };
}

function normaliseStatus(word: string): JobStatus {
  const lower = word.toLowerCase();
  return STATUS_ALIASES[lower] ?? (lower as JobStatus);
}

function jobView(row: JobStatusRow, now: number, origin: string) {
  const progress = row.in_scope === null ? `${row.processed} processed` : `${row.processed} of ${row.in_scope}`;
  return {
    job_id: row.id,
    run_id: row.run_id,
    job_url: dashboardUrl(origin, dashboardPaths.job(row.id)),
    run_url: dashboardUrl(origin, dashboardPaths.run(row.run_id)),
    connection_id: row.connection_id,
    connection_name: row.connection_name,
    credential_name: row.credential_name,
    status: row.status,
    // A completed job with failed records says so, so an agent does not report it as a clean success.
    status_detail: statusDetail(row.status, row.failed),
    failed_records: row.failed,
    mode: row.mode,
    type: row.type,
    trigger: row.trigger,
    serial: row.serial,
    requested_by: row.requested_by,
    created_at: iso(row.created_at),
    started_at: row.started_at === null ? null : iso(row.started_at),
    finished_at: row.finished_at === null ? null : iso(row.finished_at),
    duration_ms: row.duration_ms,
    duration: durationText(row.duration_ms),
    progress,
    // The same estimate and breaker hold as the API's job summaries; both null unless the job is running.
    eta: etaView(row.status, row.eta_finish_at, now),
    waiting: jobWaiting(row),
    counters:
      row.mode === "dry"
        ? {
            would_update: row.would_update,
            skipped: row.skipped_rule + row.skipped_no_change,
            missing_source: row.missing_source,
            missing_destination: row.missing_destination,
          }
        : {
            updated: row.updated,
            verified: row.verified,
            verify_mismatch: row.verify_mismatch,
            drifted: row.drifted,
            skipped: row.skipped_rule + row.skipped_no_change,
            missing_source: row.missing_source,
            missing_destination: row.missing_destination,
            failed: row.failed,
            bytes_sent: row.bytes_sent,
          },
    error:
      row.error_code === null && row.error_message === null
        ? null
        : { code: row.error_code, http_status: row.error_http_status, message: row.error_message, hint: row.error_hint },
  };
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
