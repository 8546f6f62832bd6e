import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import migration from "../../../migrations/0034_add_jwt_bearer_and_aws_sigv4_schemes.sql?raw";
import nextRebuild from "../../../migrations/0035_add_oauth2_refresh_token_scheme.sql?raw";
import type { Credential, TestAuthResult } from "../../../worker/schemas/types";
import { makeSigningKeyPair } from "../../support/signing-keys";
import { configureSandbox, replayMigration, resetWorld } from "../factories";
import { call, createConnection, errorOf, exported, unique, type Doc } from "./config-api";

const rsa = await makeSigningKeyPair("RS256");
const ec = await makeSigningKeyPair("ES256");
const TOKEN_URL = "http://localhost/sandbox/oauth/token";
const ISSUER = "sync@fleet-project.iam.gserviceaccount.com";

function create(secret: string, config: Record<string, unknown> = {}) {
  return call<Credential>("POST", "/api/credentials", {
    body: { name: unique("Service account"), scheme: "oauth2_jwt_bearer", config: { token_url: TOKEN_URL, issuer: ISSUER, ...config }, secret },
  });
}

describe("an oauth2_jwt_bearer credential", () => {
  it("takes a PEM private key over several lines, keeps it encrypted and shows only the end of the key", async () => {
    const created = await create(rsa.privatePem, { scope: "https://www.googleapis.com/auth/cloud-platform" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      scheme: "oauth2_jwt_bearer",
      config: { token_url: TOKEN_URL, issuer: ISSUER, algorithm: "RS256", scope: "https://www.googleapis.com/auth/cloud-platform" },
      has_secret: true,
    });
    const keyBody = rsa.privatePem.split("\n").slice(1, -2).join("").replace(/=+$/, "");
    expect(created.body.secret_hint).toBe(`••••${keyBody.slice(-4)}`);
    const text = JSON.stringify((await call("GET", `/api/credentials/${created.body.id}`)).body);
    expect(text).not.toContain(keyBody.slice(0, 40));
    const row = await env.LEDGER.prepare("SELECT secret_ciphertext FROM credentials WHERE id = ?1")
      .bind(created.body.id)
      .first<{ secret_ciphertext: string }>();
    expect(row!.secret_ciphertext).not.toContain(keyBody.slice(0, 40));
  });

  it("takes a Google key file as downloaded, and an EC key for ES256", async () => {
    const keyFile = JSON.stringify({ type: "service_account", private_key_id: "a1", private_key: rsa.privatePem, client_email: ISSUER }, null, 2);
    expect((await create(keyFile)).status).toBe(201);
    expect((await create(ec.privatePem, { algorithm: "ES256" })).status).toBe(201);
  });

  it("refuses a key that cannot sign, naming the secret field and what to do", async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [rsa.privatePem.replace(/PRIVATE KEY/g, "RSA PRIVATE KEY"), {}, /PKCS #1.*openssl pkcs8 -topk8 -nocrypt/],
      [ec.privatePem, {}, /not an RSA key, which RS256 needs/],
      [rsa.privatePem, { algorithm: "ES256" }, /not an EC key on the P-256 curve/],
      ["hunter2", {}, /not a PEM private key/],
      [JSON.stringify({ client_email: ISSUER }), {}, /no private_key field/],
    ];
    for (const [secret, config, reason] of cases) {
      const res = await create(secret, config);
      expect(res.status, String(reason)).toBe(400);
      expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "secret", message: expect.stringMatching(reason) })]);
    }
  });

  it("refuses an issuer left out and an algorithm it does not know", async () => {
    const res = await call("POST", "/api/credentials", {
      body: { name: unique("SA"), scheme: "oauth2_jwt_bearer", config: { token_url: TOKEN_URL, algorithm: "HS256" }, secret: rsa.privatePem },
    });
    expect(res.status).toBe(400);
    expect(
      errorOf(res)
        .details.map((detail) => detail.path)
        .sort(),
    ).toEqual(["config.algorithm", "config.issuer"]);
  });

  it("refuses a new algorithm the stored key cannot sign with, and a token URL moved without the key", async () => {
    const created = await create(rsa.privatePem);
    const algorithm = await call("PATCH", `/api/credentials/${created.body.id}`, { body: { config: { algorithm: "ES256" } } });
    expect(algorithm.status).toBe(400);
    expect(errorOf(algorithm).details).toEqual([
      expect.objectContaining({ path: "config.algorithm", message: expect.stringMatching(/stored private key is not an EC key/) }),
    ]);

    const moved = await call("PATCH", `/api/credentials/${created.body.id}`, { body: { config: { token_url: "https://oauth2.googleapis.com/token" } } });
    expect(moved.status).toBe(400);
    expect(errorOf(moved).details[0]).toMatchObject({ path: "secret", message: expect.stringMatching(/token URL moves to another host/) });

    const both = await call<Credential>("PATCH", `/api/credentials/${created.body.id}`, { body: { config: { algorithm: "ES256" }, secret: ec.privatePem } });
    expect(both.status).toBe(200);
    expect(both.body.config).toMatchObject({ algorithm: "ES256" });
  });

  it("keeps every other scheme's secret on one line, on update as on create", async () => {
    const bearer = await call<Credential>("POST", "/api/credentials", { body: { name: unique("Bearer"), scheme: "bearer", secret: "tok-1" } });
    const res = await call("PATCH", `/api/credentials/${bearer.body.id}`, { body: { secret: "tok-2\nX-Injected: 1" } });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "secret", message: "must not contain line breaks or NUL" })]);
    const switched = await call("PATCH", `/api/credentials/${bearer.body.id}`, {
      body: { scheme: "oauth2_jwt_bearer", config: { token_url: TOKEN_URL, issuer: ISSUER }, secret: rsa.privatePem },
    });
    expect(switched.status).toBe(200);
  });

  it("fetches a token from a provider that verifies the assertion, and reports the provider's refusal", async () => {
    await resetWorld();
    await configureSandbox({ oauth_jwt: { issuer: ISSUER, public_key: rsa.publicPem, token_ttl_s: 1800 } });
    const good = await create(rsa.privatePem);
    const tested = await call<TestAuthResult>("POST", `/api/credentials/${good.body.id}/test-auth`, { body: {} });
    expect(tested.body).toMatchObject({ ok: true, token: { token_type: "Bearer", expires_in_s: 1800, expiry_stated: true } });

    const other = await makeSigningKeyPair("RS256");
    const wrongKey = await create(other.privatePem);
    const refused = await call<TestAuthResult>("POST", `/api/credentials/${wrongKey.body.id}/test-auth`, { body: {} });
    expect(refused.body).toMatchObject({ ok: false, error: { code: "auth_failed", http_status: 400 } });
    expect(refused.body.error!.message).toContain("Invalid JWT Signature.");
    // What was asserted, to read the refusal against: never the signature.
    expect(refused.body.assertion).toEqual({
      header: { alg: "RS256", typ: "JWT" },
      claims: { iss: ISSUER, aud: TOKEN_URL, iat: expect.any(Number), exp: expect.any(Number), jti: expect.any(String) },
    });
    expect(tested.body.assertion?.claims).toMatchObject({ iss: ISSUER });

    const wrongIssuer = await create(rsa.privatePem, { issuer: "someone-else@example.com" });
    const refusedIssuer = await call<TestAuthResult>("POST", `/api/credentials/${wrongIssuer.body.id}/test-auth`, { body: {} });
    expect(refusedIssuer.body.error!.message).toContain("is not the registered issuer");
  });

  it("lets an OAuth2 client authenticate with its private key (private_key_jwt), checked the same way", async () => {
    await resetWorld();
    await configureSandbox({ oauth: { client_id: "fleet-sync", client_secret: "unused-secret", token_ttl_s: 900, client_public_key: ec.publicPem } });
    const client = (client_auth: string, secret: string) =>
      call<Credential>("POST", "/api/credentials", {
        body: {
          name: unique("Signed client"),
          scheme: "oauth2_client_credentials",
          config: { token_url: TOKEN_URL, client_id: "fleet-sync", client_auth, algorithm: "ES256" },
          secret,
        },
      });
    const created = await client("private_key_jwt", ec.privatePem);
    expect(created.status).toBe(201);
    const keyBody = ec.privatePem.split("\n").slice(1, -2).join("").replace(/=+$/, "");
    expect(created.body.secret_hint).toBe(`••••${keyBody.slice(-4)}`);
    const tested = await call<TestAuthResult>("POST", `/api/credentials/${created.body.id}/test-auth`, { body: {} });
    expect(tested.body).toMatchObject({ ok: true, token: { expires_in_s: 900 } });

    const notAKey = await client("private_key_jwt", "unused-secret");
    expect(errorOf(notAKey).details).toEqual([expect.objectContaining({ path: "secret", message: expect.stringMatching(/not a PEM private key/) })]);
    const keyAsSecret = await client("basic", ec.privatePem);
    expect(errorOf(keyAsSecret).details).toEqual([expect.objectContaining({ path: "secret", message: "must not contain line breaks or NUL" })]);

    const basic = await client("basic", "unused-secret");
    const switched = await call("PATCH", `/api/credentials/${basic.body.id}`, { body: { config: { client_auth: "private_key_jwt" } } });
    expect(errorOf(switched).details).toEqual([expect.objectContaining({ path: "secret", message: expect.stringMatching(/needs the client's private key/) })]);
    const thumbprint = await call<Credential>("PATCH", `/api/credentials/${created.body.id}`, {
      body: { config: { certificate_thumbprint: "84:E0:5B:9D:8C:3F:2A:1B:7E:6D:5C:4B:3A:29:18:0F:7E:6D:5C:4B" } },
    });
    expect(thumbprint.status).toBe(200);
    const badThumbprint = await call("PATCH", `/api/credentials/${created.body.id}`, { body: { config: { certificate_thumbprint: "84E05B" } } });
    expect(errorOf(badThumbprint).details).toEqual([expect.objectContaining({ path: "config.certificate_thumbprint" })]);
    const back = await call("PATCH", `/api/credentials/${created.body.id}`, { body: { config: { client_auth: "body" } } });
    expect(errorOf(back).details).toEqual([expect.objectContaining({ path: "secret", message: expect.stringMatching(/stored secret is a private key/) })]);
  });

  it("comes from a configuration document with its key given at apply, checked like the API checks it", async () => {
    const doc: Doc = await exported();
    const name = unique("Service account from a document");
    doc.credentials.push({ name, scheme: "oauth2_jwt_bearer", config: { token_url: TOKEN_URL, issuer: ISSUER }, secret: { secret: "SA_KEY" } });
    const apply = (secrets: Record<string, string>) => call("POST", "/api/config/apply", { body: { document: doc, secrets } });

    const pkcs1 = await apply({ SA_KEY: rsa.privatePem.replace(/PRIVATE KEY/g, "RSA PRIVATE KEY") });
    expect(pkcs1.status).toBe(400);
    expect(errorOf(pkcs1).details).toEqual([
      expect.objectContaining({
        path: "secrets.SA_KEY",
        message: expect.stringMatching(new RegExp(`credential "${name}": the private key is an RSA \\(PKCS #1\\)`)),
      }),
    ]);
    expect((await apply({ SA_KEY: rsa.privatePem })).status).toBe(200);
    const created = (await call<{ data: Credential[] }>("GET", "/api/credentials?limit=500")).body.data.find((entry) => entry.name === name);
    const keyBody = rsa.privatePem.split("\n").slice(1, -2).join("").replace(/=+$/, "");
    expect(created).toMatchObject({ scheme: "oauth2_jwt_bearer", has_secret: true, secret_hint: `••••${keyBody.slice(-4)}` });

    const bearerDoc: Doc = await exported();
    bearerDoc.credentials.push({ name: unique("Bearer from a document"), scheme: "bearer", secret: { secret: "BEARER" } });
    const twoLines = await call("POST", "/api/config/apply", { body: { document: bearerDoc, secrets: { BEARER: "tok\nX-Injected: 1" } } });
    expect(twoLines.status).toBe(400);
    expect(errorOf(twoLines).details).toEqual([expect.objectContaining({ path: "secrets.BEARER", message: expect.stringMatching(/line breaks/) })]);
  });

  it("needs the key again when a configuration document switches a client to private_key_jwt", async () => {
    const name = unique("Client switching to a key");
    await call("POST", "/api/credentials", {
      body: { name, scheme: "oauth2_client_credentials", config: { token_url: TOKEN_URL, client_id: "fleet-sync" }, secret: "client-secret-1" },
    });
    const doc: Doc = await exported();
    const entry = doc.credentials.find((candidate: Doc) => candidate.name === name);
    entry.config = { ...entry.config, client_auth: "private_key_jwt" };
    const ref = entry.secret.secret as string;
    const withoutKey = await call("POST", "/api/config/apply", { body: { document: doc } });
    expect(withoutKey.status).toBe(400);
    expect(errorOf(withoutKey).details).toEqual([expect.objectContaining({ path: `secrets.${ref}` })]);
    expect((await call("POST", "/api/config/apply", { body: { document: doc, secrets: { [ref]: rsa.privatePem } } })).status).toBe(200);
  });

  it("survives migration 0034's rebuild of the credentials table with connections still pointing at it", async () => {
    const credential = await create(rsa.privatePem);
    const connection = await createConnection(credential.body.id);
    await replayMigration(migration);
    // The later rebuild too, so the table ends as the code expects it (what 0035 added starts empty).
    await replayMigration(nextRebuild);

    const read = await call<Credential>("GET", `/api/credentials/${credential.body.id}`);
    expect(read.body).toEqual({ ...credential.body, connection_count: 1 });
    expect((await call("GET", `/api/connections/${connection.id}`)).status).toBe(200);
    const refused = await call("DELETE", `/api/credentials/${credential.body.id}`);
    expect(refused.status).toBe(409);
    expect(errorOf(refused).code).toBe("credential_in_use");
  });
});
