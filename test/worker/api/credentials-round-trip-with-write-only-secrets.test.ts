import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Credential, Page } from "../../../worker/schemas/types";
import { call, createConnection, createCredential, errorOf, unique } from "./config-api";

async function storedRow(id: string) {
  return env.LEDGER.prepare("SELECT scheme, config_json, secret_ciphertext, secret_hint FROM credentials WHERE id = ?1")
    .bind(id)
    .first<{ scheme: string; config_json: string; secret_ciphertext: string | null; secret_hint: string | null }>();
}

describe("credentials", () => {
  it("creates, reads, lists, changes and deletes a credential", async () => {
    const name = unique("Fleet API");
    const created = await call<Credential>("POST", "/api/credentials", {
      body: { name, scheme: "basic", config: { username: "sync-bot" }, secret: "hunter2-password" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, scheme: "basic", config: { username: "sync-bot" }, has_secret: true, connection_count: 0 });
    expect(created.body.secret_hint).toBe("••••word");

    const read = await call<Credential>("GET", `/api/credentials/${created.body.id}`, { as: "viewer" });
    expect(read.body).toEqual(created.body);

    const listed = await call<Page<Credential>>("GET", "/api/credentials?limit=500", { as: "viewer" });
    expect(listed.body.data.map((c) => c.id)).toContain(created.body.id);

    const renamed = await call<Credential>("PATCH", `/api/credentials/${created.body.id}`, { body: { name: `${name} (renamed)` } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: `${name} (renamed)`, secret_hint: "••••word", config: { username: "sync-bot" } });

    const deleted = await call("DELETE", `/api/credentials/${created.body.id}`);
    expect(deleted.status).toBe(204);
    expect((await call("GET", `/api/credentials/${created.body.id}`)).status).toBe(404);
  });

  it("stores the secret only encrypted and never returns it", async () => {
    const secret = "tok_live_5f1c9a7e3b";
    const created = await call<Credential>("POST", "/api/credentials", { body: { name: unique("Bearer"), scheme: "bearer", secret } });
    const row = await storedRow(created.body.id);
    expect(row?.secret_ciphertext).toMatch(/^v2:/);
    expect(JSON.stringify(row)).not.toContain(secret);
    for (const res of [created, await call("GET", `/api/credentials/${created.body.id}`), await call("GET", "/api/credentials?limit=500")]) {
      expect(JSON.stringify(res.body)).not.toContain(secret);
    }
  });

  it("replaces the secret, merges settings, and needs a new secret to switch scheme", async () => {
    const created = await createCredential({ scheme: "api_key", config: { header_name: "X-Fleet-Key" }, secret: "first-key-0001" });
    const rotated = await call<Credential>("PATCH", `/api/credentials/${created.id}`, {
      body: { secret: "second-key-00002", config: { value_prefix: "Key " } },
    });
    expect(rotated.body).toMatchObject({ secret_hint: "••••0002", config: { header_name: "X-Fleet-Key", value_prefix: "Key " } });

    const noSecret = await call("PATCH", `/api/credentials/${created.id}`, { body: { scheme: "bearer" } });
    expect(noSecret.status).toBe(400);
    expect(errorOf(noSecret).details).toEqual([expect.objectContaining({ path: "secret" })]);

    const toNone = await call<Credential>("PATCH", `/api/credentials/${created.id}`, { body: { scheme: "none" } });
    expect(toNone.body).toMatchObject({ scheme: "none", config: {}, has_secret: false, secret_hint: null });
    expect((await storedRow(created.id))?.secret_ciphertext).toBeNull();
  });

  it("names the offending fields of a bad credential", async () => {
    const res = await call("POST", "/api/credentials", {
      body: { name: "", scheme: "oauth2_client_credentials", config: { token_url: "https://auth.example.com/token", password: "x" }, secret: "s" },
    });
    expect(res.status).toBe(400);
    const paths = errorOf(res).details!.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "config.client_id", "config.password"]));
    expect(errorOf(res).code).toBe("validation_failed");
  });

  it("refuses an unknown scheme and says which ones exist", async () => {
    const res = await call("POST", "/api/credentials", { body: { name: unique("X"), scheme: "kerberos" } });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "scheme", message: expect.stringContaining('"bearer"') })]);
  });

  it("refuses a token URL that is not safe to call", async () => {
    const res = await call("POST", "/api/credentials", {
      body: {
        name: unique("OAuth"),
        scheme: "oauth2_client_credentials",
        config: { token_url: "http://user:pw@auth.example.com/token", client_id: "c" },
        secret: "client-secret",
      },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "config.token_url" })]);
  });

  it("needs the secret again to move an OAuth token URL to another host, not to change its path", async () => {
    const created = await call<Credential>("POST", "/api/credentials", {
      body: {
        name: unique("OAuth"),
        scheme: "oauth2_client_credentials",
        config: { token_url: "https://auth.example.com/oauth/token", client_id: "sync" },
        secret: "client-secret-1",
      },
    });
    expect(created.status).toBe(201);
    const before = await storedRow(created.body.id);
    const patch = (body: Record<string, unknown>) => call<Credential>("PATCH", `/api/credentials/${created.body.id}`, { body });

    for (const token_url of [
      "https://collector.example.net/oauth/token",
      "https://auth.example.com:8443/oauth/token",
      "https://AUTH.example.com.evil.example/x",
    ]) {
      const moved = await patch({ config: { token_url } });
      expect(moved.status, token_url).toBe(400);
      expect(errorOf(moved).details, token_url).toEqual([expect.objectContaining({ path: "secret", message: expect.stringMatching(/another host/) })]);
    }
    expect(await storedRow(created.body.id)).toEqual(before);

    const samehost = await patch({ config: { token_url: "https://auth.example.com/v2/token" } });
    expect(samehost.status).toBe(200);
    expect(samehost.body.config).toMatchObject({ token_url: "https://auth.example.com/v2/token" });

    const confirmed = await patch({ config: { token_url: "https://login.example.net/token" }, secret: "client-secret-2" });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.config).toMatchObject({ token_url: "https://login.example.net/token" });
    expect((await storedRow(created.body.id))!.secret_ciphertext).not.toBe(before!.secret_ciphertext);
  });

  it("answers 409 for a duplicate name and for deleting a credential that has connections", async () => {
    const credential = await createCredential();
    expect((await call("POST", "/api/credentials", { body: { name: credential.name, scheme: "none" } })).status).toBe(409);

    await createConnection(credential.id);
    const res = await call("DELETE", `/api/credentials/${credential.id}`);
    expect(res.status).toBe(409);
    expect(errorOf(res).code).toBe("credential_in_use");
    expect((await call<Credential>("GET", `/api/credentials/${credential.id}`)).body.connection_count).toBe(1);
  });

  it("pages through credentials with a cursor", async () => {
    for (let i = 0; i < 3; i++) await createCredential();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page<Credential> } = await call<Page<Credential>>("GET", `/api/credentials?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((c) => c.name));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);

    const bad = await call("GET", "/api/credentials?cursor=not-a-cursor");
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details).toEqual([expect.objectContaining({ path: "cursor" })]);
  });
});
