import { env, runInDurableObject } from "cloudflare:test";
import { sealCredentialSecret } from "../../../worker/auth/credential-secrets";
import { createOutboundFetch } from "../../../worker/sandbox/outbound-fetch";
import { beforeEach, describe, expect, it } from "vitest";
import type { Credential } from "../../../worker/schemas/credentials";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { tokenKeeperStub } from "../../../worker/tokens/keeper-source";
import { call, createConnection, errorOf } from "../api/config-api";
import type { StatsResponse } from "../../../worker/schemas/stats";
import { configureSandbox, countersOf, demoConfig, driveRun, makeCredentialWith, resetWorld, sandbox, sandboxStats, startRun, stepRun } from "../factories";

const SLOW = { timeout: 60_000 };
const CLIENT = { client_id: "crm-sync", client_secret: "client secret 1", token_ttl_s: 3_600 };
const GRANTED = "rt-granted-by-a-person";
const RECORDS = demoSourceDevices().slice(0, 200);

type RefreshCounts = { live: number; spent: number; revoked: number };
const refreshTokens = () => sandbox<RefreshCounts>("/oauth/_refresh_tokens");

async function refreshCredential(clientAuth: "basic" | "body" = "basic") {
  return makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS, {
    scheme: "oauth2_refresh_token",
    config: { token_url: "http://localhost/sandbox/oauth/token", client_id: CLIENT.client_id, client_auth: clientAuth },
    secret: CLIENT.client_secret,
    refresh_token: GRANTED,
  });
}

const attentionOf = async (id: string) => (await call<StatsResponse>("GET", "/api/stats")).body.credentials.find((entry) => entry.id === id);

type RefreshCredential = Extract<Credential, { scheme: "oauth2_refresh_token" }>;
const credentialOf = async (id: string) => (await call<RefreshCredential>("GET", `/api/credentials/${id}`)).body;

beforeEach(async () => {
  await resetWorld();
  await configureSandbox({ oauth: { ...CLIENT, refresh_token: GRANTED, rotate_refresh_tokens: true } });
});

