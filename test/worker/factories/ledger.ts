import { env } from "cloudflare:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { handleError } from "../../../worker/api/errors";
import { jobsRouter } from "../../../worker/api/jobs";
import { runsRouter } from "../../../worker/api/runs";
import type { AppEnv } from "../../../worker/app-env";
import { authenticate } from "../../../worker/auth/middleware";
import type { ConnectionSnapshot } from "../../../worker/schemas/connections";
import {
  credentialConnectionIds,
  getConnection,
  insertConnection,
  snapshotOf,
  updateConnectionState,
  writeConnectionOrder,
} from "../../../worker/ledger/connections";
import { insertCredential } from "../../../worker/ledger/credentials";
import { newId } from "../../../worker/ledger/ids";
import type { LogLevel } from "../../../worker/schemas/vocabulary";
import { JOB_COUNTER_COLUMNS, type JobCounterValues, type JobRow, type RunRow } from "../../../worker/ledger/run-rows";
import type { RunMode } from "../../../worker/schemas/vocabulary";
import {
  commit,
  getRunRow,
  insertRun,
  jobFinishStatements,
  jobStartStatements,
  listRunJobRows,
  markCancelRequested,
  promoteRun,
  runFinishStatements,
  sliceFlushStatements,
} from "../../../worker/ledger/run-writes";
import type { FieldDifference, RecordAction } from "../../../worker/engine/reconcile";
import { DEMO_CONNECTIONS } from "../../../worker/sandbox/demo-connections";

// Rows are written through the ledger's own functions (worker/ledger/), so read paths are tested on the
// rows production writes, without running anything. Every factory takes overrides for the fields a test
// cares about and makes up unique values for the rest.

