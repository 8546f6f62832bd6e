import { env } from "cloudflare:test";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { handleError } from "../../../worker/api/errors";
import type { AppEnv } from "../../../worker/app-env";
import { ACCESS_JWT_HEADER } from "../../../worker/auth/access-jwt";
import { minRole, requireRole, ROUTE_ROLE_EXTENSION } from "../../../worker/auth/middleware";
import { type Principal, ROLES, roleAtLeast } from "../../../worker/auth/principal";
import { revokeApiToken } from "../../../worker/ledger/api-tokens";
import { envWith, GUARDED_ROUTES, makeAccessTeam, makeGuardedApp, makeToken } from "../factories";

interface ErrorBody {
  error: { code: string; message: string; details: unknown[]; meta?: Record<string, unknown> };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe("authenticate()", () => {
  it("answers a request without credentials with 401, the error shape and a Bearer challenge", async () => {
    const res = await makeGuardedApp().request("/api/read", {}, env);
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="outbound-sync"');
    const body = await res.json<ErrorBody>();
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.message).toContain("Authorization: Bearer <API token>");
  });

  it.each([
    { header: "Basic dXNlcjpwYXNz", message: 'must be "Bearer <API token>"' },
    { header: "Bearer ", message: 'must be "Bearer <API token>"' },
    { header: "Bearer osk_a_00000000000000000000000000000000", message: "not recognised" },
    { header: "Bearer something-else", message: "not an Outbound Sync API token" },
    { header: "Bearer osk_a_0123456789abcdefghjk", message: 'cut short: it has 20 characters after "osk_a_", an API token has 32' },
    { header: "Bearer osk_x_0123456789abcdefghjkmnpqrstvwxyz", message: "role letter v, o or a" },
    { header: "Bearer osk_a_0123456789ABCDEFGHJKmnpqrstvwxyz", message: 'characters an API token never has ("A", "B", "C", "D", "E")' },
  ])("answers Authorization: $header with 401 saying why", async ({ header, message }) => {
    const res = await makeGuardedApp().request("/api/read", { headers: { Authorization: header } }, env);
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
    expect((await res.json<ErrorBody>()).error.message).toContain(message);
  });

  it("lets a valid token through as its principal, and stops it once revoked", async () => {
    await makeToken("admin");
    const token = await makeToken("viewer", "wallboard");
    const app = makeGuardedApp();
    const ok = await app.request("/api/read", { headers: bearer(token.token) }, env);
    expect(ok.status).toBe(200);
    expect(await ok.json<Principal>()).toEqual({ kind: "token", id: token.id, name: "wallboard", role: "viewer", expiresAt: null });

    await revokeApiToken(env.LEDGER, token.id, Date.now());
    const after = await app.request("/api/read", { headers: bearer(token.token) }, env);
    expect(after.status).toBe(401);
    const refused = (await after.json<ErrorBody & { error: { hint?: string } }>()).error;
    expect(refused.message).toMatch(/^The API token "wallboard" was revoked on \d{4}-\d{2}-\d{2}T/);
    expect(refused.hint).toContain("Ask an admin for a new token");
  });

  it("ignores an Access header when Access is not configured", async () => {
    const team = await makeAccessTeam();
    const res = await makeGuardedApp({ fetch: team.fetch }).request("/api/read", { headers: { [ACCESS_JWT_HEADER]: await team.sign() } }, env);
    expect(res.status).toBe(401);
    expect(team.certsRequests()).toBe(0);
  });

  it("accepts a valid Access JWT and gives the identity its configured role", async () => {
    const team = await makeAccessTeam();
    const accessEnv = envWith({ ACCESS_TEAM_DOMAIN: team.teamDomain, ACCESS_AUD: team.audience, ACCESS_OPERATOR_EMAILS: "ada@example.com" });
    const app = makeGuardedApp({ fetch: team.fetch });
    const headers = { [ACCESS_JWT_HEADER]: await team.sign() };

    const run = await app.request("/api/run", { method: "POST", headers }, accessEnv);
    expect(run.status).toBe(200);
    expect(await run.json<Principal>()).toEqual({ kind: "access", id: "user-1", name: "ada@example.com", role: "operator", expiresAt: expect.any(Number) });
    expect((await app.request("/api/configure", { method: "PUT", headers }, accessEnv)).status).toBe(403);
  });

  it("answers an invalid Access JWT with 401 naming the problem, and asks for Access sign-in when nothing is sent", async () => {
    const team = await makeAccessTeam();
    const accessEnv = envWith({ ACCESS_TEAM_DOMAIN: team.teamDomain, ACCESS_AUD: team.audience });
    const app = makeGuardedApp({ fetch: team.fetch });
    const expired = await team.sign({ exp: Math.floor(Date.now() / 1000) - 3600 });

    const res = await app.request("/api/read", { headers: { [ACCESS_JWT_HEADER]: expired } }, accessEnv);
    expect(res.status).toBe(401);
    expect((await res.json<ErrorBody>()).error.message).toMatch(/expired/);

    const none = await app.request("/api/read", {}, accessEnv);
    expect((await none.json<ErrorBody>()).error.message).toContain("Sign in through Cloudflare Access");
  });

  it("answers 503 when the Access keys cannot be read and no token was sent", async () => {
    const team = await makeAccessTeam();
    team.failCerts(true);
    const accessEnv = envWith({ ACCESS_TEAM_DOMAIN: team.teamDomain, ACCESS_AUD: team.audience });
    const res = await makeGuardedApp({ fetch: team.fetch }).request("/api/read", { headers: { [ACCESS_JWT_HEADER]: await team.sign() } }, accessEnv);
    expect(res.status).toBe(503);
    expect((await res.json<ErrorBody>()).error.code).toBe("access_unavailable");
  });

  it("prefers a valid bearer token over a broken Access JWT", async () => {
    const team = await makeAccessTeam();
    const accessEnv = envWith({ ACCESS_TEAM_DOMAIN: team.teamDomain, ACCESS_AUD: team.audience });
    const token = await makeToken("admin");
    const headers = { ...bearer(token.token), [ACCESS_JWT_HEADER]: "garbage" };
    const res = await makeGuardedApp({ fetch: team.fetch }).request("/api/configure", { method: "PUT", headers }, accessEnv);
    expect(res.status).toBe(200);
    expect((await res.json<Principal>()).kind).toBe("token");
  });
});

