import { describe, expect, it } from "vitest";
import { createCredentialHeaders, type CredentialAuth } from "../../worker/engine/credential-auth";
import type { RequestAttempt } from "../../worker/engine/http-client";
import { EngineError } from "../../worker/engine/errors";
import { privateKeyIssue } from "../../worker/engine/jwt-assertion";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import { decodeJwtPart, jwtSignatureValid, makeSigningKeyPair } from "../support/signing-keys";

const serve = useLoopbackServers();
const NOW = Date.UTC(2026, 11, 7, 12);
const rsa = await makeSigningKeyPair("RS256");
const ec = await makeSigningKeyPair("ES256");

type JwtAuth = Extract<CredentialAuth, { scheme: "oauth2_jwt_bearer" }>;

function jwtAuth(tokenUrl: string, overrides: Partial<JwtAuth> = {}): JwtAuth {
  return {
    scheme: "oauth2_jwt_bearer",
    token_url: tokenUrl,
    issuer: "sync@fleet.iam.gserviceaccount.com",
    algorithm: "RS256",
    private_key: rsa.privatePem,
    ...overrides,
  };
}

function assertionOf(body: string | undefined): string {
  return new URLSearchParams(body).get("assertion") ?? "";
}

describe("oauth2 JWT bearer (RFC 7523)", () => {
  it("signs an assertion with the key and trades it for the access token it sends", async () => {
    const server = await serve(() => ({ body: { access_token: "ya29.first", token_type: "Bearer", expires_in: 3600 } }));
    const runtime = createSystemRuntime({ now: () => NOW });
    const auth = createCredentialHeaders(
      jwtAuth(`${server.url}/token`, { scope: "https://www.googleapis.com/auth/cloud-platform", key_id: "k-1", subject: "ops@fleet.example" }),
      { runtime },
    );

    expect(await auth.headers()).toEqual({ authorization: "Bearer ya29.first" });
    const form = new URLSearchParams(server.requests[0]!.body);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(form.get("scope")).toBe("https://www.googleapis.com/auth/cloud-platform");
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    const assertion = assertionOf(server.requests[0]!.body);
    const [header, claims] = assertion.split(".");
    expect(decodeJwtPart(header!)).toEqual({ alg: "RS256", typ: "JWT", kid: "k-1" });
    expect(decodeJwtPart(claims!)).toEqual({
      iss: "sync@fleet.iam.gserviceaccount.com",
      sub: "ops@fleet.example",
      aud: `${server.url}/token`,
      scope: "https://www.googleapis.com/auth/cloud-platform",
      iat: NOW / 1000,
      exp: NOW / 1000 + 150,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(await jwtSignatureValid(assertion, rsa.publicKey)).toBe(true);
    expect(await jwtSignatureValid(assertion, ec.publicKey)).toBe(false);
    expect(auth.secrets()).toEqual(expect.arrayContaining([rsa.privatePem, assertion, "ya29.first"]));
    expect(auth.assertionInfo()).toEqual({ header: decodeJwtPart(header!), claims: decodeJwtPart(claims!) });
  });

  it("uses the audience it is given (Salesforce's login host) and signs ES256 with an EC key", async () => {
    const server = await serve(() => ({ body: { access_token: "00D-session", token_type: "Bearer" } }));
    const auth = createCredentialHeaders(
      jwtAuth(`${server.url}/services/oauth2/token`, { algorithm: "ES256", private_key: ec.privatePem, audience: "https://login.salesforce.com" }),
      { runtime: createSystemRuntime({ now: () => NOW }) },
    );
    await auth.headers();
    const assertion = assertionOf(server.requests[0]!.body);
    expect(decodeJwtPart(assertion.split(".")[1]!)).toMatchObject({ aud: "https://login.salesforce.com" });
    expect(decodeJwtPart(assertion.split(".")[0]!)).toEqual({ alg: "ES256", typ: "JWT" });
    // JWS wants the raw r‖s signature, 64 bytes for P-256, not DER.
    expect(assertion.split(".")[2]!.length).toBe(86);
    expect(await jwtSignatureValid(assertion, ec.publicKey)).toBe(true);
  });

  it("takes a Google service-account key file as pasted", async () => {
    const server = await serve(() => ({ body: { access_token: "ya29.file", expires_in: 3600 } }));
    const keyFile = JSON.stringify({ type: "service_account", private_key_id: "abc", private_key: rsa.privatePem, client_email: "x@y" }, null, 2);
    const auth = createCredentialHeaders(jwtAuth(`${server.url}/token`, { private_key: keyFile }), { runtime: createSystemRuntime({ now: () => NOW }) });
    expect(await auth.headers()).toEqual({ authorization: "Bearer ya29.file" });
    expect(await jwtSignatureValid(assertionOf(server.requests[0]!.body), rsa.publicKey)).toBe(true);
  });

  it("signs a new assertion for every token request, and never logs one", async () => {
    let issued = 0;
    const server = await serve(() => ({ body: { access_token: `tok-${++issued}`, expires_in: 3600 } }));
    const clock = { now: NOW };
    const logged: RequestAttempt[] = [];
    const auth = createCredentialHeaders(jwtAuth(`${server.url}/token`), {
      runtime: createSystemRuntime({ now: () => clock.now }),
      onAttempt: (attempt) => logged.push(attempt),
    });
    await Promise.all([auth.headers(), auth.headers(), auth.headers()]);
    expect(server.requests).toHaveLength(1);
    auth.invalidate();
    clock.now += 1000;
    expect(await auth.headers()).toEqual({ authorization: "Bearer tok-2" });

    const [first, second] = server.requests.map((request) => assertionOf(request.body));
    expect(first).not.toBe(second);
    expect(decodeJwtPart(second!.split(".")[1]!).iat).toBe(NOW / 1000 + 1);
    expect(logged.map((attempt) => Object.fromEntries(new URLSearchParams(attempt.request_body!)))).toEqual([
      { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "[redacted]" },
      { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "[redacted]" },
    ]);
    const text = JSON.stringify(logged);
    for (const secret of [first!, second!, "tok-1", "tok-2"]) expect(text).not.toContain(secret);
  });

  it("fails as auth_failed with the provider's reason when the assertion is refused", async () => {
    const server = await serve(() => ({ status: 400, body: { error: "invalid_grant", error_description: "Invalid JWT Signature." } }));
    const auth = createCredentialHeaders(jwtAuth(`${server.url}/token`), { runtime: createSystemRuntime({ now: () => NOW }) });
    const error = await caught(auth.headers());
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "auth_failed", http_status: 400 });
    expect((error as EngineError).message).toContain("Invalid JWT Signature.");
    expect((error as EngineError).hint).toMatch(/issuer.*registered with the provider/);
  });

  it("fails before any request when the key cannot sign, naming why", async () => {
    const server = await serve(() => ({ body: { access_token: "never" } }));
    const pkcs1 = rsa.privatePem.replace(/PRIVATE KEY/g, "RSA PRIVATE KEY");
    const cases: [Partial<JwtAuth>, RegExp][] = [
      [{ private_key: pkcs1 }, /PKCS #1.*openssl pkcs8 -topk8/],
      [{ private_key: rsa.privatePem, algorithm: "ES256" }, /not an EC key on the P-256 curve/],
      [{ private_key: "not a key" }, /not a PEM private key/],
      [{ private_key: '{"client_email": "x@y"}' }, /no private_key field/],
    ];
    for (const [overrides, reason] of cases) {
      const error = await caught(createCredentialHeaders(jwtAuth(`${server.url}/token`, overrides), { runtime: createSystemRuntime() }).headers());
      expect(error).toMatchObject({ code: "auth_failed" });
      expect((error as EngineError).message).toMatch(reason);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("authenticates a client-credentials client with a signed assertion instead of a secret (private_key_jwt)", async () => {
    const server = await serve(() => ({ body: { access_token: "okta-token", expires_in: 3600 } }));
    const logged: RequestAttempt[] = [];
    const auth = createCredentialHeaders(
      {
        scheme: "oauth2_client_credentials",
        token_url: `${server.url}/oauth2/default/v1/token`,
        client_id: "0oa-sync",
        client_secret: ec.privatePem,
        client_auth: "private_key_jwt",
        algorithm: "ES256",
        key_id: "sync-2026",
        scope: "devices.write",
      },
      { runtime: createSystemRuntime({ now: () => NOW }), onAttempt: (attempt) => logged.push(attempt) },
    );
    expect(await auth.headers()).toEqual({ authorization: "Bearer okta-token" });

    const request = server.requests[0]!;
    expect(request.headers.authorization).toBeUndefined();
    const form = Object.fromEntries(new URLSearchParams(request.body));
    expect(form).toEqual({
      grant_type: "client_credentials",
      scope: "devices.write",
      client_id: "0oa-sync",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: expect.any(String),
    });
    const [header, claims] = form.client_assertion!.split(".");
    expect(decodeJwtPart(header!)).toEqual({ alg: "ES256", typ: "JWT", kid: "sync-2026" });
    expect(decodeJwtPart(claims!)).toEqual({
      iss: "0oa-sync",
      sub: "0oa-sync",
      aud: `${server.url}/oauth2/default/v1/token`,
      iat: NOW / 1000,
      exp: NOW / 1000 + 150,
      jti: expect.any(String),
    });
    expect(await jwtSignatureValid(form.client_assertion!, ec.publicKey)).toBe(true);
    expect(Object.fromEntries(new URLSearchParams(logged[0]!.request_body!))).toMatchObject({ client_assertion: "[redacted]" });
    expect(auth.secrets()).toEqual(expect.arrayContaining([ec.privatePem, form.client_assertion]));
  });

  it("names an Entra ID app's certificate by its thumbprint (x5t, or x5t#S256 for SHA-256)", async () => {
    const server = await serve(() => ({ body: { access_token: "entra-token", expires_in: 3599 } }));
    const sha1 = "84:E0:5B:9D:8C:3F:2A:1B:7E:6D:5C:4B:3A:29:18:0F:7E:6D:5C:4B";
    const sha256 = "a".repeat(64);
    for (const [thumbprint, header] of [
      [sha1, { x5t: "hOBbnYw_Kht-bVxLOikYD35tXEs" }],
      [sha256, { "x5t#S256": "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo" }],
    ] as const) {
      const auth = createCredentialHeaders(
        {
          scheme: "oauth2_client_credentials",
          token_url: `${server.url}/tenant-id/oauth2/v2.0/token`,
          client_id: "app-id",
          client_secret: rsa.privatePem,
          client_auth: "private_key_jwt",
          certificate_thumbprint: thumbprint,
          scope: "https://graph.microsoft.com/.default",
        },
        { runtime: createSystemRuntime({ now: () => NOW }) },
      );
      await auth.headers();
      const assertion = new URLSearchParams(server.requests.at(-1)!.body).get("client_assertion")!;
      expect(decodeJwtPart(assertion.split(".")[0]!)).toEqual({ alg: "RS256", typ: "JWT", ...header });
    }
  });

  it("checks a key against the algorithm without signing anything", async () => {
    expect(await privateKeyIssue(rsa.privatePem, "RS256")).toBeNull();
    expect(await privateKeyIssue(ec.privatePem, "ES256")).toBeNull();
    expect(await privateKeyIssue(ec.privatePem, "RS256")).toMatch(/not an RSA key/);
    expect(await privateKeyIssue(rsa.privatePem.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), "RS256")).toMatch(/encrypted/);
  });
});
