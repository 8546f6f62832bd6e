import { describe, expect, it } from "vitest";
import {
  createCredentialHeaders,
  freshCredentialHeaders,
  redeemAuthorizationCode,
  redeemRefreshToken,
  type AccessTokenSource,
  type KeptTokenAnswer,
} from "../../worker/engine/credential-auth";
import type { RequestAttempt } from "../../worker/engine/http-client";
import { EngineError } from "../../worker/engine/errors";
import { pkceChallenge } from "../../worker/engine/pkce";
import { REDACTED } from "../../worker/engine/redactor";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { caught, useLoopbackServers } from "./support/engine-fixtures";

const serve = useLoopbackServers();
const CLIENT = { client_id: "crm sync", client_secret: "s3cret/+=", client_auth: "basic" as const };

describe("the refresh-token grant (RFC 6749 §6)", () => {
  it("sends the refresh token with the client's Basic header and says whether the provider rotated it", async () => {
    const server = await serve((request) => {
      const sent = new URLSearchParams(request.body).get("refresh_token");
      return {
        body: {
          access_token: "at-1",
          token_type: "bearer",
          expires_in: 1800,
          ...(sent === "rt-rotating" ? { refresh_token: "rt-next" } : { refresh_token: sent }),
        },
      };
    });
    const attempts: RequestAttempt[] = [];
    const options = { runtime: createSystemRuntime(), onAttempt: (attempt: RequestAttempt) => attempts.push(attempt) };

    const rotated = await redeemRefreshToken({ ...CLIENT, token_url: `${server.url}/token`, refresh_token: "rt-rotating", scope: "crm.read" }, options);
    expect(rotated.refresh_token).toBe("rt-next");
    expect(rotated.token).toMatchObject({ header: "Bearer at-1", token: "at-1", expiryStated: true });
    expect(Object.fromEntries(new URLSearchParams(server.requests[0]!.body))).toEqual({
      grant_type: "refresh_token",
      refresh_token: "rt-rotating",
      scope: "crm.read",
    });
    // RFC 6749 §2.3.1: each part form-encoded before they are joined.
    expect(atob(server.requests[0]!.headers.authorization!.slice("Basic ".length))).toBe("crm+sync:s3cret%2F%2B%3D");

    // The same token answered back is no rotation.
    const kept = await redeemRefreshToken({ ...CLIENT, client_auth: "body", token_url: `${server.url}/token`, refresh_token: "rt-lasting" }, options);
    expect(kept.refresh_token).toBeNull();
    expect(Object.fromEntries(new URLSearchParams(server.requests[1]!.body))).toMatchObject({ client_id: "crm sync", client_secret: "s3cret/+=" });
    expect(server.requests[1]!.headers.authorization).toBeUndefined();

    const logged = attempts.map((attempt) => `${attempt.request_body} ${attempt.response_body} ${JSON.stringify(attempt.request_headers)}`).join("\n");
    for (const secret of ["rt-rotating", "rt-next", "rt-lasting", "at-1", "s3cret"]) expect(logged).not.toContain(secret);
    expect(logged).toContain(`refresh_token=${encodeURIComponent(REDACTED)}`);
  });

  it("names invalid_grant's causes when the provider refuses, with the refresh token masked in the message", async () => {
    const server = await serve((request) => ({
      status: 400,
      body: { error: "invalid_grant", error_description: `token ${new URLSearchParams(request.body).get("refresh_token")} revoked` },
    }));
    const error = (await caught(
      redeemRefreshToken({ ...CLIENT, token_url: `${server.url}/token`, refresh_token: "rt-dead" }, { runtime: createSystemRuntime() }),
    )) as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "auth_failed", http_status: 400 });
    expect(error.message).toContain("invalid_grant");
    expect(error.message).not.toContain("rt-dead");
    expect(error.hint).toMatch(/revoked, expired or already used/);
  });
});

describe("a token endpoint answering tokens no provider issues", () => {
  it("is refused when a token is over 16,384 characters, before it reaches a header or the ledger", async () => {
    const huge = "x".repeat(20_000);
    for (const body of [
      { access_token: huge, expires_in: 60 },
      { access_token: "at-ok", expires_in: 60, refresh_token: huge },
    ]) {
      const server = await serve(() => ({ body }));
      const error = (await caught(
        redeemRefreshToken({ ...CLIENT, token_url: `${server.url}/token`, refresh_token: "rt-1" }, { runtime: createSystemRuntime() }),
      )) as EngineError;
      expect(error).toMatchObject({ code: "invalid_response_shape", http_status: 200 });
      expect(error.message).toMatch(/answered an? (access|refresh) token of 20,000 characters; at most 16,384 are taken/);
    }
  });
});

