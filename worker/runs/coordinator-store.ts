import type { LogChunkEntry, OutcomeChunkEntry, PlanChunkEntry, RequestChunkEntry } from "../archive/archive-index";
import type { ArchivedRequest } from "../archive/request-codec";
import type { AdaptiveConcurrencyState } from "../engine/adaptive-concurrency";
import type { PlanEntry } from "../engine/plan-drift";
import type { ConnectionConfig } from "../engine/contracts";
import { isEmpty, type JobCounters } from "../engine/counters";
import type { FieldChange } from "../engine/reconcile";
import type { Redactor } from "../engine/redactor";
import type { SourceReadState } from "../engine/source-reader";
import type { PageState } from "../engine/paged-reader";
import type { DatasetScope } from "../ledger/run-scope";
import { JOB_COUNTER_COLUMNS, type JobCounterColumn, type JobCounterValues, type JobError } from "../ledger/run-rows";
import type { JobStatus, RunMode, RunStatus, RunType } from "../schemas/vocabulary";
import type { LogRecord, OutcomeRecord } from "../ledger/run-writes";
import type { RequestRecord } from "./request-record";
import type { PlannedRow } from "./archive-flush";
import { SERIAL_INDEX_SCHEMA } from "./sqlite-serial-index";
import type { WriteIntent } from "./write-intent";

// The coordinator's checkpoint in its own SQLite: the plan, each job's position and counters, the queue
// of records the current slice works on, the outbox of outcomes and logs not yet flushed, and what each
// job's archive holds (its chunks, its exceptions kept in D1, its failed serials for the retry list).
// Every text that reaches the ledger passes through here (log lines, outcomes, job errors), so this is
// where the credential's secrets are masked, before anything is stored.

export interface JobPlan {
  job_id: string;
  connection_id: string;
  connection_name: string;
  position: number;
  mode: RunMode;
  created_at: number;
  // The UTC day the job's archive lives under; null (or absent, in a plan stored before the archive) for a
  // job whose outcomes and logs are rows of D1.
  archive_day?: string | null;
  // A job of an apply run: the dry job whose plan it sends (absent for every other job).
  plan_job_id?: string | null;
}

export interface RunPlan {
  run_id: string;
  credential_id: string;
  credential_name: string;
  type: RunType;
  serial: string | null;
  reset: boolean;
  started_at: number;
  jobs: JobPlan[];
}

export type SourceProgress =
  | { kind: "dataset"; scope: DatasetScope; after: string; done: boolean }
  // `filter`: with a cursor, only records changed after it (or on the retry list) are in scope.
  // `kept`: records taken into scope so far; `reported_total`: the size a complete read's first page announced.
  | {
      kind: "http";
      state: SourceReadState | null;
      since: string | null;
      filter: { afterMs: number; retries: boolean } | null;
      done: boolean;
      kept?: number;
      reported_total?: number | null;
    }
  | { kind: "single"; serial: string; state: SourceReadState | null; done: boolean };

/** False while an HTTP source's job has read no source page yet: its scope is unknown, not zero. */
export function scopeCounted(progress: JobProgress): boolean {
  const source = progress.source;
  return !(source?.kind === "http" && source.kept === undefined && !source.done);
}

// "verifying": a list-mode job whose records are done re-reads the listing once to verify the writes held back.
export type JobPhase = "pending" | "listing" | "records" | "verifying" | "done";

export interface JobFinish {
  status: Extract<JobStatus, "completed" | "failed" | "canceled">;
  at: number;
  error: JobError | null;
  // Whether the job ran at all (a job canceled while pending leaves its connection alone).
  ran: boolean;
}

export interface JobProgress {
  phase: JobPhase;
  started_at: number | null;
  config: ConnectionConfig | null;
  version: number;
  debug: boolean;
  source: SourceProgress | null;
  // List-mode lookups: where the listing read stands; null before the first page.
  listing: PageState | null;
  // When the current listing read began: write intents newer than it are not reflected in the index.
  listing_started_at?: number | null;
  // How much of each body the request log keeps, read from the settings when the job started (absent: the default).
  request_body_bytes?: number;
  // The verifying phase's re-read of the listing: where it stands; null (or absent) before its first page.
  readback_listing?: PageState | null;
  // The cursor in effect (null = complete run) and the highest updated-at this job has seen.
  cursor: string | null;
  max_seen_ms: number | null;
  finish: JobFinish | null;
  // Held back by the open breaker of a destination host, until it looks again; absent or null when not.
  waiting?: { host: string; until: number } | null;
  // The adaptive concurrency's state, carried from slice to slice; absent before the first slice.
  concurrency?: AdaptiveConcurrencyState | null;
}

export interface JobCheckpoint {
  plan: JobPlan;
  status: JobStatus;
  progress: JobProgress;
}

