import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../../worker/app";
import type { Role } from "../../../worker/auth/principal";
import { makeToken } from "../factories";

// The independent truth: each route's intended minimum role, written by hand from SPEC §8 ("every /api route
// but health, and /mcp, needs a token … Viewers read; operators run and cancel; admins configure") and the
// README's API table, never read from the app's own role metadata. A route whose guard drifts fails here.
type MinRole = "public" | Role;

const ROUTE_ROLES: Record<string, MinRole> = {
  // Public: health, and the API's own description.
  "GET /api/health": "public",
  "GET /api/openapi.json": "public",
  "GET /api/docs": "public",
  // A provider sends the person's browser back here without a token: the single-use state names the credential.
  "GET /api/oauth/callback": "public",
  // The live feed and the agent endpoint read, like the rest of the API.
  "GET /api/live": "viewer",
  "POST /mcp": "viewer",
  "GET /mcp": "viewer",
  "DELETE /mcp": "viewer",
  "GET /api/session": "viewer",
  "GET /api/stats": "viewer",

  "GET /api/credentials": "viewer",
  "GET /api/credentials/{id}": "viewer",
  "POST /api/credentials": "admin",
  "PATCH /api/credentials/{id}": "admin",
  "DELETE /api/credentials/{id}": "admin",
  "POST /api/credentials/{id}/connections/order": "admin",
  // Test authentication sends one GET and changes nothing: an operator's check, like test lookup.
  "POST /api/credentials/{id}/test-auth": "operator",
  // Connect gives the credential a new refresh token: configuration.
  "POST /api/credentials/{id}/connect": "admin",

  "GET /api/connections": "viewer",
  "GET /api/connections/{id}": "viewer",
  "GET /api/connections/{id}/versions": "viewer",
  "GET /api/connections/{id}/serials": "viewer",
  "GET /api/serials/latest": "viewer",
  "GET /api/connections/{id}/records": "viewer",
  "POST /api/connections": "admin",
  "PATCH /api/connections/{id}": "admin",
  "DELETE /api/connections/{id}": "admin",
  "POST /api/connections/{id}/records": "admin",
  "POST /api/connections/{id}/test-lookup": "operator",
  "POST /api/connections/{id}/sync": "operator",
  "POST /api/connections/{id}/reset": "operator",

  "GET /api/runs": "viewer",
  "GET /api/runs/{id}": "viewer",
  "POST /api/runs": "operator",
  "POST /api/runs/{id}/cancel": "operator",
  "POST /api/runs/{id}/rerun": "operator",
  "POST /api/runs/bulk/preview": "viewer",
  "POST /api/runs/bulk/cancel": "operator",
  "POST /api/runs/bulk/rerun": "operator",
  "GET /api/destinations/breakers": "viewer",
  "POST /api/destinations/breakers/{host}/reset": "operator",
  "POST /api/connections/{id}/resume": "operator",
  "GET /api/runs/{id}/plan": "viewer",
  "POST /api/runs/{id}/apply": "operator",
  "GET /api/jobs/{id}": "viewer",
  "GET /api/jobs/{id}/records": "viewer",
  "GET /api/jobs/{id}/logs": "viewer",
  // The request inspector: viewers read it, without bodies.
  "GET /api/jobs/{id}/requests": "viewer",
  "GET /api/jobs/{id}/requests/{seq}": "viewer",

  "GET /api/settings": "viewer",
  "PUT /api/settings": "admin",
  // Configuration as code: a document names every destination and its settings.
  "GET /api/config/export": "admin",
  "POST /api/config/plan": "admin",
  "POST /api/config/apply": "admin",
  "GET /api/retention": "viewer",
  "POST /api/retention/run": "admin",
  "GET /api/tokens": "admin",
  "POST /api/tokens": "admin",
  "DELETE /api/tokens/{id}": "admin",

  "GET /api/alerts/channels": "viewer",
  "GET /api/alerts/channels/{id}": "viewer",
  "POST /api/alerts/channels": "admin",
  "PATCH /api/alerts/channels/{id}": "admin",
  "DELETE /api/alerts/channels/{id}": "admin",
  "POST /api/alerts/channels/{id}/rotate-secret": "admin",
  // A test send changes no configuration: an operator's action, like redeliver.
  "POST /api/alerts/channels/{id}/test": "operator",
  "GET /api/alerts/rules": "viewer",
  "GET /api/alerts/rules/{id}": "viewer",
  "POST /api/alerts/rules": "admin",
  "PATCH /api/alerts/rules/{id}": "admin",
  "DELETE /api/alerts/rules/{id}": "admin",
  "GET /api/alerts/deliveries": "viewer",
  "GET /api/alerts/deliveries/{id}": "viewer",
  "POST /api/alerts/deliveries/{id}/redeliver": "operator",
  // A connection's alert mute is a snooze (an operator's, like redeliver); its routing overrides rules (an admin's).
  "PUT /api/connections/{id}/alerts-mute": "operator",
  "GET /api/connections/{id}/alert-routes": "viewer",
  "PUT /api/connections/{id}/alert-routes": "admin",

  // The sandbox's webhook receiver (SANDBOX=on): captured deliveries are read like the delivery log; clearing or
  // scripting a receiver changes what it answers.
  "GET /sandbox/_receiver/{name}": "viewer",
  "DELETE /sandbox/_receiver/{name}": "operator",
  "PUT /sandbox/_receiver/{name}/_script": "operator",
};

