import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import migration from "../../../migrations/0035_add_oauth2_refresh_token_scheme.sql?raw";
import type { Credential } from "../../../worker/schemas/credentials";
import { replayMigration } from "../factories";
import { call, createConnection, errorOf, exported, unique, type Doc } from "./config-api";

const TOKEN_URL = "http://localhost/sandbox/oauth/token";
type RefreshCredential = Extract<Credential, { scheme: "oauth2_refresh_token" }>;

async function create(extra: Record<string, unknown> = { refresh_token: "rt-first-token-0001" }) {
  const created = await call<RefreshCredential>("POST", "/api/credentials", {
    body: { name: unique("CRM"), scheme: "oauth2_refresh_token", config: { token_url: TOKEN_URL, client_id: "crm-sync" }, secret: "client-secret-1", ...extra },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

const read = async (id: string) => (await call<RefreshCredential>("GET", `/api/credentials/${id}`)).body;

describe("an oauth2_refresh_token credential", () => {
  it("keeps its refresh token through edits that do not move it, and shows only its hint", async () => {
    const credential = await create();
    expect(credential).toMatchObject({ has_secret: true, secret_hint: "••••t-1", refresh_token: { hint: "••••0001", rotated_at: null, error: null } });
    expect(JSON.stringify(credential)).not.toContain("rt-first");
    const renamed = await call<RefreshCredential>("PATCH", `/api/credentials/${credential.id}`, {
      body: { name: unique("CRM renamed"), config: { scope: "crm.read" } },
    });
    expect(renamed.body.refresh_token).toEqual(credential.refresh_token);

    // The refresh token goes to the token URL: another host needs it given again, as the client secret.
    const moved = await call("PATCH", `/api/credentials/${credential.id}`, {
      body: { config: { token_url: "http://127.0.0.1/sandbox/oauth/token" }, secret: "client-secret-1" },
    });
    expect(errorOf(moved).details).toEqual([
      expect.objectContaining({ path: "refresh_token", message: expect.stringMatching(/send the refresh token again/) }),
    ]);
    const confirmed = await call<RefreshCredential>("PATCH", `/api/credentials/${credential.id}`, {
      body: { config: { token_url: "http://127.0.0.1/sandbox/oauth/token" }, secret: "client-secret-1", refresh_token: "rt-second-token-0002" },
    });
    expect(confirmed.body.refresh_token!.hint).toBe("••••0002");

    // Another scheme has no refresh token: it is dropped, and cannot be given.
    const bearer = await call<Credential>("PATCH", `/api/credentials/${credential.id}`, { body: { scheme: "bearer", config: {}, secret: "t0ken" } });
    expect(bearer.body).not.toHaveProperty("refresh_token");
    const row = await env.LEDGER.prepare("SELECT refresh_ciphertext, refresh_hint, refresh_set_at FROM credentials WHERE id = ?1").bind(credential.id).first();
    expect(row).toEqual({ refresh_ciphertext: null, refresh_hint: null, refresh_set_at: null });
    expect(errorOf(await call("PATCH", `/api/credentials/${credential.id}`, { body: { refresh_token: "rt-x" } })).details).toEqual([
      expect.objectContaining({ path: "refresh_token", message: "scheme bearer has no refresh token" }),
    ]);
    const back = await call<RefreshCredential>("PATCH", `/api/credentials/${credential.id}`, {
      body: { scheme: "oauth2_refresh_token", config: { token_url: TOKEN_URL, client_id: "crm-sync" }, secret: "client-secret-2" },
    });
    expect(back.body.refresh_token).toBeNull();
  });

  it("is written by configuration documents without its refresh token, which a new token URL or client drops", async () => {
    const credential = await create();
    const doc: Doc = await exported();
    const entry = doc.credentials.find((candidate: Doc) => candidate.name === credential.name);
    expect(entry).toEqual({
      name: credential.name,
      scheme: "oauth2_refresh_token",
      config: { token_url: TOKEN_URL, client_id: "crm-sync", client_auth: "basic" },
      secret: { secret: expect.any(String) },
    });
    // A document cannot carry one: it rotates, so it is state, not configuration.
    const carrying = structuredClone(doc);
    carrying.credentials.find((candidate: Doc) => candidate.name === credential.name).refresh_token = "rt-in-a-document";
    expect((await call("POST", "/api/config/apply", { body: { document: carrying } })).status).toBe(400);

    entry.config.scope = "crm.read";
    expect((await call("POST", "/api/config/apply", { body: { document: doc } })).status).toBe(200);
    expect((await read(credential.id)).refresh_token!.hint).toBe("••••0001");

    entry.config.client_id = "crm-sync-2";
    expect((await call("POST", "/api/config/apply", { body: { document: doc } })).status).toBe(200);
    expect(await read(credential.id)).toMatchObject({ config: { client_id: "crm-sync-2" }, refresh_token: null });
  });

  it("survives migration 0035's rebuild of the credentials table with connections still pointing at it", async () => {
    const credential = await create();
    await createConnection(credential.id);
    // The rebuild copies what 0034 had: the refresh columns start empty.
    await replayMigration(migration);
    const after = await read(credential.id);
    expect(after).toMatchObject({ id: credential.id, connection_count: 1, has_secret: true, refresh_token: null });
    const refused = await call("DELETE", `/api/credentials/${credential.id}`);
    expect(errorOf(refused).code).toBe("credential_in_use");
  });
});
