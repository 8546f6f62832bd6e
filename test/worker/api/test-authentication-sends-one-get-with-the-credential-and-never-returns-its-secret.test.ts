import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Credential, TestAuthResult } from "../../../worker/schemas/types";
import type { Role } from "../../../worker/auth/principal";
import { REDACTED } from "../../../worker/engine/redactor";
import { leaksIn } from "../../engine/support/secret-forms";
import { ECHO, installEchoDestination, type EchoDestination } from "../runs/echo-destination";
import { SANDBOX, call, createConnection, createCredential, errorOf } from "./config-api";

// Characters that make a secret's encodings differ, so an echo in any of them is caught.
const TOKEN = `tok/9f8e+7d6c=5b4a&"<x>'`;
const CLIENT_SECRET = `client sécret/+=&"<c>`;

let echo: EchoDestination;

beforeEach(() => {
  echo = installEchoDestination();
});

afterEach(async () => {
  echo.restore();
  await call("PUT", "/sandbox/_config", { as: null, body: { auth_token: null } });
});

function testAuth(credential: Credential, body: { url?: string }, as: Role = "admin") {
  return call<TestAuthResult>("POST", `/api/credentials/${credential.id}/test-auth`, { as, body });
}

describe("POST /api/credentials/{id}/test-auth", () => {
  it("reports the status, duration and start of the body of one GET the destination accepts", async () => {
    await call("PUT", "/sandbox/_config", { as: null, body: { auth_token: "sandbox-token-42" } });
    const good = await createCredential({ scheme: "bearer", secret: "sandbox-token-42" });
    const wrong = await createCredential({ scheme: "bearer", secret: "not-the-token" });

    const accepted = await testAuth(good, { url: `${SANDBOX}/api/devices/DEV-00001` });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ ok: true, request: { method: "GET", status: 200 }, token: null });
    expect(accepted.body.request!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(accepted.body.excerpt).toContain('"serial":"DEV-00001"');
    expect(JSON.stringify(accepted.body)).not.toContain("sandbox-token-42");

    const refused = await testAuth(wrong, { url: `${SANDBOX}/api/devices/DEV-00001` });
    expect(refused.body).toMatchObject({ ok: false, request: { status: 401 }, error: { code: "auth_failed", http_status: 401 } });
    expect(refused.body.error!.hint).toMatch(/secret/);
  });

  it("masks a secret the destination echoes back, in every encoding", async () => {
    const credential = await createCredential({ scheme: "bearer", secret: TOKEN });
    const res = await testAuth(credential, { url: `${ECHO}/echo/0/devices/DEV-00001` });
    expect(res.body.request?.status).toBe(200);
    expect(res.body.excerpt).toContain(REDACTED);
    expect(leaksIn(JSON.stringify(res.body), { token: TOKEN, header: `Bearer ${TOKEN}` })).toEqual([]);
  });

  it("fetches an OAuth2 token and shows its expiry, never the token or the client secret", async () => {
    const credential = await createCredential({
      scheme: "oauth2_client_credentials",
      config: { token_url: `${ECHO}/oauth/token`, client_id: "fleet-sync" },
      secret: CLIENT_SECRET,
    });

    const tokenOnly = await testAuth(credential, {});
    expect(tokenOnly.body).toMatchObject({ ok: true, request: null, token: { token_type: "Bearer", expiry_stated: true } });
    expect(tokenOnly.body.token!.expires_in_s).toBeGreaterThan(3590);
    expect(tokenOnly.body.token!.expires_in_s).toBeLessThanOrEqual(3600);
    expect(Date.parse(tokenOnly.body.token!.expires_at)).toBeGreaterThan(Date.now() + 3_500_000);

    const echoed = await testAuth(credential, { url: `${ECHO}/echo/1/devices/DEV-00001` });
    expect(echoed.body).toMatchObject({ ok: true, request: { status: 200 } });
    expect(echoed.body.excerpt).toContain(REDACTED);
    expect(echo.tokens).toHaveLength(2);
    const text = JSON.stringify([tokenOnly.body, echoed.body]);
    for (const token of echo.tokens) expect(leaksIn(text, { token, header: `Bearer ${token}` })).toEqual([]);
    expect(leaksIn(text, { client_secret: CLIENT_SECRET })).toEqual([]);
  });

  it("names the token endpoint's refusal without its secret", async () => {
    const credential = await createCredential({
      scheme: "oauth2_client_credentials",
      config: { token_url: `${ECHO}/oauth/deny`, client_id: "fleet-sync" },
      secret: CLIENT_SECRET,
    });
    const res = await testAuth(credential, { url: `${ECHO}/echo/0/devices/DEV-00001` });
    expect(res.body).toMatchObject({ ok: false, request: null, token: null, error: { code: "auth_failed", http_status: 401 } });
    expect(leaksIn(JSON.stringify(res.body), { client_secret: CLIENT_SECRET })).toEqual([]);
  });

  it("refuses a URL the outbound rules forbid, at the url field, without calling anything", async () => {
    const credential = await createCredential({ scheme: "bearer", secret: TOKEN });
    for (const url of ["http://192.168.1.20/devices", "ftp://files.example.com/x", "https://user:pw@api.example.com/"]) {
      const res = await testAuth(credential, { url });
      expect(res.status, url).toBe(400);
      expect(errorOf(res).details, url).toEqual([expect.objectContaining({ path: "url" })]);
    }
    expect(echo.requests).toBe(0);
  });

  it("needs a URL unless the credential is OAuth2", async () => {
    const res = await testAuth(await createCredential({ scheme: "bearer", secret: TOKEN }), {});
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "url" })]);
  });

  it("lets viewers not test at all, and operators only against hosts the credential's connections call", async () => {
    const credential = await createCredential({ scheme: "bearer", secret: TOKEN });
    const url = `${SANDBOX}/api/devices/DEV-00001`;
    expect((await testAuth(credential, { url }, "viewer")).status).toBe(403);

    const before = await testAuth(credential, { url }, "operator");
    expect(before.status).toBe(400);
    expect(errorOf(before).details).toEqual([expect.objectContaining({ path: "url", message: expect.stringMatching(/an admin may test any URL/) })]);

    await createConnection(credential.id);
    expect((await testAuth(credential, { url }, "operator")).body).toMatchObject({ ok: true, request: { status: 200 } });
    const elsewhere = await testAuth(credential, { url: `${ECHO}/echo/0/devices/DEV-00001` }, "operator");
    expect(elsewhere.status).toBe(400);
    expect(errorOf(elsewhere).message).toContain("http://localhost:8787");
    expect(echo.requests).toBe(0);

    expect((await testAuth(credential, { url: `${ECHO}/echo/0/devices/DEV-00001` }, "admin")).body.ok).toBe(true);
    expect((await call("POST", "/api/credentials/cred_nope/test-auth", { body: { url } })).status).toBe(404);
  });
});
