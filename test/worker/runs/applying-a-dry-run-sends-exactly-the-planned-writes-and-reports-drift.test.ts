import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodePlan } from "../../../worker/archive/chunk-codec";
import type { PlanEntry } from "../../../worker/engine/plan-drift";
import { writeConfigSettings } from "../../../worker/ledger/config-settings";
import { writeDatasetRecords } from "../../../worker/ledger/dataset-records";
import type { RunDetail } from "../../../worker/schemas/runs";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { installRecordingDestination, RECORDED, throughRecorder, type RecordingDestination } from "./recording-destination";
import { api, changeConnection, demoConfig, driveRun, jobArchive, makeCredentialWith, makeRun, resetWorld, sandbox, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 60);

interface PlanView {
  run_id: string;
  state: string;
  expires_at: string | null;
  applied_by_run_id: string | null;
  connections: Array<{ connection_id: string; job_id: string; planned_version: number; current_version: number | null; would_update: number }>;
}
interface ApiError {
  error: { code: string; message: string; meta?: Record<string, unknown> };
}

let destination: RecordingDestination;
beforeEach(async () => {
  await resetWorld();
  destination = installRecordingDestination();
});
afterEach(() => destination.restore());

async function dryRunOf(config: ReturnType<typeof demoConfig>) {
  const { credentialId, connectionIds } = await makeCredentialWith([{ config }], RECORDS);
  const dry = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
  expect(dry.status).toBe("completed");
  return { dry, connectionId: connectionIds[0]!, job: dry.jobs[0]! };
}

// The plan as the dry job's archive holds it, by serial.
async function planOf(jobId: string): Promise<Map<string, PlanEntry>> {
  const archive = await jobArchive(jobId);
  const entries = new Map<string, PlanEntry>();
  for (const chunk of archive?.index.plan ?? []) {
    const object = await env.ARCHIVE.get(chunk.key);
    for (const entry of await decodePlan(await object!.arrayBuffer())) entries.set(entry.serial, entry);
  }
  return entries;
}

async function apply(runId: string): Promise<RunDetail> {
  const res = await api<{ run: RunDetail }>("POST", `/api/runs/${runId}/apply`);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.run).toMatchObject({ mode: "live", plan_run_id: runId });
  return driveRun(res.body.run.id);
}

const serialOf = (path: string) => decodeURIComponent(path.split("/").at(-1)!);

