import type { FieldChange, FieldDifference, JobDetail, LogLine, RecordOutcome, RunDetail, RunSummary } from "../schemas/runs";
import type { RecordAction } from "../engine/reconcile";
import { idTimeFloor } from "./ids";
import type { LogLevel } from "../schemas/vocabulary";
import { JOB_COUNTER_COLUMNS, type JobRow, type RunRow } from "./run-rows";
import type { RunMode, RunStatus, RunTrigger, RunType } from "../schemas/vocabulary";
import { toJobSummary, toRunDetail, toRunSummary } from "./run-views";
import { ACTIVE_SQL } from "./status-sets";
import type { SqlQuery } from "./sql-query";

interface RecordOutcomeRow {
  job_id: string;
  serial: string;
  run_id: string;
  action: RecordAction;
  changes_json: string | null;
  differences_json: string | null;
  http_status: number | null;
  payload_excerpt: string | null;
  error: string | null;
  recorded_at: number;
}

interface LogRow {
  job_id: string;
  seq: number;
  at: number;
  level: LogLevel;
  message: string;
  serial: string | null;
}

const RUN_COLUMNS = [
  "id",
  "credential_id",
  "credential_name",
  "type",
  "serial",
  "mode",
  '"trigger"',
  "requested_by",
  "status",
  "scope_json",
  "reset",
  "rerun_of",
  "plan_run_id",
  "connection_count",
  "connections_succeeded",
  "connections_failed",
  "failed_records",
  "cancel_requested_at",
  "created_at",
  "started_at",
  "finished_at",
  "eta_finish_at",
];
const JOB_COLUMNS = [
  "id",
  "run_id",
  "connection_id",
  "connection_name",
  "connection_version",
  "position",
  "status",
  "mode",
  ...JOB_COUNTER_COLUMNS,
  "error_code",
  "error_http_status",
  "error_message",
  "error_hint",
  "created_at",
  "started_at",
  "finished_at",
  "duration_ms",
  "waiting_host",
  "waiting_until",
  "eta_finish_at",
  "incremental_since",
];
const columns = (alias: string, names: string[]) => names.map((name) => `${alias}.${name}`).join(", ");

// A running run's job held back by a destination breaker, for the run list (one seek of jobs_by_run per running run).
const waitingJobColumn = (column: string) =>
  `CASE WHEN r.status = 'running' THEN (SELECT j2.${column} FROM jobs j2 WHERE j2.run_id = r.id AND j2.status = 'running' AND j2.waiting_host IS NOT NULL ORDER BY j2.position LIMIT 1) END AS ${column}`;
const RUN_WAITING_COLUMNS = `${waitingJobColumn("waiting_host")}, ${waitingJobColumn("waiting_until")}`;

const iso = (ms: number) => new Date(ms).toISOString();

function toRecordOutcome(row: RecordOutcomeRow): RecordOutcome {
  return {
    job_id: row.job_id,
    run_id: row.run_id,
    serial: row.serial,
    action: row.action,
    changes: row.changes_json === null ? [] : (JSON.parse(row.changes_json) as FieldChange[]),
    differences: row.differences_json === null ? null : (JSON.parse(row.differences_json) as FieldDifference[]),
    http_status: row.http_status,
    payload_excerpt: row.payload_excerpt,
    error: row.error,
    recorded_at: iso(row.recorded_at),
  };
}

function toLogLine(row: LogRow): LogLine {
  return { job_id: row.job_id, seq: row.seq, at: iso(row.at), level: row.level, message: row.message, serial: row.serial };
}

export interface RunListFilters {
  status?: RunStatus;
  credentialId?: string;
  connectionId?: string;
  type?: RunType;
  mode?: RunMode;
  /** Inclusive, ms. */
  since?: number;
  /** Exclusive, ms. */
  until?: number;
  serial?: string;
  /** The last id of the previous page. */
  cursor?: string;
  limit: number;
}

export interface Paged<T> {
  data: T[];
  nextCursor: string | null;
}

export type { SqlQuery } from "./sql-query";

