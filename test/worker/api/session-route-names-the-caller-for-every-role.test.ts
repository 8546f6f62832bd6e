import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../../worker/app";
import type { Session } from "../../../worker/schemas/tokens";
import { revokeApiToken } from "../../../worker/ledger/api-tokens";
import { makeToken } from "../factories";

const getSession = (authorization?: string) =>
  app.request("/api/session", { headers: authorization === undefined ? {} : { Authorization: authorization } }, env);

describe("GET /api/session", () => {
  it("names the caller's token and role, for every role", async () => {
    for (const role of ["viewer", "operator", "admin"] as const) {
      const issued = await makeToken(role, `${role} wallboard`);
      const res = await getSession(`Bearer ${issued.token}`);
      expect(res.status).toBe(200);
      expect(await res.json<Session>()).toEqual({ kind: "token", id: issued.id, name: `${role} wallboard`, role });
    }
  });

  it("answers 401 without a token and for a revoked one", async () => {
    const missing = await getSession();
    expect(missing.status).toBe(401);
    await missing.arrayBuffer();

    const issued = await makeToken("viewer");
    await revokeApiToken(env.LEDGER, issued.id, Date.now());
    const revoked = await getSession(`Bearer ${issued.token}`);
    expect(revoked.status).toBe(401);
    expect((await revoked.json<{ error: { code: string } }>()).error.code).toBe("unauthorized");
  });
});