export interface JobTally extends JobCounterValues {
  log_seq: number;
  failure_streak: number;
  failure_logs: number;
}

export type { WriteIntent } from "./write-intent";

// A written record held back for the verifying phase (list mode), with what its outcome will carry.
export interface ReadBackWaiting {
  serial: string;
  payload: Record<string, unknown>;
  changes: FieldChange[];
  http_status: number | null;
  payload_excerpt: string | null;
}

export interface QueuedRow {
  ord: number;
  serial: string;
  // The source record, parsed (null: the source does not hold the serial).
  source: Record<string, unknown> | null;
  intent: WriteIntent | null;
}

export interface RunFinish {
  status: Extract<RunStatus, "completed" | "failed" | "canceled">;
  at: number;
  committed: boolean;
}

const TALLY_EXTRA = ["log_seq", "failure_streak", "failure_logs"] as const;

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS run_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  // runtime_json holds the job's JobProgress; the column keeps its first name so objects mid-run survive a deploy.
  `CREATE TABLE IF NOT EXISTS job_state (
     job_id TEXT PRIMARY KEY, ord INTEGER NOT NULL, status TEXT NOT NULL, plan_json TEXT NOT NULL, runtime_json TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS job_tally (job_id TEXT PRIMARY KEY, ${[...JOB_COUNTER_COLUMNS, ...TALLY_EXTRA]
    .map((c) => `${c} INTEGER NOT NULL DEFAULT 0`)
    .join(", ")})`,
  `CREATE TABLE IF NOT EXISTS work_queue (
     job_id TEXT NOT NULL, ord INTEGER NOT NULL, serial TEXT NOT NULL, record_json TEXT, PRIMARY KEY (job_id, ord))`,
  `CREATE TABLE IF NOT EXISTS write_intents (
     job_id TEXT NOT NULL, ord INTEGER NOT NULL, serial TEXT NOT NULL, idempotency_key TEXT, payload_hash TEXT NOT NULL,
     changes_json TEXT NOT NULL, attempted_at INTEGER NOT NULL, PRIMARY KEY (job_id, ord)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS readback_waiting (
     job_id TEXT NOT NULL, serial TEXT NOT NULL, payload_json TEXT NOT NULL, changes_json TEXT NOT NULL, http_status INTEGER,
     payload_excerpt TEXT, PRIMARY KEY (job_id, serial)) WITHOUT ROWID`,
  "CREATE TABLE IF NOT EXISTS seen_serials (job_id TEXT NOT NULL, serial TEXT NOT NULL, PRIMARY KEY (job_id, serial)) WITHOUT ROWID",
  // One row per checkpoint: body is the JSON array of its n outcomes (a row stored before batches holds one outcome
  // object, n = 1), so a checkpoint costs one row to write, read and delete rather than one per record.
  "CREATE TABLE IF NOT EXISTS outbox_outcomes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 1)",
  "CREATE TABLE IF NOT EXISTS outbox_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)",
  // The request log: entries wait here like outcomes, one row per checkpoint (body: the JSON array of its n entries;
  // a row stored before batches holds one entry object, n = 1); request_seq numbers each job's entries.
  "CREATE TABLE IF NOT EXISTS outbox_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 1)",
  "CREATE TABLE IF NOT EXISTS request_seq (job_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)",
  // A dry job's planned writes on their way to the archive's plan chunks.
  // Likewise one row per checkpoint: its n entries' JSON texts, one per line, and their serials as a JSON array (a
  // row stored before batches holds one entry and no serials).
  "CREATE TABLE IF NOT EXISTS outbox_plans (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, body TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 1, serials TEXT)",
  // An apply job's plan, loaded from its dry job's archive when it starts: the only serials it may write.
  "CREATE TABLE IF NOT EXISTS plan_entries (job_id TEXT NOT NULL, serial TEXT NOT NULL, entry_json TEXT NOT NULL, PRIMARY KEY (job_id, serial)) WITHOUT ROWID",
  // The chunks flushed to the archive (kind: outcomes, logs, requests or plan) with their index entries; the next chunk
  // number is one past the highest, so it advances only with the transaction that drops the flushed rows.
  `CREATE TABLE IF NOT EXISTS archive_chunks (
     job_id TEXT NOT NULL, kind TEXT NOT NULL, chunk INTEGER NOT NULL, entry_json TEXT NOT NULL, PRIMARY KEY (job_id, kind, chunk)) WITHOUT ROWID`,
  "CREATE TABLE IF NOT EXISTS archive_jobs (job_id TEXT PRIMARY KEY, exceptions_kept INTEGER NOT NULL DEFAULT 0, sealed INTEGER NOT NULL DEFAULT 0)",
  "CREATE TABLE IF NOT EXISTS failed_serials (job_id TEXT NOT NULL, serial TEXT NOT NULL, PRIMARY KEY (job_id, serial)) WITHOUT ROWID",
  SERIAL_INDEX_SCHEMA,
];

