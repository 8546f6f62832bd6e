import type { JobOutcomeColumns, JobRow } from "./run-rows";
import { RUN_STATUSES, type JobStatus, type RunMode, type RunTrigger, type RunType } from "../schemas/vocabulary";
import { emptyDurations, emptyStatusCounts, nearestRank, type DurationSummary, type StatusCounts } from "./stats";
import { windowStats } from "./stats-window";

export interface JobStatusFilter {
  since: number;
  until: number;
  statuses: JobStatus[] | null;
  connectionIds: string[] | null;
  mode: RunMode | null;
  jobId: string | null;
  runId: string | null;
}

// A job as MCP's job-status tool reports it: its own columns (bytes received aside) with its run's.
export interface JobStatusRow
  extends
    Omit<JobOutcomeColumns, "bytes_received">,
    Pick<JobRow, "id" | "run_id" | "connection_id" | "connection_name" | "status" | "created_at">,
    Pick<JobRow, "waiting_host" | "waiting_until" | "eta_finish_at"> {
  credential_name: string;
  mode: RunMode;
  type: RunType;
  trigger: RunTrigger;
  serial: string | null;
  requested_by: string;
}

export interface ConnectionMatch {
  id: string;
  name: string;
  credential_name: string;
}

/** An exact id, or every connection whose name contains `query`, ignoring case. */
export async function matchConnections(db: D1Database, query: string): Promise<ConnectionMatch[]> {
  const { results } = await db
    .prepare(
      `SELECT c.id, c.name, cr.name AS credential_name
         FROM connections c JOIN credentials cr ON cr.id = c.credential_id
        WHERE c.id = ?1 OR instr(lower(c.name), lower(?1)) > 0
        ORDER BY cr.name, c.position`,
    )
    .bind(query.trim())
    .all<ConnectionMatch>();
  const exact = results.filter((row) => row.id === query.trim());
  return exact.length > 0 ? exact : results;
}

// The summary reads a (connection_id | status, created_at, …) covering index, and joins runs only to
// filter by mode.
function summarySource(filter: JobStatusFilter): string {
  const index = filter.connectionIds === null ? "jobs_stats_by_status" : "jobs_stats_by_connection";
  return `jobs j INDEXED BY ${index}${filter.mode === null ? "" : " JOIN runs r ON r.id = j.run_id"}`;
}

function whereClause(filter: JobStatusFilter, everyStatus = false): { sql: string; params: unknown[] } {
  const clauses = ["j.created_at >= ?1", "j.created_at < ?2"];
  const params: unknown[] = [filter.since, filter.until];
  const add = (clause: (n: number) => string, value: unknown) => {
    params.push(value);
    clauses.push(clause(params.length));
  };
  // Naming every status lets the status column of the index be searched instead of scanned.
  const statuses = filter.statuses ?? (everyStatus ? [...RUN_STATUSES] : null);
  if (statuses !== null) add((n) => `j.status IN (SELECT value FROM json_each(?${n}))`, JSON.stringify(statuses));
  if (filter.connectionIds !== null) {
    add((n) => `j.connection_id IN (SELECT value FROM json_each(?${n}))`, JSON.stringify(filter.connectionIds));
  }
  if (filter.mode !== null) add((n) => `COALESCE(j.mode, r.mode) = ?${n}`, filter.mode);
  if (filter.jobId !== null) add((n) => `j.id = ?${n}`, filter.jobId);
  if (filter.runId !== null) add((n) => `j.run_id = ?${n}`, filter.runId);
  return { sql: clauses.join(" AND "), params };
}

