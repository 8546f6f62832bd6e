import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { AlertChannel, AlertDelivery } from "../../../worker/schemas/alerts";
import type { Page } from "../../../worker/schemas/types";
import { sweepAlerts } from "../../../worker/alerts/alert-queue";
import { newId } from "../../../worker/ledger/ids";
import { commit, insertRun, jobFinishStatements, jobStartStatements, promoteRun, runFinishStatements } from "../../../worker/ledger/run-writes";
import type { ReceivedRequest } from "../../../worker/sandbox/receiver";
import { call } from "../api/config-api";
import { emptyCounters } from "../../../worker/engine/counters";
import type { RunType } from "../../../worker/schemas/vocabulary";

// Alert tests drive the real pieces: runs change status through the run ledger's own writers (which
// put events in the outbox), the alerts queue's consumer fans them out, each channel's AlertChannelSender
// Durable Object sends, and the sandbox's webhook receiver records what arrived.

export const RECEIVER = "http://localhost:8787/sandbox/_receiver";
let counter = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`;

// One D1 per test file, shared by its tests: each test starts from empty alert tables. Each test's
// channels are new, so no sender of an earlier test has anything to send to them.
export async function resetAlerts(): Promise<void> {
  await env.LEDGER.batch(
    ["delivery_attempts", "deliveries", "alert_incidents", "alert_rules", "alert_channels", "events"].map((table) =>
      env.LEDGER.prepare(`DELETE FROM ${table}`),
    ),
  );
}

// The test's run writers commit without enqueueing; the minute sweep, told not to wait for the writers'
// own sends (and to take the events some factories date ahead of the clock), puts every undispatched
// event on the real queue and wakes senders with due deliveries.
const A_DAY_AHEAD_MS = -24 * 60 * 60 * 1000;
export async function poke(): Promise<void> {
  await sweepAlerts(env, { now: Date.now(), settleMs: A_DAY_AHEAD_MS });
}

async function sandbox(method: string, path: string, body?: unknown): Promise<Response> {
  const stub = env.SANDBOX_FLEET.get(env.SANDBOX_FLEET.idFromName("demo"));
  const res = await stub.fetch(`http://localhost/sandbox/_receiver/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return new Response(await res.arrayBuffer(), res);
}

export interface ScriptedReply {
  status: number;
  body?: string;
  echo?: boolean;
}

export async function makeReceiver(replies: ScriptedReply[] = [], then?: ScriptedReply): Promise<{ name: string; url: string }> {
  const name = unique("rcv");
  const res = await sandbox("PUT", `${name}/_script`, { responses: replies, ...(then ? { then } : {}) });
  expect(res.status).toBe(200);
  return { name, url: `${RECEIVER}/${name}` };
}

export async function received(name: string): Promise<ReceivedRequest[]> {
  const res = await sandbox("GET", name);
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests;
}

export async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 12_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sweeps the outbox and waits until the outbox is empty and nothing is due or waiting to be sent. */
export async function settle(): Promise<void> {
  await poke();
  await waitFor(
    "the alerts to settle",
    () =>
      env.LEDGER.prepare(
        `SELECT (SELECT COUNT(*) FROM events WHERE dispatched_at IS NULL) AS events,
                (SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1) AS due`,
      )
        .bind(Date.now())
        .first<{ events: number; due: number }>(),
    (r) => r !== null && r.events === 0 && r.due === 0,
  );
}

