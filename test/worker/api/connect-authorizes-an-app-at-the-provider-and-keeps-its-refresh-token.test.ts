import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Credential } from "../../../worker/schemas/credentials";
import { createOutboundFetch } from "../../../worker/sandbox/outbound-fetch";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { configureSandbox, demoConfig, driveRun, makeCredentialWith, resetWorld, sandbox, startRun } from "../factories";
import { call, errorOf, unique } from "./config-api";

const SLOW = { timeout: 60_000 };
const CLIENT = { client_id: "crm-sync", client_secret: "client secret 1", token_ttl_s: 3_600 };
const TOKEN_URL = "http://localhost/sandbox/oauth/token";
// A provider parameter written into the URL itself, as Google's offline access is.
const AUTHORIZE_URL = "http://localhost/sandbox/oauth/authorize?access_type=offline";

type RefreshCredential = Extract<Credential, { scheme: "oauth2_refresh_token" }>;
interface Started {
  authorize_url: string;
  redirect_uri: string;
  expires_at: string;
}

async function createCredential(config: Record<string, unknown> = {}) {
  const created = await call<RefreshCredential>("POST", "/api/credentials", {
    body: {
      name: unique("CRM"),
      scheme: "oauth2_refresh_token",
      config: { token_url: TOKEN_URL, client_id: CLIENT.client_id, client_auth: "body", authorize_url: AUTHORIZE_URL, scope: "crm.objects.write", ...config },
      secret: CLIENT.client_secret,
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

// The person's browser: to the provider, which approves at once and sends it back with a code.
async function atProvider(authorizeUrl: string): Promise<string> {
  const answer = await createOutboundFetch(env)(authorizeUrl, { redirect: "manual" });
  expect(answer.status, await answer.clone().text()).toBe(302);
  const back = new URL(answer.headers.get("location")!);
  expect(back.origin + back.pathname).toBe("http://localhost/api/oauth/callback");
  return back.pathname + back.search;
}

// ...and back at the dashboard, which answers with where the Credentials page takes it on.
async function backAtDashboard(callback: string): Promise<URLSearchParams> {
  const answer = await call("GET", callback, { as: null });
  expect(answer.status).toBe(303);
  expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
  const location = new URL(answer.headers.get("location")!, "http://localhost");
  expect(location.pathname).toBe("/credentials");
  return location.searchParams;
}

const connect = (id: string) => call<Started>("POST", `/api/credentials/${id}/connect`, { body: {} });

beforeEach(async () => {
  await resetWorld();
  await configureSandbox({ oauth: { ...CLIENT, rotate_refresh_tokens: true } });
});

describe("Connect", () => {
  it("sends the person to the provider with state and a PKCE challenge, and keeps the refresh token the code is traded for", SLOW, async () => {
    // A credential with a connection and its records, so the connected credential can run.
    const { credentialId } = await makeCredentialWith([{ config: demoConfig(0) }], demoSourceDevices().slice(0, 20), {
      scheme: "oauth2_refresh_token",
      config: { token_url: TOKEN_URL, client_id: CLIENT.client_id, client_auth: "body", authorize_url: AUTHORIZE_URL, scope: "crm.objects.write" },
      secret: CLIENT.client_secret,
    });
    const credential = (await call<RefreshCredential>("GET", `/api/credentials/${credentialId}`)).body;
    expect(credential.refresh_token).toBeNull();
    const started = await connect(credential.id);
    expect(started.status).toBe(200);
    expect(started.body.redirect_uri).toBe("http://localhost/api/oauth/callback");
    const authorize = new URL(started.body.authorize_url);
    expect(Object.fromEntries(authorize.searchParams)).toEqual({
      access_type: "offline",
      response_type: "code",
      client_id: CLIENT.client_id,
      redirect_uri: started.body.redirect_uri,
      scope: "crm.objects.write",
      state: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: "S256",
    });
    const callback = await atProvider(started.body.authorize_url);
    expect(Object.fromEntries(await backAtDashboard(callback))).toEqual({ connected: credential.id });

    const connected = (await call<RefreshCredential>("GET", `/api/credentials/${credential.id}`)).body;
    expect(connected.refresh_token).toMatchObject({ hint: expect.stringMatching(/^••••/), rotated_at: null, error: null });
    // Nothing of the authorization is left to be used again.
    expect((await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM oauth_connect_states").first<{ n: number }>())!.n).toBe(0);
    const again = await backAtDashboard(callback);
    expect(again.get("connect_error")).toMatch(/expired or was already used/);
    expect(again.get("credential")).toBeNull();

    // The connected credential runs: the refresh token it kept is what the run's token comes from.
    const done = await driveRun((await startRun({ credential_id: credential.id, type: "full", mode: "dry" })).id);
    expect(done.status).toBe("completed");
    expect(done.jobs[0]!.processed).toBe(20);
    expect(await sandbox("/oauth/_refresh_tokens")).toEqual({ live: 1, spent: 1, revoked: 0 });
  });

  it("comes back with the provider's refusal, a code it will not take, or a stale state, each said on the Credentials page", SLOW, async () => {
    const credential = await createCredential();
    await configureSandbox({ oauth: { ...CLIENT, deny_authorization: true } });
    const denied = await backAtDashboard(await atProvider((await connect(credential.id)).body.authorize_url));
    expect(Object.fromEntries(denied)).toEqual({
      connect_error: "The provider answered access_denied: The person denied the app access",
      credential: credential.id,
    });

    await configureSandbox({ oauth: CLIENT });
    const callback = new URL(await atProvider((await connect(credential.id)).body.authorize_url), "http://localhost");
    callback.searchParams.set("code", "sbx_code_forged");
    const forged = await backAtDashboard(callback.pathname + callback.search);
    expect(forged.get("connect_error")).toMatch(/invalid_grant.*unknown, expired or already redeemed code/);
    expect(forged.get("credential")).toBe(credential.id);

    const stale = await connect(credential.id);
    await env.LEDGER.prepare("UPDATE oauth_connect_states SET expires_at = 0").run();
    expect((await backAtDashboard(await atProvider(stale.body.authorize_url))).get("connect_error")).toMatch(/expired/);
    expect((await call<RefreshCredential>("GET", `/api/credentials/${credential.id}`)).body.refresh_token).toBeNull();
  });

  it("is refused, naming the field, for a credential that cannot be connected", async () => {
    const without = await createCredential({ authorize_url: undefined });
    expect(errorOf(await connect(without.id)).details).toEqual([expect.objectContaining({ path: "config.authorize_url" })]);
    const bearer = await call<Credential>("POST", "/api/credentials", { body: { name: unique("Bearer"), scheme: "bearer", secret: "t0ken" } });
    expect(errorOf(await connect(bearer.body.id)).details).toEqual([expect.objectContaining({ path: "scheme" })]);
    expect((await call("POST", "/api/credentials/cred_missing/connect", { body: {} })).status).toBe(404);
    expect((await call("POST", `/api/credentials/${without.id}/connect`, { body: {}, as: "operator" })).status).toBe(403);
    const unsafe = await call("PATCH", `/api/credentials/${without.id}`, { body: { config: { authorize_url: "ftp://example.com/authorize" } } });
    expect(errorOf(unsafe).details).toEqual([expect.objectContaining({ path: "config.authorize_url" })]);
  });
});
