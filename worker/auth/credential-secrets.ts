import type { CredentialScheme } from "../engine/credential-auth";
import { privateKeyHintSource, privateKeyIssue, type JwtAlgorithm } from "../engine/jwt-assertion";
import { EngineError } from "../engine/errors";
import { decryptSecret, encryptSecret, SECRET_BINDINGS, secretHint, StoredSecretError, type SecretsEnv } from "./secrets";

// As the credential schema's secret field allows.
const ONE_LINE_SECRET_MAX_CHARS = 4096;

// What is wrong with a credential's secret for its scheme, or null. Tokens, passwords and keys go into a header,
// so they are one line; a private key is a PEM block (or a JSON key file) and must sign with the algorithm.
export async function credentialSecretIssue(scheme: CredentialScheme, config: Record<string, unknown>, secret: string): Promise<string | null> {
  if (!usesPrivateKey(scheme, config)) return oneLineSecretIssue(secret);
  const issue = await privateKeyIssue(secret, jwtAlgorithmOf(config));
  return issue === null ? null : `the private key ${issue}`;
}

export function oneLineSecretIssue(secret: string): string | null {
  if (/[\r\n\0]/.test(secret)) return "must not contain line breaks or NUL";
  return secret.length > ONE_LINE_SECRET_MAX_CHARS ? `must be at most ${ONE_LINE_SECRET_MAX_CHARS} characters` : null;
}

// A service account's secret is its key; so is an OAuth2 client's that authenticates with private_key_jwt.
export function usesPrivateKey(scheme: CredentialScheme, config: Record<string, unknown>): boolean {
  return scheme === "oauth2_jwt_bearer" || (scheme === "oauth2_client_credentials" && config.client_auth === "private_key_jwt");
}

export function jwtAlgorithmOf(config: Record<string, unknown>): JwtAlgorithm {
  return config.algorithm === "ES256" ? "ES256" : "RS256";
}

// A private key's hint shows the end of the key itself, not of its PEM footer.
export async function sealCredentialSecret(
  env: SecretsEnv,
  credentialId: string,
  scheme: CredentialScheme,
  config: Record<string, unknown>,
  secret: string,
  field: "secret" | "refresh_token" = "secret",
) {
  if (field === "refresh_token") {
    return { ciphertext: await encryptSecret(env, secret, SECRET_BINDINGS.credentialRefreshToken(credentialId)), hint: secretHint(secret) };
  }
  const shown = usesPrivateKey(scheme, config) ? privateKeyHintSource(secret) : secret;
  return { ciphertext: await encryptSecret(env, secret, SECRET_BINDINGS.credential(credentialId)), hint: secretHint(shown) };
}

// A sealed field of a credential, opened for the requests it authenticates; one that no longer opens (sealed for
// another row or field, or altered) fails what needs it, saying which field to give again.
export async function openCredentialSecret(env: SecretsEnv, credential: { name: string }, ciphertext: string, binding: string, what: string): Promise<string> {
  return decryptSecret(env, ciphertext, binding).catch((error: unknown) => {
    if (!(error instanceof StoredSecretError)) throw error;
    throw new EngineError({
      code: "auth_failed",
      message: `Credential "${credential.name}": its stored ${what} cannot be decrypted (it was sealed for another credential or field, or altered)`,
      hint: `Give the credential's ${what} again on the Credentials page`,
    });
  });
}
