import { createRoute } from "@hono/zod-openapi";
import pkg from "../../package.json";
import { DEMO_CREDENTIAL_ID } from "../ledger/demo-seed";
import { checkLedger, LEDGER_PROBLEMS } from "../ledger/health";
import { readHeartbeat, type StoredHeartbeat } from "../ledger/heartbeat-url";
import { readSettings } from "../ledger/settings";
import { HEARTBEAT_KEYS } from "../schedule/heartbeat";
import { createRouter } from "./router";
import { jsonContent } from "../schemas/common";
import { healthResponseSchema, type HealthResponse } from "../schemas/health";

export const health = createRouter();

const healthRoute = createRoute({
  method: "get",
  operationId: "getHealth",
  path: "/",
  tags: ["System"],
  summary: "Health of the worker, D1 and the scheduler",
  description:
    "Public: needs no token. 503 when D1 is unreachable or no migrations are applied; " +
    "`d1.code` and `d1.error` name the problem, never D1's own error text (that goes to the Worker's log).",
  security: [],
  responses: {
    200: jsonContent(healthResponseSchema, "Everything works."),
    503: jsonContent(healthResponseSchema, "Degraded; the body says what is wrong."),
  },
});

health.openapi(healthRoute, async (c) => {
  const ledger = await checkLedger(c.env.LEDGER);
  const migrated = ledger.ok && ledger.migrations.length > 0;
  const heartbeats = migrated ? await readSettings(c.env.LEDGER, [HEARTBEAT_KEYS.minute, HEARTBEAT_KEYS.daily]) : new Map<string, unknown>();
  const heartbeatUrl = migrated ? await readHeartbeat(c.env.LEDGER) : null;
  const body: HealthResponse = {
    status: ledger.ok && ledger.migrations.length > 0 ? "ok" : "degraded",
    version: pkg.version,
    d1: {
      ok: ledger.ok,
      latency_ms: ledger.latencyMs,
      ...(ledger.problem ? { code: ledger.problem, error: LEDGER_PROBLEMS[ledger.problem] } : {}),
    },
    migrations: { applied: ledger.migrations, latest: ledger.migrations.at(-1) ?? null },
    sandbox: c.env.SANDBOX === "on",
    demo_credential_id: c.env.DEMO_SEED === "on" ? DEMO_CREDENTIAL_ID : null,
    scheduler: {
      minute_tick_at: (heartbeats.get(HEARTBEAT_KEYS.minute) as string | undefined) ?? null,
      daily_tick_at: (heartbeats.get(HEARTBEAT_KEYS.daily) as string | undefined) ?? null,
      heartbeat: publicHeartbeat(heartbeatUrl),
    },
  };
  return body.status === "ok" ? c.json(body, 200) : c.json(body, 503);
});

// Health is public: the outcome of the last call, never the URL (it often carries the monitor's token) or error text.
function publicHeartbeat(stored: StoredHeartbeat | null): HealthResponse["scheduler"]["heartbeat"] {
  if (stored === null || stored.url === null) return null;
  const { last } = stored;
  return { last_at: last === null ? null : new Date(last.at).toISOString(), last_ok: last?.ok ?? null, last_status: last?.status ?? null };
}