/**
 * Newest first. One index drives each shape, chosen here by how narrow the filter is (the planner has no
 * statistics on D1 and would treat type = ? like credential_id = ?); every other filter is checked on the
 * rows it walks. since/until become an id range (ids encode their creation time), the connection drives
 * from its jobs, and the serial unions single runs with runs holding an outcome for it, each side cut to
 * the page size before the union.
 */
export function buildRunListQuery(filters: RunListFilters): SqlQuery {
  const params: unknown[] = [];
  const p = (value: unknown) => `?${params.push(value)}`;
  const fetchCount = filters.limit + 1;

  // Conditions on the run's own columns, applied through alias `r` in every shape below.
  const runConditions = (idColumn: string): string[] => {
    const conditions: string[] = [];
    if (filters.cursor !== undefined) conditions.push(`${idColumn} < ${p(filters.cursor)}`);
    if (filters.since !== undefined) {
      conditions.push(`${idColumn} >= ${p(idTimeFloor("run", filters.since))}`, `r.created_at >= ${p(filters.since)}`);
    }
    if (filters.until !== undefined) {
      conditions.push(`${idColumn} < ${p(idTimeFloor("run", filters.until))}`, `r.created_at < ${p(filters.until)}`);
    }
    if (filters.status !== undefined) conditions.push(`r.status = ${p(filters.status)}`);
    if (filters.credentialId !== undefined) conditions.push(`r.credential_id = ${p(filters.credentialId)}`);
    if (filters.type !== undefined) conditions.push(`r.type = ${p(filters.type)}`);
    if (filters.mode !== undefined) conditions.push(`r.mode = ${p(filters.mode)}`);
    return conditions;
  };
  const where = (conditions: string[]) => (conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`);
  const select = `${columns("r", RUN_COLUMNS)}, ${RUN_WAITING_COLUMNS}`;

  if (filters.serial !== undefined) {
    const byConnection = (runId: string) =>
      filters.connectionId === undefined ? [] : [`EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = ${p(filters.connectionId)} AND j.run_id = ${runId})`];
    const singles = `SELECT r.id FROM runs r INDEXED BY runs_by_serial ${where([`r.serial = ${p(filters.serial)}`, ...runConditions("r.id"), ...byConnection("r.id")])}
      ORDER BY r.id DESC LIMIT ${p(fetchCount)}`;
    const withOutcome = `SELECT o.run_id FROM record_outcomes o JOIN runs r ON r.id = o.run_id
      ${where([`o.serial = ${p(filters.serial)}`, ...runConditions("o.run_id"), ...byConnection("o.run_id")])}
      GROUP BY o.run_id ORDER BY o.run_id DESC LIMIT ${p(fetchCount)}`;
    return {
      sql: `SELECT ${select} FROM runs r
        WHERE r.id IN (SELECT id FROM (${singles}) UNION ALL SELECT run_id FROM (${withOutcome}))
        ORDER BY r.id DESC LIMIT ${p(fetchCount)}`,
      params,
    };
  }

  if (filters.connectionId !== undefined) {
    // jobs.run_status mirrors the run's status (migration 0012), so a status narrows the index range too.
    const byStatus = filters.status === undefined ? [] : [`j.run_status = ${p(filters.status)}`];
    const index = filters.status === undefined ? "jobs_by_connection_run" : "jobs_by_connection_run_status";
    const conditions = [`j.connection_id = ${p(filters.connectionId)}`, ...byStatus, ...runConditions("j.run_id")];
    return {
      sql: `SELECT ${select} FROM jobs j INDEXED BY ${index} JOIN runs r ON r.id = j.run_id ${where(conditions)}
        ORDER BY j.run_id DESC LIMIT ${p(fetchCount)}`,
      params,
    };
  }

  return {
    sql: `SELECT ${select} FROM runs r${runIndexFor(filters)} ${where(runConditions("r.id"))} ORDER BY r.id DESC LIMIT ${p(fetchCount)}`,
    params,
  };
}

// The narrowest (…, id) index of runs for the filters given, first match wins; none walks the primary key.
const RUN_INDEXES: ReadonlyArray<[filters: ReadonlyArray<keyof RunListFilters>, index: string]> = [
  [["credentialId", "status"], "runs_by_credential_status"],
  [["credentialId"], "runs_by_credential"],
  [["status"], "runs_by_status"],
  [["type", "mode"], "runs_by_type_mode"],
  [["type"], "runs_by_type"],
  [["mode"], "runs_by_mode"],
];

function runIndexFor(filters: RunListFilters): string {
  const index = RUN_INDEXES.find(([keys]) => keys.every((key) => filters[key] !== undefined))?.[1];
  return index === undefined ? "" : ` INDEXED BY ${index}`;
}

export async function listRuns(db: D1Database, filters: RunListFilters): Promise<Paged<RunSummary>> {
  const { sql, params } = buildRunListQuery(filters);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<RunRow>();
  return page(results.map(toRunSummary), filters.limit, (run) => run.id);
}

export async function readRunDetail(db: D1Database, runId: string): Promise<RunDetail | null> {
  const [runs, jobs] = await db.batch<RunRow | JobRow>([
    db.prepare(`SELECT ${columns("r", RUN_COLUMNS)} FROM runs r WHERE r.id = ?1`).bind(runId),
    db.prepare(`SELECT ${columns("j", JOB_COLUMNS)} FROM jobs j WHERE j.run_id = ?1 ORDER BY j.position, j.id`).bind(runId),
  ]);
  const run = runs?.results[0] as RunRow | undefined;
  if (!run) return null;
  return toRunDetail(run, (jobs?.results ?? []) as JobRow[]);
}

// Oldest first, so a dashboard lists the running run above those queued behind it.
export async function readActiveRuns(db: D1Database): Promise<RunDetail[]> {
  const [runs, jobs] = await db.batch<RunRow | JobRow>([
    db.prepare(`SELECT ${columns("r", RUN_COLUMNS)} FROM runs r WHERE r.status IN ${ACTIVE_SQL}`),
    db.prepare(`SELECT ${columns("j", JOB_COLUMNS)} FROM runs r JOIN jobs j ON j.run_id = r.id WHERE r.status IN ${ACTIVE_SQL}`),
  ]);
  const jobsByRun = new Map<string, JobRow[]>();
  for (const row of (jobs?.results ?? []) as JobRow[]) jobsByRun.set(row.run_id, [...(jobsByRun.get(row.run_id) ?? []), row]);
  return ((runs?.results ?? []) as RunRow[])
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((run) => toRunDetail(run, jobsByRun.get(run.id) ?? []));
}

export async function readJobDetail(db: D1Database, jobId: string): Promise<JobDetail | null> {
  const row = await db
    .prepare(
      `SELECT ${columns("j", JOB_COLUMNS)}, r.credential_id AS run_credential_id, r.credential_name AS run_credential_name,
              r.type AS run_type, r.serial AS run_serial, r.mode AS run_mode, r."trigger" AS run_trigger, r.requested_by AS run_requested_by,
              r.status AS run_status
         FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.id = ?1`,
    )
    .bind(jobId)
    .first<
      JobRow & {
        run_credential_id: string;
        run_credential_name: string;
        run_type: RunType;
        run_serial: string | null;
        run_mode: RunMode;
        run_trigger: RunTrigger;
        run_requested_by: string;
        run_status: RunStatus;
      }
    >();
  if (!row) return null;
  return {
    ...toJobSummary(row, row.run_mode),
    run: {
      id: row.run_id,
      credential_id: row.run_credential_id,
      credential_name: row.run_credential_name,
      type: row.run_type,
      serial: row.run_serial,
      mode: row.run_mode,
      trigger: row.run_trigger,
      requested_by: row.run_requested_by,
      status: row.run_status,
    },
  };
}

export interface RecordListFilters {
  action?: RecordAction;
  /** Serials starting with this text. */
  serialPrefix?: string;
  /** The last serial of the previous page. */
  cursor?: string;
  limit: number;
}

export function buildRecordListQuery(jobId: string, filters: RecordListFilters): SqlQuery {
  const params: unknown[] = [];
  const p = (value: unknown) => `?${params.push(value)}`;
  const conditions = [`job_id = ${p(jobId)}`];
  if (filters.action !== undefined) conditions.push(`action = ${p(filters.action)}`);
  if (filters.serialPrefix !== undefined) {
    // A range rather than LIKE, so the (job_id, serial) key serves it and % or _ in a serial mean themselves.
    conditions.push(`serial >= ${p(filters.serialPrefix)}`, `serial < ${p(`${filters.serialPrefix}\u{10FFFF}`)}`);
  }
  if (filters.cursor !== undefined) conditions.push(`serial > ${p(filters.cursor)}`);
  return {
    sql: `SELECT job_id, serial, run_id, action, changes_json, differences_json, http_status, payload_excerpt, error, recorded_at
            FROM record_outcomes WHERE ${conditions.join(" AND ")} ORDER BY serial LIMIT ${p(filters.limit + 1)}`,
    params,
  };
}

/** null when the job does not exist. */
export async function listRecordOutcomes(db: D1Database, jobId: string, filters: RecordListFilters): Promise<Paged<RecordOutcome> | null> {
  const { sql, params } = buildRecordListQuery(jobId, filters);
  const [job, records] = await db.batch<{ id: string } | RecordOutcomeRow>([
    db.prepare("SELECT id FROM jobs WHERE id = ?1").bind(jobId),
    db.prepare(sql).bind(...params),
  ]);
  if (!job?.results.length) return null;
  return page(((records?.results ?? []) as RecordOutcomeRow[]).map(toRecordOutcome), filters.limit, (r) => r.serial);
}

export interface LogListFilters {
  levels?: LogLevel[];
  /** Words typed by a person; escaped here before they reach FTS5. */
  search?: string;
  afterSeq?: number;
  limit: number;
}

/**
 * Turns free text into an FTS5 query that cannot be a syntax error: each word becomes a quoted string
 * (so AND, NEAR, *, ^, : and quotes mean nothing) and the last one a prefix, for search as you type.
 * null when nothing searchable is left.
 */
export function toFtsQuery(text: string): string | null {
  const words = text.split(/\s+/).filter((word) => word.length > 0);
  if (words.length === 0) return null;
  return words.map((word, i) => `"${word.replaceAll('"', '""')}"${i === words.length - 1 ? "*" : ""}`).join(" ");
}

