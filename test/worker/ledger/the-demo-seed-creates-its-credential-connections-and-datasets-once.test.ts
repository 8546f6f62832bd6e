import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ConnectionSummary, Page } from "../../../worker/schemas/types";
import { issueApiToken } from "../../../worker/auth/tokens";
import { validateConnectionConfig } from "../../../worker/engine/contracts";
import { seedDemo } from "../../../worker/ledger/demo-seed";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";

async function count(table: string): Promise<number> {
  const row = await env.LEDGER.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row!.n;
}

describe("the demo seed", () => {
  it("creates one credential, three connections and each connection's 500-device dataset, once", async () => {
    await seedDemo(env.LEDGER, Date.UTC(2026, 10, 1));
    await seedDemo(env.LEDGER, Date.UTC(2026, 10, 2));

    expect(await count("credentials")).toBe(1);
    expect(await count("connections")).toBe(3);
    expect(await count("connection_versions")).toBe(3);
    expect(demoSourceDevices()).toHaveLength(500);
    expect(await count("dataset_records")).toBe(1500);
  });

  it("stores connection configurations the engine accepts", async () => {
    await seedDemo(env.LEDGER, Date.UTC(2026, 10, 1));
    const { results } = await env.LEDGER.prepare("SELECT name, config_json FROM connections").all<{ name: string; config_json: string }>();
    for (const row of results) {
      const verdict = validateConnectionConfig(JSON.parse(row.config_json));
      expect(verdict, row.name).toMatchObject({ ok: true });
    }
  });

  it("lists the seeded connections in execution order with new connections in dry run", async () => {
    await seedDemo(env.LEDGER, Date.UTC(2026, 10, 1));
    const { token } = await issueApiToken(env.LEDGER, { name: "demo-seed-test", role: "viewer", createdBy: "test", now: Date.now() });
    const res = await exports.default.fetch("http://localhost/api/connections", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const page = await res.json<Page<ConnectionSummary>>();
    expect(page.data.map((c) => c.position)).toEqual([1, 2, 3]);
    expect(page.data.every((c) => c.dry_run && c.enabled && c.version === 1)).toBe(true);
  });
});