describe("an OAuth2 refresh-token credential", () => {
  it("trades its refresh token for the run's access token and saves the rotated one before using it", SLOW, async () => {
    const { credentialId } = await refreshCredential("body");
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("completed");
    expect(countersOf(done.jobs[0]!).processed).toBe(RECORDS.length);
    expect(done.jobs[0]!.failed).toBe(0);
    expect((await sandboxStats()).token_requests).toBe(1);
    expect(await refreshTokens()).toEqual({ live: 1, spent: 1, revoked: 0 });

    const credential = await credentialOf(credentialId);
    expect(credential.refresh_token).toMatchObject({ error: null, error_at: null });
    expect(credential.refresh_token!.rotated_at).not.toBeNull();
    // The ledger holds the provider's new token now, sealed for the refresh-token field.
    const row = await env.LEDGER.prepare("SELECT refresh_ciphertext, refresh_hint FROM credentials WHERE id = ?1")
      .bind(credentialId)
      .first<{ refresh_hint: string }>();
    expect(row!.refresh_hint).toMatch(/^••••[0-9a-f]{4}$/);
    expect(JSON.stringify(row)).not.toContain("sbx_rt_");
  });

  it("shares one access token between runs, and after the token is revoked refreshes with the saved token, never a spent one", SLOW, async () => {
    const { credentialId } = await refreshCredential();
    for (let run = 0; run < 2; run++) {
      const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
      expect(done.status).toBe("completed");
    }
    expect((await sandboxStats()).token_requests).toBe(1);

    const run = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
    for (let step = 0; step < 10 && (await sandboxStats()).writes === 0; step++) await stepRun(run.id);
    expect((await sandboxStats()).writes).toBeGreaterThan(0);
    await sandbox("/oauth/_revoke", { method: "POST" });
    const done = await driveRun(run.id);
    expect(done.status).toBe("completed");
    expect(done.jobs[0]!.failed).toBe(0);
    expect((await sandboxStats()).token_requests).toBe(2);
    expect(await refreshTokens()).toEqual({ live: 1, spent: 2, revoked: 0 });
  });

  it("refreshes one at a time however many ask together, so a rotating provider never sees a token twice", SLOW, async () => {
    const { credentialId } = await refreshCredential();
    const keeper = tokenKeeperStub(env, credentialId);
    // Ten asking for a new token at once: each refresh waits for the one before it to save its rotated token.
    const fresh = await Promise.all(Array.from({ length: 10 }, () => keeper.token(credentialId, { rejected: null, fresh: true })));
    expect(fresh.every((answer) => answer.ok)).toBe(true);
    expect(await refreshTokens()).toEqual({ live: 1, spent: 10, revoked: 0 });

    // Ten runs whose token was refused at once: one refresh between them, the others get the token it brought.
    const refused = `Bearer ${(fresh.at(-1) as Extract<(typeof fresh)[number], { ok: true }>).token.token}`;
    const retried = await Promise.all(Array.from({ length: 10 }, () => keeper.token(credentialId, { rejected: refused, fresh: false })));
    const tokens = new Set(retried.map((answer) => (answer.ok ? answer.token.token : answer.error.message)));
    expect(tokens.size).toBe(1);
    expect(await refreshTokens()).toEqual({ live: 1, spent: 11, revoked: 0 });
  });

  it("rotated by the provider just before the keeper was evicted is saved from the keeper's storage, never sent again", SLOW, async () => {
    const { credentialId } = await refreshCredential();
    // The provider answered the keeper's refresh with a new token; the keeper put it in its storage and then died
    // before D1 had it.
    const answer = await createOutboundFetch(env)("http://localhost/sandbox/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: GRANTED, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret }),
    });
    const rotated = ((await answer.json()) as { refresh_token: string }).refresh_token;
    const sent = (await env.LEDGER.prepare("SELECT refresh_ciphertext FROM credentials WHERE id = ?1")
      .bind(credentialId)
      .first<{ refresh_ciphertext: string }>())!.refresh_ciphertext;
    const next = await sealCredentialSecret(env, credentialId, "oauth2_refresh_token", {}, rotated, "refresh_token");
    const keeper = tokenKeeperStub(env, credentialId);
    await runInDurableObject(keeper, async (_instance, state) => state.storage.put("unsaved_refresh_token", { credentialId, sent, next }));

    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
    expect(done.status).toBe("completed");
    // The stale token never went out again: no reuse detected, the rotated one was used and replaced in turn.
    expect(await refreshTokens()).toEqual({ live: 1, spent: 2, revoked: 0 });
    expect((await credentialOf(credentialId)).refresh_token!.rotated_at).not.toBeNull();
  });

  it("that the provider no longer takes fails the run, says so on the credential, and works again once given a new one", SLOW, async () => {
    const { credentialId } = await refreshCredential();
    await sandbox("/oauth/_revoke_refresh", { method: "POST" });
    const failed = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
    expect(failed.status).toBe("failed");
    const error = failed.jobs[0]!.error!;
    expect(error).toMatchObject({ code: "auth_failed", http_status: 400 });
    expect(error.message).toMatch(/invalid_grant/);
    expect(error.hint).toMatch(/refresh token was revoked, expired or already used/);
    const refused = await credentialOf(credentialId);
    expect(refused.refresh_token!.error).toMatch(/invalid_grant.*revoked/);
    expect(refused.refresh_token!.error_at).not.toBeNull();
    // The dashboard's Needs attention names it before the next run fails too.
    expect(await attentionOf(credentialId)).toMatchObject({
      attention: "refresh_refused",
      message: expect.stringMatching(/invalid_grant/),
      connection_count: 1,
    });

    // The person authorizes the app again and pastes the new refresh token.
    await configureSandbox({ oauth: { ...CLIENT, refresh_token: "rt-granted-again", rotate_refresh_tokens: true } });
    const given = await call<Credential>("PATCH", `/api/credentials/${credentialId}`, { body: { refresh_token: "rt-granted-again" } });
    expect(given.status).toBe(200);
    expect((given.body as typeof refused).refresh_token).toMatchObject({ hint: "••••gain", rotated_at: null, error: null, error_at: null });
    expect(await attentionOf(credentialId)).toBeUndefined();
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
    expect(done.status).toBe("completed");
  });

  it("is tested by a refresh every time, so Test authentication proves the refresh token itself", SLOW, async () => {
    const { credentialId } = await refreshCredential();
    for (let test = 1; test <= 2; test++) {
      const tested = await call<{ ok: boolean; token: { expiry_stated: boolean } | null }>("POST", `/api/credentials/${credentialId}/test-auth`, { body: {} });
      expect(tested.body).toMatchObject({ ok: true, token: { expiry_stated: true } });
      expect((await sandboxStats()).token_requests).toBe(test);
    }
    await sandbox("/oauth/_revoke_refresh", { method: "POST" });
    const refused = await call<{ ok: boolean; error: { message: string } }>("POST", `/api/credentials/${credentialId}/test-auth`, { body: {} });
    expect(refused.body.ok).toBe(false);
    expect(refused.body.error.message).toMatch(/invalid_grant/);
  });

  it("without a refresh token yet fails the run at its first token, naming what to do", SLOW, async () => {
    const created = await call<Credential>("POST", "/api/credentials", {
      body: {
        name: "CRM (not connected)",
        scheme: "oauth2_refresh_token",
        config: { token_url: "http://localhost/sandbox/oauth/token", client_id: CLIENT.client_id },
        secret: CLIENT.client_secret,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ refresh_token: null, config: { client_auth: "basic" } });
    const tested = await call<{ ok: boolean; error: { message: string; hint: string } }>("POST", `/api/credentials/${created.body.id}/test-auth`, { body: {} });
    expect(tested.body.ok).toBe(false);
    expect(tested.body.error.message).toMatch(/has no refresh token yet/);
    expect(tested.body.error.hint).toMatch(/Connect/);
    // Not connected is a problem only once a connection uses it.
    expect(await attentionOf(created.body.id)).toBeUndefined();
    await createConnection(created.body.id);
    expect(await attentionOf(created.body.id)).toMatchObject({ attention: "not_connected", message: null, since: null, connection_count: 1 });
    expect(errorOf(await call("PATCH", `/api/credentials/${created.body.id}`, { body: { refresh_token: "two words" } })).details).toEqual([
      expect.objectContaining({ path: "refresh_token" }),
    ]);
  });
});