let counter = 0;
const unique = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${++counter}`;

export interface CredentialFixture {
  id: string;
  name: string;
}

export async function makeCredential(overrides: Partial<CredentialFixture> = {}): Promise<CredentialFixture> {
  const credential = { id: unique("cred"), name: unique("Credential"), ...overrides };
  const outcome = await insertCredential(env.LEDGER, credential.id, { name: credential.name, scheme: "none", config: {} }, 0);
  if (outcome.status !== "ok") throw new Error(`makeCredential: ${outcome.status}`);
  return credential;
}

export interface ConnectionFixture {
  id: string;
  credential_id: string;
  name: string;
  position: number;
  enabled: boolean;
  dry_run: boolean;
  schedule: string | null;
  updated_at: number;
}

// `position` places the connection in its credential's execution order (the ledger keeps positions dense).
export async function makeConnection(
  credential: CredentialFixture,
  overrides: Partial<Omit<ConnectionFixture, "credential_id">> = {},
): Promise<ConnectionFixture> {
  const connection: ConnectionFixture = {
    id: unique("conn"),
    credential_id: credential.id,
    name: unique("Connection"),
    position: 1,
    enabled: true,
    dry_run: true,
    schedule: null,
    updated_at: 0,
    ...overrides,
  };
  // A real demo contract against the sandbox, so a run started from it can actually execute.
  const snapshot = {
    name: connection.name,
    enabled: connection.enabled,
    dry_run: connection.dry_run,
    debug: false,
    schedule: connection.schedule,
    freshness_sla_minutes: null,
    config: DEMO_CONNECTIONS[0]!.config,
  };
  const outcome = await insertConnection(env.LEDGER, connection.id, credential.id, {
    snapshot,
    changedBy: "factory",
    note: null,
    now: connection.updated_at,
  });
  if (outcome !== "created") throw new Error(`makeConnection: ${outcome}`);
  if (overrides.position !== undefined) {
    const order = (await credentialConnectionIds(env.LEDGER, credential.id)).filter((id) => id !== connection.id);
    order.splice(overrides.position - 1, 0, connection.id);
    await writeConnectionOrder(env.LEDGER, credential.id, order);
  }
  return connection;
}

/** Changes a stored connection as PATCH /api/connections/{id} does: a new version through the ledger. */
export async function changeConnection(id: string, change: Partial<ConnectionSnapshot>): Promise<void> {
  const current = await getConnection(env.LEDGER, id);
  if (!current) throw new Error(`changeConnection: no connection ${id}`);
  const snapshot = { ...snapshotOf(current), ...change };
  const outcome = await updateConnectionState(env.LEDGER, id, current.version, { snapshot, changedBy: "factory", note: null, now: Date.now() });
  if (outcome !== "updated") throw new Error(`changeConnection: ${outcome}`);
}

export type RunFixture = RunRow & { jobs: JobRow[] };

export type JobOverrides = Partial<Omit<JobRow, "id" | "run_id" | "created_at">>;

/**
 * A run and its jobs (one by default) as the ledger records them: inserted pending, then started and
 * finished through the same writes a coordinator makes, at the times the overrides give. A job's
 * status, mode and times default to the run's.
 */
export async function makeRun(overrides: Partial<Omit<RunRow, "connection_count">> = {}, jobs: JobOverrides[] = [{}]): Promise<RunFixture> {
  const db = env.LEDGER;
  const createdAt = overrides.created_at ?? Date.now();
  const status = overrides.status ?? "completed";
  const run = {
    id: newId("run", createdAt),
    credential_id: unique("cred"),
    credential_name: "Factory credential",
    type: "full" as const,
    serial: null,
    mode: "dry" as const,
    trigger: "manual" as const,
    requested_by: "factory",
    scope_json: null,
    reset: 0,
    rerun_of: null,
    idempotency_key: null,
    connections_succeeded: 0,
    connections_failed: 0,
    cancel_requested_at: null,
    started_at: status === "pending" ? null : createdAt + 10,
    finished_at: status === "pending" || status === "running" ? null : createdAt + 1_010,
    ...overrides,
    status,
    created_at: createdAt,
  };
  const planned = jobs.map((job, index) => ({
    id: newId("job", createdAt),
    connection_id: unique("conn"),
    connection_name: "Factory connection",
    connection_version: 1,
    position: index + 1,
    mode: run.mode,
    status: run.status,
    started_at: run.started_at,
    finished_at: run.finished_at,
    ...job,
  }));
  await insertRun(
    db,
    { ...run, reset: run.reset !== 0 },
    planned.map(({ id, connection_id, connection_name, connection_version, position, mode }) => ({
      id,
      connection_id,
      connection_name,
      connection_version,
      position,
      mode: mode ?? run.mode,
    })),
  );
  if (run.cancel_requested_at !== null) await markCancelRequested(db, run.id, run.cancel_requested_at);
  if (run.status !== "pending" && run.started_at !== null) {
    const { result } = await promoteRun(db, run.id, run.credential_id, run.started_at);
    if (result !== "promoted") throw new Error(`makeRun: ${result}`);
  }
  const statements: D1PreparedStatement[] = [];
  for (const job of planned) statements.push(...jobStatements(db, run, job));
  if (run.status !== "pending" && run.status !== "running") {
    statements.push(
      ...runFinishStatements(db, {
        run,
        status: run.status,
        now: run.finished_at ?? run.started_at ?? createdAt,
        startedAt: run.started_at,
        succeeded: run.connections_succeeded,
        failed: run.connections_failed,
        errorSummary: null,
      }),
    );
  }
  await commit(db, statements);
  const [stored, storedJobs] = await Promise.all([getRunRow(db, run.id), listRunJobRows(db, run.id)]);
  // The ledger refuses transitions it does not allow (a run finished without starting): say so, not silently differ.
  if (!stored || stored.status !== run.status) throw new Error(`makeRun: the ledger left the run ${stored?.status}, not ${run.status}`);
  return { ...stored, jobs: storedJobs };
}

type PlannedJob = JobOverrides & Pick<JobRow, "id" | "connection_id" | "connection_name" | "connection_version" | "status" | "started_at" | "finished_at">;

// The writes that take one pending job to its status: start, counters, finish.
function jobStatements(db: D1Database, run: { id: string; mode: RunMode }, job: PlannedJob): D1PreparedStatement[] {
  const identity = { id: job.id, run_id: run.id, connection_id: job.connection_id, connection_name: job.connection_name };
  const counters = Object.fromEntries(JOB_COUNTER_COLUMNS.map((column) => [column, job[column] ?? 0])) as JobCounterValues;
  const error = job.error_code
    ? { code: job.error_code, http_status: job.error_http_status ?? null, message: job.error_message ?? "", hint: job.error_hint ?? "" }
    : null;
  const statements: D1PreparedStatement[] = [];
  if (job.status === "pending") return statements;
  const startedAt = job.started_at;
  if (startedAt !== null) {
    statements.push(
      ...jobStartStatements(db, {
        job: identity,
        now: startedAt,
        connectionVersion: job.connection_version,
        inScope: job.in_scope ?? 0,
        mode: job.mode ?? run.mode,
        incrementalSince: null,
        resetConnection: false,
      }),
    );
  }
  if (job.status === "running") {
    statements.push(...sliceFlushStatements(db, run.id, { outcomes: [], logs: [], latest: [], counters: [{ jobId: job.id, counters, exceptionsOmitted: 0 }] }));
    return statements;
  }
  // A duration given on its own sets the finish time; the ledger derives duration_ms from the two.
  const finishedAt = job.duration_ms != null && startedAt !== null ? startedAt + job.duration_ms : (job.finished_at ?? startedAt ?? 0);
  statements.push(
    ...jobFinishStatements(db, {
      job: identity,
      from: startedAt === null ? "pending" : "running",
      status: job.status,
      now: finishedAt,
      startedAt,
      counters,
      error,
      connection: null,
    }),
  );
  return statements;
}

export interface OutcomeFixture {
  serial: string;
  action: RecordAction;
  changes?: Array<{ field: string; before: unknown; after: unknown; written?: boolean }>;
  differences?: FieldDifference[];
  http_status?: number | null;
  error?: string | null;
}

export async function makeOutcomes(job: JobRow, outcomes: OutcomeFixture[]): Promise<void> {
  const records = outcomes.map((outcome) => ({
    job_id: job.id,
    serial: outcome.serial,
    action: outcome.action,
    changes: outcome.changes ? JSON.stringify(outcome.changes) : null,
    differences: outcome.differences ? JSON.stringify(outcome.differences) : null,
    http_status: outcome.http_status ?? null,
    payload_excerpt: null,
    error: outcome.error ?? null,
    at: job.created_at + 100,
  }));
  await commit(env.LEDGER, sliceFlushStatements(env.LEDGER, job.run_id, { outcomes: records, logs: [], latest: [], counters: [] }));
}

export interface LogFixture {
  level: LogLevel;
  message: string;
  serial?: string;
}

/** Appends lines with seq firstSeq, firstSeq + 1, … in the order given; line n is written at created_at + n − 1 ms. */
export async function makeLogs(job: JobRow, lines: LogFixture[], firstSeq = 1): Promise<void> {
  const records = lines.map((line, i) => ({
    job_id: job.id,
    seq: firstSeq + i,
    at: job.created_at + firstSeq + i - 1,
    level: line.level,
    message: line.message,
    serial: line.serial ?? null,
  }));
  await commit(env.LEDGER, sliceFlushStatements(env.LEDGER, job.run_id, { outcomes: [], logs: records, latest: [], counters: [] }));
}

/** Like the real /api for the read routes: authenticate everything, then the routers under test. */
export function makeReadApiApp() {
  const app = new OpenAPIHono<AppEnv>();
  app.onError(handleError);
  app.use("/api/*", authenticate());
  app.route("/api/runs", runsRouter);
  app.route("/api/jobs", jobsRouter);
  return app;
}

export type ReadApiApp = ReturnType<typeof makeReadApiApp>;

export async function apiGet(app: ReadApiApp, token: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return app.request(path, { headers: { Authorization: `Bearer ${token}`, ...headers } }, env);
}
