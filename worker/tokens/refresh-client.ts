import { openCredentialSecret } from "../auth/credential-secrets";
import { SECRET_BINDINGS } from "../auth/secrets";
import { outboundUrlPolicy, unsafeUrlError } from "../auth/url-safety";
import type { AuthorizationCodeClient } from "../engine/credential-auth";
import { EngineError } from "../engine/errors";
import type { Env } from "../env";
import { configText, type StoredCredential } from "../ledger/credentials";

// An oauth2_refresh_token credential as the client its token requests are made as (by the keeper, and by Connect):
// its token URL checked under this deployment's rules first, since the client secret and refresh token go there.
export async function refreshClientOf(env: Env, stored: StoredCredential): Promise<AuthorizationCodeClient> {
  const tokenUrl = configText(stored, "token_url") ?? "";
  const unsafe = unsafeUrlError([[`token URL of credential "${stored.name}"`, tokenUrl]], outboundUrlPolicy(env));
  if (unsafe !== null) throw unsafe;
  if (stored.secretCiphertext === null) {
    throw new EngineError({
      code: "auth_failed",
      message: `Credential "${stored.name}" has no client secret yet`,
      hint: "Give the credential's client secret on the Credentials page",
    });
  }
  return {
    token_url: tokenUrl,
    client_id: configText(stored, "client_id") ?? "",
    client_secret: await openCredentialSecret(env, stored, stored.secretCiphertext, SECRET_BINDINGS.credential(stored.id), "client secret"),
    client_auth: configText(stored, "client_auth") === "body" ? "body" : "basic",
  };
}