const OUTBOX_BATCH_COLUMNS = [
  ["outbox_outcomes", "n", "INTEGER NOT NULL DEFAULT 1"],
  ["outbox_requests", "n", "INTEGER NOT NULL DEFAULT 1"],
  ["outbox_plans", "n", "INTEGER NOT NULL DEFAULT 1"],
  ["outbox_plans", "serials", "TEXT"],
] as const;

// Tables that grow with the records of a run, emptied in bounded batches once the run is over.
const BULK_TABLES = [
  "serial_index",
  "seen_serials",
  "failed_serials",
  "work_queue",
  "write_intents",
  "readback_waiting",
  "archive_chunks",
  "plan_entries",
] as const;
const BULK_KEYS: Record<(typeof BULK_TABLES)[number], string> = {
  serial_index: "job_id, serial",
  seen_serials: "job_id, serial",
  failed_serials: "job_id, serial",
  work_queue: "job_id, ord",
  write_intents: "job_id, ord",
  readback_waiting: "job_id, serial",
  archive_chunks: "job_id, kind, chunk",
  plan_entries: "job_id, serial",
};

export interface JobArchiveRecord {
  outcomeChunks: OutcomeChunkEntry[];
  logChunks: LogChunkEntry[];
  requestChunks: RequestChunkEntry[];
  planChunks: PlanChunkEntry[];
  exceptionsKept: number;
  sealed: boolean;
}

export interface FlushedArchive {
  jobId: string;
  outcomeChunk: OutcomeChunkEntry | null;
  logChunk: LogChunkEntry | null;
  requestChunk: RequestChunkEntry | null;
  planChunk: PlanChunkEntry | null;
  exceptionsTaken: number;
  sealed: boolean;
}

export interface OutboxContents {
  outcomes: OutcomeRecord[];
  logs: LogRecord[];
  requests: OutboxRequest[];
  lastOutcomeId: number;
  lastLogId: number;
  lastRequestId: number;
  plans: PlannedRow[];
  lastPlanId: number;
}

export type OutboxRequest = ArchivedRequest & { job_id: string };

export interface FlushedIds {
  lastOutcomeId: number;
  lastLogId: number;
  lastRequestId: number;
  lastPlanId: number;
}