describe("the authorization-code grant with PKCE (RFC 7636)", () => {
  it("trades the code, verifier and redirect URI for a refresh token, and refuses an answer without one", async () => {
    let issueRefresh = true;
    const server = await serve(() => ({ body: { access_token: "at-2", expires_in: 60, ...(issueRefresh ? { refresh_token: "rt-first" } : {}) } }));
    const client = { ...CLIENT, client_auth: "body" as const, token_url: `${server.url}/token` };
    const grant = { code: "c0de", code_verifier: "v".repeat(43), redirect_uri: "https://sync.example.com/api/oauth/callback" };
    const attempts: RequestAttempt[] = [];
    const redeemed = await redeemAuthorizationCode(client, grant, { runtime: createSystemRuntime(), onAttempt: (attempt) => attempts.push(attempt) });
    expect(redeemed.refresh_token).toBe("rt-first");
    expect(Object.fromEntries(new URLSearchParams(server.requests[0]!.body))).toEqual({
      grant_type: "authorization_code",
      ...grant,
      client_id: "crm sync",
      client_secret: "s3cret/+=",
    });
    expect(attempts[0]!.request_body).not.toMatch(/c0de|vvvv|s3cret/);

    issueRefresh = false;
    const error = (await caught(redeemAuthorizationCode(client, grant, { runtime: createSystemRuntime() }))) as EngineError;
    expect(error.message).toBe("The provider issued an access token but no refresh token");
    expect(error.hint).toMatch(/access_type=offline/);
  });

  it("computes the S256 challenge of RFC 7636's own example", async () => {
    // RFC 7636 Appendix B.
    expect(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });
});

describe("a credential whose tokens a keeper makes", () => {
  function keeper(answers: KeptTokenAnswer[]) {
    const asked: Array<{ rejected: string | null; fresh: boolean }> = [];
    const source: AccessTokenSource = {
      token: async (request) => {
        asked.push(request);
        return answers.shift()!;
      },
    };
    return { source, asked };
  }
  const issued = (token: string): KeptTokenAnswer => ({
    ok: true,
    token: { token, token_type: "bearer", expires_at: Date.now() + 3_600_000, expiry_stated: true, attempts: [] },
  });

  it("asks once, tells the keeper which token was refused, and masks every token it was given", async () => {
    const { source, asked } = keeper([issued("at-a"), issued("at-b")]);
    const auth = createCredentialHeaders({ scheme: "oauth2_refresh_token", tokens: source }, { runtime: createSystemRuntime() });
    const [first, second] = await Promise.all([auth.headers(), auth.headers()]);
    expect(first).toEqual({ authorization: "Bearer at-a" });
    expect(second).toEqual(first);
    auth.invalidate({ authorization: "Bearer at-a" });
    expect(await auth.headers()).toEqual({ authorization: "Bearer at-b" });
    expect(asked).toEqual([
      { rejected: null, fresh: false },
      { rejected: "Bearer at-a", fresh: false },
    ]);
    expect(auth.secrets()).toEqual(expect.arrayContaining(["at-a", "Bearer at-a", "at-b"]));
    expect(auth.tokenInfo()).toMatchObject({ token_type: "Bearer", expiry_stated: true });
  });

  it("logs the keeper's token requests as the run's and turns its refusal back into the engine's error", async () => {
    const attempt = { phase: "token", method: "POST", url: "https://crm.example/token", status: 400 } as RequestAttempt;
    const { source, asked } = keeper([
      { ok: false, error: { code: "auth_failed", http_status: 400, message: "invalid_grant", hint: "connect again" }, attempts: [attempt] },
    ]);
    const logged: RequestAttempt[] = [];
    const auth = freshCredentialHeaders(
      { scheme: "oauth2_refresh_token", tokens: source },
      { runtime: createSystemRuntime(), onAttempt: (a) => logged.push(a) },
    );
    const error = (await caught(auth.headers())) as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "auth_failed", http_status: 400, hint: "connect again" });
    expect(logged).toEqual([attempt]);
    // Test authentication asks for a new token, not the one the keeper holds.
    expect(asked).toEqual([{ rejected: null, fresh: true }]);
  });
});
