import { env } from "cloudflare:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { handleError } from "../../../worker/api/errors";
import { jobsRouter } from "../../../worker/api/jobs";
import { runsRouter } from "../../../worker/api/runs";
import type { AppEnv } from "../../../worker/app-env";
import { authenticate } from "../../../worker/auth/middleware";
import { newId } from "../../../worker/ledger/ids";
import type { LogLevel } from "../../../worker/ledger/log-levels";
import type { JobRow, RunRow } from "../../../worker/ledger/run-rows";
import type { RecordAction } from "../../../worker/engine/reconcile";
import { DEMO_CONNECTIONS } from "../../../worker/sandbox/demo-connections";

// Rows go straight into D1, so read paths are tested without running anything. Every factory takes
// overrides for the fields a test cares about and makes up unique values for the rest.

let counter = 0;
const unique = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${++counter}`;

export interface CredentialFixture {
  id: string;
  name: string;
}

export async function makeCredential(overrides: Partial<CredentialFixture> = {}): Promise<CredentialFixture> {
  const credential = { id: unique("cred"), name: unique("Credential"), ...overrides };
  await env.LEDGER.prepare(
    "INSERT INTO credentials (id, name, scheme, config_json, created_at, updated_at) VALUES (?1, ?2, 'none', '{}', 0, 0)",
  )
    .bind(credential.id, credential.name)
    .run();
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
  const config = DEMO_CONNECTIONS[0]!.config;
  await env.LEDGER.prepare(
    `INSERT INTO connections (id, credential_id, name, position, enabled, dry_run, debug, schedule, config_json, version,
                              created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, 1, ?9, ?9)`,
  )
    .bind(
      connection.id, connection.credential_id, connection.name, connection.position, connection.enabled ? 1 : 0,
      connection.dry_run ? 1 : 0, connection.schedule, JSON.stringify(config), connection.updated_at,
    )
    .run();
  return connection;
}

export type RunFixture = Omit<RunRow, "idempotency_key">;

export async function makeRun(overrides: Partial<RunFixture> = {}): Promise<RunFixture> {
  const createdAt = overrides.created_at ?? Date.now();
  const run: RunFixture = {
    id: newId("run", createdAt),
    credential_id: unique("cred"),
    credential_name: "Factory credential",
    type: "full",
    serial: null,
    mode: "dry",
    trigger: "manual",
    requested_by: "factory",
    status: "completed",
    scope_json: null,
    reset: 0,
    rerun_of: null,
    connection_count: 1,
    connections_succeeded: 0,
    connections_failed: 0,
    cancel_requested_at: null,
    started_at: createdAt + 10,
    finished_at: overrides.status === "pending" || overrides.status === "running" ? null : createdAt + 1_010,
    ...overrides,
    created_at: createdAt,
  };
  await env.LEDGER.prepare(
    `INSERT INTO runs (id, credential_id, credential_name, type, serial, mode, "trigger", requested_by, status, scope_json,
                       reset, rerun_of, connection_count, connections_succeeded, connections_failed, cancel_requested_at,
                       created_at, started_at, finished_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)`,
  )
    .bind(
      run.id, run.credential_id, run.credential_name, run.type, run.serial, run.mode, run.trigger, run.requested_by,
      run.status, run.scope_json, run.reset, run.rerun_of, run.connection_count, run.connections_succeeded,
      run.connections_failed, run.cancel_requested_at, run.created_at, run.started_at, run.finished_at,
    )
    .run();
  return run;
}

export async function makeJob(run: RunFixture, overrides: Partial<JobRow> = {}): Promise<JobRow> {
  const job: JobRow = {
    id: newId("job", run.created_at),
    run_id: run.id,
    connection_id: unique("conn"),
    connection_name: "Factory connection",
    connection_version: 1,
    position: 1,
    status: run.status,
    mode: run.mode,
    in_scope: 0,
    processed: 0,
    would_update: 0,
    updated: 0,
    skipped_rule: 0,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 0,
    bytes_sent: 0,
    bytes_received: 0,
    error_code: null,
    error_http_status: null,
    error_message: null,
    error_hint: null,
    created_at: run.created_at,
    started_at: run.started_at,
    finished_at: run.finished_at,
    duration_ms: run.started_at !== null && run.finished_at !== null ? run.finished_at - run.started_at : null,
    ...overrides,
  };
  const columns = Object.keys(job) as Array<keyof JobRow>;
  await env.LEDGER.prepare(
    `INSERT INTO jobs (${columns.join(", ")}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(", ")})`,
  )
    .bind(...columns.map((column) => job[column]))
    .run();
  return job;
}

export interface OutcomeFixture {
  serial: string;
  action: RecordAction;
  changes?: Array<{ field: string; before: unknown; after: unknown; written?: boolean }>;
  http_status?: number | null;
  error?: string | null;
}

export async function makeOutcomes(job: JobRow, outcomes: OutcomeFixture[]): Promise<void> {
  await env.LEDGER.batch(
    outcomes.map((outcome) =>
      env.LEDGER.prepare(
        `INSERT INTO record_outcomes (job_id, serial, run_id, action, changes_json, http_status, payload_excerpt, error, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8)`,
      ).bind(
        job.id, outcome.serial, job.run_id, outcome.action, outcome.changes ? JSON.stringify(outcome.changes) : null,
        outcome.http_status ?? null, outcome.error ?? null, job.created_at + 100,
      ),
    ),
  );
}

export interface LogFixture {
  level: LogLevel;
  message: string;
  serial?: string;
}

/** Appends lines with seq firstSeq, firstSeq + 1, … in the order given; line n is written at created_at + n − 1 ms. */
export async function makeLogs(job: JobRow, lines: LogFixture[], firstSeq = 1): Promise<void> {
  await env.LEDGER.batch(
    lines.map((line, i) =>
      env.LEDGER.prepare("INSERT INTO logs (job_id, seq, at, level, message, serial) VALUES (?1, ?2, ?3, ?4, ?5, ?6)").bind(
        job.id, firstSeq + i, job.created_at + firstSeq + i - 1, line.level, line.message, line.serial ?? null,
      ),
    ),
  );
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
