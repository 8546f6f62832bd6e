import { Hono } from "hono";
import pkg from "../../package.json";
import type { Env } from "../env";
import { checkLedger } from "../ledger/health";
import { readSettings } from "../ledger/settings";
import { HEARTBEAT_KEYS } from "../schedule/heartbeat";
import type { HealthResponse } from "./types";

export const health = new Hono<{ Bindings: Env }>();

health.get("/", async (c) => {
  const ledger = await checkLedger(c.env.LEDGER);
  const heartbeats = ledger.ok && ledger.migrations.length > 0
    ? await readSettings(c.env.LEDGER, [HEARTBEAT_KEYS.minute, HEARTBEAT_KEYS.daily])
    : new Map<string, unknown>();
  const body: HealthResponse = {
    status: ledger.ok && ledger.migrations.length > 0 ? "ok" : "degraded",
    version: pkg.version,
    d1: { ok: ledger.ok, latency_ms: ledger.latencyMs, ...(ledger.error ? { error: ledger.error } : {}) },
    migrations: { applied: ledger.migrations, latest: ledger.migrations.at(-1) ?? null },
    sandbox: c.env.SANDBOX === "on",
    scheduler: {
      minute_tick_at: (heartbeats.get(HEARTBEAT_KEYS.minute) as string | undefined) ?? null,
      daily_tick_at: (heartbeats.get(HEARTBEAT_KEYS.daily) as string | undefined) ?? null,
    },
  };
  return c.json(body, body.status === "ok" ? 200 : 503);
});
