import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { RunDetail } from "../../../worker/schemas/runs";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { getConnection } from "../../../worker/ledger/connections";
import { api, changeConnection, DEMO_IDS, demoConfig, driveRun, logsOf, makeCredentialWith, outcomesOf, resetWorld, runToEnd } from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 60);
const outcomes = demoExpectedOutcomes();
const UNCHANGED_SERIALS = RECORDS.filter((r) => outcomes.get(r.serial) === "skipped_no_change" && r.battery_pct !== null).map((r) => r.serial);

beforeEach(async () => {
  await resetWorld();
});

async function connectionState(id: string) {
  const connection = await env.LEDGER.prepare("SELECT sync_cursor, last_status, consecutive_failures FROM connections WHERE id = ?1")
    .bind(id)
    .first<{ sync_cursor: string | null; last_status: string | null; consecutive_failures: number }>();
  const { results } = await env.LEDGER.prepare("SELECT serial FROM connection_retry_serials WHERE connection_id = ?1 ORDER BY serial")
    .bind(id)
    .all<{ serial: string }>();
  return { ...connection!, retry: results.map((r) => r.serial) };
}

async function syncNow(connectionId: string): Promise<RunDetail> {
  const res = await api<RunDetail>("POST", `/api/connections/${connectionId}/sync`);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return driveRun(res.body.id);
}

async function touch(connectionId: string, serials: string[], updatedAt: number, change: (record: Record<string, unknown>) => void = () => undefined) {
  for (const serial of serials) {
    const row = await env.LEDGER.prepare("SELECT record_json FROM dataset_records WHERE connection_id = ?1 AND serial = ?2")
      .bind(connectionId, serial)
      .first<{ record_json: string }>();
    const record = JSON.parse(row!.record_json) as Record<string, unknown>;
    change(record);
    // Stamped directly: an upload keeps the old updated_at of a record whose JSON is unchanged, and a touch moves it.
    await env.LEDGER.prepare("UPDATE dataset_records SET record_json = ?3, updated_at = ?4 WHERE connection_id = ?1 AND serial = ?2")
      .bind(connectionId, serial, JSON.stringify(record), updatedAt)
      .run();
  }
}

describe("Sync Now", () => {
  it("after a live run processes only records changed since its cursor plus the serials that failed", SLOW, async () => {
    const { connectionIds } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS);
    const id = connectionIds[0]!;
    const broken = UNCHANGED_SERIALS[0]!;
    await touch(id, [broken], 1_000, (record) => void (record.battery_pct = "lots"));

    const first = await syncNow(id);
    expect(first.type).toBe("full");
    expect(first.mode).toBe("live");
    expect(first.jobs[0]).toMatchObject({ in_scope: 60, processed: 60, failed: 1, incremental_since: null });
    expect((await outcomesOf(first.jobs[0]!.id)).get(broken)).toBe("failed");
    expect(await connectionState(id)).toMatchObject({ sync_cursor: new Date(1_000).toISOString(), retry: [broken], last_status: "completed" });

    const retryOnly = await syncNow(id);
    expect(retryOnly.jobs[0]).toMatchObject({ in_scope: 1, processed: 1, failed: 1, incremental_since: new Date(1_000).toISOString() });

    await touch(id, [broken], 5_000, (record) => void (record.battery_pct = 50));
    await touch(id, UNCHANGED_SERIALS.slice(1, 3), 5_000);
    const changed = await syncNow(id);
    expect(changed.jobs[0]).toMatchObject({ in_scope: 3, processed: 3, failed: 0 });
    expect([...(await outcomesOf(changed.jobs[0]!.id)).keys()].sort()).toEqual([broken, ...UNCHANGED_SERIALS.slice(1, 3)].sort());
    expect(await connectionState(id)).toMatchObject({ sync_cursor: new Date(5_000).toISOString(), retry: [] });

    // "0 of 0 in scope" says why: the job read from the cursor and nothing had changed (information, not a warning).
    const nothing = await syncNow(id);
    const since = new Date(5_000).toISOString();
    expect(nothing.jobs[0]).toMatchObject({ in_scope: 0, processed: 0, status: "completed", incremental_since: since });
    expect(nothing.jobs[0]!.diagnoses).toEqual([
      expect.objectContaining({ severity: "info", code: "nothing_changed", message: expect.stringContaining(`changed since ${since}`) }),
    ]);
    const read = await api<RunDetail>("GET", `/api/runs/${nothing.id}`);
    expect(read.body.jobs[0]).toMatchObject({ incremental_since: since, diagnoses: [expect.objectContaining({ code: "nothing_changed" })] });
    const logs = (await logsOf(nothing.jobs[0]!.id)).map((line) => `${line.level} ${line.message}`);
    expect(logs).toContainEqual(expect.stringContaining(`INFO Live full run started, incremental since ${since}`));
    expect(logs).toContainEqual(expect.stringMatching(/^INFO .*No source record changed since/));
  });

  it("in dry run uses the cursor but never moves it", SLOW, async () => {
    const { connectionIds } = await makeCredentialWith([{ config: demoConfig(0), dry_run: true }], RECORDS);
    const dry = await syncNow(connectionIds[0]!);
    expect(dry.mode).toBe("dry");
    expect(dry.jobs[0]).toMatchObject({ in_scope: 60, processed: 60, updated: 0 });
    expect((await connectionState(connectionIds[0]!)).sync_cursor).toBeNull();
  });

  it("of a disabled connection is refused", SLOW, async () => {
    await changeConnection(DEMO_IDS.json, { enabled: false });
    const res = await api("POST", `/api/connections/${DEMO_IDS.json}/sync`);
    expect(res.status).toBe(409);
    expect((await api("POST", "/api/connections/conn_nope/sync")).status).toBe(404);
  });
});

