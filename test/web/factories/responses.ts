import { vi } from "vitest";
import type { ApiErrorBody, ConnectionSummary, HealthResponse } from "../../../worker/schemas/types";

let sequence = 0;

export function makeConnection(overrides: Partial<ConnectionSummary> = {}): ConnectionSummary {
  sequence += 1;
  return {
    id: `conn_${sequence}`,
    name: `Connection ${sequence}`,
    credential_id: "cred_demo",
    credential_name: "Demo fleet",
    position: sequence,
    enabled: true,
    dry_run: true,
    debug: false,
    schedule: null,
    version: 1,
    updated_at: "2026-11-20T10:00:00.000Z",
    freshness_sla_minutes: null,
    freshness: null,
    paused: null,
    alerts_muted_until: null,
    ...overrides,
  };
}

export function makeErrorBody(
  code: string,
  message: string,
  details: ApiErrorBody["error"]["details"] = [],
  extra: Pick<ApiErrorBody["error"], "hint" | "meta"> = {},
): ApiErrorBody {
  return { error: { code, message, details, ...extra } };
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The dashboard's API as a fetch stub: each path answers from its route (query ignored); any other path fails the test. */
export function stubApiRoutes(routes: Record<string, () => Response>): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const answer = routes[new URL(String(input), "http://localhost").pathname];
      if (!answer) throw new Error(`unexpected request ${String(input)}`);
      return answer();
    }),
  );
}

/** The routes every dashboard page loads beside its own: health, connections, credentials, runs and stats. */
export function dashboardRoutes(stats: unknown, connections: unknown[] = [makeConnection()]): Record<string, () => Response> {
  return {
    "/api/health": () => jsonResponse(makeHealth()),
    "/api/connections": () => jsonResponse({ data: connections, next_cursor: null }),
    "/api/credentials": () => jsonResponse({ data: [], next_cursor: null }),
    "/api/runs": () => jsonResponse({ data: [], next_cursor: null }),
    "/api/stats": () => jsonResponse(stats),
  };
}

export function makeHealth(overrides: Partial<HealthResponse> = {}): HealthResponse {
  return {
    status: "ok",
    version: "0.1.0",
    d1: { ok: true, latency_ms: 3 },
    migrations: { applied: ["0001_create_ledger.sql"], latest: "0001_create_ledger.sql" },
    sandbox: true,
    demo_credential_id: null,
    scheduler: { minute_tick_at: null, daily_tick_at: null, heartbeat: null },
    ...overrides,
  };
}

export interface ApiCall {
  method: string;
  path: string;
  body: unknown;
}

// The browser's fetch is the boundary: client, state and components run for real. Every call is recorded (a JSON
// body parsed) and answered by `answer`.
export function stubApi(answer: (call: ApiCall) => Response | Promise<Response>): ApiCall[] {
  const calls: ApiCall[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const call: ApiCall = {
        method: init?.method ?? "GET",
        path: new URL(String(input), "http://localhost").pathname,
        body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
      };
      calls.push(call);
      return answer(call);
    }),
  );
  return calls;
}