describe("applying a dry run", () => {
  it("per-serial JSON: writes exactly the planned requests, drifts what changed, and never touches an unplanned serial", SLOW, async () => {
    const config = throughRecorder(demoConfig(0), "plan");
    const { dry, connectionId, job } = await dryRunOf(config);
    const plan = await planOf(job.id);
    expect(plan.size).toBe(job.would_update);
    expect(plan.size).toBeGreaterThan(5);
    const outcomes = (await jobArchive(job.id))!.outcomes;
    expect([...outcomes.values()].filter((o) => o.action === "would_update").map((o) => o.serial)).toEqual([...plan.keys()].sort());

    const ready = await api<PlanView>("GET", `/api/runs/${dry.id}/plan`);
    expect(ready.body).toMatchObject({ run_id: dry.id, state: "ready", applied_by_run_id: null });
    expect(ready.body.connections).toEqual([
      expect.objectContaining({ connection_id: connectionId, job_id: job.id, planned_version: 1, current_version: 1, would_update: plan.size }),
    ]);

    // Drift of each kind, and an unplanned serial that now needs a write.
    const [changedDestination, changedSource, goneSource, goneDestination] = [...plan.keys()];
    const unplanned = [...outcomes.values()].find((o) => o.action === "skipped_no_change")!.serial;
    await sandbox(`/api/devices/${changedDestination}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ display_name: "Renamed since the plan" }),
    });
    const sourceOf = (serial: string) => RECORDS.find((r) => r.serial === serial)!;
    await writeDatasetRecords(
      env.LEDGER,
      connectionId,
      [changedSource!, unplanned].map((serial) => ({ serial, json: JSON.stringify({ ...sourceOf(serial), firmware_version: "9.9.9-since-the-plan" }) })),
      "merge",
      2_000,
    );
    await env.LEDGER.prepare("DELETE FROM dataset_records WHERE connection_id = ?1 AND serial = ?2").bind(connectionId, goneSource).run();
    destination.intercept = ({ method, path }) =>
      method === "GET" && path === `/api/devices/${goneDestination}`
        ? Response.json({ error: { code: "NOT_FOUND", message: "no such device" } }, { status: 404 })
        : undefined;
    destination.requests.length = 0;

    const applied = await apply(dry.id);
    expect(applied.status).toBe("completed");
    const applyJob = applied.jobs[0]!;
    const drifted = [changedDestination!, changedSource!, goneSource!, goneDestination!];
    expect(applyJob).toMatchObject({ updated: plan.size - 4, drifted: 4, processed: plan.size, would_update: 0, skipped_no_change: 0 });

    // The destination's own log: every request names a planned serial; the writes are the planned ones minus the drifted.
    for (const request of destination.requests) expect(plan.has(serialOf(request.path)), request.path).toBe(true);
    expect(destination.requests.some((r) => r.path.includes(unplanned))).toBe(false);
    const writes = destination.requests.filter((r) => r.method !== "GET");
    expect(writes.map((w) => serialOf(w.path)).sort()).toEqual([...plan.keys()].filter((s) => !drifted.includes(s)).sort());
    for (const write of writes) {
      const entry = plan.get(serialOf(write.path))!;
      expect({ method: write.method, url: `${RECORDED}/plan${write.path}`, body: write.body }).toEqual({
        method: entry.method,
        url: entry.url,
        body: entry.body,
      });
    }

    const after = (await jobArchive(applyJob.id))!.outcomes;
    const differences = (serial: string) => JSON.parse(after.get(serial)!.differences ?? "null") as Array<{ field: string; side: string }>;
    expect(after.get(changedDestination!)).toMatchObject({ action: "drifted" });
    expect(differences(changedDestination!)).toContainEqual(
      expect.objectContaining({ field: "display_name", side: "destination", found: "Renamed since the plan" }),
    );
    expect(differences(changedSource!)).toEqual([expect.objectContaining({ field: "firmware", side: "source", found: "9.9.9-since-the-plan" })]);
    expect(after.get(goneSource!)!.error).toContain("source record is gone");
    expect(after.get(goneDestination!)!.error).toContain("destination record is gone");
    expect(after.has(unplanned)).toBe(false);

    const appliedPlan = await api<PlanView>("GET", `/api/runs/${dry.id}/plan`);
    expect(appliedPlan.body).toMatchObject({ state: "applied", applied_by_run_id: applied.id });
    const again = await api<ApiError>("POST", `/api/runs/${dry.id}/apply`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "plan_already_applied", meta: { run_id: applied.id } });
  });

  it("HTTP source and bulk writes: batches carry exactly the planned items of the serials that did not drift", SLOW, async () => {
    const { dry, job } = await dryRunOf(throughRecorder(demoConfig(2), "bulkplan"));
    const plan = await planOf(job.id);
    expect(plan.size).toBe(job.would_update);
    const [changed] = [...plan.keys()];
    await sandbox(`/api/devices/${changed}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contact_email: "changed@example.com" }),
    });
    destination.requests.length = 0;

    const applied = await apply(dry.id);
    expect(applied.jobs[0]).toMatchObject({ status: "completed", updated: plan.size - 1, drifted: 1 });
    const items = destination.requests
      .filter((r) => r.method === "POST")
      .flatMap((r) => (JSON.parse(r.body) as { devices: Array<{ serial: string }> }).devices);
    expect(items.map((item) => item.serial).sort()).toEqual([...plan.keys()].filter((s) => s !== changed).sort());
    for (const item of items) expect(JSON.stringify(item)).toBe(plan.get(item.serial)!.body);
  });
});

