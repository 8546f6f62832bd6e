import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { StatsResponse } from "../../../worker/schemas/stats";
import { listConnections } from "../../../worker/mcp/connections-tool";
import { DEMO_SINGLE_SERIAL } from "../../../worker/sandbox/demo-data";
import { api, DEMO_IDS, resetWorld, runToEnd } from "../factories";
import recomputeLiveSuccess from "../../../migrations/0010_recompute_live_success.sql?raw";

const SLOW = { timeout: 120_000 };

beforeEach(async () => {
  await resetWorld();
});

async function withoutSuccess(): Promise<Map<string, { attention: string; last_success_at: string | null }>> {
  const res = await api<StatsResponse>("GET", "/api/stats?no_success_since=3d");
  expect(res.status).toBe(200);
  return new Map(res.body.without_success.connections.map((c) => [c.id, c]));
}

async function mcpWords(): Promise<Map<string, string | null>> {
  const answer = await listConnections(env.LEDGER, { no_success_since: "3d", include_disabled: true }, Date.now(), "https://sync.example.com");
  return new Map(answer.connections.map((c) => [c.id, c.time_since_last_success]));
}

describe("needs attention", () => {
  it("calls connections that never ran 'not run yet', a dry run no sync, and only a live success a sync", SLOW, async () => {
    // A fresh install: nothing ran, nothing failed.
    let listed = await withoutSuccess();
    for (const id of [DEMO_IDS.json, DEMO_IDS.xml, DEMO_IDS.bulk]) expect(listed.get(id)?.attention, id).toBe("not_run_yet");
    expect((await mcpWords()).get(DEMO_IDS.json)).toBe("not run yet");

    // A completed dry run wrote nothing: the connection ran but has not synced.
    await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "dry", connection_ids: [DEMO_IDS.json] });
    listed = await withoutSuccess();
    expect(listed.get(DEMO_IDS.json)).toMatchObject({ attention: "never_succeeded", last_success_at: null });
    expect(listed.get(DEMO_IDS.xml)?.attention).toBe("not_run_yet");
    expect((await mcpWords()).get(DEMO_IDS.json)).toMatch(/^never succeeded/);
    const connection = await api<{ last_success_at: string | null; last_status: string }>("GET", `/api/connections/${DEMO_IDS.json}`);
    expect([connection.body.last_status, connection.body.last_success_at]).toEqual(["completed", null]);

    // A completed live run is a sync.
    await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "live", connection_ids: [DEMO_IDS.json] });
    listed = await withoutSuccess();
    expect(listed.has(DEMO_IDS.json)).toBe(false);
    expect((await mcpWords()).has(DEMO_IDS.json)).toBe(false);
    const synced = await api<{ last_success_at: string | null }>("GET", `/api/connections/${DEMO_IDS.json}`);
    expect(synced.body.last_success_at).not.toBeNull();
  });

  it("recomputes a ledger's last successes from live jobs only when migrated", SLOW, async () => {
    await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "live", connection_ids: [DEMO_IDS.json] });
    await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "dry", connection_ids: [DEMO_IDS.xml] });
    const liveFinished = await env.LEDGER.prepare("SELECT MAX(finished_at) AS at FROM jobs WHERE connection_id = ?1 AND status = 'completed'")
      .bind(DEMO_IDS.json)
      .first<{ at: number }>();
    // What a ledger written before this change holds: dry successes counted too.
    await env.LEDGER.prepare("UPDATE connections SET last_success_at = ?1 WHERE id IN (?2, ?3)").bind(Date.now(), DEMO_IDS.json, DEMO_IDS.xml).run();

    await env.LEDGER.exec(recomputeLiveSuccess.replace(/--.*$/gm, "").replace(/\s+/g, " ").trim());

    const rows = await env.LEDGER.prepare("SELECT id, last_success_at FROM connections WHERE id IN (?1, ?2, ?3)")
      .bind(DEMO_IDS.json, DEMO_IDS.xml, DEMO_IDS.bulk)
      .all<{ id: string; last_success_at: number | null }>();
    const byId = new Map(rows.results.map((row) => [row.id, row.last_success_at]));
    expect(byId.get(DEMO_IDS.json)).toBe(liveFinished?.at);
    expect(byId.get(DEMO_IDS.xml)).toBeNull();
    expect(byId.get(DEMO_IDS.bulk)).toBeNull();
  });
});
