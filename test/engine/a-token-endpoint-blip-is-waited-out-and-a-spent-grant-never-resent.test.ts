import { describe, expect, it } from "vitest";
import { createCredentialHeaders, redeemRefreshToken } from "../../worker/engine/credential-auth";
import { EngineError } from "../../worker/engine/errors";
import type { RequestAttempt } from "../../worker/engine/http-client";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import type { LoopbackReply } from "./support/loopback-server";
import { makeSigningKeyPair } from "../support/signing-keys";

const serve = useLoopbackServers();
const TOKEN = { body: { access_token: "at-ok", token_type: "Bearer", expires_in: 3600 } };

// Backoff waits are taken as asked and recorded; the token request's own timeout still runs on the real clock.
function recordingRuntime() {
  const real = createSystemRuntime();
  const waited: number[] = [];
  const runtime = createSystemRuntime({
    sleep: (ms, signal) => (signal === undefined ? (waited.push(ms), Promise.resolve()) : real.sleep(ms, signal)),
  });
  return { runtime, waited };
}

function answering(...replies: LoopbackReply[]) {
  return () => replies.shift() ?? { status: 500, body: "no more answers" };
}

describe("a token request", () => {
  it("waits out a 502 and a 429 (as long as Retry-After says) and logs each attempt with why it was sent again", async () => {
    const server = await serve(answering({ status: 502, body: "Bad Gateway" }, { status: 429, headers: { "retry-after": "2" } }, TOKEN));
    const { runtime, waited } = recordingRuntime();
    const attempts: RequestAttempt[] = [];
    const auth = createCredentialHeaders(
      { scheme: "oauth2_client_credentials", token_url: `${server.url}/token`, client_id: "sync", client_secret: "s3cret-value", client_auth: "basic" },
      { runtime, onAttempt: (attempt) => attempts.push(attempt) },
    );
    expect(await auth.headers()).toEqual({ authorization: "Bearer at-ok" });
    expect(server.requests).toHaveLength(3);
    expect(waited).toEqual([500, 2000]);
    expect(attempts.map(({ attempt, status, retry_reason }) => ({ attempt, status, retry_reason }))).toEqual([
      { attempt: 1, status: 502, retry_reason: null },
      { attempt: 2, status: 429, retry_reason: "server_error" },
      { attempt: 3, status: 200, retry_reason: "rate_limited" },
    ]);
  });

  it("gives up after three attempts, or at once when Retry-After asks for longer than it waits", async () => {
    const down = await serve(() => ({ status: 503, body: "Service Unavailable" }));
    const { runtime, waited } = recordingRuntime();
    const client = { scheme: "oauth2_client_credentials" as const, client_id: "sync", client_secret: "s3cret-value", client_auth: "body" as const };
    const error = (await caught(createCredentialHeaders({ ...client, token_url: `${down.url}/token` }, { runtime }).headers())) as EngineError;
    expect(error).toMatchObject({ code: "auth_failed", http_status: 503 });
    expect(error.message).toMatch(/returned 503 \(attempt 3 of 3\): Service Unavailable/);
    expect(down.requests).toHaveLength(3);
    expect(waited).toEqual([500, 1000]);

    const busy = await serve(() => ({ status: 429, headers: { "retry-after": "120" }, body: { error: "slow_down" } }));
    const refused = (await caught(createCredentialHeaders({ ...client, token_url: `${busy.url}/token` }, { runtime }).headers())) as EngineError;
    expect(refused.http_status).toBe(429);
    expect(busy.requests).toHaveLength(1);
  });

  it("signs a new assertion for each attempt, so no jti is sent twice", async () => {
    const key = await makeSigningKeyPair("ES256");
    const server = await serve(answering({ status: 500, body: "oops" }, TOKEN));
    const { runtime } = recordingRuntime();
    const auth = createCredentialHeaders(
      { scheme: "oauth2_jwt_bearer", token_url: `${server.url}/token`, issuer: "sync@fleet.example", algorithm: "ES256", private_key: key.privatePem },
      { runtime },
    );
    await auth.headers();
    const assertions = server.requests.map((request) => new URLSearchParams(request.body).get("assertion"));
    expect(assertions).toHaveLength(2);
    expect(assertions[0]).not.toBe(assertions[1]);
    expect(auth.secrets()).toEqual(expect.arrayContaining(assertions as string[]));
  });

  it("with a refresh token, is sent again only after a 429: a 5xx may have spent a token the provider rotates", async () => {
    const grant = { client_id: "crm", client_secret: "s3cret-value", client_auth: "body" as const, refresh_token: "rt-once" };
    const { runtime, waited } = recordingRuntime();
    const failing = await serve(() => ({ status: 502, body: "Bad Gateway" }));
    const error = (await caught(redeemRefreshToken({ ...grant, token_url: `${failing.url}/token` }, { runtime }))) as EngineError;
    expect(error.http_status).toBe(502);
    expect(failing.requests).toHaveLength(1);

    const limited = await serve(answering({ status: 429, headers: { "retry-after": "0" } }, TOKEN));
    expect((await redeemRefreshToken({ ...grant, token_url: `${limited.url}/token` }, { runtime })).token.token).toBe("at-ok");
    expect(limited.requests).toHaveLength(2);
    expect(waited).toEqual([0]);
  });
});
