import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { FleetStore } from "./fleet-store";
import type { SandboxConfig } from "./sandbox-config";
import { assertionIssue } from "./oauth-jwt";
import { pkceChallenge } from "../engine/pkce";
import { decodeAssertion, JWT_BEARER_GRANT, JWT_CLIENT_ASSERTION_TYPE } from "../engine/jwt-assertion";

// An OAuth2 token endpoint for the sandbox destination: client credentials (RFC 6749 §4.4; the client proven by
// its secret or by a signed assertion, private_key_jwt) and JWT bearer assertions (RFC 7523), so credentials of
// both schemes can be tried end to end, including a token the provider revokes before it expires.
export function createOAuthRoutes(store: FleetStore, config: () => SandboxConfig, nowMs: () => number): Hono {
  const app = new Hono();
  const takeAssertion = (jti: string, expiresAtMs: number) => store.takeAssertion(jti, expiresAtMs, nowMs());

  app.post("/token", async (c) => {
    store.bump("token_requests");
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded") {
      return oauthError(c, 400, "invalid_request", "send the token request as application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams(await c.req.text());
    if (form.get("grant_type") === JWT_BEARER_GRANT) {
      const knob = config().oauth_jwt;
      if (knob === null)
        return oauthError(c, 400, "unauthorized_client", 'JWT bearer is off: PUT /sandbox/_config {"oauth_jwt": {"issuer", "public_key", "token_ttl_s"}}');
      const issue = await assertionIssue(form.get("assertion") ?? "", knob, c.req.url.split("?")[0]!, nowMs(), takeAssertion);
      if (issue !== null) return oauthError(c, 400, "invalid_grant", issue);
      c.header("Cache-Control", "no-store");
      return c.json({ access_token: store.issueToken(knob.token_ttl_s, nowMs()), token_type: "Bearer", expires_in: knob.token_ttl_s });
    }
    const oauth = config().oauth;
    if (oauth === null)
      return oauthError(c, 400, "unauthorized_client", 'OAuth is off: PUT /sandbox/_config {"oauth": {"client_id", "client_secret", "token_ttl_s"}}');
    if (form.has("client_assertion_type")) {
      const issue = await clientAssertionIssue(form, oauth, c.req.url.split("?")[0]!, nowMs(), takeAssertion);
      if (issue !== null) return oauthError(c, 401, "invalid_client", issue);
    } else {
      const client = clientOf(c.req.header("authorization"), form);
      if (client === null || client.id !== oauth.client_id || client.secret !== oauth.client_secret) {
        c.header("WWW-Authenticate", 'Basic realm="sandbox"');
        return oauthError(c, 401, "invalid_client", "unknown client or wrong secret");
      }
    }
    if (form.get("grant_type") === "refresh_token") return refreshGrant(c, form.get("refresh_token") ?? "", oauth);
    if (form.get("grant_type") === "authorization_code") return codeGrant(c, form, oauth);
    if (form.get("grant_type") !== "client_credentials") {
      return oauthError(c, 400, "unsupported_grant_type", `grant_type is client_credentials, authorization_code, refresh_token or ${JWT_BEARER_GRANT}`);
    }
    c.header("Cache-Control", "no-store");
    return c.json({ access_token: store.issueToken(oauth.token_ttl_s, nowMs()), token_type: "Bearer", expires_in: oauth.token_ttl_s });
  });

  // RFC 6749 §6, after the client is authenticated.
  const refreshGrant = (c: Context, token: string, oauth: NonNullable<SandboxConfig["oauth"]>): Response => {
    const used = store.useRefreshToken(token, oauth.refresh_token, oauth.rotate_refresh_tokens ?? false);
    if (used.outcome !== "ok") return oauthError(c, 400, "invalid_grant", REFRESH_REFUSALS[used.outcome]);
    c.header("Cache-Control", "no-store");
    return c.json({
      access_token: store.issueToken(oauth.token_ttl_s, nowMs()),
      token_type: "bearer",
      expires_in: oauth.token_ttl_s,
      ...(used.next === null ? {} : { refresh_token: used.next }),
    });
  };

  // RFC 6749 §4.1.3 with PKCE (RFC 7636): the code is good once, for the redirect URI and verifier it was issued for.
  const codeGrant = async (c: Context, form: URLSearchParams, oauth: NonNullable<SandboxConfig["oauth"]>): Promise<Response> => {
    const issued = store.takeAuthorizationCode(form.get("code") ?? "", nowMs());
    if (issued === null || issued.client_id !== oauth.client_id) return oauthError(c, 400, "invalid_grant", "unknown, expired or already redeemed code");
    if (form.get("redirect_uri") !== issued.redirect_uri) return oauthError(c, 400, "invalid_grant", "redirect_uri differs from the authorization request's");
    if ((await pkceChallenge(form.get("code_verifier") ?? "")) !== issued.challenge)
      return oauthError(c, 400, "invalid_grant", "code_verifier does not match the code_challenge");
    c.header("Cache-Control", "no-store");
    return c.json({
      access_token: store.issueToken(oauth.token_ttl_s, nowMs()),
      token_type: "bearer",
      expires_in: oauth.token_ttl_s,
      refresh_token: store.issueRefreshToken(),
    });
  };

  // The provider's consent screen, approved (or denied, by the knob) at once: the browser goes back with a code.
  app.get("/authorize", (c) => {
    const oauth = config().oauth;
    const query = (name: string) => c.req.query(name) ?? "";
    if (oauth === null) return oauthError(c, 400, "unauthorized_client", "OAuth is off: set the oauth knob");
    if (query("client_id") !== oauth.client_id) return oauthError(c, 400, "invalid_request", "unknown client_id");
    const redirect = URL.parse(query("redirect_uri"));
    // Errors before the redirect URI is known to be good are shown here, never sent on (RFC 6749 §4.1.2.1).
    if (redirect === null) return oauthError(c, 400, "invalid_request", "redirect_uri is missing or not a URL");
    const back = (params: Record<string, string>) => {
      for (const [key, value] of Object.entries({ ...params, state: query("state") })) redirect.searchParams.set(key, value);
      return c.redirect(redirect.toString(), 302);
    };
    if (query("response_type") !== "code") return back({ error: "unsupported_response_type", error_description: "response_type must be code" });
    if (query("code_challenge_method") !== "S256" || query("code_challenge") === "")
      return back({ error: "invalid_request", error_description: "PKCE is required: code_challenge with code_challenge_method S256" });
    if (oauth.deny_authorization) return back({ error: "access_denied", error_description: "The person denied the app access" });
    const code = store.issueAuthorizationCode(
      { client_id: oauth.client_id, redirect_uri: query("redirect_uri"), challenge: query("code_challenge") },
      CODE_TTL_MS,
      nowMs(),
    );
    return back({ code });
  });

  app.post("/_revoke", (c) => c.json({ revoked: store.revokeTokens() }));
  // The person revoked the app's authorization, so its refresh tokens stop working too.
  app.post("/_revoke_refresh", (c) => c.json({ revoked: store.revokeRefreshTokens(config().oauth?.refresh_token) }));
  app.get("/_refresh_tokens", (c) => c.json(store.refreshTokenCounts()));
  app.all("/token", (c) => methodNotAllowed(c));
  app.all("/_revoke", (c) => methodNotAllowed(c));
  app.all("/_revoke_refresh", (c) => methodNotAllowed(c));
  return app;
}

// As providers keep them: minutes.
const CODE_TTL_MS = 5 * 60_000;

const REFRESH_REFUSALS = {
  unknown: "unknown refresh token",
  revoked: "the refresh token was revoked",
  reused: "refresh token reuse detected: it was already exchanged, so every refresh token of this grant is revoked",
} as const;

// private_key_jwt (RFC 7523 §3): the client is the assertion's issuer and subject, and signed it with the key whose
// public half the knob registers.
async function clientAssertionIssue(
  form: URLSearchParams,
  oauth: NonNullable<SandboxConfig["oauth"]>,
  tokenUrl: string,
  nowMs: number,
  take: (jti: string, expiresAtMs: number) => boolean,
): Promise<string | null> {
  if (form.get("client_assertion_type") !== JWT_CLIENT_ASSERTION_TYPE) return `client_assertion_type must be ${JWT_CLIENT_ASSERTION_TYPE}`;
  if (oauth.client_public_key === undefined) return "this client has no public key registered (oauth.client_public_key)";
  const assertion = form.get("client_assertion") ?? "";
  const issue = await assertionIssue(assertion, { issuer: oauth.client_id, public_key: oauth.client_public_key }, tokenUrl, nowMs, take);
  if (issue !== null) return issue;
  return decodeAssertion(assertion).claims.sub === oauth.client_id ? null : "the client assertion's sub must be the client id";
}

// HTTP Basic (the default) or client_id/client_secret in the form.
function clientOf(authorization: string | undefined, form: URLSearchParams): { id: string; secret: string } | null {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (basic !== null) {
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(Uint8Array.from(atob(basic[1]!), (ch) => ch.charCodeAt(0)));
    } catch {
      return null;
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) return null;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  }
  const id = form.get("client_id");
  const secret = form.get("client_secret");
  return id === null || secret === null ? null : { id, secret };
}

function formDecode(part: string): string {
  return new URLSearchParams(`v=${part}`).get("v") ?? "";
}

function oauthError(c: Context, status: ContentfulStatusCode, error: string, description: string): Response {
  return c.json({ error, error_description: description }, status);
}

function methodNotAllowed(c: Context): Response {
  c.header("Allow", "POST");
  return oauthError(c, 405, "invalid_request", `${c.req.method} is not allowed on ${c.req.path}; use POST`);
}
