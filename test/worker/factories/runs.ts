import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { JobSummary, RunDetail } from "../../../worker/schemas/runs";
import { parseIndex, type ArchiveIndex } from "../../../worker/archive/archive-index";
import { indexKey } from "../../../worker/archive/archive-keys";
import { decodeLogs, decodeOutcomes, type ArchivedLog, type ArchivedOutcome } from "../../../worker/archive/chunk-codec";
import { decodeRequests, type ArchivedRequest } from "../../../worker/archive/request-codec";
import { encryptSecret, SECRET_BINDINGS } from "../../../worker/auth/secrets";
import type { ConnectionConfig } from "../../../worker/engine/contracts";
import { insertConnection } from "../../../worker/ledger/connections";
import { insertCredential, type CredentialWrite } from "../../../worker/ledger/credentials";
import { writeDatasetRecords } from "../../../worker/ledger/dataset-records";
import { seedDemo } from "../../../worker/ledger/demo-seed";
import { newId } from "../../../worker/ledger/ids";
import { readRunDetail } from "../../../worker/ledger/run-reads";
import { TERMINAL_STATUS, type RunStatus } from "../../../worker/schemas/vocabulary";
import { withTuning, type CoordinatorConfig } from "../../../worker/runs/coordinator-config";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { DEMO_CONNECTIONS, DEMO_CREDENTIAL } from "../../../worker/sandbox/demo-connections";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import type { SandboxStats } from "../../../worker/sandbox/fleet-store";
import { createOutboundFetch } from "../../../worker/sandbox/outbound-fetch";
import { makeToken, tokenFor } from "./auth";

const worker = exports.default as unknown as Fetcher;

export const DEMO_IDS = {
  credential: DEMO_CREDENTIAL.id,
  json: DEMO_CONNECTIONS[0]!.id,
  xml: DEMO_CONNECTIONS[1]!.id,
  bulk: DEMO_CONNECTIONS[2]!.id,
} as const;

export interface ApiResult<T> {
  status: number;
  body: T;
  headers: Headers;
}

