import { abortAllDurableObjects, env, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { RunDetail } from "../../../worker/schemas/runs";
import { DEMO_EXPECTATIONS } from "../../../worker/sandbox/demo-data";
import {
  api,
  changeConnection,
  configureSandbox,
  coordinatorStub,
  counters,
  countersOf,
  DEMO_IDS,
  demoConfig,
  driveRun,
  logsOf,
  makeCredential,
  makeCredentialWith,
  makeToken,
  outcomesOf,
  resetWorld,
  runStatus,
  sandboxStats,
  startRun,
  stepRun,
} from "../factories";

const SLOW = { timeout: 60_000 };
const { would_update: CHANGED, skipped_no_change: UNCHANGED, missing_source: NO_SOURCE, missing_destination: NO_DESTINATION } = DEMO_EXPECTATIONS.full_run;

beforeEach(async () => {
  await resetWorld();
});

// processed = the sum of the outcomes, and the ledger holds one outcome row per processed record.
async function expectConsistent(run: RunDetail): Promise<void> {
  for (const job of run.jobs) {
    const c = countersOf(job);
    const sum = c.would_update + c.updated + c.skipped_rule + c.skipped_no_change + c.missing_source + c.missing_destination + c.failed;
    expect(sum, job.connection_name).toBe(c.processed);
    expect((await outcomesOf(job.id)).size, job.connection_name).toBe(c.processed);
  }
}

describe("cancel", () => {
  it("between slices: the job and run become canceled and the first slice's results are kept", SLOW, async () => {
    const run = await startRun({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json, DEMO_IDS.xml] });
    await stepRun(run.id, 2); // start the first job, then one slice of 100 records
    const res = await api<RunDetail>("POST", `/api/runs/${run.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("canceled");
    expect(res.body.jobs.map((j) => j.status)).toEqual(["canceled", "canceled"]);
    const [first, second] = res.body.jobs;
    expect(first!.processed).toBe(100);
    expect(second!.processed).toBe(0);
    await expectConsistent(res.body);
    expect((await sandboxStats()).writes).toBe(first!.updated);
    expect((await logsOf(first!.id)).at(-1)!.message).toBe("Canceled after 100 of 500 records; results so far are kept");

    const again = await api("POST", `/api/runs/${run.id}/cancel`);
    expect(again.status).toBe(409);
  });

  it("mid-slice takes effect within a second, aborting the requests in flight", SLOW, async () => {
    const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    await stepRun(run.id);
    await configureSandbox({ latency_ms: 100 });
    const slice = runDurableObjectAlarm(coordinatorStub(run.id));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const asked = Date.now();
    const res = await api<RunDetail>("POST", `/api/runs/${run.id}/cancel`);
    const took = Date.now() - asked;
    await slice;
    expect(res.body.status).toBe("canceled");
    expect(took).toBeLessThan(1_000);
    expect(res.body.jobs[0]!.processed).toBeGreaterThan(0);
    expect(res.body.jobs[0]!.processed).toBeLessThan(100);
    await expectConsistent(res.body);
  });

  it("of a pending run cancels it before it starts", SLOW, async () => {
    const first = await startRun({ type: "single", serial: "DEV-00001", mode: "dry" });
    const queued = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.xml] });
    expect(queued.status).toBe("pending");
    const res = await api<RunDetail>("POST", `/api/runs/${queued.id}/cancel`);
    expect(res.body.status).toBe("canceled");
    expect(res.body.jobs.map((j) => j.status)).toEqual(["canceled"]);
    await driveRun(first.id);
    expect(await runStatus(queued.id)).toBe("canceled");
    expect(res.body.jobs[0]!.processed).toBe(0);
  });
});

describe("a coordinator that goes away", () => {
  it("torn down mid-slice resumes from its checkpoint and never repeats a write", SLOW, async () => {
    const run = await startRun({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    await stepRun(run.id);
    await configureSandbox({ latency_ms: 20 });
    const slice = runDurableObjectAlarm(coordinatorStub(run.id)).catch((error: unknown) => error);
    // Tear it down once some writes of the slice have gone out.
    let writesBefore = 0;
    for (let wait = 0; wait < 200 && writesBefore < 3; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      writesBefore = (await sandboxStats()).writes;
    }
    await abortAllDurableObjects();
    expect(String(await slice)).toMatch(/abort/i);
    expect(writesBefore).toBeGreaterThan(0);

    const checkpoint = await coordinatorStub(run.id).snapshot();
    expect(checkpoint.jobs[0]!.counters.processed).toBeLessThan(100);
    await configureSandbox({ latency_ms: 0 });
    const done = await driveRun(run.id);
    expect(done.status).toBe("completed");
    const job = done.jobs[0]!;
    // A write that went out before its outcome was checkpointed is confirmed by its journaled intent: updated.
    expect(countersOf(job)).toEqual(
      counters({ processed: 500, updated: CHANGED, skipped_no_change: UNCHANGED, missing_source: NO_SOURCE, missing_destination: NO_DESTINATION }),
    );
    await expectConsistent(done);
    const stats = await sandboxStats();
    expect(stats.writes).toBe(CHANGED);
    expect(Math.max(...Object.values(stats.writes_by_serial))).toBe(1);
  });

  it("evicted between slices picks up where it stopped with exact counters", SLOW, async () => {
    const run = await startRun({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    await stepRun(run.id, 3);
    await evictDurableObject(coordinatorStub(run.id));
    const done = await driveRun(run.id);
    expect(countersOf(done.jobs[0]!)).toEqual(
      counters({ processed: 500, updated: CHANGED, skipped_no_change: UNCHANGED, missing_source: NO_SOURCE, missing_destination: NO_DESTINATION }),
    );
    const stats = await sandboxStats();
    expect(stats.writes).toBe(CHANGED);
    expect(Math.max(...Object.values(stats.writes_by_serial))).toBe(1);
  });
});

describe("one active run per credential", () => {
  it("a second run waits as pending and starts when the first finishes", SLOW, async () => {
    const { credentialId } = await makeCredentialWith([{ config: demoConfig(0) }, { config: demoConfig(1) }]);
    const first = await startRun({ credential_id: credentialId, type: "full", mode: "dry" });
    const second = await startRun({ credential_id: credentialId, type: "single", serial: "DEV-00001", mode: "dry" });
    // Another credential's run is not held up.
    const elsewhere = await startRun({ type: "single", serial: "DEV-00001", mode: "dry" });
    expect([first.status, second.status, elsewhere.status]).toEqual(["running", "pending", "running"]);
    await stepRun(first.id, 3);
    expect(await runStatus(second.id)).toBe("pending");
    await driveRun(elsewhere.id);

    const finished = await driveRun(first.id);
    expect(await runStatus(second.id)).toBe("running");
    const after = await driveRun(second.id);
    expect(after.status).toBe("completed");
    expect(Date.parse(after.started_at!)).toBeGreaterThanOrEqual(Date.parse(finished.finished_at!));
  });
});

describe("POST /api/runs", () => {
  it("answers a retried request with the same Idempotency-Key with the same run", SLOW, async () => {
    const key = `key-${crypto.randomUUID()}`;
    const body = { credential_id: DEMO_IDS.credential, type: "single", serial: "DEV-00001", mode: "dry" };
    const first = await api<RunDetail>("POST", "/api/runs", body, { "Idempotency-Key": key });
    const retry = await api<RunDetail>("POST", "/api/runs", body, { "Idempotency-Key": key });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");

    const different = await api("POST", "/api/runs", { ...body, serial: "DEV-00002" }, { "Idempotency-Key": key });
    expect(different.status).toBe(409);
    await driveRun(first.body.id);
  });

  it("runs each connection in its own dry-run setting when no mode is given", SLOW, async () => {
    await changeConnection(DEMO_IDS.xml, { dry_run: false });
    const run = await startRun({ type: "single", serial: "DEV-00001" });
    expect(run.mode).toBe("live");
    expect(run.jobs.map((j) => j.mode)).toEqual(["dry", "live", "dry"]);
    const done = await driveRun(run.id);
    expect(done.jobs.map((j) => [j.would_update, j.updated])).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
  });

  it("refuses bad input with 400 naming the fields", SLOW, async () => {
    const bad = async (body: Record<string, unknown>) => {
      const res = await api<{ error: { code: string; details: Array<{ path: string; message: string }> } }>("POST", "/api/runs", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      return res.body.error.details.map((d) => d.path);
    };
    const credential = DEMO_IDS.credential;
    expect(await bad({ credential_id: credential, type: "single" })).toEqual(["serial"]);
    expect(await bad({ credential_id: credential, type: "weekly" })).toEqual(["type"]);
    expect(await bad({ credential_id: "cred_nope", type: "full" })).toEqual(["credential_id"]);
    expect(await bad({ credential_id: credential, type: "full", connection_ids: ["conn_nope"] })).toEqual(["connection_ids"]);
    expect(await bad({ credential_id: credential, type: "full", colour: "red" })).toEqual(["colour"]);

    await makeCredential({ id: "cred_empty", name: "Empty" });
    expect(await bad({ credential_id: "cred_empty", type: "full" })).toEqual(["credential_id"]);
    expect(await bad({ credential_id: "cred_empty", type: "full", connection_ids: [DEMO_IDS.json] })).toEqual(["connection_ids"]);
    await changeConnection(DEMO_IDS.xml, { enabled: false });
    expect(await bad({ credential_id: credential, type: "full", connection_ids: [DEMO_IDS.xml] })).toEqual(["connection_ids"]);
    expect(await runStatusCount()).toBe(0);
  });

  it("is for operators: a viewer token gets 403", SLOW, async () => {
    const { token } = await makeToken("viewer");
    const res = await (exports.default as unknown as Fetcher).fetch("http://localhost/api/runs", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ credential_id: DEMO_IDS.credential, type: "full" }),
    });
    await res.text();
    expect(res.status).toBe(403);
  });
});

describe("rerun", () => {
  it("needs a finished run, and with scope failed a failed connection", SLOW, async () => {
    const run = await startRun({ type: "single", serial: "DEV-00001", mode: "dry" });
    expect((await api("POST", `/api/runs/${run.id}/rerun`, { scope: "all" })).status).toBe(409);
    await driveRun(run.id);
    const nothingFailed = await api<{ error: { details: Array<{ path: string }> } }>("POST", `/api/runs/${run.id}/rerun`, { scope: "failed" });
    expect(nothingFailed.status).toBe(400);
    expect(nothingFailed.body.error.details.map((d) => d.path)).toEqual(["scope"]);
    expect((await api("POST", "/api/runs/run_nope/rerun", { scope: "all" })).status).toBe(404);
    expect((await api("POST", "/api/runs/run_nope/cancel")).status).toBe(404);

    const again = await api<RunDetail>("POST", `/api/runs/${run.id}/rerun`, { scope: "all" });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ type: "single", serial: "DEV-00001", mode: "dry", trigger: "rerun", rerun_of: run.id });
    expect(countersOf((await driveRun(again.body.id)).jobs[0]!)).toEqual(counters({ processed: 1, would_update: 1 }));
  });
});

async function runStatusCount(): Promise<number> {
  const row = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM runs WHERE status IN ('pending', 'running')").first<{ n: number }>();
  return row!.n;
}
