import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Connection } from "../../../worker/schemas/connections";
import type { StatsResponse } from "../../../worker/schemas/stats";
import { listConnections } from "../../../worker/mcp/connections-tool";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { api, demoConfig, makeCredentialWith, resetWorld, runToEnd } from "../factories";
import backfill from "../../../migrations/0030_add_connection_last_failed_records.sql?raw";

const SLOW = { timeout: 60_000 };
const outcomes = demoExpectedOutcomes();
const RECORDS = demoSourceDevices().slice(0, 60);
// Records the destination holds as they are: a value it refuses makes them changes it then rejects.
const BROKEN = RECORDS.filter((r) => outcomes.get(r.serial) === "skipped_no_change" && r.battery_pct !== null)
  .slice(0, 2)
  .map((r) => r.serial);

beforeEach(async () => {
  await resetWorld();
});

async function lastStatus(id: string) {
  const connection = await api<Connection>("GET", `/api/connections/${id}`);
  expect(connection.status).toBe(200);
  const stats = await api<StatsResponse>("GET", "/api/stats");
  const entry = stats.body.connections.find((c) => c.id === id);
  const mcp = (await listConnections(env.LEDGER, { name: id, include_disabled: true }, Date.now(), "https://sync.example.com")).connections.find(
    (c) => c.id === id,
  );
  return {
    connection: [connection.body.last_status, connection.body.last_failed_records, connection.body.last_status_detail],
    stats: [entry?.last_status, entry?.last_failed_records, entry?.last_status_detail],
    mcp: [mcp?.last_status, mcp?.last_status_detail],
  };
}

describe("a connection's last status", () => {
  it("says 'Completed with N failed records' after a job that left records unwritten, and plain completed after a clean one", SLOW, async () => {
    const broken = RECORDS.map((r) => (BROKEN.includes(r.serial) ? { ...r, battery_pct: "lots" as unknown as number } : r));
    const { credentialId, connectionIds } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], broken);
    const id = connectionIds[0]!;

    const first = await runToEnd({ type: "full", mode: "live", credential_id: credentialId, connection_ids: [id] });
    expect(first.jobs[0]).toMatchObject({ status: "completed", failed: 2 });
    const detail = "Completed with 2 failed records";
    expect(await lastStatus(id)).toEqual({
      connection: ["completed", 2, detail],
      stats: ["completed", 2, detail],
      mcp: ["completed", detail],
    });

    // The broken records fixed: the next job completes cleanly and the status is a plain success again.
    await env.LEDGER.prepare("UPDATE dataset_records SET record_json = json_set(record_json, '$.battery_pct', 50) WHERE connection_id = ?1").bind(id).run();
    const second = await runToEnd({ type: "full", mode: "live", credential_id: credentialId, connection_ids: [id] });
    expect(second.jobs[0]).toMatchObject({ status: "completed", failed: 0 });
    expect(await lastStatus(id)).toEqual({ connection: ["completed", 0, null], stats: ["completed", 0, null], mcp: ["completed", null] });
  });

  it("is backfilled by the migration from the job the status came from", SLOW, async () => {
    const broken = RECORDS.map((r) => (r.serial === BROKEN[0] ? { ...r, battery_pct: "lots" as unknown as number } : r));
    const { credentialId, connectionIds } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], broken);
    const id = connectionIds[0]!;
    await runToEnd({ type: "full", mode: "live", credential_id: credentialId, connection_ids: [id] });
    // What a ledger written before the column holds.
    await env.LEDGER.prepare("UPDATE connections SET last_failed_records = 0 WHERE id = ?1").bind(id).run();
    expect((await lastStatus(id)).connection).toEqual(["completed", 0, null]);

    const update = backfill
      .replace(/--.*$/gm, "")
      .split(";")
      .map((s) => s.trim())
      .find((s) => s.startsWith("UPDATE"))!;
    await env.LEDGER.exec(update.replace(/\s+/g, " "));

    expect((await lastStatus(id)).connection).toEqual(["completed", 1, "Completed with 1 failed record"]);
  });
});