describe("requireRole()", () => {
  const cases = ROLES.flatMap((have) => GUARDED_ROUTES.map((route) => ({ have, ...route, allowed: roleAtLeast(have, route.role) })));

  it.each(cases)("a $have token on $method $path (needs $role): allowed=$allowed", async ({ have, method, path, role, allowed }) => {
    const token = await makeToken(have);
    const res = await makeGuardedApp().request(path, { method, headers: bearer(token.token) }, env);
    if (allowed) {
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBe(403);
    const body = await res.json<ErrorBody>();
    expect(body.error.code).toBe("forbidden");
    expect(body.error.message).toContain(`needs the ${role} role`);
    expect(body.error.meta).toEqual({ required_role: role, role: have });
  });

  it("fails closed with 401 when a route is reached without authenticate()", async () => {
    const app = new Hono<AppEnv>();
    app.onError(handleError);
    app.get("/open", requireRole("viewer"), (c) => c.text("should not get here"));
    const res = await app.request("/open", {}, env);
    expect(res.status).toBe(401);
  });
});

describe("minRole()", () => {
  it("enforces the role and writes it into the OpenAPI operation from one declaration", async () => {
    const app = new OpenAPIHono<AppEnv>();
    app.onError(handleError);
    app.use("*", async (c, next) => {
      c.set("principal", { kind: "token", id: "t", name: "probe", role: "operator", expiresAt: null });
      await next();
    });
    const route = createRoute({
      ...minRole("admin"),
      method: "post",
      path: "/things",
      responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } } },
    });
    app.openapi(route, (c) => c.json({ ok: true }, 200));

    expect((await app.request("/things", { method: "POST" }, env)).status).toBe(403);
    const doc = app.getOpenAPIDocument({ openapi: "3.0.0", info: { title: "t", version: "1" } });
    const operation = doc.paths?.["/things"]?.post;
    expect(operation?.[ROUTE_ROLE_EXTENSION]).toBe("admin");
    expect(operation?.security).toEqual([{ bearerAuth: [] }, { cloudflareAccess: [] }]);
    expect(operation).not.toHaveProperty("middleware");
  });
});