export async function createChannel(body: Record<string, unknown>): Promise<AlertChannel & { secret?: string }> {
  const res = await call<AlertChannel & { secret?: string }>("POST", "/api/alerts/channels", { body: { name: unique("Channel"), ...body } });
  if (res.status !== 201) throw new Error(`channel not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createRule(body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await call<{ id: string }>("POST", "/api/alerts/rules", { body });
  if (res.status !== 201) throw new Error(`rule not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function deliveries(query = ""): Promise<AlertDelivery[]> {
  const res = await call<Page<AlertDelivery>>("GET", `/api/alerts/deliveries${query}`, { as: "viewer" });
  expect(res.status).toBe(200);
  return res.body.data;
}

export async function channel(id: string): Promise<AlertChannel> {
  return (await call<AlertChannel>("GET", `/api/alerts/channels/${id}`, { as: "viewer" })).body;
}

export interface ConnectionRef {
  id: string;
  name: string;
}

export interface RunScript {
  credentialId?: string;
  // Each connection's job ends with this status.
  jobs: Array<{
    connection: ConnectionRef;
    status: "completed" | "failed";
    counters?: Partial<Record<"in_scope" | keyof ReturnType<typeof emptyCounters>, number>>;
  }>;
  type?: RunType;
}

/**
 * A whole run through the run ledger's writers: pending → running, each job running → its end
 * status, then the run's end status. Returns the run and job ids.
 */
export async function playRun(script: RunScript): Promise<{ runId: string; jobIds: string[] }> {
  const db = env.LEDGER;
  const credentialId = script.credentialId ?? unique("cred");
  let now = Date.now();
  const runId = newId("run", now);
  const jobs = script.jobs.map((j, i) => ({
    id: newId("job", now),
    connection_id: j.connection.id,
    connection_name: j.connection.name,
    connection_version: 1,
    position: i + 1,
    mode: "live" as const,
  }));
  const inserted = await insertRun(
    db,
    {
      id: runId,
      credential_id: credentialId,
      credential_name: "Alert tests",
      type: script.type ?? "full",
      serial: script.type === "single" ? "SN-1" : null,
      mode: "live",
      trigger: "manual",
      requested_by: "tests",
      scope_json: null,
      reset: false,
      rerun_of: null,
      idempotency_key: null,
      created_at: now,
    },
    jobs,
  );
  expect(inserted.result).toBe("inserted");
  expect((await promoteRun(db, runId, credentialId, ++now)).result).toBe("promoted");
  const startedAt = now;
  let failed = 0;
  for (const [i, job] of jobs.entries()) {
    const identity = { id: job.id, run_id: runId, connection_id: job.connection_id, connection_name: job.connection_name };
    const status = script.jobs[i]!.status;
    if (status === "failed") failed += 1;
    await commit(
      db,
      jobStartStatements(db, { job: identity, now: ++now, connectionVersion: 1, inScope: 3, mode: "live", incrementalSince: null, resetConnection: false }),
    );
    await commit(
      db,
      jobFinishStatements(db, {
        job: identity,
        from: "running",
        status,
        now: ++now,
        startedAt: now - 1,
        counters: script.jobs[i]!.counters === undefined ? null : { ...emptyCounters(), in_scope: 3, ...script.jobs[i]!.counters },
        error:
          status === "failed"
            ? { code: "http_401", http_status: 401, message: "Stream Account: 401 Unauthorized — token expired", hint: "Check the credential." }
            : null,
        connection: null,
      }),
    );
  }
  await commit(
    db,
    runFinishStatements(db, {
      run: { id: runId, credential_id: credentialId },
      status: failed > 0 ? "failed" : "completed",
      now: ++now,
      startedAt,
      succeeded: jobs.length - failed,
      failed,
      errorSummary: failed > 0 ? `${failed} connection(s) failed` : null,
    }),
  );
  return { runId, jobIds: jobs.map((j) => j.id) };
}

// Standard Webhooks verification written for the test with WebCrypto alone, sharing nothing with the worker.
export async function verifySignature(secret: string, headers: Record<string, string>, body: string): Promise<boolean> {
  const keyBytes = Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (ch) => ch.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const signed = new TextEncoder().encode(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`);
  for (const entry of (headers["webhook-signature"] ?? "").split(" ")) {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || !signature) continue;
    const mac = Uint8Array.from(atob(signature), (ch) => ch.charCodeAt(0));
    if (await crypto.subtle.verify("HMAC", key, mac, signed)) return true;
  }
  return false;
}

// What the run's writers put in the outbox, in outbox order (read only; tests enqueue them as a writer would).
export async function eventIdsOf(runId: string): Promise<string[]> {
  const { results } = await env.LEDGER.prepare("SELECT id FROM events WHERE run_id = ?1 ORDER BY rowid").bind(runId).all<{ id: string }>();
  return results.map((row) => row.id);
}

export async function undispatchedCount(runId: string): Promise<number> {
  const row = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM events WHERE run_id = ?1 AND dispatched_at IS NULL").bind(runId).first<{ n: number }>();
  return row?.n ?? 0;
}
