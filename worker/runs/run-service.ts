import { enqueueAlertEvents } from "../alerts/alert-queue";
import { announceRun } from "../live/publish";
import type { RunDetail } from "../schemas/runs";
import { ConflictError, invalidInput, notFound, type FieldIssue } from "../domain-errors";
import type { Env } from "../env";
import { newId } from "../ledger/ids";
import { claimIdempotencyKeyStatements, findLiveIdempotencyKey, type IdempotencyKey, type StoredIdempotencyKey } from "../ledger/run-idempotency";
import { readRunDetail } from "../ledger/run-reads";
import { TERMINAL_STATUS, type RerunScope, type RunMode, type RunTrigger, type RunType } from "../schemas/vocabulary";
import {
  listCredentialConnections,
  readRunConnection,
  readRunCredential,
  resetConnectionCursor,
  type RunConnectionRow,
  type RunCredentialRow,
} from "../ledger/run-scope";
import {
  cancelPendingRun,
  getRunRow,
  insertRun,
  listActiveRunIds,
  listRunJobRows,
  markCancelRequested,
  oldestPendingRunId,
  promoteRun,
  type NewJob,
  type NewRun,
} from "../ledger/run-writes";

// Commands on runs: create (queued behind the credential's active run), start the next queued run, cancel,
// rerun, Sync Now and Reset. Refusals are domain errors (bad input names the fields); only the HTTP edge gives them statuses.

export interface CreateRunInput {
  credentialId: string;
  type: RunType;
  serial?: string | null;
  // Absent: each connection runs in its own dry-run setting.
  mode?: RunMode | null;
  // Absent: every enabled connection of the credential, in execution order.
  connectionIds?: readonly string[] | null;
  reset?: boolean;
  trigger: RunTrigger;
  requestedBy: string;
  // Scoped to the caller and valid 24 hours (ledger/run-idempotency.ts).
  idempotency?: IdempotencyKey | null;
  rerunOf?: string | null;
  // An apply run: the dry run it applies and, per connection, the dry job whose plan that connection's job sends.
  plan?: { runId: string; jobIds: ReadonlyMap<string, string> } | null;
}

export interface CreateRunResult {
  run: RunDetail;
  // false when an Idempotency-Key matched an earlier request: the run is that request's.
  created: boolean;
}

export function coordinatorFor(env: Env, runId: string) {
  return env.RUN_COORDINATOR.get(env.RUN_COORDINATOR.idFromName(runId));
}

async function detailOf(env: Env, runId: string): Promise<RunDetail> {
  const detail = await readRunDetail(env.LEDGER, runId);
  if (detail === null) throw notFound("run", runId);
  return detail;
}