// Bodies are always read in full: an unread body keeps its request in flight and blocks eviction.
export async function api<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult<T>> {
  const operatorToken = await tokenFor("operator");
  const res = await worker.fetch(`http://localhost${path}`, {
    method,
    headers: { authorization: `Bearer ${operatorToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T, headers: res.headers };
}

export async function sandbox<T = unknown>(path: string, init?: RequestInit): Promise<T> {
  const res = await createOutboundFetch(env)(`http://localhost/sandbox${path}`, init);
  const text = await res.text();
  expect(res.status, `sandbox ${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as T;
}

export const sandboxStats = () => sandbox<SandboxStats & { serials_written: number; writes_by_serial: Record<string, number> }>("/_stats?top=500");

export async function configureSandbox(knobs: Record<string, unknown>): Promise<void> {
  await sandbox("/_config", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(knobs) });
}

// Every test starts from the untouched demo: fresh fleet, demo connections as seeded, no active runs.
// Runs wait between steps for the test to drive them: the COORDINATOR_TUNING binding in vitest.config.ts.
export async function resetWorld(): Promise<void> {
  await sandbox("/_reset", { method: "POST" });
  await seedDemo(env.LEDGER, Date.UTC(2026, 10, 1));
  // Back to the just-seeded state, which no ledger write restores: the bookkeeping runs leave (cursor, retry
  // list, latest outcomes, last status) cleared, and runs an earlier test left active closed without running them.
  const statements = [
    env.LEDGER.prepare("UPDATE runs SET status = 'canceled', finished_at = 0 WHERE status IN ('pending', 'running')"),
    env.LEDGER.prepare("DELETE FROM connection_retry_serials"),
    env.LEDGER.prepare("DELETE FROM latest_outcomes"),
  ];
  for (const connection of DEMO_CONNECTIONS) {
    statements.push(
      env.LEDGER.prepare(
        `UPDATE connections SET config_json = ?2, enabled = 1, dry_run = 1, debug = 0, sync_cursor = NULL,
                consecutive_failures = 0, last_status = NULL, last_run_at = NULL, last_success_at = NULL WHERE id = ?1`,
      ).bind(connection.id, JSON.stringify(fast(connection.config))),
    );
  }
  await env.LEDGER.batch(statements);
}

export function coordinatorStub(runId: string) {
  return env.RUN_COORDINATOR.get(env.RUN_COORDINATOR.idFromName(runId));
}

export async function runStatus(runId: string): Promise<RunStatus> {
  const row = await env.LEDGER.prepare("SELECT status FROM runs WHERE id = ?1").bind(runId).first<{ status: RunStatus }>();
  return row!.status;
}

export async function runDetail(runId: string): Promise<RunDetail> {
  return (await readRunDetail(env.LEDGER, runId))!;
}

// Gives one run's coordinator its own settings over the test bindings' ones. They last as long as the object:
// one evicted or killed comes back with the bindings' settings, so a test that kills it tunes it again.
export async function tuneRun(runId: string, changes: Partial<CoordinatorConfig>): Promise<void> {
  await runInDurableObject(coordinatorStub(runId), (instance: RunCoordinator) => {
    const object = instance as unknown as { config: CoordinatorConfig };
    object.config = withTuning(object.config, changes);
  });
}

// Fires the run's alarms one by one until it finishes.
export async function driveRun(runId: string, maxSteps = 400): Promise<RunDetail> {
  const stub = coordinatorStub(runId);
  for (let step = 0; step < maxSteps; step++) {
    if (TERMINAL_STATUS[await runStatus(runId)]) return runDetail(runId);
    const ran = await runDurableObjectAlarm(stub);
    if (!ran) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`run ${runId} did not finish in ${maxSteps} steps`);
}

export async function stepRun(runId: string, steps = 1): Promise<void> {
  for (let i = 0; i < steps; i++) await runDurableObjectAlarm(coordinatorStub(runId));
}

export interface StartRunBody {
  credential_id?: string;
  type: "full" | "single";
  serial?: string;
  mode?: "dry" | "live";
  connection_ids?: string[];
  reset?: boolean;
}

export async function startRun(body: StartRunBody, headers: Record<string, string> = {}): Promise<RunDetail> {
  const res = await api<RunDetail>("POST", "/api/runs", { credential_id: DEMO_IDS.credential, ...body }, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

export async function runToEnd(body: StartRunBody): Promise<RunDetail> {
  return driveRun((await startRun(body)).id);
}

export type Counters = Pick<
  JobSummary,
  | "processed"
  | "would_update"
  | "updated"
  | "skipped_rule"
  | "skipped_no_change"
  | "missing_source"
  | "missing_destination"
  | "failed"
  | "drifted"
  | "verified"
  | "verify_mismatch"
>;

export function countersOf(job: JobSummary): Counters {
  const { processed, would_update, updated, skipped_rule, skipped_no_change, missing_source, missing_destination, failed, drifted, verified, verify_mismatch } =
    job;
  return { processed, would_update, updated, skipped_rule, skipped_no_change, missing_source, missing_destination, failed, drifted, verified, verify_mismatch };
}

export function counters(partial: Partial<Counters>): Counters {
  return {
    processed: 0,
    would_update: 0,
    updated: 0,
    skipped_rule: 0,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 0,
    drifted: 0,
    verified: 0,
    verify_mismatch: 0,
    ...partial,
  };
}

export interface JobArchiveContents {
  index: ArchiveIndex;
  // Each serial's outcome; a serial in two chunks takes the higher one, as the index says.
  outcomes: Map<string, ArchivedOutcome>;
  logs: ArchivedLog[];
  requests: ArchivedRequest[];
}

// A job's archive read whole through the format modules, the way a reader of R2 sees it; null before any index.
export async function jobArchive(jobId: string): Promise<JobArchiveContents | null> {
  const row = await env.LEDGER.prepare("SELECT archive_day FROM jobs WHERE id = ?1").bind(jobId).first<{ archive_day: string | null }>();
  if (row?.archive_day == null) throw new Error(`job ${jobId} has no archive day`);
  const indexObject = await env.ARCHIVE.get(indexKey(row.archive_day, jobId));
  if (indexObject === null) return null;
  const index = parseIndex(await indexObject.text());
  const read = async (key: string) => {
    const object = await env.ARCHIVE.get(key);
    if (object === null) throw new Error(`the index lists ${key}, which is not in the bucket`);
    return object.arrayBuffer();
  };
  const outcomes = new Map<string, ArchivedOutcome>();
  for (const entry of [...index.outcomes].sort((a, b) => a.chunk - b.chunk)) {
    for (const outcome of await decodeOutcomes(await read(entry.key))) outcomes.set(outcome.serial, outcome);
  }
  const logs: ArchivedLog[] = [];
  for (const entry of index.logs) logs.push(...(await decodeLogs(await read(entry.key))));
  logs.sort((a, b) => a.seq - b.seq);
  const requests: ArchivedRequest[] = [];
  for (const entry of index.requests) requests.push(...(await decodeRequests(await read(entry.key))));
  requests.sort((a, b) => a.seq - b.seq);
  return { index, outcomes, logs, requests };
}

// Outcomes and log lines of a job as its archive holds them.
export async function outcomesOf(jobId: string): Promise<Map<string, string>> {
  const archive = await jobArchive(jobId);
  return new Map([...(archive?.outcomes.values() ?? [])].map((o) => [o.serial, o.action]));
}

export async function logsOf(jobId: string): Promise<Array<{ level: string; message: string; seq: number }>> {
  const archive = await jobArchive(jobId);
  return (archive?.logs ?? []).map(({ level, message, seq }) => ({ level, message, seq }));
}

export interface OutboxWatch {
  channelId: string;
  /** The run's status events as fanned out to the watching channel, in outbox order, once none is left to fan out. */
  eventsOf(runId: string): Promise<Array<{ type: string; job_id: string | null; payload: Record<string, unknown> }>>;
}

// Fan-out deletes an event from the outbox; what stays is each channel's delivery with the payload built
// from it. A test that reads a run's events creates this webhook channel (hearing every status change)
// before the run, and reads its deliveries.
export async function watchOutbox(): Promise<OutboxWatch> {
  const admin = (await makeToken("admin")).token;
  const created = await api<{ id: string }>(
    "POST",
    "/api/alerts/channels",
    { name: `Outbox watch ${newId("w", Date.now())}`, kind: "webhook", url: "http://localhost:8787/sandbox/_receiver/outbox-watch" },
    { authorization: `Bearer ${admin}` },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const channelId = created.body.id;
  return {
    channelId,
    async eventsOf(runId) {
      const until = Date.now() + 20_000;
      for (;;) {
        const left = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM events WHERE run_id = ?1").bind(runId).first<{ n: number }>();
        if (left?.n === 0) break;
        if (Date.now() > until) throw new Error(`run ${runId} still has ${left?.n} event(s) to fan out`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { results } = await env.LEDGER.prepare("SELECT event_type, payload_json FROM deliveries WHERE run_id = ?1 AND channel_id = ?2 ORDER BY event_seq")
        .bind(runId, channelId)
        .all<{ event_type: string; payload_json: string }>();
      return results.map((r) => {
        const payload = JSON.parse(r.payload_json) as Record<string, unknown>;
        return { type: r.event_type, job_id: (payload.job_id as string | null) ?? null, payload };
      });
    },
  };
}

export interface CustomConnection {
  credentialId: string;
  connectionIds: string[];
}

// How a test credential authenticates: no auth, a bearer token, or any scheme with its config and secret.
export type TestAuth = null | string | { scheme: string; config: Record<string, unknown>; secret: string; refresh_token?: string };

// A credential of its own with demo-like connections whose contracts a test bends, and their datasets.
export async function makeCredentialWith(
  configs: Array<{ config: ConnectionConfig; dry_run?: boolean; debug?: boolean }>,
  records = demoSourceDevices().slice(0, 60),
  auth: TestAuth = null,
): Promise<CustomConnection> {
  const credentialId = newId("cred");
  const stored = auth === null ? null : typeof auth === "string" ? { scheme: "bearer", config: {}, secret: auth } : auth;
  const secret = stored === null ? null : { ciphertext: await encryptSecret(env, stored.secret, SECRET_BINDINGS.credential(credentialId)), hint: "••••" };
  const refreshToken = stored !== null && typeof stored === "object" ? stored.refresh_token : undefined;
  const refresh =
    refreshToken === undefined
      ? null
      : { ciphertext: await encryptSecret(env, refreshToken, SECRET_BINDINGS.credentialRefreshToken(credentialId)), hint: "••••" };
  const write = {
    name: `Test ${credentialId}`,
    scheme: (stored?.scheme ?? "none") as CredentialWrite["scheme"],
    config: (stored?.config ?? {}) as CredentialWrite["config"],
    secret,
    refresh,
  };
  const created = await insertCredential(env.LEDGER, credentialId, write, 0);
  if (created.status !== "ok") throw new Error(`makeCredentialWith: ${created.status}`);
  const connectionIds: string[] = [];
  for (const [index, entry] of configs.entries()) {
    const id = newId("conn");
    connectionIds.push(id);
    const snapshot = {
      name: `Connection ${index + 1}`,
      enabled: true,
      dry_run: entry.dry_run !== false,
      debug: entry.debug === true,
      schedule: null,
      freshness_sla_minutes: null,
      config: entry.config,
    };
    const outcome = await insertConnection(env.LEDGER, id, credentialId, { snapshot, changedBy: "factory", note: null, now: 0 });
    if (outcome !== "created") throw new Error(`makeCredentialWith: ${outcome}`);
    await writeDatasetRecords(
      env.LEDGER,
      id,
      records.map((d) => ({ serial: d.serial, json: JSON.stringify(d) })),
      "replace",
      1_000,
    );
  }
  return { credentialId, connectionIds };
}

// The demo's pacing (120 requests per second) would make every test take seconds; counters do not depend on it.
export function fast(config: ConnectionConfig): ConnectionConfig {
  return { ...config, limits: { ...config.limits, requests_per_second: 1000, concurrency: 6 } };
}

export function demoConfig(index: 0 | 1 | 2, change: (config: ConnectionConfig) => void = () => undefined): ConnectionConfig {
  const config = fast(structuredClone(DEMO_CONNECTIONS[index]!.config));
  change(config);
  return config;
}
