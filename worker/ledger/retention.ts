// Storage for retention: the pass bookkeeping and the bounded DELETE statements. Every delete touches
// at most `limit` rows chosen through an index, so no statement grows with the size of the history.
import { ARCHIVE_COUNTS, PURGED_TABLES, type ArchiveDeletedCounts, type DeletedCounts, type PassStatus } from "../schemas/retention-vocabulary";
import { ACTIVE_SQL, TERMINAL_SQL } from "./status-sets";

export interface RetentionPassRow {
  id: string;
  cutoff: number;
  status: PassStatus;
  deleted_json: string;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  progress_json: string;
  lease_until: number | null;
  invocations: number;
  longest_statement_ms: number;
  archive_deleted_json: string;
}

export interface StatementResult {
  changes: number;
  /** SQL execution time reported by D1, in ms. */
  durationMs: number;
}

export function emptyDeletedCounts(): DeletedCounts {
  return Object.fromEntries(PURGED_TABLES.map((t) => [t, 0])) as DeletedCounts;
}

export function emptyArchiveDeleted(): ArchiveDeletedCounts {
  return Object.fromEntries(ARCHIVE_COUNTS.map((c) => [c, 0])) as ArchiveDeletedCounts;
}

/** A pass row's archive counts; rows from before the archive read as zero. */
export function archiveDeletedOf(row: Pick<RetentionPassRow, "archive_deleted_json">): ArchiveDeletedCounts {
  return { ...emptyArchiveDeleted(), ...(JSON.parse(row.archive_deleted_json) as Partial<ArchiveDeletedCounts>) };
}

const PASS_COLUMNS =
  "id, cutoff, status, deleted_json, error, started_at, finished_at, progress_json, lease_until, invocations, longest_statement_ms, archive_deleted_json";

export async function latestPass(db: D1Database): Promise<RetentionPassRow | null> {
  return db.prepare(`SELECT ${PASS_COLUMNS} FROM retention_passes ORDER BY started_at DESC, id DESC LIMIT 1`).first<RetentionPassRow>();
}

export async function runningPass(db: D1Database): Promise<RetentionPassRow | null> {
  return db.prepare(`SELECT ${PASS_COLUMNS} FROM retention_passes WHERE status = 'running' ORDER BY started_at LIMIT 1`).first<RetentionPassRow>();
}

export async function listPasses(db: D1Database, limit: number): Promise<RetentionPassRow[]> {
  const { results } = await db
    .prepare(`SELECT ${PASS_COLUMNS} FROM retention_passes ORDER BY started_at DESC, id DESC LIMIT ?1`)
    .bind(limit)
    .all<RetentionPassRow>();
  return results;
}

/** Starts a pass unless one is already running; the check and the insert are one statement. */
export async function insertPassIfNoneRunning(db: D1Database, pass: { id: string; cutoff: number; now: number; progress: unknown }): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO retention_passes (id, cutoff, status, deleted_json, started_at, progress_json)
       SELECT ?1, ?2, 'running', ?3, ?4, ?5
        WHERE NOT EXISTS (SELECT 1 FROM retention_passes WHERE status = 'running')`,
    )
    .bind(pass.id, pass.cutoff, JSON.stringify(emptyDeletedCounts()), pass.now, JSON.stringify(pass.progress))
    .run();
  return result.meta.changes === 1;
}

/** Takes the pass's lease; false when another invocation holds an unexpired one. */
export async function claimPass(db: D1Database, id: string, now: number, leaseUntil: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE retention_passes SET lease_until = ?3, invocations = invocations + 1
        WHERE id = ?1 AND status = 'running' AND (lease_until IS NULL OR lease_until < ?2)`,
    )
    .bind(id, now, leaseUntil)
    .run();
  return result.meta.changes === 1;
}

export interface PassUpdate {
  deleted: DeletedCounts;
  archiveDeleted: ArchiveDeletedCounts;
  progress: unknown;
  longestStatementMs: number;
  status?: PassStatus;
  error?: string | null;
  finishedAt?: number | null;
  releaseLease?: boolean;
}