// Two requests are the same when every field that shapes the run is; connection ids are a set.
async function requestFingerprint(input: CreateRunInput): Promise<string> {
  const fields = [
    input.credentialId,
    input.type,
    input.serial?.trim() || null,
    input.mode ?? null,
    input.connectionIds === undefined || input.connectionIds === null ? null : [...new Set(input.connectionIds)].sort(),
    input.reset === true,
    input.rerunOf ?? null,
  ];
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(fields)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Same key and body: the earlier run. Same key, other body: 409, as the key is the caller's promise that
// the request is a retry (the caller's own run is named, never another caller's).
async function replayed(env: Env, existing: StoredIdempotencyKey, requestHash: string): Promise<CreateRunResult> {
  if (existing.request_hash !== requestHash) {
    throw new ConflictError("idempotency_key_reused", "This Idempotency-Key was already used for a different run request; use a new key for a new request.", {
      details: [{ path: "Idempotency-Key", message: "already used for a different run request", in: "header" }],
      meta: { run_id: existing.run_id },
    });
  }
  return { run: await detailOf(env, existing.run_id), created: false };
}

function chooseConnections(all: RunConnectionRow[], input: CreateRunInput, issues: FieldIssue[], others: RunConnectionRow[]): RunConnectionRow[] {
  if (input.connectionIds === undefined || input.connectionIds === null) {
    const enabled = all.filter((c) => c.enabled === 1);
    if (enabled.length === 0) issues.push({ path: "credential_id", message: "this credential has no enabled connections", in: "body" });
    return enabled;
  }
  const wanted = [...new Set(input.connectionIds)];
  if (wanted.length === 0) {
    issues.push({ path: "connection_ids", message: "give at least one connection id, or leave it out for all enabled connections", in: "body" });
    return [];
  }
  const byId = new Map(all.map((c) => [c.id, c]));
  const foreign = new Set(others.map((c) => c.id));
  const unknown = wanted.filter((id) => !byId.has(id) && !foreign.has(id));
  const elsewhere = wanted.filter((id) => foreign.has(id));
  const disabled = wanted.filter((id) => byId.get(id)?.enabled === 0);
  if (unknown.length > 0) issues.push({ path: "connection_ids", message: `unknown connection id(s): ${unknown.join(", ")}`, in: "body" });
  if (elsewhere.length > 0) {
    issues.push({ path: "connection_ids", message: `connection(s) of another credential: ${elsewhere.join(", ")}`, in: "body" });
  }
  if (disabled.length > 0) issues.push({ path: "connection_ids", message: `disabled connection(s): ${disabled.join(", ")}; enable them first`, in: "body" });
  // Execution order is the credential's, whatever order the ids came in.
  return all.filter((c) => wanted.includes(c.id));
}

// The rows of a new pending run over `chosen` (already validated, in execution order); the scheduler inserts
// many of these in one batch (worker/schedule/consume-ticks.ts).
export function newRunRows(
  input: CreateRunInput,
  credential: Pick<RunCredentialRow, "id" | "name">,
  chosen: ReadonlyArray<Pick<RunConnectionRow, "id" | "name" | "version" | "position" | "dry_run">>,
  now: number,
): { run: NewRun; jobs: NewJob[] } {
  const jobs: NewJob[] = chosen.map((connection) => ({
    id: newId("job", now),
    connection_id: connection.id,
    connection_name: connection.name,
    connection_version: connection.version,
    position: connection.position,
    mode: input.mode ?? (connection.dry_run === 1 ? "dry" : "live"),
    ...(input.plan ? { plan_job_id: input.plan.jobIds.get(connection.id) ?? null } : {}),
  }));
  // A run without an explicit mode is "live" when any of its connections writes.
  const mode: RunMode = input.mode ?? (jobs.some((j) => j.mode === "live") ? "live" : "dry");
  const run: NewRun = {
    id: newId("run", now),
    credential_id: credential.id,
    credential_name: credential.name,
    type: input.type,
    serial: input.serial?.trim() || null,
    mode,
    trigger: input.trigger,
    requested_by: input.requestedBy,
    scope_json: input.connectionIds === undefined || input.connectionIds === null ? null : JSON.stringify([...new Set(input.connectionIds)]),
    reset: input.reset === true,
    rerun_of: input.rerunOf ?? null,
    idempotency_key: input.idempotency?.key ?? null,
    created_at: now,
    ...(input.plan ? { plan_run_id: input.plan.runId } : {}),
  };
  return { run, jobs };
}

export async function createRun(env: Env, input: CreateRunInput, now: number = Date.now()): Promise<CreateRunResult> {
  const db = env.LEDGER;
  const idempotency = input.idempotency ?? null;
  const requestHash = idempotency === null ? "" : await requestFingerprint(input);
  if (idempotency !== null) {
    const existing = await findLiveIdempotencyKey(db, idempotency, now);
    if (existing !== null) return replayed(env, existing, requestHash);
  }

  const issues: FieldIssue[] = [];
  const serial = input.serial?.trim() || null;
  if (input.type === "single" && serial === null) issues.push({ path: "serial", message: 'required when type is "single"', in: "body" });
  if (input.type === "full" && serial !== null) issues.push({ path: "serial", message: "only a single run takes a serial", in: "body" });
  if (input.type === "single" && input.reset === true) issues.push({ path: "reset", message: "reset applies to full runs only", in: "body" });

  const credential = await readRunCredential(db, input.credentialId);
  if (credential === null) {
    issues.push({ path: "credential_id", message: `no credential with id ${input.credentialId}`, in: "body" });
    throw invalidInput(issues);
  }
  const all = await listCredentialConnections(db, credential.id);
  const requested = input.connectionIds ?? [];
  const others =
    requested.length === 0
      ? []
      : (await Promise.all(requested.map((id) => readRunConnection(db, id)))).filter(
          (c): c is RunConnectionRow => c !== null && c.credential_id !== credential.id,
        );
  const chosen = chooseConnections(all, input, issues, others);
  if (issues.length > 0) throw invalidInput(issues);

  const { run, jobs } = newRunRows(input, credential, chosen, now);
  const runId = run.id;
  const inserted = await insertRun(db, run, jobs, idempotency === null ? [] : claimIdempotencyKeyStatements(db, idempotency, runId, requestHash, now));
  if (inserted.result === "plan_applied") {
    throw new ConflictError("plan_already_applied", `Dry run ${input.plan?.runId ?? ""} is already being applied or was applied.`);
  }
  if (inserted.result === "duplicate_key") {
    // Another request of the same caller with the same key won the race: answer with its run.
    const existing = idempotency === null ? null : await findLiveIdempotencyKey(db, idempotency, now);
    if (existing === null) throw new ConflictError("conflict", "The run could not be created; retry the request.");
    return replayed(env, existing, requestHash);
  }
  // Its pending event first: a promotion's running event goes on the queue from startNextRun.
  await enqueueAlertEvents(env, inserted.eventIds);
  const started = await startNextRun(env, credential.id);
  const detail = await detailOf(env, runId);
  // A run that waits for its credential's slot has no coordinator yet to tell the live feed about it.
  if (started !== runId && detail.status === "pending") await announceRun(env, detail);
  return { run: detail, created: true };
}

// Promotes the credential's oldest pending run when no run of the credential is running, and starts
// its coordinator. The unique index on running runs decides races; returns the started run's id.
export async function startNextRun(env: Env, credentialId: string, now: () => number = Date.now): Promise<string | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const next = await oldestPendingRunId(env.LEDGER, credentialId);
    if (next === null) return null;
    const promoted = await promoteRun(env.LEDGER, next, credentialId, now());
    if (promoted.result === "busy") return null;
    if (promoted.result === "not_pending") continue; // canceled or started by someone else meanwhile
    await enqueueAlertEvents(env, promoted.eventIds);
    await coordinatorFor(env, next).start(next);
    return next;
  }
  return null;
}