export class CoordinatorStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly transaction: <T>(fn: () => T) => T,
    private readonly redactor: Pick<Redactor, "redact" | "redactJson">,
  ) {
    // Tables are made with the plan: an object whose storage was released stays empty when called again.
    // An object that holds a plan gets the tables added since it was made.
    if (this.hasTables()) this.createTables();
  }

  private hasTables(): boolean {
    return this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_meta'").toArray().length > 0;
  }

  private createTables(): void {
    for (const statement of SCHEMA) this.sql.exec(statement);
    // A run in progress across a deploy that added counters (drifted, verified, …) gets their columns.
    const have = new Set(
      this.sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('job_tally')")
        .toArray()
        .map((row) => row.name),
    );
    for (const column of [...JOB_COUNTER_COLUMNS, ...TALLY_EXTRA]) {
      if (!have.has(column)) this.sql.exec(`ALTER TABLE job_tally ADD COLUMN ${column} INTEGER NOT NULL DEFAULT 0`);
    }
    // An outbox made before checkpoints were stored as one row each.
    for (const [table, column, type] of OUTBOX_BATCH_COLUMNS) {
      const columns = this.sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`).toArray();
      if (!columns.some((row) => row.name === column)) this.sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
  }

  get sqlStorage(): SqlStorage {
    return this.sql;
  }

  private meta<T>(key: string): T | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM run_meta WHERE key = ?1", key).toArray()[0];
    return row === undefined ? null : (JSON.parse(row.value) as T);
  }

  private setMeta(key: string, value: unknown): void {
    this.sql.exec("INSERT OR REPLACE INTO run_meta (key, value) VALUES (?1, ?2)", key, JSON.stringify(value));
  }

  plan(): RunPlan | null {
    if (!this.hasTables()) return null;
    return this.meta<RunPlan>("plan");
  }

  initialise(plan: RunPlan): void {
    this.transaction(() => {
      this.createTables();
      this.setMeta("plan", plan);
      plan.jobs.forEach((job, ord) => {
        const progress: JobProgress = {
          phase: "pending",
          started_at: null,
          config: null,
          version: 0,
          debug: false,
          source: null,
          listing: null,
          cursor: null,
          max_seen_ms: null,
          finish: null,
        };
        this.sql.exec(
          "INSERT OR IGNORE INTO job_state (job_id, ord, status, plan_json, runtime_json) VALUES (?1, ?2, 'pending', ?3, ?4)",
          job.job_id,
          ord,
          JSON.stringify(job),
          JSON.stringify(progress),
        );
        this.sql.exec("INSERT OR IGNORE INTO job_tally (job_id) VALUES (?1)", job.job_id);
      });
    });
  }

  cancelRequestedAt(): number | null {
    return this.meta<number>("cancel_requested_at");
  }

  requestCancel(at: number): void {
    if (this.cancelRequestedAt() === null) this.setMeta("cancel_requested_at", at);
  }

  runFinish(): RunFinish | null {
    return this.meta<RunFinish>("finish");
  }

  setRunFinish(finish: RunFinish): void {
    this.setMeta("finish", finish);
  }

  jobs(): JobCheckpoint[] {
    return this.sql
      .exec<{ status: string; plan_json: string; runtime_json: string }>("SELECT status, plan_json, runtime_json FROM job_state ORDER BY ord")
      .toArray()
      .map((row) => ({
        plan: JSON.parse(row.plan_json) as JobPlan,
        status: row.status as JobStatus,
        progress: JSON.parse(row.runtime_json) as JobProgress,
      }));
  }

  saveJob(jobId: string, status: JobStatus, progress: JobProgress): void {
    const error = progress.finish?.error ?? null;
    const stored =
      error === null
        ? progress
        : {
            ...progress,
            finish: { ...progress.finish!, error: { ...error, message: this.redactor.redact(error.message), hint: this.redactor.redact(error.hint) } },
          };
    this.sql.exec("UPDATE job_state SET status = ?2, runtime_json = ?3 WHERE job_id = ?1", jobId, status, JSON.stringify(stored));
  }

  tally(jobId: string): JobTally {
    const row = this.sql.exec<Record<string, number>>("SELECT * FROM job_tally WHERE job_id = ?1", jobId).toArray()[0];
    const tally = {} as JobTally;
    for (const column of [...JOB_COUNTER_COLUMNS, ...TALLY_EXTRA]) tally[column] = Number(row?.[column] ?? 0);
    return tally;
  }

  counters(jobId: string): JobCounterValues {
    const tally = this.tally(jobId);
    const counters = {} as JobCounterValues;
    for (const column of JOB_COUNTER_COLUMNS) counters[column] = tally[column];
    return counters;
  }

  // A checkpoint's counters (folded with the engine's counter functions) added to the job's tally in one statement.
  addCounters(jobId: string, delta: JobCounters): void {
    if (isEmpty(delta)) return;
    const changed = (Object.entries(delta) as Array<[JobCounterColumn, number]>).filter(([, value]) => value !== 0);
    const sets = changed.map(([column], i) => `${column} = ${column} + ?${i + 2}`).join(", ");
    this.sql.exec(`UPDATE job_tally SET ${sets} WHERE job_id = ?1`, jobId, ...changed.map(([, value]) => value));
  }

  setTally(jobId: string, values: Partial<Record<JobCounterColumn | (typeof TALLY_EXTRA)[number], number>>): void {
    const entries = Object.entries(values).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    const sets = entries.map(([column], i) => `${column} = ?${i + 2}`).join(", ");
    this.sql.exec(`UPDATE job_tally SET ${sets} WHERE job_id = ?1`, jobId, ...entries.map(([, v]) => v));
  }

  // Returns the sequence number the line got.
  appendLog(line: Omit<LogRecord, "seq">): number {
    const seq = this.sql.exec<{ log_seq: number }>("UPDATE job_tally SET log_seq = log_seq + 1 WHERE job_id = ?1 RETURNING log_seq", line.job_id).one().log_seq;
    this.sql.exec("INSERT INTO outbox_logs (body) VALUES (?1)", JSON.stringify({ ...line, message: this.redactor.redact(line.message), seq }));
    return seq;
  }

  appendOutcome(outcome: OutcomeRecord): void {
    this.appendOutcomes([outcome]);
  }

  // A checkpoint's outcomes in one statement each for the outbox (one row: their JSON array, in the order given) and
  // the retry list, whatever their number.
  appendOutcomes(outcomes: readonly OutcomeRecord[]): void {
    if (outcomes.length === 0) return;
    const { redact, redactJson } = this.redactor;
    const masked = outcomes.map((outcome): OutcomeRecord => ({
      ...outcome,
      changes: outcome.changes === null ? null : redactJson(outcome.changes),
      differences: outcome.differences == null ? null : redactJson(outcome.differences),
      payload_excerpt: outcome.payload_excerpt === null ? null : redact(outcome.payload_excerpt),
      error: outcome.error === null ? null : redact(outcome.error),
    }));
    this.sql.exec("INSERT INTO outbox_outcomes (body, n) VALUES (?1, ?2)", JSON.stringify(masked), masked.length);
    // The complete list the next incremental run retries, however many failures D1's exceptions leave out.
    const failed = outcomes.filter((outcome) => outcome.action === "failed").map((outcome) => [outcome.job_id, outcome.serial]);
    if (failed.length > 0) {
      this.sql.exec("INSERT OR IGNORE INTO failed_serials (job_id, serial) SELECT value ->> 0, value ->> 1 FROM json_each(?1)", JSON.stringify(failed));
    }
  }

  // Masked like every other text that leaves (URL, header values, bodies, error), numbered per job, in one transaction.
  appendRequests(jobId: string, records: readonly RequestRecord[]): void {
    if (records.length === 0) return;
    const { redact } = this.redactor;
    const mask = (text: string | null) => (text === null ? null : redact(text));
    const maskHeaders = (headers: Record<string, string>) => {
      const masked: Record<string, string> = {};
      for (const name in headers) masked[name] = redact(headers[name]!);
      return masked;
    };
    this.transaction(() => {
      const first =
        this.sql
          .exec<{ seq: number }>(
            `INSERT INTO request_seq (job_id, seq) VALUES (?1, ?2) ON CONFLICT (job_id) DO UPDATE SET seq = seq + ?2 RETURNING seq`,
            jobId,
            records.length,
          )
          .one().seq - records.length;
      const entries = records.map((record, i): OutboxRequest => ({
        ...record,
        job_id: jobId,
        seq: first + i + 1,
        url: redact(record.url),
        request_headers: maskHeaders(record.request_headers),
        request_body: mask(record.request_body),
        error: mask(record.error),
        response_headers: maskHeaders(record.response_headers),
        response_body: mask(record.response_body),
      }));
      // One row for the lot, in order (a row per request costs more than the request when runs are fast).
      this.sql.exec("INSERT INTO outbox_requests (body, n) VALUES (?1, ?2)", JSON.stringify(entries), entries.length);
    });
  }

  // A dry job's planned write, stored with the outcome that announces it (the caller's transaction).
  appendPlan(jobId: string, entry: PlanEntry): void {
    this.appendPlans(jobId, [entry]);
  }

  // A checkpoint's planned writes as one row: each entry's JSON text (what its plan chunk line will be), one per line
  // (JSON text holds no raw newline). Masked entry by entry only when the whole text holds something to mask.
  appendPlans(jobId: string, entries: readonly PlanEntry[]): void {
    if (entries.length === 0) return;
    let texts = entries.map((entry) => JSON.stringify(entry));
    let body = texts.join("\n");
    if (this.redactor.redact(body) !== body) {
      texts = texts.map((text) => this.redactor.redactJson(text));
      body = texts.join("\n");
    }
    this.sql.exec(
      "INSERT INTO outbox_plans (job_id, body, n, serials) VALUES (?1, ?2, ?3, ?4)",
      jobId,
      body,
      entries.length,
      JSON.stringify(entries.map((entry) => entry.serial)),
    );
  }

  // An apply job's plan, one chunk at a time; loading a chunk again (a start replayed after a crash) replaces it.
  loadPlan(jobId: string, entries: readonly PlanEntry[]): void {
    this.transaction(() => {
      for (const entry of entries) {
        this.sql.exec("INSERT OR REPLACE INTO plan_entries (job_id, serial, entry_json) VALUES (?1, ?2, ?3)", jobId, entry.serial, JSON.stringify(entry));
      }
    });
  }

  plannedCount(jobId: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM plan_entries WHERE job_id = ?1", jobId).one().n;
  }

  // Planned serials after `after`, in serial order.
  plannedAfter(jobId: string, after: string, limit: number): string[] {
    return this.sql
      .exec<{ serial: string }>("SELECT serial FROM plan_entries WHERE job_id = ?1 AND serial > ?2 ORDER BY serial LIMIT ?3", jobId, after, limit)
      .toArray()
      .map((row) => row.serial);
  }

  // Planned serials the job's source read never returned.
  plannedUnseen(jobId: string): string[] {
    return this.sql
      .exec<{ serial: string }>(
        `SELECT p.serial FROM plan_entries p LEFT JOIN seen_serials s ON s.job_id = p.job_id AND s.serial = p.serial
          WHERE p.job_id = ?1 AND s.serial IS NULL ORDER BY p.serial`,
        jobId,
      )
      .toArray()
      .map((row) => row.serial);
  }

  // The plan entries of these serials (a serial outside the plan has none).
  planEntries(jobId: string, serials: readonly string[]): Map<string, PlanEntry> {
    const entries = new Map<string, PlanEntry>();
    for (const serial of serials) {
      const row = this.sql.exec<{ entry_json: string }>("SELECT entry_json FROM plan_entries WHERE job_id = ?1 AND serial = ?2", jobId, serial).toArray()[0];
      if (row !== undefined) entries.set(serial, JSON.parse(row.entry_json) as PlanEntry);
    }
    return entries;
  }

  failedSerials(jobId: string): string[] {
    return this.sql
      .exec<{ serial: string }>("SELECT serial FROM failed_serials WHERE job_id = ?1 ORDER BY serial", jobId)
      .toArray()
      .map((row) => row.serial);
  }

  archive(jobId: string): JobArchiveRecord {
    const chunks = this.sql
      .exec<{ kind: string; entry_json: string }>("SELECT kind, entry_json FROM archive_chunks WHERE job_id = ?1 ORDER BY kind, chunk", jobId)
      .toArray();
    const job = this.sql
      .exec<{ exceptions_kept: number; sealed: number }>("SELECT exceptions_kept, sealed FROM archive_jobs WHERE job_id = ?1", jobId)
      .toArray()[0];
    return {
      outcomeChunks: chunks.filter((c) => c.kind === "outcomes").map((c) => JSON.parse(c.entry_json) as OutcomeChunkEntry),
      logChunks: chunks.filter((c) => c.kind === "logs").map((c) => JSON.parse(c.entry_json) as LogChunkEntry),
      requestChunks: chunks.filter((c) => c.kind === "requests").map((c) => JSON.parse(c.entry_json) as RequestChunkEntry),
      planChunks: chunks.filter((c) => c.kind === "plan").map((c) => JSON.parse(c.entry_json) as PlanChunkEntry),
      exceptionsKept: job?.exceptions_kept ?? 0,
      sealed: job?.sealed === 1,
    };
  }

  // One statement for a whole feed step, numbered on from the queue's end.
  enqueue(jobId: string, records: ReadonlyArray<{ serial: string; record_json: string | null }>): void {
    if (records.length === 0) return;
    const start = this.sql.exec<{ next: number }>("SELECT COALESCE(MAX(ord), -1) + 1 AS next FROM work_queue WHERE job_id = ?1", jobId).one().next;
    this.sql.exec(
      `INSERT INTO work_queue (job_id, ord, serial, record_json)
       SELECT ?1, ?2 + key, value ->> 0, value ->> 1 FROM json_each(?3)`,
      jobId,
      start,
      JSON.stringify(records.map((record) => [record.serial, record.record_json])),
    );
  }

  // The slice's records as one JSON text SQLite builds (one row out and one parse, source records and intended
  // changes already parsed), in queue order.
  queued(jobId: string, limit: number): QueuedRow[] {
    type Row = [
      ord: number,
      serial: string,
      source: Record<string, unknown> | null,
      key: string | null,
      hash: string | null,
      changes: FieldChange[] | null,
      at: number | null,
    ];
    const { rows } = this.sql
      .exec<{ rows: string }>(
        `SELECT json_group_array(json_array(q.ord, q.serial, json(q.record_json), i.idempotency_key, i.payload_hash, json(i.changes_json), i.attempted_at)
                 ORDER BY q.ord) AS rows
           FROM (SELECT ord, serial, record_json FROM work_queue WHERE job_id = ?1 ORDER BY ord LIMIT ?2) q
           LEFT JOIN write_intents i ON i.job_id = ?1 AND i.ord = q.ord`,
        jobId,
        limit,
      )
      .one();
    return (JSON.parse(rows) as Row[]).map(([ord, serial, source, key, hash, changes, at]) => ({
      ord,
      serial,
      source,
      intent: changes === null ? null : { ord, serial, idempotency_key: key, payload_hash: hash ?? "", changes, attempted_at: at ?? 0 },
    }));
  }

  // One transaction for a group of writes: the storage write holds the requests until it is durable.
  recordIntents(jobId: string, intents: readonly WriteIntent[]): void {
    if (intents.length === 0) return;
    // One statement for the group: the intents travel as a JSON array, their changes stored as the JSON text they are.
    this.sql.exec(
      `INSERT OR REPLACE INTO write_intents (job_id, ord, serial, idempotency_key, payload_hash, changes_json, attempted_at)
       SELECT ?1, value ->> '$.ord', value ->> '$.serial', value ->> '$.idempotency_key', value ->> '$.payload_hash',
              value -> '$.changes', value ->> '$.attempted_at'
       FROM json_each(?2) ORDER BY key`,
      jobId,
      JSON.stringify(intents),
    );
  }

  // When the newest unresolved write intent of the job was made; null when every write has its outcome.
  latestIntentAt(jobId: string): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MAX(attempted_at) AS at FROM write_intents WHERE job_id = ?1", jobId).one().at;
  }

  queueSize(jobId: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM work_queue WHERE job_id = ?1", jobId).one().n;
  }

  // `journaled`: the record had a write intent, which goes with it (a record without one costs no extra statement).
  dequeue(jobId: string, ord: number, journaled = false): void {
    this.dequeueMany(jobId, [{ ord, journaled }]);
  }

  // A checkpoint's records off the queue in one statement, and in one more the write intents of those that had one.
  dequeueMany(jobId: string, records: ReadonlyArray<{ ord: number; journaled: boolean }>): void {
    if (records.length === 0) return;
    const ords = (list: ReadonlyArray<{ ord: number }>) => JSON.stringify(list.map((record) => record.ord));
    this.sql.exec("DELETE FROM work_queue WHERE job_id = ?1 AND ord IN (SELECT value FROM json_each(?2))", jobId, ords(records));
    const journaled = records.filter((record) => record.journaled);
    if (journaled.length > 0) {
      this.sql.exec("DELETE FROM write_intents WHERE job_id = ?1 AND ord IN (SELECT value FROM json_each(?2))", jobId, ords(journaled));
    }
  }

  clearQueue(jobId: string): void {
    this.sql.exec("DELETE FROM work_queue WHERE job_id = ?1", jobId);
    this.sql.exec("DELETE FROM write_intents WHERE job_id = ?1", jobId);
  }

  // Held back in the checkpoint that takes the record off the queue (and drops its write intent), so a written
  // record is always in exactly one of: the queue with its intent, this list, or the outcomes.
  awaitReadBack(jobId: string, waiting: ReadBackWaiting): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO readback_waiting (job_id, serial, payload_json, changes_json, http_status, payload_excerpt)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
      jobId,
      waiting.serial,
      JSON.stringify(waiting.payload),
      JSON.stringify(waiting.changes),
      waiting.http_status,
      waiting.payload_excerpt,
    );
  }

  readBacksWaiting(jobId: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM readback_waiting WHERE job_id = ?1", jobId).one().n;
  }

  // The waiting records among `serials` (a listing page's), or the first `limit` of them in serial order.
  waitingReadBacks(jobId: string, among: { serials: readonly string[] } | { limit: number }): ReadBackWaiting[] {
    type Row = { serial: string; payload_json: string; changes_json: string; http_status: number | null; payload_excerpt: string | null };
    const columns = "serial, payload_json, changes_json, http_status, payload_excerpt";
    const rows =
      "limit" in among
        ? this.sql.exec<Row>(`SELECT ${columns} FROM readback_waiting WHERE job_id = ?1 ORDER BY serial LIMIT ?2`, jobId, among.limit).toArray()
        : among.serials.length === 0
          ? []
          : this.sql
              .exec<Row>(
                `SELECT ${columns} FROM readback_waiting WHERE job_id = ?1 AND serial IN (SELECT value FROM json_each(?2))`,
                jobId,
                JSON.stringify(among.serials),
              )
              .toArray();
    return rows.map((row) => ({
      serial: row.serial,
      payload: JSON.parse(row.payload_json) as Record<string, unknown>,
      changes: JSON.parse(row.changes_json) as FieldChange[],
      http_status: row.http_status,
      payload_excerpt: row.payload_excerpt,
    }));
  }

  dropReadBack(jobId: string, serial: string): void {
    this.sql.exec("DELETE FROM readback_waiting WHERE job_id = ?1 AND serial = ?2", jobId, serial);
  }

  // Marks serials as seen and returns those that were new (an HTTP source may repeat a serial across pages).
  markSeen(jobId: string, serials: readonly string[]): Set<string> {
    const fresh = new Set<string>();
    for (const serial of serials) {
      const inserted = this.sql.exec("INSERT OR IGNORE INTO seen_serials (job_id, serial) VALUES (?1, ?2)", jobId, serial);
      if (inserted.rowsWritten > 0) fresh.add(serial);
    }
    return fresh;
  }

  // The first `limit` rows of an outbox table as one JSON array text (one row out of SQLite and one parse rather
  // than one of each per row), with the highest id among them (0 when there is none).
  private outboxBodies<T>(table: "outbox_logs", limit: number): { rows: T[]; lastId: number } {
    const row = this.sql
      .exec<{ last: number; bodies: string }>(
        `SELECT COALESCE(MAX(id), 0) AS last, '[' || COALESCE(group_concat(body, ',' ORDER BY id), '') || ']' AS bodies
           FROM (SELECT id, body FROM ${table} ORDER BY id LIMIT ?1)`,
        limit,
      )
      .one();
    return { rows: JSON.parse(row.bodies) as T[], lastId: row.last };
  }

  // Whole checkpoint rows, in order, until they hold `limit` entries (at least one row when there is any).
  private outboxBatchRows<T>(table: "outbox_outcomes" | "outbox_requests", limit: number): { rows: T[]; lastId: number } {
    const parts: string[] = [];
    let taken = 0;
    let lastId = 0;
    for (const row of this.sql.exec<{ id: number; n: number; body: string }>(`SELECT id, n, body FROM ${table} ORDER BY id`)) {
      if (taken > 0 && taken + row.n > limit) break;
      // An array's items, or a single entry stored before batches.
      const items = row.body.startsWith("[") ? row.body.slice(1, -1) : row.body;
      if (items !== "") parts.push(items);
      taken += row.n;
      lastId = row.id;
      if (taken >= limit) break;
    }
    return { rows: JSON.parse(`[${parts.join(",")}]`) as T[], lastId };
  }

  private outboxPlanRows(limit: number): { rows: PlannedRow[]; lastId: number } {
    type Row = { id: number; job_id: string; n: number; serials: string | null; serial: string | null; body: string };
    const rows: PlannedRow[] = [];
    let lastId = 0;
    const query = "SELECT id, job_id, n, serials, CASE WHEN serials IS NULL THEN body ->> '$.serial' END AS serial, body FROM outbox_plans ORDER BY id";
    for (const row of this.sql.exec<Row>(query)) {
      if (rows.length > 0 && rows.length + row.n > limit) break;
      if (row.serials === null) {
        rows.push({ job_id: row.job_id, serial: row.serial ?? "", text: row.body });
      } else {
        const serials = JSON.parse(row.serials) as string[];
        const texts = row.body.split("\n");
        for (let i = 0; i < texts.length; i++) rows.push({ job_id: row.job_id, serial: serials[i]!, text: texts[i]! });
      }
      lastId = row.id;
      if (rows.length >= limit) break;
    }
    return { rows, lastId };
  }

  outbox(limit: number): OutboxContents {
    const outcomes = this.outboxBatchRows<OutcomeRecord>("outbox_outcomes", limit);
    const logs = this.outboxBodies<LogRecord>("outbox_logs", limit);
    const requests = this.outboxBatchRows<OutboxRequest>("outbox_requests", limit);
    const plans = this.outboxPlanRows(limit);
    return {
      outcomes: outcomes.rows,
      logs: logs.rows,
      requests: requests.rows,
      lastOutcomeId: outcomes.lastId,
      lastLogId: logs.lastId,
      lastRequestId: requests.lastId,
      plans: plans.rows,
      lastPlanId: plans.lastId,
    };
  }

  outboxOutcomes(): number {
    return this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(n), 0) AS n FROM outbox_outcomes").one().n;
  }

  outboxSize(): number {
    const outcomes = this.outboxOutcomes();
    const logs = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox_logs").one().n;
    const requests = this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(n), 0) AS n FROM outbox_requests").one().n;
    const plans = this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(n), 0) AS n FROM outbox_plans").one().n;
    return outcomes + logs + requests + plans;
  }

  // The flushed rows go together with the chunks they became: a replay of an unfinished flush finds both
  // as they were and writes the same chunk numbers again.
  dropFlushed(flushedIds: FlushedIds, archives: readonly FlushedArchive[] = []): void {
    this.transaction(() => {
      this.sql.exec("DELETE FROM outbox_outcomes WHERE id <= ?1", flushedIds.lastOutcomeId);
      this.sql.exec("DELETE FROM outbox_logs WHERE id <= ?1", flushedIds.lastLogId);
      this.sql.exec("DELETE FROM outbox_requests WHERE id <= ?1", flushedIds.lastRequestId);
      this.sql.exec("DELETE FROM outbox_plans WHERE id <= ?1", flushedIds.lastPlanId);
      for (const flushed of archives) {
        for (const [kind, entry] of [
          ["outcomes", flushed.outcomeChunk],
          ["logs", flushed.logChunk],
          ["requests", flushed.requestChunk],
          ["plan", flushed.planChunk],
        ] as const) {
          if (entry === null) continue;
          this.sql.exec(
            "INSERT OR REPLACE INTO archive_chunks (job_id, kind, chunk, entry_json) VALUES (?1, ?2, ?3, ?4)",
            flushed.jobId,
            kind,
            entry.chunk,
            JSON.stringify(entry),
          );
        }
        this.sql.exec(
          `INSERT INTO archive_jobs (job_id, exceptions_kept, sealed) VALUES (?1, ?2, ?3)
           ON CONFLICT (job_id) DO UPDATE SET exceptions_kept = exceptions_kept + ?2, sealed = MAX(sealed, ?3)`,
          flushed.jobId,
          flushed.exceptionsTaken,
          flushed.sealed ? 1 : 0,
        );
      }
    });
  }

  // After the run is finished and committed: the tables that grow with its records are emptied a batch at a
  // time (one huge DELETE would hold the object for as long as it takes). Returns the rows deleted.
  releaseBatch(limit: number): number {
    let deleted = 0;
    this.transaction(() => {
      for (const table of BULK_TABLES) {
        if (deleted >= limit) break;
        const key = BULK_KEYS[table];
        deleted += this.sql.exec(`DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} LIMIT ?1)`, limit - deleted).rowsWritten;
      }
    });
    return deleted;
  }

  atomically<T>(fn: () => T): T {
    return this.transaction(fn);
  }
}