describe("an HTTP source with an updated-since parameter", () => {
  it("is read from the cursor on the next full run", SLOW, async () => {
    const first = await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.bulk] });
    expect(first.jobs[0]!.updated).toBe(142);
    const newest = demoSourceDevices()
      .map((d) => Date.parse(d.last_seen_at))
      .reduce((a, b) => Math.max(a, b));
    expect((await connectionState(DEMO_IDS.bulk)).sync_cursor).toBe(new Date(newest).toISOString());
    const next = await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.bulk] });
    expect(next.jobs[0]).toMatchObject({ status: "completed", in_scope: 0, processed: 0, incremental_since: new Date(newest).toISOString() });
    expect(next.jobs[0]!.diagnoses.map((diagnosis) => diagnosis.code)).toEqual(["nothing_changed"]);
  });

  // A cursor left from a contract that had updated_at_path does not make a source without one incremental.
  it("is read whole, and said to be, once the source no longer says when a record changed", SLOW, async () => {
    await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.bulk] });
    const { config } = (await getConnection(env.LEDGER, DEMO_IDS.bulk))!;
    if (config.source.kind !== "http") throw new Error("the demo bulk connection reads an HTTP source");
    const { updated_at_path: _path, since_param: _param, ...source } = config.source;
    await changeConnection(DEMO_IDS.bulk, { config: { ...config, source } });
    expect((await connectionState(DEMO_IDS.bulk)).sync_cursor).not.toBeNull();

    const whole = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });
    expect(whole.jobs[0]).toMatchObject({ status: "completed", in_scope: 500, processed: 500, incremental_since: null });
    const started = (await logsOf(whole.jobs[0]!.id)).find((line) => line.message.includes("run started"));
    expect(started?.message).toContain("Dry full run started, complete");
  });
});

describe("a full run with reset", () => {
  // Previewing a complete reconciliation must not change what the next live run reads: a dry run writes nothing.
  it("in dry run reads every record but leaves the cursor and the retry list to the live runs", SLOW, async () => {
    const { connectionIds, credentialId } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS);
    const id = connectionIds[0]!;
    const broken = UNCHANGED_SERIALS[0]!;
    await touch(id, [broken], 1_000, (record) => void (record.battery_pct = "lots"));
    await syncNow(id);
    const synced = await connectionState(id);
    expect(synced).toMatchObject({ sync_cursor: new Date(1_000).toISOString(), retry: [broken] });

    const started = await api<RunDetail>("POST", "/api/runs", { credential_id: credentialId, type: "full", mode: "dry", reset: true });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const preview = await driveRun(started.body.id);
    expect(preview.jobs[0]).toMatchObject({ mode: "dry", in_scope: 60, processed: 60, incremental_since: null });
    expect(await connectionState(id)).toEqual(synced);

    // The next live run is the incremental one it would have been: the failed serial alone.
    expect((await syncNow(id)).jobs[0]).toMatchObject({ in_scope: 1, processed: 1, incremental_since: new Date(1_000).toISOString() });
  });

  it("in live mode clears the cursor and the retry list first", SLOW, async () => {
    const { connectionIds, credentialId } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS);
    const id = connectionIds[0]!;
    await touch(id, [UNCHANGED_SERIALS[0]!], 1_000, (record) => void (record.battery_pct = "lots"));
    await syncNow(id);
    await touch(id, [UNCHANGED_SERIALS[0]!], 2_000, (record) => void (record.battery_pct = 40));

    const started = await api<RunDetail>("POST", "/api/runs", { credential_id: credentialId, type: "full", mode: "live", reset: true });
    const complete = await driveRun(started.body.id);
    expect(complete.jobs[0]).toMatchObject({ mode: "live", in_scope: 60, processed: 60, failed: 0, incremental_since: null });
    expect(await connectionState(id)).toMatchObject({ sync_cursor: new Date(2_000).toISOString(), retry: [] });
  });
});

describe("Reset", () => {
  it("clears the cursor and retry list, and with resync starts a complete run", SLOW, async () => {
    const { connectionIds } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS);
    const id = connectionIds[0]!;
    await touch(id, [UNCHANGED_SERIALS[0]!], 1_000, (record) => void (record.battery_pct = "lots"));
    await syncNow(id);
    expect(await connectionState(id)).toMatchObject({ sync_cursor: expect.any(String), retry: [UNCHANGED_SERIALS[0]] });

    const reset = await api<{ connection_id: string; run: RunDetail | null }>("POST", `/api/connections/${id}/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ connection_id: id, run: null });
    expect(await connectionState(id)).toMatchObject({ sync_cursor: null, retry: [] });

    const resync = await api<{ run: RunDetail }>("POST", `/api/connections/${id}/reset?resync=true`);
    expect(resync.status).toBe(200);
    expect(resync.body.run).toMatchObject({ type: "full", reset: true, connection_ids: [id] });
    const done = await driveRun(resync.body.run.id);
    expect(done.jobs[0]).toMatchObject({ in_scope: 60, processed: 60, incremental_since: null });
  });
});
