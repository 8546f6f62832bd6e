import { describe, expect, it } from "vitest";
import { createCredentialHeaders, type CredentialAuth } from "../../worker/engine/credential-auth";
import type { RequestAttempt } from "../../worker/engine/http-client";
import { EngineError } from "../../worker/engine/errors";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import { leaksIn } from "./support/secret-forms";
import type { LoopbackReply } from "./support/loopback-server";

const serve = useLoopbackServers();

function makeClock(start = Date.UTC(2026, 10, 1)) {
  const clock = { now: start };
  return { clock, runtime: createSystemRuntime({ now: () => clock.now }) };
}

function makeOAuth2(tokenUrl: string, overrides: Partial<Extract<CredentialAuth, { scheme: "oauth2_client_credentials" }>> = {}) {
  return {
    scheme: "oauth2_client_credentials",
    token_url: tokenUrl,
    client_id: "client-1",
    client_secret: "s3cret:with&symbols",
    client_auth: "basic",
    ...overrides,
  } as const satisfies CredentialAuth;
}

function tokenReply(token: string, expiresIn?: number): LoopbackReply {
  return { body: { access_token: token, token_type: "bearer", ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) } };
}

function decodeBasic(header: string | undefined): string {
  const encoded = (header ?? "").replace(/^Basic /, "");
  return new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
}

describe("static credential schemes", () => {
  const { runtime } = makeClock();

  it("adds nothing for scheme none", async () => {
    expect(await createCredentialHeaders({ scheme: "none" }, { runtime }).headers()).toEqual({});
  });

  it("sends a bearer token", async () => {
    const auth = createCredentialHeaders({ scheme: "bearer", token: "tok-123" }, { runtime });
    expect(await auth.headers()).toEqual({ authorization: "Bearer tok-123" });
    expect(auth.secrets()).toEqual(["tok-123", "Bearer tok-123"]);
  });

  it("encodes basic credentials as UTF-8", async () => {
    const auth = createCredentialHeaders({ scheme: "basic", username: "jörg", password: "pä:ss" }, { runtime });
    const { authorization } = await auth.headers();
    expect(decodeBasic(authorization)).toBe("jörg:pä:ss");
    expect(auth.secrets()).toEqual(expect.arrayContaining(["pä:ss", "jörg:pä:ss", authorization, authorization!.slice(6)]));
  });

  it("puts an API key in the named header with its prefix", async () => {
    const auth = createCredentialHeaders({ scheme: "api_key", header_name: "X-Api-Key", key: "k-999", value_prefix: "Key " }, { runtime });
    expect(await auth.headers()).toEqual({ "X-Api-Key": "Key k-999" });
    expect(auth.secrets()).toEqual(["k-999", "Key k-999"]);
  });
});

