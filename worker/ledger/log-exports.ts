import type { ExportStatus } from "../schemas/retention-vocabulary";
import type { RunMode, RunTrigger, RunType } from "../schemas/vocabulary";
import type { JobOutcomeColumns, JobRow } from "./run-rows";
import type { LogRecord } from "./run-writes";
import { ACTIVE_SQL } from "./status-sets";

// Storage for log export: one log_exports row per UTC day, and the paged reads of a day's jobs and logs.

export interface LogExportRow {
  day: string;
  status: ExportStatus;
  target: string | null;
  object_keys_json: string | null;
  bytes: number | null;
  job_count: number | null;
  log_count: number | null;
  archive_objects: number | null;
  archive_bytes: number | null;
  error: string | null;
  progress_json: string | null;
  attempted_at: number;
  exported_at: number | null;
}

const COLUMNS =
  "day, status, target, object_keys_json, bytes, job_count, log_count, archive_objects, archive_bytes, error, progress_json, attempted_at, exported_at";

export async function listLogExports(db: D1Database, limit: number): Promise<LogExportRow[]> {
  const { results } = await db.prepare(`SELECT ${COLUMNS} FROM log_exports ORDER BY day DESC LIMIT ?1`).bind(limit).all<LogExportRow>();
  return results;
}

export async function readLogExport(db: D1Database, day: string): Promise<LogExportRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM log_exports WHERE day = ?1`).bind(day).first<LogExportRow>();
}

export async function succeededExportDays(db: D1Database, fromDay: string): Promise<Set<string>> {
  const { results } = await db.prepare("SELECT day FROM log_exports WHERE day >= ?1 AND status = 'succeeded'").bind(fromDay).all<{ day: string }>();
  return new Set(results.map((r) => r.day));
}

export interface LogExportWrite {
  day: string;
  status: ExportStatus;
  target: string;
  objectKeys: string[];
  bytes: number;
  jobCount: number;
  logCount: number;
  archiveObjects: number;
  archiveBytes: number;
  error: string | null;
  progress: unknown;
  attemptedAt: number;
  exportedAt: number | null;
}

export async function writeLogExport(db: D1Database, row: LogExportWrite): Promise<void> {
  await db
    .prepare(
      `INSERT INTO log_exports (day, status, target, object_keys_json, bytes, job_count, log_count, error, progress_json, attempted_at, exported_at,
                                archive_objects, archive_bytes)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
       ON CONFLICT (day) DO UPDATE SET
         status = excluded.status, target = excluded.target, object_keys_json = excluded.object_keys_json,
         bytes = excluded.bytes, job_count = excluded.job_count, log_count = excluded.log_count, error = excluded.error,
         progress_json = excluded.progress_json, attempted_at = excluded.attempted_at, exported_at = excluded.exported_at,
         archive_objects = excluded.archive_objects, archive_bytes = excluded.archive_bytes`,
    )
    .bind(
      row.day,
      row.status,
      row.target,
      JSON.stringify(row.objectKeys),
      row.bytes,
      row.jobCount,
      row.logCount,
      row.error,
      row.progress === null ? null : JSON.stringify(row.progress),
      row.attemptedAt,
      row.exportedAt,
      row.archiveObjects,
      row.archiveBytes,
    )
    .run();
}

/** The creation time of the oldest job at or after `from`, or null. */
export async function oldestJobFrom(db: D1Database, from: number): Promise<number | null> {
  const row = await db
    .prepare("SELECT MIN(created_at) AS at FROM jobs INDEXED BY jobs_by_created WHERE created_at >= ?1")
    .bind(from)
    .first<{ at: number | null }>();
  return row?.at ?? null;
}

export async function hasActiveJobs(db: D1Database, since: number, until: number): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS active FROM jobs INDEXED BY jobs_stats_by_status
        WHERE status IN ${ACTIVE_SQL} AND created_at >= ?1 AND created_at < ?2 LIMIT 1`,
    )
    .bind(since, until)
    .first<{ active: number }>();
  return row !== null;
}

export interface ExportJobRow
  extends JobOutcomeColumns, Pick<JobRow, "id" | "run_id" | "connection_id" | "connection_name" | "connection_version" | "position" | "status" | "created_at"> {
  // The job's own mode, or its run's for jobs from before per-job modes.
  mode: RunMode;
  run_type: RunType;
  run_trigger: RunTrigger;
  credential_id: string;
  credential_name: string;
  requested_by: string;
  serial: string | null;
}

export interface JobCursor {
  created_at: number;
  id: string;
}

/** Jobs created in [since, until) after the cursor, in (created_at, id) order, with their run's context. */
export async function readJobsPage(db: D1Database, since: number, until: number, after: JobCursor | null, limit: number): Promise<ExportJobRow[]> {
  const { results } = await db
    .prepare(
      `SELECT j.id, j.run_id, j.connection_id, j.connection_name, j.connection_version, j.position, j.status,
              COALESCE(j.mode, r.mode) AS mode, r.type AS run_type, r."trigger" AS run_trigger, r.credential_id,
              r.credential_name, r.requested_by, r.serial, j.in_scope, j.processed, j.would_update, j.updated,
              j.skipped_rule, j.skipped_no_change, j.missing_source, j.missing_destination, j.failed, j.drifted,
              j.verified, j.verify_mismatch, j.bytes_sent,
              j.bytes_received, j.error_code, j.error_http_status, j.error_message, j.error_hint, j.created_at,
              j.started_at, j.finished_at, j.duration_ms
         FROM jobs j INDEXED BY jobs_by_created JOIN runs r ON r.id = j.run_id
        WHERE j.created_at >= ?1 AND j.created_at < ?2 AND (j.created_at, j.id) > (?3, ?4)
        ORDER BY j.created_at, j.id
        LIMIT ?5`,
    )
    .bind(since, until, after?.created_at ?? -1, after?.id ?? "", limit)
    .all<ExportJobRow>();
  return results;
}

// A log line as the ledger stores it, with its job.
export type ExportLogRow = LogRecord;

export interface LogCursor {
  job_id: string;
  seq: number;
}

/**
 * Log lines of the jobs created in [since, until), after the cursor, in (job, sequence) order. `id >= cursor`
 * keeps each page from walking the jobs already exported.
 */
export async function readLogsPage(db: D1Database, since: number, until: number, after: LogCursor | null, limit: number): Promise<ExportLogRow[]> {
  const { results } = await db
    .prepare(
      `SELECT l.job_id, l.seq, l.at, l.level, l.message, l.serial
         FROM logs l
        WHERE l.job_id IN (
                SELECT id FROM jobs INDEXED BY jobs_by_created WHERE created_at >= ?1 AND created_at < ?2 AND id >= ?3)
          AND (l.job_id, l.seq) > (?3, ?4)
        ORDER BY l.job_id, l.seq
        LIMIT ?5`,
    )
    .bind(since, until, after?.job_id ?? "", after?.seq ?? -1, limit)
    .all<ExportLogRow>();
  return results;
}
