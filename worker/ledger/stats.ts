import type { JobStatus, RunStatus } from "../schemas/vocabulary";
import { FRESHNESS_COLUMNS, type FreshnessColumns } from "./connection-freshness";
import { RUN_STATUSES } from "../schemas/vocabulary";

// Window counts and durations are in stats-window.ts (hourly rollup plus edge hours); these are the
// other stats statements, each reading an index, batched with runQueries.

export interface TimeWindow {
  since: number;
  until: number;
}

export type StatusCounts = Record<JobStatus, number>;

export interface DurationSummary {
  count: number;
  averageMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  minMs: number | null;
  maxMs: number | null;
}

export interface ConnectionWindowStats {
  connectionId: string;
  jobs: StatusCounts;
  durations: DurationSummary;
}

export interface FailedJobRow {
  id: string;
  run_id: string;
  connection_id: string;
  connection_name: string;
  mode: "dry" | "live";
  trigger: string;
  error_code: string | null;
  error_http_status: number | null;
  error_message: string | null;
  error_hint: string | null;
  created_at: number;
  finished_at: number | null;
  duration_ms: number | null;
}

export interface ConnectionHealthRow extends FreshnessColumns {
  id: string;
  name: string;
  credential_id: string;
  credential_name: string;
  enabled: number;
  dry_run: number;
  schedule: string | null;
  last_status: string | null;
  last_failed_records: number;
  last_run_at: number | null;
  last_success_at: number | null;
}

export interface RecentJobRow {
  connection_id: string;
  id: string;
  status: JobStatus;
  duration_ms: number | null;
  created_at: number;
}

/** A statement and how to read its result, so several can share one batch. */
export interface Query<T> {
  statement: D1PreparedStatement;
  read(result: D1Result): T;
}

type Results<Q extends readonly Query<unknown>[]> = { [K in keyof Q]: Q[K] extends Query<infer R> ? R : never };

/** Runs the queries as one D1 batch: one round trip, one consistent snapshot. */
export async function runQueries<const Q extends readonly Query<unknown>[]>(db: D1Database, queries: Q): Promise<Results<Q>> {
  if (queries.length === 0) return [] as unknown as Results<Q>;
  const results = await db.batch(queries.map((q) => q.statement));
  return queries.map((q, i) => q.read(results[i] as D1Result)) as unknown as Results<Q>;
}

export function emptyStatusCounts(): StatusCounts {
  return Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

export function emptyDurations(): DurationSummary {
  return { count: 0, averageMs: null, p50Ms: null, p95Ms: null, minMs: null, maxMs: null };
}

/** 1-based nearest rank: p95 of n sorted durations is the one at ceil(0.95·n), always a real duration. */
export function nearestRank(n: number, percent: number): number {
  return Math.max(1, Math.ceil((n * percent) / 100));
}

function tally(rows: Array<{ status: RunStatus; n: number }>): StatusCounts {
  const counts = emptyStatusCounts();
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

export function runCountsQuery(db: D1Database, window: TimeWindow): Query<StatusCounts> {
  return {
    statement: db
      .prepare("SELECT status, COUNT(*) AS n FROM runs INDEXED BY runs_by_created WHERE created_at >= ?1 AND created_at < ?2 GROUP BY status")
      .bind(window.since, window.until),
    read: (result) => tally(result.results as Array<{ status: RunStatus; n: number }>),
  };
}

/** Failed jobs created in the window, newest first. */
export function recentFailuresQuery(db: D1Database, window: TimeWindow, limit: number): Query<FailedJobRow[]> {
  return {
    statement: db
      .prepare(
        `SELECT j.id, j.run_id, j.connection_id, j.connection_name, COALESCE(j.mode, r.mode) AS mode, r."trigger" AS "trigger",
                j.error_code, j.error_http_status, j.error_message, j.error_hint, j.created_at, j.finished_at, j.duration_ms
           FROM jobs j INDEXED BY jobs_stats_by_status JOIN runs r ON r.id = j.run_id
          WHERE j.status = 'failed' AND j.created_at >= ?1 AND j.created_at < ?2
          ORDER BY j.created_at DESC, j.id DESC
          LIMIT ?3`,
      )
      .bind(window.since, window.until, limit),
    read: (result) => result.results as unknown as FailedJobRow[],
  };
}

/**
 * Every connection with its last status and last success. A success is a completed live job: a dry run
 * writes nothing, so it proves no sync. The last success is the later of the connection's bookkeeping and
 * its newest completed live job, so neither a purge nor a missed update hides one.
 */
export function connectionHealthQuery(db: D1Database): Query<ConnectionHealthRow[]> {
  return {
    statement: db.prepare(
      `SELECT c.id, c.name, c.credential_id, cr.name AS credential_name, c.enabled, c.dry_run, c.schedule,
              c.last_status, c.last_failed_records, c.last_run_at,
              NULLIF(MAX(IFNULL(c.last_success_at, 0), IFNULL((
                SELECT j.finished_at FROM jobs j INDEXED BY jobs_stats_by_connection
                 WHERE j.connection_id = c.id AND j.status = 'completed'
                   AND COALESCE(j.mode, (SELECT r.mode FROM runs r WHERE r.id = j.run_id)) = 'live'
                 ORDER BY j.created_at DESC LIMIT 1), 0)), 0) AS last_success_at,
              ${FRESHNESS_COLUMNS}
         FROM connections c JOIN credentials cr ON cr.id = c.credential_id
        ORDER BY cr.name, c.position`,
    ),
    read: (result) => result.results as unknown as ConnectionHealthRow[],
  };
}

/** The newest `perConnection` jobs of each connection, newest first: the sparkline behind a connection row. */
export function recentJobsQuery(db: D1Database, perConnection: number): Query<RecentJobRow[]> {
  return {
    statement: db
      .prepare(
        `SELECT j.connection_id, j.id, j.status, j.duration_ms, j.created_at
           FROM connections c
           JOIN jobs j ON j.id IN (
             SELECT id FROM jobs INDEXED BY jobs_by_connection WHERE connection_id = c.id ORDER BY created_at DESC LIMIT ?1)
          ORDER BY j.connection_id, j.created_at DESC`,
      )
      .bind(perConnection),
    read: (result) => result.results as unknown as RecentJobRow[],
  };
}

export async function connectionHealth(db: D1Database): Promise<ConnectionHealthRow[]> {
  const [rows] = await runQueries(db, [connectionHealthQuery(db)] as const);
  return rows;
}

export interface CredentialAttentionRow {
  id: string;
  name: string;
  refresh_error: string | null;
  refresh_error_at: number | null;
  connection_count: number;
}

// Refresh-token credentials that cannot get a token: the provider refused the one kept, or none was ever given while
// connections use the credential. Few rows: the scheme's credentials only.
export function credentialAttentionQuery(db: D1Database): Query<CredentialAttentionRow[]> {
  return {
    statement: db.prepare(
      `SELECT cr.id, cr.name, cr.refresh_error, cr.refresh_error_at,
              (SELECT COUNT(*) FROM connections c WHERE c.credential_id = cr.id) AS connection_count
         FROM credentials cr
        WHERE cr.scheme = 'oauth2_refresh_token'
          AND (cr.refresh_error IS NOT NULL
               OR (cr.refresh_ciphertext IS NULL AND EXISTS (SELECT 1 FROM connections c WHERE c.credential_id = cr.id)))
        ORDER BY cr.name`,
    ),
    read: (result) => result.results as unknown as CredentialAttentionRow[],
  };
}
