import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HealthResponse } from "../../../worker/schemas/types";
import { createApp } from "../../../worker/app";
import { envWith } from "../factories";

const RAW = "D1_ERROR: SQLITE_IOERR at /var/lib/d1/db-7f3a.sqlite (internal reference 5c1e-secret)";

// Every statement of this binding fails the way an unreachable D1 does, with text meant for operators.
function failingLedger(message: string): D1Database {
  const fail = () => Promise.reject(new Error(message));
  const statement = { bind: () => statement, first: fail, all: fail, run: fail, raw: fail };
  return { prepare: () => statement, batch: fail, exec: fail } as unknown as D1Database;
}

afterEach(() => vi.restoreAllMocks());

describe("GET /api/health with a failing D1", () => {
  it("answers 503 with a generic message and a code; the raw error goes to the console only", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await createApp().request("/api/health", {}, envWith({ LEDGER: failingLedger(RAW) }));
    expect(res.status).toBe(503);
    const text = await res.text();
    const body = JSON.parse(text) as HealthResponse;
    expect(body.status).toBe("degraded");
    expect(body.d1).toMatchObject({ ok: false, code: "ledger_unreachable", error: "ledger unreachable" });
    for (const part of ["D1_ERROR", "SQLITE", "/var/lib", "5c1e-secret"]) expect(text).not.toContain(part);
    expect(logged.mock.calls.flat().map(String).join(" ")).toContain(RAW);
  });

  it("still says plainly when no migrations are applied", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await createApp().request("/api/health", {}, envWith({ LEDGER: failingLedger("D1_ERROR: no such table: d1_migrations: SQLITE_ERROR") }));
    const body = await res.json<HealthResponse>();
    expect(res.status).toBe(503);
    expect(body.d1).toMatchObject({ ok: true, code: "no_migrations", error: "no migrations applied" });
  });

  it("reports a healthy D1 without an error", async () => {
    const body = await (await createApp().request("/api/health", {}, env)).json<HealthResponse>();
    expect(body.d1.ok).toBe(true);
    expect(body.d1).not.toHaveProperty("error");
    expect(body.d1).not.toHaveProperty("code");
  });
});
