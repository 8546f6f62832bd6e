import { encryptSecret, SECRET_BINDINGS } from "../auth/secrets";
import { openCredentialSecret, sealCredentialSecret } from "../auth/credential-secrets";
import { redeemAuthorizationCode } from "../engine/credential-auth";
import { EngineError } from "../engine/errors";
import { base64Url } from "../engine/jwt-assertion";
import { pkceChallenge } from "../engine/pkce";
import { createSystemRuntime } from "../engine/runtime";
import type { Env } from "../env";
import type { ConnectStarted } from "../schemas/credentials";
import { getStoredCredential, type StoredCredential } from "../ledger/credentials";
import { connectRefreshToken, insertConnectState, takeConnectState } from "../ledger/oauth-connect-states";
import { log } from "../observability/log";
import { outboundFetch } from "../outbound";
import { sha256Hex } from "../../shared/sha256";
import { refreshClientOf } from "./refresh-client";

// Long enough to sign in at the provider and approve; an abandoned authorization is then forgotten.
export const CONNECT_STATE_TTL_MS = 10 * 60_000;
export const OAUTH_CALLBACK_PATH = "/api/oauth/callback";

// What is missing before a credential can be connected, as a field and a message; null when nothing is.
export function connectIssue(stored: StoredCredential): { path: string; message: string } | null {
  if (stored.scheme !== "oauth2_refresh_token") return { path: "scheme", message: `Connect is for oauth2_refresh_token credentials, not ${stored.scheme}` };
  if (typeof stored.config.authorize_url !== "string" || stored.config.authorize_url === "")
    return { path: "config.authorize_url", message: "give the provider's authorize URL first" };
  if (stored.secretCiphertext === null) return { path: "secret", message: "give the client secret first" };
  return null;
}

// The authorization request a person's browser is sent with (RFC 6749 §4.1.1, PKCE S256), and its state kept until
// the provider sends them back.
export async function startConnect(env: Env, stored: StoredCredential, origin: string, startedBy: string, now: number): Promise<ConnectStarted> {
  const config = stored.config as { authorize_url: string; client_id: string; scope?: string };
  const state = randomToken();
  const verifier = randomToken();
  const stateHash = await sha256Hex(state);
  const redirectUri = `${origin}${OAUTH_CALLBACK_PATH}`;
  const challenge = await pkceChallenge(verifier);
  const url = new URL(config.authorize_url);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", config.client_id);
  url.searchParams.set("redirect_uri", redirectUri);
  if (config.scope) url.searchParams.set("scope", config.scope);
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  const expiresAt = now + CONNECT_STATE_TTL_MS;
  const sealed = await encryptSecret(env, verifier, SECRET_BINDINGS.connectVerifier(stateHash));
  await insertConnectState(env.LEDGER, stateHash, { credentialId: stored.id, codeVerifier: sealed, redirectUri, startedBy }, expiresAt, now);
  return { authorize_url: url.toString(), redirect_uri: redirectUri, expires_at: new Date(expiresAt).toISOString() };
}

export type ConnectOutcome = { ok: true; credentialId: string } | { ok: false; credentialId: string | null; message: string };

// The provider sent the person back: with a code (traded for the refresh token, which the credential keeps) or with
// an error. The state is taken whatever happens, so a callback is good once.
export async function finishConnect(
  env: Env,
  query: { state?: string; code?: string; error?: string; error_description?: string },
  now: number,
): Promise<ConnectOutcome> {
  if (!query.state) return { ok: false, credentialId: null, message: "The provider sent no state back: start Connect again from the Credentials page" };
  const stateHash = await sha256Hex(query.state);
  const state = await takeConnectState(env.LEDGER, stateHash, now);
  if (state === null) {
    return { ok: false, credentialId: null, message: "This authorization expired or was already used: start Connect again from the Credentials page" };
  }
  const failed = (message: string): ConnectOutcome => ({ ok: false, credentialId: state.credentialId, message });
  if (query.error) return failed(`The provider answered ${query.error}${query.error_description ? `: ${query.error_description}` : ""}`);
  if (!query.code) return failed("The provider sent neither a code nor an error");
  const stored = await getStoredCredential(env.LEDGER, state.credentialId);
  if (stored === null || connectIssue(stored) !== null) return failed("The credential was deleted or changed while it was being connected");
  try {
    const refreshToken = await redeem(env, stored, stateHash, state.codeVerifier, state.redirectUri, query.code);
    const sealed = await sealCredentialSecret(env, stored.id, stored.scheme, stored.config, refreshToken, "refresh_token");
    if (!(await connectRefreshToken(env.LEDGER, stored.id, sealed, now))) return failed("The credential was deleted or changed while it was being connected");
    // Who gave the credential its new refresh token: the person who started Connect.
    log.info("credential connected", { credential_id: stored.id, started_by: state.startedBy });
    return { ok: true, credentialId: stored.id };
  } catch (error) {
    if (error instanceof EngineError) return failed(`${error.message}. ${error.hint}`);
    throw error;
  }
}

async function redeem(env: Env, stored: StoredCredential, stateHash: string, sealedVerifier: string, redirectUri: string, code: string): Promise<string> {
  const client = await refreshClientOf(env, stored);
  const verifier = await openCredentialSecret(env, stored, sealedVerifier, SECRET_BINDINGS.connectVerifier(stateHash), "authorization's PKCE verifier");
  const { refresh_token } = await redeemAuthorizationCode(
    client,
    { code, code_verifier: verifier, redirect_uri: redirectUri },
    { runtime: createSystemRuntime({ fetch: outboundFetch(env) }) },
  );
  return refresh_token;
}

// 32 random bytes, base64url: a state no one guesses and a PKCE verifier of the 43 characters RFC 7636 asks at least.
function randomToken(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}