describe("an apply run that starts late", () => {
  it("fails with plan_expired when its plan expired while it waited to start, and writes nothing", SLOW, async () => {
    const { dry } = await dryRunOf(throughRecorder(demoConfig(0), "expiring"));
    expect(dry.jobs[0]!.would_update).toBeGreaterThan(0);
    const accepted = await api<{ run: RunDetail }>("POST", `/api/runs/${dry.id}/apply`);
    expect(accepted.status).toBe(201);
    // Queued behind its credential's other runs, it starts after the plan's hour has passed.
    const now = Date.now();
    await writeConfigSettings(env.LEDGER, { plans: { ttl_hours: 1 } }, now);
    await env.LEDGER.prepare("UPDATE runs SET finished_at = ?2 WHERE id = ?1")
      .bind(dry.id, now - 2 * 3_600_000)
      .run();
    destination.requests.length = 0;
    try {
      const applied = await driveRun(accepted.body.run.id);
      expect(applied.jobs[0]).toMatchObject({
        status: "failed",
        updated: 0,
        error: { code: "plan_expired", hint: "Run a new dry run, review it, and apply that one" },
      });
      expect(applied.jobs[0]!.error!.message).toMatch(/^The plan of dry run run_\S+ expired at \S+ \(plans last 1 h\)\. It expired before this apply started$/);
      expect(destination.requests.filter((request) => request.method !== "GET")).toEqual([]);
    } finally {
      await writeConfigSettings(env.LEDGER, { plans: { ttl_hours: 24 } }, now);
    }
  });
});

describe("POST /api/runs/{id}/apply refuses", () => {
  it("a plan whose connection changed since, naming the connection and both versions", SLOW, async () => {
    const { dry, connectionId } = await dryRunOf(throughRecorder(demoConfig(0), "outdated"));
    await changeConnection(connectionId, { config: { ...demoConfig(0), mapping: demoConfig(0).mapping.slice(0, 3) } });
    const plan = await api<PlanView>("GET", `/api/runs/${dry.id}/plan`);
    expect(plan.body).toMatchObject({ state: "outdated", connections: [{ planned_version: 1, current_version: 2 }] });
    const refused = await api<ApiError>("POST", `/api/runs/${dry.id}/apply`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("plan_outdated");
    expect(refused.body.error.message).toContain('"Connection 1" changed from version 1 to 2');
  });

  it("an expired plan, a live run, an unfinished or empty dry run, and an unknown run", async () => {
    const now = Date.now();
    const { connectionIds } = await makeCredentialWith([{ config: demoConfig(0) }], RECORDS.slice(0, 1));
    const expired = await makeRun({ mode: "dry", status: "completed", created_at: now - 3 * 3_600_000, finished_at: now - 2 * 3_600_000 }, [
      { connection_id: connectionIds[0]!, connection_version: 1, would_update: 3, archive_day: "2026-12-01" },
    ]);
    await writeConfigSettings(env.LEDGER, { plans: { ttl_hours: 1 } }, now);
    try {
      const code = async (runId: string) => ((await api<ApiError>("POST", `/api/runs/${runId}/apply`)).body.error ?? { code: "none" }).code;
      expect((await api<PlanView>("GET", `/api/runs/${expired.id}/plan`)).body.state).toBe("expired");
      expect(await code(expired.id)).toBe("plan_expired");
      expect(await code((await makeRun({ mode: "live", status: "completed" })).id)).toBe("plan_not_dry");
      expect(await code((await makeRun({ mode: "dry", status: "running" })).id)).toBe("plan_not_finished");
      expect(await code((await makeRun({ mode: "dry", status: "completed" }, [{ would_update: 0 }])).id)).toBe("plan_empty");
      expect((await api("POST", "/api/runs/run_unknown/apply")).status).toBe(404);
    } finally {
      await writeConfigSettings(env.LEDGER, { plans: { ttl_hours: 24 } }, now);
    }
  });
});
