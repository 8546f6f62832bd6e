import { createScheduledController, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HealthResponse } from "../../../worker/schemas/types";
import { issueApiToken } from "../../../worker/auth/tokens";
import entry from "../../../worker/index";

const worker = exports.default;

describe("GET /api/health", () => {
  it("reports the version, a reachable D1 and the applied migrations", async () => {
    const res = await worker.fetch("http://localhost/api/health");
    expect(res.status).toBe(200);
    const body = await res.json<HealthResponse>();
    expect(body.status).toBe("ok");
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.d1.ok).toBe(true);
    expect(body.migrations.applied).toContain("0001_create_ledger.sql");
    expect(body.sandbox).toBe(true);
  });
});

describe("errors", () => {
  it("answers an unknown API route with the JSON error shape", async () => {
    const { token } = await issueApiToken(env.LEDGER, { name: "health-test", role: "viewer", createdBy: "test", now: Date.now() });
    const res = await worker.fetch("http://localhost/api/no-such-thing", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "No route for GET /api/no-such-thing", details: [] },
    });
  });

  it("asks for a token before saying whether an API route exists", async () => {
    const res = await worker.fetch("http://localhost/api/no-such-thing");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });
});

describe("scheduled handler", () => {
  it("records a heartbeat per trigger that health then reports", async () => {
    const scheduledTime = Date.UTC(2026, 10, 22, 12, 34);
    await entry.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime }), env);
    const stored = await env.LEDGER.prepare("SELECT value_json FROM settings WHERE key = 'scheduler.minute_tick_at'").first<{ value_json: string }>();
    expect(JSON.parse(stored!.value_json)).toBe("2026-11-22T12:34:00.000Z");

    const body = await (await worker.fetch("http://localhost/api/health")).json<HealthResponse>();
    expect(body.scheduler.minute_tick_at).toBe("2026-11-22T12:34:00.000Z");
    expect(body.scheduler.daily_tick_at).toBeNull();
  });
});
