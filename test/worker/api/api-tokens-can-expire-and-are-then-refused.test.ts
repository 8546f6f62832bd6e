import { env } from "cloudflare:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { handleError } from "../../../worker/api/errors";
import type { ApiTokenSummary, CreatedApiToken } from "../../../worker/schemas/tokens";
import { tokensRouter } from "../../../worker/api/tokens";
import type { AppEnv } from "../../../worker/app-env";
import { authenticate } from "../../../worker/auth/middleware";
import { issueApiToken } from "../../../worker/auth/tokens";
import { makeGuardedApp, makeToken, revokeOtherAdmins } from "../factories";

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ path: string; message: string }> };
}

const DAY_MS = 86_400_000;

function makeApp() {
  const app = new OpenAPIHono<AppEnv>();
  app.onError(handleError);
  app.use("/api/*", authenticate());
  app.route("/api/tokens", tokensRouter);
  return app;
}

function post(app: ReturnType<typeof makeApp>, token: string, body: unknown) {
  return app.request(
    "/api/tokens",
    { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify(body) },
    env,
  );
}

async function tokenCount(): Promise<number> {
  return (await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM api_tokens").first<{ n: number }>())!.n;
}

describe("API token expiry", () => {
  it("is set in days or as a time, returned on create and in the list; without one a token never expires", async () => {
    const app = makeApp();
    const admin = await makeToken("admin");
    const before = Date.now();
    const inDays = await post(app, admin.token, { name: "thirty days", role: "viewer", expires_in_days: 30 });
    expect(inDays.status).toBe(201);
    const created = await inDays.json<CreatedApiToken>();
    const expiresAt = Date.parse(created.expires_at!);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS);

    const at = new Date(Date.now() + 2 * DAY_MS).toISOString();
    const exact = await (await post(app, admin.token, { name: "until friday", role: "operator", expires_at: at })).json<CreatedApiToken>();
    expect(exact.expires_at).toBe(at);

    const forever = await (await post(app, admin.token, { name: "forever", role: "viewer" })).json<CreatedApiToken>();
    expect(forever.expires_at).toBeNull();

    const list = await app.request("/api/tokens", { headers: { Authorization: `Bearer ${admin.token}` } }, env);
    const listed = new Map((await list.json<{ data: ApiTokenSummary[] }>()).data.map((t) => [t.id, t.expires_at]));
    expect(listed.get(created.id)).toBe(created.expires_at);
    expect(listed.get(exact.id)).toBe(at);
    expect(listed.get(forever.id)).toBeNull();
  });

  it.each([
    { body: { expires_in_days: 0 }, field: "expires_in_days" },
    { body: { expires_in_days: 366 }, field: "expires_in_days" },
    { body: { expires_in_days: 1.5 }, field: "expires_in_days" },
    { body: { expires_at: "2020-01-01T00:00:00.000Z" }, field: "expires_at" },
    { body: { expires_at: new Date(Date.now() + 400 * DAY_MS).toISOString() }, field: "expires_at" },
    { body: { expires_at: "next tuesday" }, field: "expires_at" },
    { body: { expires_in_days: 5, expires_at: new Date(Date.now() + DAY_MS).toISOString() }, field: "expires_at" },
  ])("refuses $body with 400 naming $field, and stores nothing", async ({ body, field }) => {
    const app = makeApp();
    const admin = await makeToken("admin");
    const count = await tokenCount();
    const res = await post(app, admin.token, { name: "bad expiry", role: "viewer", ...body });
    expect(res.status).toBe(400);
    const error = (await res.json<ErrorBody>()).error;
    expect(error.code).toBe("validation_failed");
    expect(error.details?.map((d) => d.path)).toContain(field);
    expect(await tokenCount()).toBe(count);
  });

  it("refuses an expired token with 401 saying when it expired", async () => {
    const expiresAt = Date.now() + DAY_MS;
    const token = await issueApiToken(env.LEDGER, { name: "short-lived", role: "viewer", createdBy: "test", now: Date.now(), expiresAt });
    const headers = { Authorization: `Bearer ${token.token}` };

    const before = await makeGuardedApp({ now: () => expiresAt - 1 }).request("/api/read", { headers }, env);
    expect(before.status).toBe(200);
    await before.arrayBuffer();

    const after = await makeGuardedApp({ now: () => expiresAt }).request("/api/read", { headers }, env);
    expect(after.status).toBe(401);
    const error = (await after.json<ErrorBody>()).error;
    expect(error.code).toBe("unauthorized");
    expect(error.message).toBe(`The API token "short-lived" expired on ${new Date(expiresAt).toISOString()}.`);
  });

  it("does not count an expired admin token as another admin when the last one is revoked", async () => {
    const app = makeApp();
    const admin = await makeToken("admin");
    await revokeOtherAdmins(admin.id);
    await issueApiToken(env.LEDGER, { name: "lapsed admin", role: "admin", createdBy: "test", now: Date.now() - 2 * DAY_MS, expiresAt: Date.now() - DAY_MS });

    const res = await app.request(`/api/tokens/${admin.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${admin.token}` } }, env);
    expect(res.status).toBe(409);
    expect((await res.json<ErrorBody>()).error.code).toBe("last_admin_token");
  });
});