// Catch-all handlers and middleware: security headers, the body limits, and the sandbox destination itself
// (public, as a destination a run calls). A new catch-all would hide routes from the walk, so it fails too.
const WILDCARDS = ["ALL /*", "ALL /api/*", "ALL /mcp/*", "ALL /sandbox/*"];

const CALLERS = [null, "viewer", "operator", "admin"] as const satisfies ReadonlyArray<Role | null>;
const RANK: Record<MinRole, number> = { public: 0, viewer: 1, operator: 2, admin: 3 };

const served = [...new Set(app.routes.map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`))];

const tokens = new Map<Role, string>();
async function bearer(role: Role): Promise<string> {
  if (!tokens.has(role)) tokens.set(role, (await makeToken(role)).token);
  return `Bearer ${tokens.get(role)!}`;
}

// Ids that exist nowhere and an empty JSON body: a request let through ends in 404, 400 or 405, never a change.
async function callAs(route: string, caller: Role | null): Promise<Response> {
  const [method, template] = route.split(" ") as [string, string];
  const headers: Record<string, string> = {};
  if (caller !== null) headers.authorization = await bearer(caller);
  const hasBody = method === "POST" || method === "PUT" || method === "PATCH";
  if (hasBody) headers["content-type"] = "application/json";
  const path = template.replace(/\{\w+\}/g, "role-walk-nonexistent");
  return app.request(path, { method, headers, ...(hasBody ? { body: "{}" } : {}) }, env);
}

describe("the hand-written route table", () => {
  it("names every route the app serves, and no route it does not serve", () => {
    const handlers = served.filter((route) => !route.startsWith("ALL "));
    expect(handlers.length).toBeGreaterThan(50);
    expect(
      handlers.filter((route) => !(route in ROUTE_ROLES)),
      "served but not in the table",
    ).toEqual([]);
    expect(
      Object.keys(ROUTE_ROLES).filter((route) => !handlers.includes(route)),
      "in the table but not served",
    ).toEqual([]);
    expect(served.filter((route) => route.startsWith("ALL ")).sort()).toEqual([...WILDCARDS].sort());
  });

  it("agrees with the role the OpenAPI document states for each operation", async () => {
    const doc = (await (await app.request("/api/openapi.json", {}, env)).json()) as {
      paths: Record<string, Record<string, { "x-min-role"?: Role }>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
        .map(([method, op]) => [`${method.toUpperCase()} ${path}`, op["x-min-role"] ?? "public"] as const),
    );
    expect(documented.length).toBeGreaterThan(50);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(documented.map(([route]) => [route, ROUTE_ROLES[route]])));
  });
});

describe.each(Object.entries(ROUTE_ROLES))("%s (min role %s)", (route, minRole) => {
  it.each(CALLERS)("answers a caller with role %s as the table says", async (caller) => {
    const res = await callAs(route, caller);
    await res.body?.cancel();
    const allowed = RANK[caller ?? "public"] >= RANK[minRole];
    const expected = allowed ? "let through" : caller === null ? 401 : 403;
    const got = res.status === 401 || res.status === 403 ? res.status : "let through";
    expect(got, `${caller ?? "no token"} → ${res.status}`).toBe(expected);
    expect(res.status).toBeLessThan(500);
  });
});