/**
 * A search asks FTS5 only about the rowids between the job's first and last line: FTS seeks into each
 * term's doclist there instead of matching the term across every job's logs.
 */
export function buildLogListQuery(jobId: string, filters: LogListFilters): SqlQuery {
  const params: unknown[] = [];
  const p = (value: unknown) => `?${params.push(value)}`;
  const job = p(jobId);
  const conditions = [`job_id = ${job}`];
  if (filters.afterSeq !== undefined) conditions.push(`seq > ${p(filters.afterSeq)}`);
  if (filters.levels !== undefined && filters.levels.length > 0) {
    conditions.push(`level IN (${filters.levels.map((level) => p(level)).join(", ")})`);
  }
  const match = filters.search === undefined ? null : toFtsQuery(filters.search);
  if (match !== null) {
    conditions.push(
      `id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ${p(match)}
                 AND rowid >= (SELECT MIN(id) FROM logs WHERE job_id = ${job}) AND rowid <= (SELECT MAX(id) FROM logs WHERE job_id = ${job}))`,
    );
  }
  return {
    sql: `SELECT job_id, seq, at, level, message, serial FROM logs WHERE ${conditions.join(" AND ")}
           ORDER BY seq LIMIT ${p(filters.limit + 1)}`,
    params,
  };
}

/** null when the job does not exist. */
export async function listLogLines(db: D1Database, jobId: string, filters: LogListFilters): Promise<Paged<LogLine> | null> {
  const { sql, params } = buildLogListQuery(jobId, filters);
  const [job, logs] = await db.batch<{ id: string } | LogRow>([db.prepare("SELECT id FROM jobs WHERE id = ?1").bind(jobId), db.prepare(sql).bind(...params)]);
  if (!job?.results.length) return null;
  return page(((logs?.results ?? []) as LogRow[]).map(toLogLine), filters.limit, (line) => String(line.seq));
}

// The query asked for one row more than the page: its presence is what says another page exists.
function page<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Paged<T> {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  return { data, nextCursor: cursorOf(data[data.length - 1]!) };
}