export function savePassStatement(db: D1Database, id: string, update: PassUpdate): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE retention_passes
          SET deleted_json = ?2, progress_json = ?3, longest_statement_ms = MAX(longest_statement_ms, ?4),
              status = COALESCE(?5, status), error = CASE WHEN ?6 = 1 THEN ?7 ELSE error END,
              finished_at = COALESCE(?8, finished_at),
              lease_until = CASE WHEN ?9 = 1 THEN NULL ELSE lease_until END, archive_deleted_json = ?10
        WHERE id = ?1`,
    )
    .bind(
      id,
      JSON.stringify(update.deleted),
      JSON.stringify(update.progress),
      update.longestStatementMs,
      update.status ?? null,
      update.error === undefined ? 0 : 1,
      update.error ?? null,
      update.finishedAt ?? null,
      update.releaseLease ? 1 : 0,
      JSON.stringify(update.archiveDeleted),
    );
}

/** Finished jobs created before `before`; active ones stay, the coordinator still owns them. */
export async function selectExpiredJobIds(db: D1Database, before: number, limit: number): Promise<{ ids: string[]; durationMs: number }> {
  const result = await db
    .prepare(
      `SELECT id FROM jobs INDEXED BY jobs_stats_by_status
        WHERE status IN ${TERMINAL_SQL} AND created_at < ?1
        LIMIT ?2`,
    )
    .bind(before, limit)
    .all<{ id: string }>();
  return { ids: result.results.map((r) => r.id), durationMs: result.meta.duration };
}

// RETURNING counts the lines: D1's `changes` also counts what the full-text index's trigger wrote.
export async function deleteLogsOfJobs(db: D1Database, jobIds: string[], limit: number): Promise<StatementResult> {
  const result = await db
    .prepare(
      `DELETE FROM logs WHERE id IN (
         SELECT id FROM logs WHERE job_id IN (SELECT value FROM json_each(?1)) LIMIT ?2)
       RETURNING id`,
    )
    .bind(JSON.stringify(jobIds), limit)
    .all();
  return { changes: result.results.length, durationMs: result.meta.duration };
}

export async function deleteOutcomesOfJobs(db: D1Database, jobIds: string[], limit: number): Promise<StatementResult> {
  return run(
    db
      .prepare(
        `DELETE FROM record_outcomes WHERE (job_id, serial) IN (
           SELECT job_id, serial FROM record_outcomes WHERE job_id IN (SELECT value FROM json_each(?1)) LIMIT ?2)`,
      )
      .bind(JSON.stringify(jobIds), limit),
  );
}

/**
 * Deletes the jobs once their logs and outcomes are gone; a job that gained children meanwhile stays.
 * Counted by the returned ids: D1's `changes` also counts the stats-rollup trigger's writes.
 */
export async function deleteJobs(db: D1Database, jobIds: string[]): Promise<StatementResult> {
  const result = await db
    .prepare(
      `DELETE FROM jobs
        WHERE id IN (SELECT value FROM json_each(?1))
          AND NOT EXISTS (SELECT 1 FROM logs WHERE logs.job_id = jobs.id)
          AND NOT EXISTS (SELECT 1 FROM record_outcomes WHERE record_outcomes.job_id = jobs.id)
       RETURNING id`,
    )
    .bind(JSON.stringify(jobIds))
    .run();
  return { changes: result.results.length, durationMs: result.meta.duration };
}

/** Jobs created in [since, until) that are still running or pending: their archive objects stay, like their rows. */
export async function activeJobIdsCreatedBetween(db: D1Database, since: number, until: number): Promise<Set<string>> {
  const { results } = await db
    .prepare(
      `SELECT id FROM jobs INDEXED BY jobs_stats_by_status
        WHERE status IN ${ACTIVE_SQL} AND created_at >= ?1 AND created_at < ?2`,
    )
    .bind(since, until)
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/** Finished runs created before `before` with no job left. */
export async function deleteExpiredRuns(db: D1Database, before: number, limit: number): Promise<StatementResult> {
  return run(
    db
      .prepare(
        `DELETE FROM runs WHERE id IN (
           SELECT id FROM runs INDEXED BY runs_by_created
            WHERE created_at < ?1 AND status IN ${TERMINAL_SQL}
              AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.run_id = runs.id)
            LIMIT ?2)`,
      )
      .bind(before, limit),
  );
}

export async function deleteExpiredEvents(db: D1Database, before: number, limit: number): Promise<StatementResult> {
  return run(
    db
      .prepare(
        `DELETE FROM events WHERE id IN (
           SELECT id FROM events INDEXED BY events_by_created WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)`,
      )
      .bind(before, limit),
  );
}

// Attempts first, for the same oldest deliveries the next statement removes.
export async function deleteAttemptsOfExpiredDeliveries(db: D1Database, before: number, limit: number): Promise<StatementResult> {
  return run(
    db
      .prepare(
        `DELETE FROM delivery_attempts WHERE delivery_id IN (
           SELECT id FROM deliveries INDEXED BY deliveries_by_created WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)`,
      )
      .bind(before, limit),
  );
}

export async function deleteExpiredDeliveries(db: D1Database, before: number, limit: number): Promise<StatementResult> {
  return run(
    db
      .prepare(
        `DELETE FROM deliveries WHERE id IN (
           SELECT id FROM deliveries INDEXED BY deliveries_by_created
            WHERE created_at < ?1 AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_id = deliveries.id)
            ORDER BY created_at LIMIT ?2)`,
      )
      .bind(before, limit),
  );
}

export async function deleteExpiredScheduleTicks(db: D1Database, before: number, limit: number): Promise<StatementResult> {
  return run(
    db
      .prepare(
        `DELETE FROM schedule_ticks WHERE (connection_id, due_at) IN (
           SELECT connection_id, due_at FROM schedule_ticks INDEXED BY schedule_ticks_by_time
            WHERE recorded_at < ?1 ORDER BY recorded_at LIMIT ?2)`,
      )
      .bind(before, limit),
  );
}

async function run(statement: D1PreparedStatement): Promise<StatementResult> {
  const result = await statement.run();
  return { changes: result.meta.changes, durationMs: result.meta.duration };
}
