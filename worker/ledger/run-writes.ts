import { archiveDay } from "../archive/archive-keys";
import { newId } from "./ids";
import { tagEvent, writtenEventIds } from "./outbox-event-ids";
import { pauseAfterFailureStatement } from "./connection-pause";
import { isUniqueViolation } from "./unique-violation";
import { JOB_COUNTER_COLUMNS, type JobCounterValues, type JobError, type JobRow, type RunRow } from "./run-rows";
import type { JobStatus, RunMode, RunStatus } from "../schemas/vocabulary";
import { ACTIVE_SQL } from "./status-sets";
import type { SqlQuery } from "./sql-query";

// Status changes of runs and jobs. Each transition is a guarded UPDATE followed by its outbox event,
// inserted only when the UPDATE changed a row (`changes()`), in the same batch: the event exists exactly
// when the transition happened, and replaying a batch after a crash adds nothing.

export interface NewRun extends Pick<
  RunRow,
  | "id"
  | "credential_id"
  | "credential_name"
  | "type"
  | "serial"
  | "mode"
  | "trigger"
  | "requested_by"
  | "scope_json"
  | "rerun_of"
  | "idempotency_key"
  | "created_at"
> {
  reset: boolean;
  plan_run_id?: string | null;
}

export interface NewJob {
  id: string;
  connection_id: string;
  connection_name: string;
  connection_version: number;
  position: number;
  mode: RunMode;
  plan_job_id?: string | null;
}

