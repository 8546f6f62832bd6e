import { env } from "cloudflare:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { handleError } from "../../../worker/api/errors";
import type { ApiTokenSummary, CreatedApiToken } from "../../../worker/schemas/tokens";
import { tokensRouter } from "../../../worker/api/tokens";
import type { AppEnv } from "../../../worker/app-env";
import { authenticate, ROUTE_ROLE_EXTENSION } from "../../../worker/auth/middleware";
import { makeToken, revokeOtherAdmins } from "../factories";

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function makeApp() {
  const app = new OpenAPIHono<AppEnv>();
  app.onError(handleError);
  app.use("/api/*", authenticate());
  app.route("/api/tokens", tokensRouter);
  return app;
}

function call(app: ReturnType<typeof makeApp>, token: string, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return app.request(path, { method, headers, body: body === undefined ? null : JSON.stringify(body) }, env);
}

async function tokenCount(): Promise<number> {
  return (await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM api_tokens").first<{ n: number }>())!.n;
}

describe("/api/tokens", () => {
  it("creates a token shown once, which then signs in and appears in the list without itself", async () => {
    const app = makeApp();
    const admin = await makeToken("admin", "root-admin");
    const created = await call(app, admin.token, "POST", "/api/tokens", { name: " nightly CI ", role: "operator" });
    expect(created.status).toBe(201);
    const body = await created.json<CreatedApiToken>();
    expect(body).toMatchObject({ name: "nightly CI", role: "operator", created_by: "root-admin", revoked_at: null });
    expect(body.token).toMatch(/^osk_o_/);
    expect(body.prefix).toBe(body.token.slice(0, 12));

    const list = await call(app, body.token, "GET", "/api/tokens");
    expect(list.status).toBe(403);

    const listed = await (await call(app, admin.token, "GET", "/api/tokens")).json<{ data: ApiTokenSummary[]; next_cursor: null }>();
    const entry = listed.data.find((t) => t.id === body.id);
    expect(entry).toBeDefined();
    expect(entry).not.toHaveProperty("token");
    expect(entry).not.toHaveProperty("token_hash");
    expect(JSON.stringify(listed)).not.toContain(body.token.slice(12));
    expect(listed.next_cursor).toBeNull();
  });

  it("revokes a token so its next request is refused, idempotently", async () => {
    const app = makeApp();
    const admin = await makeToken("admin");
    const victim = await makeToken("viewer");
    const first = await call(app, admin.token, "DELETE", `/api/tokens/${victim.id}`);
    expect(first.status).toBe(200);
    const revoked = await first.json<ApiTokenSummary>();
    expect(revoked.revoked_at).not.toBeNull();

    const again = await (await call(app, admin.token, "DELETE", `/api/tokens/${victim.id}`)).json<ApiTokenSummary>();
    expect(again.revoked_at).toBe(revoked.revoked_at);

    const refused = await call(app, victim.token, "GET", "/api/tokens");
    expect(refused.status).toBe(401);
  });

  it("answers an unknown id with 404 and the last admin token with 409", async () => {
    const app = makeApp();
    const admin = await makeToken("admin");
    const missing = await call(app, admin.token, "DELETE", "/api/tokens/tok_nope");
    expect(missing.status).toBe(404);
    expect((await missing.json<ErrorBody>()).error.code).toBe("not_found");

    await revokeOtherAdmins(admin.id);
    const last = await call(app, admin.token, "DELETE", `/api/tokens/${admin.id}`);
    expect(last.status).toBe(409);
    expect((await last.json<ErrorBody>()).error.code).toBe("last_admin_token");
  });

  it.each([
    { body: {}, fields: ["name", "role"] },
    { body: { name: "x", role: "root" }, fields: ["role"] },
    { body: { name: "   ", role: "viewer" }, fields: ["name"] },
    { body: { name: "x".repeat(101), role: "viewer" }, fields: ["name"] },
    { body: { name: "x", role: "viewer", token: "osk_a_chosen" }, fields: ["token"] },
    { body: ["name", "role"], fields: [""] },
  ])("refuses $body with 400 naming the fields and stores nothing", async ({ body, fields }) => {
    const app = makeApp();
    const admin = await makeToken("admin");
    const before = await tokenCount();
    const res = await call(app, admin.token, "POST", "/api/tokens", body);
    expect(res.status).toBe(400);
    const error = (await res.json<ErrorBody>()).error;
    expect(error.code).toBe("validation_failed");
    const paths = (error.details as Array<{ path: string }>).map((d) => d.path);
    for (const field of fields) expect(paths).toContain(field);
    expect(await tokenCount()).toBe(before);
  });

  it("refuses a body that is not JSON with 400", async () => {
    const app = makeApp();
    const admin = await makeToken("admin");
    const res = await app.request(
      "/api/tokens",
      { method: "POST", headers: { Authorization: `Bearer ${admin.token}`, "Content-Type": "application/json" }, body: "{nope" },
      env,
    );
    expect(res.status).toBe(400);
  });

  it("declares every route admin-only in the OpenAPI document, and enforces it for viewers and operators", async () => {
    const app = makeApp();
    const doc = app.getOpenAPIDocument({ openapi: "3.0.0", info: { title: "t", version: "1" } });
    const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Record<string, unknown>>).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(["delete /api/tokens/{id}", "get /api/tokens", "post /api/tokens"]);

    for (const role of ["viewer", "operator"] as const) {
      const caller = await makeToken(role);
      for (const { path, method, op } of operations) {
        expect(op[ROUTE_ROLE_EXTENSION]).toBe("admin");
        const res = await call(
          app,
          caller.token,
          method.toUpperCase(),
          path.replace("{id}", caller.id),
          method === "post" ? { name: "n", role: "viewer" } : undefined,
        );
        expect(res.status, `${role} ${method} ${path}`).toBe(403);
      }
    }
  });
});