describe("oauth2 client credentials", () => {
  it("asks the token endpoint with the client in a Basic header and sends the token it gets", async () => {
    const server = await serve(() => tokenReply("access-1", 3600));
    const { runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/oauth/token`, { scope: "devices:write" }), { runtime });

    expect(await auth.headers()).toEqual({ authorization: "Bearer access-1" });
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: "client_credentials",
      scope: "devices:write",
    });
    expect(decodeBasic(request?.headers.authorization)).toBe("client-1:s3cret%3Awith%26symbols");
    expect(auth.secrets()).toEqual(expect.arrayContaining([request?.headers.authorization, "client-1:s3cret%3Awith%26symbols"]));
  });

  it("masks the client secret and its Basic header when the token endpoint echoes them in an error", async () => {
    const server = await serve((request) => ({ status: 401, body: `denied ${request.headers.authorization} ${request.body}` }));
    const { runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime });
    const error = (await caught(auth.headers())) as EngineError;
    const header = server.requests[0]!.headers.authorization!;
    expect(error.code).toBe("auth_failed");
    expect(error.message).not.toContain(header.slice("Basic ".length, "Basic ".length + 12));
    expect(leaksIn(error.message, { secret: "s3cret:with&symbols" })).toEqual([]);
  });

  it("can send the client id and secret in the form body instead", async () => {
    const server = await serve(() => tokenReply("access-1", 3600));
    const { runtime } = makeClock();
    await createCredentialHeaders(makeOAuth2(`${server.url}/token`, { client_auth: "body" }), { runtime }).headers();

    expect(server.requests).toHaveLength(1);
    const form = Object.fromEntries(new URLSearchParams(server.requests[0]?.body));
    expect(form).toMatchObject({ client_id: "client-1", client_secret: "s3cret:with&symbols" });
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("reports each token request to the request log with the client secret and the tokens masked", async () => {
    const server = await serve(() =>
      server.requests.length === 1
        ? { body: { access_token: "access-1", refresh_token: "refresh-1", token_type: "bearer", expires_in: 0 } }
        : { status: 401, body: "invalid_client" },
    );
    const logged: RequestAttempt[] = [];
    const { runtime } = makeClock();
    const credential = createCredentialHeaders(makeOAuth2(`${server.url}/token`, { client_auth: "body", scope: "devices" }), {
      runtime,
      onAttempt: (attempt) => logged.push(attempt),
    });
    await credential.headers();
    credential.invalidate();
    await caught(credential.headers());

    expect(logged).toMatchObject([
      { phase: "token", method: "POST", url: `${server.url}/token`, attempt: 1, status: 200, error: null },
      { phase: "token", status: 401, response_body: "invalid_client" },
    ]);
    expect(Object.fromEntries(new URLSearchParams(logged[0]!.request_body!))).toEqual({
      grant_type: "client_credentials",
      scope: "devices",
      client_id: "client-1",
      client_secret: "[redacted]",
    });
    expect(JSON.parse(logged[0]!.response_body!)).toEqual({ access_token: "[redacted]", refresh_token: "[redacted]", token_type: "bearer", expires_in: 0 });
    expect(leaksIn(JSON.stringify(logged), { secret: "s3cret:with&symbols", access: "access-1", refresh: "refresh-1" })).toEqual([]);
  });

  it("masks the client's Basic header in the token request it reports", async () => {
    const server = await serve(() => tokenReply("access-1", 3600));
    const logged: RequestAttempt[] = [];
    await createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime: makeClock().runtime, onAttempt: (a) => logged.push(a) }).headers();
    expect(logged[0]!.request_headers).toMatchObject({ authorization: "[redacted]", "content-type": "application/x-www-form-urlencoded" });
    expect(leaksIn(JSON.stringify(logged), { secret: "s3cret:with&symbols" })).toEqual([]);
  });

  it("reuses the token until shortly before it expires, then fetches a new one", async () => {
    let issued = 0;
    const server = await serve(() => tokenReply(`access-${++issued}`, 120));
    const { clock, runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime, expiry_margin_ms: 30_000 });

    expect((await auth.headers()).authorization).toBe("Bearer access-1");
    clock.now += 89_000;
    expect((await auth.headers()).authorization).toBe("Bearer access-1");
    clock.now += 2_000; // within the 30 s margin of the 120 s lifetime
    expect((await auth.headers()).authorization).toBe("Bearer access-2");
    expect(server.requests).toHaveLength(2);
    expect(auth.secrets()).toEqual(expect.arrayContaining(["access-1", "Bearer access-1", "access-2", "Bearer access-2", "s3cret:with&symbols"]));
  });

  it("shares one token request between concurrent callers", async () => {
    const server = await serve(() => ({ ...tokenReply("shared", 600), delayMs: 30 }));
    const { runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime });

    const all = await Promise.all([auth.headers(), auth.headers(), auth.headers()]);
    expect(all.map((h) => h.authorization)).toEqual(["Bearer shared", "Bearer shared", "Bearer shared"]);
    expect(server.requests).toHaveLength(1);
  });

  it("fetches again after invalidate", async () => {
    let issued = 0;
    const server = await serve(() => tokenReply(`access-${++issued}`, 600));
    const { runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime });
    await auth.headers();
    auth.invalidate();
    expect((await auth.headers()).authorization).toBe("Bearer access-2");
  });

  it("keeps a token fetched since the one a destination rejected", async () => {
    let issued = 0;
    const server = await serve(() => tokenReply(`access-${++issued}`, 600));
    const { runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime });
    const first = await auth.headers();
    auth.invalidate(first);
    expect((await auth.headers()).authorization).toBe("Bearer access-2");

    auth.invalidate(first); // a late 401 for the old token
    expect((await auth.headers()).authorization).toBe("Bearer access-2");
    expect(server.requests).toHaveLength(2);
  });

  it("is the only scheme whose headers can be refreshed", () => {
    expect(createCredentialHeaders(makeOAuth2("http://127.0.0.1:1/token"), { runtime: makeClock().runtime }).refreshable).toBe(true);
    const statics: CredentialAuth[] = [
      { scheme: "none" },
      { scheme: "bearer", token: "t" },
      { scheme: "basic", username: "u", password: "p" },
      { scheme: "api_key", header_name: "X-Key", key: "k" },
    ];
    expect(statics.map((auth) => createCredentialHeaders(auth, { runtime: makeClock().runtime }).refreshable)).toEqual([false, false, false, false]);
  });

  it("fails with auth_failed and a hint when the endpoint refuses, without echoing the secret", async () => {
    const server = await serve(() => ({ status: 401, body: { error: "invalid_client", got: "s3cret:with&symbols" } }));
    const { runtime } = makeClock();
    const error = await caught(createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime }).headers());

    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "auth_failed", http_status: 401 });
    expect((error as EngineError).message).toContain("invalid_client");
    expect((error as EngineError).message).not.toContain("s3cret");
    expect((error as EngineError).hint).toMatch(/client id, client secret/);
  });

  it("fails when the answer has no access token, and retries on the next call", async () => {
    let calls = 0;
    const server = await serve(() => (++calls === 1 ? { body: { token_type: "bearer" } } : tokenReply("late", 60)));
    const { runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime });

    expect(await caught(auth.headers())).toMatchObject({ code: "auth_failed" });
    expect(await auth.headers()).toEqual({ authorization: "Bearer late" });
  });

  it("times out a token endpoint that does not answer", async () => {
    const server = await serve(() => ({ ...tokenReply("slow", 60), delayMs: 500 }));
    const { runtime } = makeClock();
    const auth = createCredentialHeaders(makeOAuth2(`${server.url}/token`), { runtime, timeout_ms: 50 });
    expect(await caught(auth.headers())).toMatchObject({ code: "timeout" });
  });
});