export async function cancelRun(env: Env, runId: string, now: number = Date.now()): Promise<RunDetail> {
  const run = await getRunRow(env.LEDGER, runId);
  if (run === null) throw notFound("run", runId);
  if (TERMINAL_STATUS[run.status]) {
    throw new ConflictError("run_finished", `Run ${runId} already finished as ${run.status}.`, { meta: { status: run.status } });
  }
  if (run.status === "pending") {
    const { canceled, eventIds } = await cancelPendingRun(env.LEDGER, run, await listRunJobRows(env.LEDGER, runId), now);
    if (canceled) {
      await enqueueAlertEvents(env, eventIds);
      const detail = await detailOf(env, runId);
      await announceRun(env, detail);
      return detail;
    }
    // It was promoted in the meantime: cancel it as a running run.
  }
  await markCancelRequested(env.LEDGER, runId, now);
  await coordinatorFor(env, runId).cancel(runId);
  return detailOf(env, runId);
}

export async function rerun(env: Env, runId: string, scope: RerunScope, requestedBy: string): Promise<CreateRunResult> {
  const run = await getRunRow(env.LEDGER, runId);
  if (run === null) throw notFound("run", runId);
  if (!TERMINAL_STATUS[run.status]) {
    throw new ConflictError("run_active", `Run ${runId} is ${run.status}; wait for it to finish or cancel it first.`, { meta: { status: run.status } });
  }
  const jobs = await listRunJobRows(env.LEDGER, runId);
  const chosen = scope === "failed" ? jobs.filter((job) => job.status === "failed") : jobs;
  if (chosen.length === 0) {
    throw invalidInput([{ path: "scope", message: `run ${runId} has no failed connections to rerun`, in: "body" }]);
  }
  const modes = new Set(chosen.map((job) => job.mode ?? run.mode));
  return createRun(env, {
    credentialId: run.credential_id,
    type: run.type,
    serial: run.serial,
    mode: modes.size === 1 ? [...modes][0]! : null,
    connectionIds: [...new Set(chosen.map((job) => job.connection_id))],
    reset: run.reset === 1,
    trigger: "rerun",
    requestedBy,
    rerunOf: run.id,
  });
}

async function enabledConnection(env: Env, connectionId: string): Promise<RunConnectionRow> {
  const connection = await readRunConnection(env.LEDGER, connectionId);
  if (connection === null) throw notFound("connection", connectionId);
  if (connection.enabled !== 1) {
    throw new ConflictError("connection_disabled", `Connection "${connection.name}" is disabled; enable it first.`);
  }
  return connection;
}

// Sync Now: an incremental full run of one connection in its own dry-run setting.
export async function syncNow(env: Env, connectionId: string, requestedBy: string, trigger: RunTrigger = "manual"): Promise<CreateRunResult> {
  const connection = await enabledConnection(env, connectionId);
  return createRun(env, {
    credentialId: connection.credential_id,
    type: "full",
    mode: connection.dry_run === 1 ? "dry" : "live",
    connectionIds: [connection.id],
    trigger,
    requestedBy,
  });
}

export interface ResetResult {
  connection_id: string;
  run: RunDetail | null;
}

// Clears the cursor and the retry list; with resync, a complete full run of the connection follows.
export async function resetConnection(env: Env, connectionId: string, resync: boolean, requestedBy: string): Promise<ResetResult> {
  const connection = await readRunConnection(env.LEDGER, connectionId);
  if (connection === null) throw notFound("connection", connectionId);
  if (!resync) {
    await resetConnectionCursor(env.LEDGER, connectionId);
    return { connection_id: connectionId, run: null };
  }
  if (connection.enabled !== 1) {
    throw new ConflictError("connection_disabled", `Connection "${connection.name}" is disabled; enable it first.`);
  }
  await resetConnectionCursor(env.LEDGER, connectionId);
  const { run } = await createRun(env, {
    credentialId: connection.credential_id,
    type: "full",
    mode: connection.dry_run === 1 ? "dry" : "live",
    connectionIds: [connection.id],
    reset: true,
    trigger: "manual",
    requestedBy,
  });
  return { connection_id: connectionId, run };
}

// For the minute trigger: starts queued runs whose credential is free, and nudges running runs' coordinators
// (start is idempotent), so a run survives a coordinator start that failed after its promotion.
export async function kickRuns(env: Env): Promise<void> {
  const results = await listActiveRunIds(env.LEDGER, 200);
  const pendingCredentials = new Set<string>();
  for (const run of results) {
    if (run.status === "running") await coordinatorFor(env, run.id).start(run.id);
    else pendingCredentials.add(run.credential_id);
  }
  for (const credentialId of pendingCredentials) await startNextRun(env, credentialId);
}
