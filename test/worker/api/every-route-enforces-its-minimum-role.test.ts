import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../../worker/app";
import { ROLES, type Role } from "../../../worker/auth/principal";
import { call } from "./config-api";

// Table-driven from the OpenAPI document itself, so a route added later is checked without touching this file.

interface DocOperation {
  method: string;
  path: string;
  role: Role | undefined;
  hasBody: boolean;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const PUBLIC = ["GET /api/health", "GET /api/openapi.json", "GET /api/docs", "GET /api/oauth/callback"];

const document = (await (await app.request("/api/openapi.json", {}, env)).json()) as {
  paths: Record<string, Record<string, { "x-min-role"?: Role; requestBody?: unknown; security?: unknown[] }>>;
};

const operations: DocOperation[] = Object.entries(document.paths).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method] !== undefined).map((method) => ({
    method: method.toUpperCase(),
    path,
    role: item[method]!["x-min-role"],
    hasBody: item[method]!.requestBody !== undefined,
  })),
);
const guarded = operations.filter((op) => op.role !== undefined);

// Ids that exist nowhere: a request that gets past authorisation ends in 404 or 400, never in a change.
const concretePath = (path: string) => path.replace(/\{[^}]+\}/g, "role-check-nonexistent");
const request = (op: DocOperation, as: Role | null) => call(op.method, concretePath(op.path), { as, ...(op.hasBody ? { body: {} } : {}) });

describe("the OpenAPI document", () => {
  it("marks every operation but the public ones with a minimum role", () => {
    expect(operations.length).toBeGreaterThan(15);
    const unmarked = operations.filter((op) => op.role === undefined).map((op) => `${op.method} ${op.path}`);
    expect(unmarked.sort()).toEqual([...PUBLIC].sort());
    for (const op of guarded) expect(ROLES).toContain(op.role);
  });

  it("gives viewers reads, operators test lookups and admins configuration", () => {
    const roleOf = (method: string, path: string) => operations.find((op) => op.method === method && op.path === path)?.role;
    expect(roleOf("GET", "/api/connections")).toBe("viewer");
    expect(roleOf("GET", "/api/credentials/{id}")).toBe("viewer");
    expect(roleOf("GET", "/api/settings")).toBe("viewer");
    expect(roleOf("POST", "/api/connections/{id}/test-lookup")).toBe("operator");
    for (const [method, path] of [
      ["POST", "/api/credentials"],
      ["PATCH", "/api/connections/{id}"],
      ["POST", "/api/credentials/{id}/connections/order"],
      ["POST", "/api/connections/{id}/records"],
      ["PUT", "/api/settings"],
      ["POST", "/api/tokens"],
    ] as const) {
      expect(roleOf(method, path), `${method} ${path}`).toBe("admin");
    }
  });
});

describe.each(guarded)("$method $path (min role $role)", (op) => {
  // Viewer routes have no role below theirs, so they get no such test rather than a skipped one.
  const below = ROLES[ROLES.indexOf(op.role!) - 1];

  it("answers 401 without a token", async () => {
    const res = await request(op, null);
    expect(res.status).toBe(401);
  });

  if (below !== undefined) {
    it(`answers 403 to the role below (${below})`, async () => {
      const res = await request(op, below);
      expect(res.status).toBe(403);
    });
  }

  it("lets its own role through", async () => {
    const res = await request(op, op.role!);
    expect([401, 403]).not.toContain(res.status);
    expect(res.status).toBeLessThan(500);
  });
});

describe.each(PUBLIC)("%s", (route) => {
  it("answers without a token", async () => {
    const [method, path] = route.split(" ") as [string, string];
    const res = await call(method, path, { as: null });
    // The OAuth callback sends the browser on to the Credentials page, which says what was missing.
    expect(res.status).toBe(route === "GET /api/oauth/callback" ? 303 : 200);
  });
});