// "plan_applied": another run applying the same dry run is pending, running or completed (migration 0017).
// eventIds: the outbox events written (none unless inserted), for the alerts queue.
export interface InsertRunResult {
  result: "inserted" | "duplicate_key" | "plan_applied";
  eventIds: string[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

// `claim`: the statements that take the run's idempotency key (run-idempotency.ts); a live key held by an
// earlier request fails the batch as "duplicate_key".
export async function insertRun(db: D1Database, run: NewRun, jobs: NewJob[], claim: D1PreparedStatement[] = []): Promise<InsertRunResult> {
  const statements = [
    ...claim,
    db
      .prepare(
        `INSERT INTO runs (id, credential_id, credential_name, type, serial, mode, "trigger", requested_by, status,
                           scope_json, reset, rerun_of, idempotency_key, connection_count, created_at, plan_run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10, ?11, ?12, ?13, ?14, ?15)`,
      )
      .bind(
        run.id,
        run.credential_id,
        run.credential_name,
        run.type,
        run.serial,
        run.mode,
        run.trigger,
        run.requested_by,
        run.scope_json,
        run.reset ? 1 : 0,
        run.rerun_of,
        run.idempotency_key,
        jobs.length,
        run.created_at,
        run.plan_run_id ?? null,
      ),
    runEvent(db, run.id, run.created_at, { previous_status: null, status: "pending", credential_id: run.credential_id }),
    ...jobs.map((job) =>
      db
        .prepare(
          `INSERT INTO jobs (id, run_id, connection_id, connection_name, connection_version, position, status, mode, created_at, archive_day, plan_job_id)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10)`,
        )
        .bind(
          job.id,
          run.id,
          job.connection_id,
          job.connection_name,
          job.connection_version,
          job.position,
          job.mode,
          run.created_at,
          archiveDay(run.created_at),
          job.plan_job_id ?? null,
        ),
    ),
  ];
  try {
    return { result: "inserted", eventIds: writtenEventIds(statements, await db.batch(statements)) };
  } catch (error) {
    if (claim.length > 0 && isUniqueViolation(error, "run_idempotency_keys")) return { result: "duplicate_key", eventIds: [] };
    if (run.plan_run_id != null && isUniqueViolation(error, "runs.plan_run_id")) return { result: "plan_applied", eventIds: [] };
    throw error;
  }
}

export async function getRunRow(db: D1Database, runId: string): Promise<RunRow | null> {
  return db.prepare("SELECT * FROM runs WHERE id = ?1").bind(runId).first<RunRow>();
}

export async function listRunJobRows(db: D1Database, runId: string): Promise<JobRow[]> {
  const { results } = await db.prepare("SELECT * FROM jobs WHERE run_id = ?1 ORDER BY position, id").bind(runId).all<JobRow>();
  return results;
}

// The partial index holds only the queue, so the next run is found without reading the credential's history.
export function buildOldestPendingRunQuery(credentialId: string): SqlQuery {
  return {
    sql: "SELECT id FROM runs INDEXED BY runs_pending_by_credential WHERE credential_id = ?1 AND status = 'pending' ORDER BY id LIMIT 1",
    params: [credentialId],
  };
}

export async function oldestPendingRunId(db: D1Database, credentialId: string): Promise<string | null> {
  const { sql, params } = buildOldestPendingRunQuery(credentialId);
  const row = await db
    .prepare(sql)
    .bind(...params)
    .first<{ id: string }>();
  return row?.id ?? null;
}

export async function listActiveRunIds(db: D1Database, limit: number): Promise<Array<{ id: string; credential_id: string; status: "pending" | "running" }>> {
  const { results } = await db
    .prepare(`SELECT id, credential_id, status FROM runs WHERE status IN ${ACTIVE_SQL} ORDER BY id LIMIT ?1`)
    .bind(limit)
    .all<{ id: string; credential_id: string; status: "pending" | "running" }>();
  return results;
}

export async function hasRunningRun(db: D1Database, credentialId: string): Promise<boolean> {
  const row = await db.prepare("SELECT 1 AS one FROM runs WHERE credential_id = ?1 AND status = 'running' LIMIT 1").bind(credentialId).first();
  return row !== null;
}

export interface PromoteResult {
  result: "promoted" | "busy" | "not_pending";
  // The "running" event when promoted, for the alerts queue.
  eventIds: string[];
}

// The unique index on running runs per credential is the lock: a second promotion fails as a whole.
export async function promoteRun(db: D1Database, runId: string, credentialId: string, now: number): Promise<PromoteResult> {
  const statements = [
    db.prepare("UPDATE runs SET status = 'running', started_at = ?2 WHERE id = ?1 AND status = 'pending'").bind(runId, now),
    runEvent(db, runId, now, { previous_status: "pending", status: "running", credential_id: credentialId, started_at: iso(now) }),
  ];
  try {
    const results = await db.batch(statements);
    return (results[0]?.meta.changes ?? 0) > 0
      ? { result: "promoted", eventIds: writtenEventIds(statements, results) }
      : { result: "not_pending", eventIds: [] };
  } catch (error) {
    if (isUniqueViolation(error, "credential_id")) return { result: "busy", eventIds: [] };
    throw error;
  }
}

export async function markCancelRequested(db: D1Database, runId: string, now: number): Promise<void> {
  await db.prepare("UPDATE runs SET cancel_requested_at = ?2 WHERE id = ?1 AND cancel_requested_at IS NULL").bind(runId, now).run();
}

// A run that never started: it and its jobs become canceled at once, nothing ran. eventIds: what it wrote to the outbox.
export async function cancelPendingRun(db: D1Database, run: RunRow, jobs: JobRow[], now: number): Promise<{ canceled: boolean; eventIds: string[] }> {
  const statements = [
    db
      .prepare(
        "UPDATE runs SET status = 'canceled', cancel_requested_at = COALESCE(cancel_requested_at, ?2), finished_at = ?2 WHERE id = ?1 AND status = 'pending'",
      )
      .bind(run.id, now),
    runEvent(db, run.id, now, {
      previous_status: "pending",
      status: "canceled",
      credential_id: run.credential_id,
      finished_at: iso(now),
      error_summary: "Canceled before it started",
    }),
  ];
  for (const job of jobs) {
    statements.push(
      ...jobFinishStatements(db, {
        job: { id: job.id, run_id: run.id, connection_id: job.connection_id, connection_name: job.connection_name },
        from: "pending",
        status: "canceled",
        now,
        startedAt: null,
        counters: null,
        error: null,
        connection: null,
      }),
    );
  }
  const results = await db.batch(statements);
  return { canceled: (results[0]?.meta.changes ?? 0) > 0, eventIds: writtenEventIds(statements, results) };
}

export interface JobIdentity {
  id: string;
  run_id: string;
  connection_id: string;
  connection_name: string;
}

export interface JobStartInput {
  job: JobIdentity;
  now: number;
  connectionVersion: number;
  inScope: number | null;
  mode: RunMode;
  // An incremental full job: the cursor (epoch ms) it reads changes since; null for a complete read.
  incrementalSince: number | null;
  // reset: the run asked for a complete reconciliation, so the cursor and retry list go first.
  resetConnection: boolean;
}

export function jobStartStatements(db: D1Database, input: JobStartInput): D1PreparedStatement[] {
  const { job, now } = input;
  const statements = [
    db
      .prepare(
        `UPDATE jobs SET status = 'running', started_at = ?2, connection_version = ?3, in_scope = ?4, mode = ?5, incremental_since = ?6
          WHERE id = ?1 AND status = 'pending'`,
      )
      .bind(job.id, now, input.connectionVersion, input.inScope, input.mode, input.incrementalSince),
    jobEvent(db, job, now, { previous_status: "pending", status: "running", started_at: iso(now), finished_at: null }),
  ];
  if (input.resetConnection) {
    statements.push(
      db.prepare("UPDATE connections SET sync_cursor = NULL WHERE id = ?1").bind(job.connection_id),
      db.prepare("DELETE FROM connection_retry_serials WHERE connection_id = ?1").bind(job.connection_id),
    );
  }
  return statements;
}

export interface OutcomeRecord {
  job_id: string;
  serial: string;
  action: string;
  changes: string | null;
  // JSON text of FieldDifference[]; absent in outbox rows written before differences existed.
  differences?: string | null;
  http_status: number | null;
  payload_excerpt: string | null;
  error: string | null;
  at: number;
}

export interface LogRecord {
  job_id: string;
  seq: number;
  at: number;
  level: string;
  message: string;
  serial: string | null;
}

export interface CounterUpdate {
  jobId: string;
  // in_scope is null while the job's source has not said how many records it holds.
  counters: ScopedCounterValues;
  // The job's exceptions the bounded record_outcomes table leaves to the archive.
  exceptionsOmitted: number;
  // Issue 17: the coordinator's estimated finish (ms), null without enough data; absent leaves it as it is.
  etaFinishAt?: number | null;
}

/** An outcome offered to latest_outcomes, which keeps it only when it changes the serial's action. */
export interface LatestOutcome {
  connection_id: string;
  serial: string;
  action: string;
  job_id: string;
  at: number;
}

export interface SliceFlush {
  // Rows of record_outcomes: an archived job's first exceptions, or every outcome of a job from before the archive.
  outcomes: readonly OutcomeRecord[];
  // Rows of logs: only jobs from before the archive write them.
  logs: readonly LogRecord[];
  latest: readonly LatestOutcome[];
  counters: readonly CounterUpdate[];
  // Issue 17: the run's estimated finish (ms) while it runs; absent leaves it as it is.
  runEtaFinishAt?: number | null;
}

export type ScopedCounterValues = Omit<JobCounterValues, "in_scope"> & { in_scope: number | null };

// A bound value stays well under D1's 2 MB limit per value.
const MAX_JSON_CHARS = 900_000;

function jsonChunks(items: readonly unknown[]): string[] {
  if (items.length === 0) return [];
  // Usually one value holds them all: one stringify of the array, the same text as the items joined.
  const whole = JSON.stringify(items);
  if (whole.length <= MAX_JSON_CHARS) return [whole];
  const chunks: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const item of items) {
    const text = JSON.stringify(item);
    if (parts.length > 0 && size + text.length + 1 > MAX_JSON_CHARS) {
      chunks.push(`[${parts.join(",")}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += text.length + 1;
  }
  if (parts.length > 0) chunks.push(`[${parts.join(",")}]`);
  return chunks;
}

// Outcome rows, log rows and latest outcomes of any number of records in one statement each (JSON array
// parameter), and counters as absolute values: replaying the same flush leaves the ledger as it was.
export function sliceFlushStatements(db: D1Database, runId: string, flush: SliceFlush): D1PreparedStatement[] {
  const { outcomes, logs, latest, counters } = flush;
  const statements: D1PreparedStatement[] = [];
  for (const chunk of jsonChunks(outcomes)) {
    statements.push(
      db
        .prepare(
          `INSERT OR REPLACE INTO record_outcomes
             (job_id, serial, run_id, action, changes_json, differences_json, http_status, payload_excerpt, error, recorded_at)
           SELECT json_extract(value, '$.job_id'), json_extract(value, '$.serial'), ?1, json_extract(value, '$.action'),
                  json_extract(value, '$.changes'), json_extract(value, '$.differences'), json_extract(value, '$.http_status'),
                  json_extract(value, '$.payload_excerpt'), json_extract(value, '$.error'), json_extract(value, '$.at')
             FROM json_each(?2)`,
        )
        .bind(runId, chunk),
    );
  }
  for (const chunk of jsonChunks(logs)) {
    statements.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO logs (job_id, seq, at, level, message, serial)
           SELECT json_extract(value, '$.job_id'), json_extract(value, '$.seq'), json_extract(value, '$.at'),
                  json_extract(value, '$.level'), json_extract(value, '$.message'), json_extract(value, '$.serial')
             FROM json_each(?1)`,
        )
        .bind(chunk),
    );
  }
  // Grouped by connection and job, each row as [serial, action, at]: a third of the JSON to write and to read.
  const groups = new Map<string, { connectionId: string; jobId: string; rows: Array<[string, string, number]> }>();
  for (const row of latest) {
    const key = `${row.connection_id}\u0000${row.job_id}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { connectionId: row.connection_id, jobId: row.job_id, rows: [] };
      groups.set(key, group);
    }
    group.rows.push([row.serial, row.action, row.at]);
  }
  for (const group of groups.values()) {
    for (const chunk of jsonChunks(group.rows)) {
      // An unchanged action is no write at all (the conflict's WHERE is false): steady state costs nothing.
      statements.push(
        db
          .prepare(
            `INSERT INTO latest_outcomes (connection_id, serial, action, job_id, run_id, at)
             SELECT ?2, value ->> 0, value ->> 1, ?3, ?1, value ->> 2 FROM json_each(?4) WHERE true
             ON CONFLICT (connection_id, serial) DO UPDATE
                SET action = excluded.action, job_id = excluded.job_id, run_id = excluded.run_id, at = excluded.at
              WHERE latest_outcomes.action <> excluded.action`,
          )
          .bind(runId, group.connectionId, group.jobId, chunk),
      );
    }
  }
  for (const update of counters) statements.push(counterStatement(db, update.jobId, update.counters, update.exceptionsOmitted, update.etaFinishAt));
  if (flush.runEtaFinishAt !== undefined) {
    statements.push(db.prepare("UPDATE runs SET eta_finish_at = ?2 WHERE id = ?1").bind(runId, flush.runEtaFinishAt));
  }
  return statements;
}

function counterStatement(
  db: D1Database,
  jobId: string,
  counters: ScopedCounterValues,
  exceptionsOmitted?: number,
  etaFinishAt?: number | null,
): D1PreparedStatement {
  const values: unknown[] = JOB_COUNTER_COLUMNS.map((c) => counters[c]);
  const sets = JOB_COUNTER_COLUMNS.map((column, i) => `${column} = ?${i + 2}`);
  if (exceptionsOmitted !== undefined) sets.push(`exceptions_omitted = ?${values.push(exceptionsOmitted) + 1}`);
  if (etaFinishAt !== undefined) sets.push(`eta_finish_at = ?${values.push(etaFinishAt) + 1}`);
  return db.prepare(`UPDATE jobs SET ${sets.join(", ")} WHERE id = ?1`).bind(jobId, ...values);
}

export interface ConnectionBookkeeping {
  // The job's mode: only a live success counts as the connection's last success.
  mode: RunMode;
  // Set for a successful live full job: the new incremental cursor and the retry list from its failed serials
  // (every one the coordinator saw fail; for a job from before the archive also those record_outcomes holds).
  advanceCursor: { cursor: string | null; failedSerials: readonly string[] } | null;
}

export interface JobFinishInput {
  job: JobIdentity;
  from: Extract<JobStatus, "pending" | "running">;
  status: Extract<JobStatus, "completed" | "failed" | "canceled">;
  now: number;
  startedAt: number | null;
  counters: JobCounterValues | null;
  error: JobError | null;
  // null when the job never ran: the connection's status is left alone.
  connection: ConnectionBookkeeping | null;
}

export function jobFinishStatements(db: D1Database, input: JobFinishInput): D1PreparedStatement[] {
  const { job, now, status, error, counters } = input;
  const duration = input.startedAt === null ? null : Math.max(0, now - input.startedAt);
  const statements = [
    db
      .prepare(
        `UPDATE jobs SET status = ?3, finished_at = ?4, duration_ms = ?5,
                error_code = ?6, error_http_status = ?7, error_message = ?8, error_hint = ?9
          WHERE id = ?1 AND status = ?2`,
      )
      .bind(job.id, input.from, status, now, duration, error?.code ?? null, error?.http_status ?? null, error?.message ?? null, error?.hint ?? null),
    jobEvent(db, job, now, {
      previous_status: input.from,
      status,
      started_at: iso(input.startedAt),
      finished_at: iso(now),
      ...(status === "failed" ? { failed_at: iso(now) } : {}),
      error_summary: error === null ? null : `${error.message}${error.hint ? ` — ${error.hint}` : ""}`,
      error,
      counters,
      duration_ms: duration,
    }),
  ];
  if (counters !== null) {
    statements.push(
      counterStatement(db, job.id, counters),
      // Recounted from the jobs rather than added to, so a replayed finish leaves it as it was.
      db.prepare("UPDATE runs SET failed_records = (SELECT COALESCE(SUM(failed), 0) FROM jobs WHERE run_id = ?1) WHERE id = ?1").bind(job.run_id),
    );
  }
  if (input.connection !== null) {
    // last_run_at = this job's finish time makes a replayed batch a no-op for the failure streak.
    // Only a live job's success is a sync: a dry run writes nothing.
    statements.push(
      db
        .prepare(
          `UPDATE connections
              SET last_status = ?2, last_run_at = ?3, last_failed_records = ?5,
                  last_success_at = CASE WHEN ?2 = 'completed' AND ?4 = 'live' THEN ?3 ELSE last_success_at END,
                  consecutive_failures = CASE ?2 WHEN 'completed' THEN 0 WHEN 'failed' THEN consecutive_failures + 1
                                         ELSE consecutive_failures END
            WHERE id = ?1 AND (last_run_at IS NULL OR last_run_at < ?3)`,
        )
        .bind(job.connection_id, status, now, input.connection.mode, counters?.failed ?? 0),
    );
    if (status === "failed") statements.push(pauseAfterFailureStatement(db, job.connection_id, now, error?.message ?? null));
    const advance = input.connection.advanceCursor;
    if (advance !== null) {
      statements.push(
        db.prepare("UPDATE connections SET sync_cursor = ?2 WHERE id = ?1").bind(job.connection_id, advance.cursor),
        db.prepare("DELETE FROM connection_retry_serials WHERE connection_id = ?1").bind(job.connection_id),
        db
          .prepare(
            `INSERT OR REPLACE INTO connection_retry_serials (connection_id, serial, failed_at)
             SELECT ?1, serial, ?2 FROM record_outcomes WHERE job_id = ?3 AND action = 'failed'`,
          )
          .bind(job.connection_id, now, job.id),
        ...jsonChunks(advance.failedSerials).map((chunk) =>
          db
            .prepare("INSERT OR REPLACE INTO connection_retry_serials (connection_id, serial, failed_at) SELECT ?1, value, ?2 FROM json_each(?3)")
            .bind(job.connection_id, now, chunk),
        ),
      );
    }
  }
  return statements;
}

export interface RunFinishInput {
  run: { id: string; credential_id: string };
  status: Extract<RunStatus, "completed" | "failed" | "canceled">;
  now: number;
  startedAt: number | null;
  succeeded: number;
  failed: number;
  errorSummary: string | null;
}

export function runFinishStatements(db: D1Database, input: RunFinishInput): D1PreparedStatement[] {
  const { run, now, status } = input;
  return [
    db
      .prepare(
        `UPDATE runs SET status = ?2, finished_at = ?3, connections_succeeded = ?4, connections_failed = ?5
          WHERE id = ?1 AND status = 'running'`,
      )
      .bind(run.id, status, now, input.succeeded, input.failed),
    runEvent(db, run.id, now, {
      previous_status: "running",
      status,
      credential_id: run.credential_id,
      started_at: iso(input.startedAt),
      finished_at: iso(now),
      ...(status === "failed" ? { failed_at: iso(now) } : {}),
      connections_succeeded: input.succeeded,
      connections_failed: input.failed,
      error_summary: input.errorSummary,
    }),
  ];
}

/** Runs the statements in one batch; returns the ids of the outbox events it wrote, for the alerts queue. */
export async function commit(db: D1Database, statements: D1PreparedStatement[]): Promise<string[]> {
  if (statements.length === 0) return [];
  return writtenEventIds(statements, await db.batch(statements));
}

function runEvent(db: D1Database, runId: string, now: number, payload: Record<string, unknown>): D1PreparedStatement {
  return guardedEvent(db, "run.status_changed", runId, null, null, now, { run_id: runId, ...payload });
}

function jobEvent(db: D1Database, job: JobIdentity, now: number, payload: Record<string, unknown>): D1PreparedStatement {
  return guardedEvent(db, "job.status_changed", job.run_id, job.id, job.connection_id, now, {
    run_id: job.run_id,
    job_id: job.id,
    connection_id: job.connection_id,
    connection_name: job.connection_name,
    ...payload,
  });
}

// Must directly follow the transition's UPDATE (or INSERT) in its batch: changes() reads that statement.
function guardedEvent(
  db: D1Database,
  type: "run.status_changed" | "job.status_changed",
  runId: string,
  jobId: string | null,
  connectionId: string | null,
  now: number,
  payload: Record<string, unknown>,
): D1PreparedStatement {
  const id = newId("evt", now);
  return tagEvent(
    db
      .prepare(
        `INSERT INTO events (id, type, run_id, job_id, connection_id, payload_json, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0`,
      )
      .bind(id, type, runId, jobId, connectionId, JSON.stringify(payload), now),
    id,
  );
}