/** Matching jobs newest first, with their run's context. */
export async function listJobStatuses(db: D1Database, filter: JobStatusFilter, limit: number): Promise<JobStatusRow[]> {
  const where = whereClause(filter);
  const { results } = await db
    .prepare(
      `SELECT j.id, j.run_id, j.connection_id, j.connection_name, r.credential_name, j.status,
              COALESCE(j.mode, r.mode) AS mode, r.type, r."trigger" AS "trigger", r.serial, r.requested_by,
              j.in_scope, j.processed, j.would_update, j.updated, j.skipped_rule, j.skipped_no_change,
              j.missing_source, j.missing_destination, j.failed, j.drifted, j.verified, j.verify_mismatch, j.bytes_sent,
              j.error_code, j.error_http_status, j.error_message, j.error_hint,
              j.created_at, j.started_at, j.finished_at, j.duration_ms, j.waiting_host, j.waiting_until, j.eta_finish_at
         FROM jobs j JOIN runs r ON r.id = j.run_id
        WHERE ${where.sql}
        ORDER BY j.created_at DESC, j.id DESC
        LIMIT ${Math.max(1, Math.floor(limit))}`,
    )
    .bind(...where.params)
    .all<JobStatusRow>();
  return results;
}

export interface JobStatusSummary {
  total: number;
  byStatus: StatusCounts;
  completedDurations: DurationSummary;
}

/** Counts of every matching job (not only the listed page) and the durations of the completed ones. */
export async function summarizeJobStatuses(db: D1Database, filter: JobStatusFilter): Promise<JobStatusSummary> {
  // Filters the hourly rollup knows (window, connections, statuses) read it; mode, job and run need the jobs.
  if (filter.mode === null && filter.jobId === null && filter.runId === null) return summarizeFromRollup(db, filter);
  const where = whereClause(filter, true);
  const completed = `${where.sql} AND j.status = 'completed' AND j.duration_ms IS NOT NULL`;
  const from = summarySource(filter);
  const [counts, durations] = await db.batch([
    db.prepare(`SELECT j.status, COUNT(*) AS n FROM ${from} WHERE ${where.sql} GROUP BY j.status`).bind(...where.params),
    db
      .prepare(
        `SELECT COUNT(*) AS n, AVG(j.duration_ms) AS avg_ms, MIN(j.duration_ms) AS min_ms, MAX(j.duration_ms) AS max_ms
           FROM ${from} WHERE ${completed}`,
      )
      .bind(...where.params),
  ]);
  const byStatus = emptyStatusCounts();
  let total = 0;
  for (const row of (counts?.results ?? []) as Array<{ status: JobStatus; n: number }>) {
    byStatus[row.status] = row.n;
    total += row.n;
  }
  const aggregate = durations?.results[0] as { n: number; avg_ms: number | null; min_ms: number | null; max_ms: number | null } | undefined;
  const completedDurations = emptyDurations();
  if (aggregate && aggregate.n > 0) {
    const n = aggregate.n;
    completedDurations.count = n;
    completedDurations.averageMs = aggregate.avg_ms === null ? null : Math.round(aggregate.avg_ms);
    completedDurations.minMs = aggregate.min_ms;
    completedDurations.maxMs = aggregate.max_ms;
    // Nearest rank, walked from the nearer end so the sort keeps few rows.
    const rankStatement = (rank: number) => {
      const fromTop = rank > n / 2;
      return db
        .prepare(
          `SELECT j.duration_ms FROM ${from} WHERE ${completed}
            ORDER BY j.duration_ms ${fromTop ? "DESC" : "ASC"} LIMIT 1 OFFSET ${fromTop ? n - rank : rank - 1}`,
        )
        .bind(...where.params);
    };
    const [p50, p95] = await db.batch<{ duration_ms: number }>([rankStatement(nearestRank(n, 50)), rankStatement(nearestRank(n, 95))]);
    completedDurations.p50Ms = p50?.results[0]?.duration_ms ?? null;
    completedDurations.p95Ms = p95?.results[0]?.duration_ms ?? null;
  }
  return { total, byStatus, completedDurations };
}

async function summarizeFromRollup(db: D1Database, filter: JobStatusFilter): Promise<JobStatusSummary> {
  const stats = await windowStats(db, { since: filter.since, until: filter.until }, filter.connectionIds);
  const wanted = new Set<JobStatus>(filter.statuses ?? RUN_STATUSES);
  const byStatus = emptyStatusCounts();
  for (const status of wanted) byStatus[status] = stats.jobs[status];
  return {
    total: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
    byStatus,
    completedDurations: wanted.has("completed") ? stats.durations : emptyDurations(),
  };
}
