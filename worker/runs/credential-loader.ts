import { openCredentialSecret } from "../auth/credential-secrets";
import { SECRET_BINDINGS } from "../auth/secrets";
import { outboundUrlPolicy, unsafeUrlError } from "../auth/url-safety";
import type { CredentialAuth } from "../engine/credential-auth";
import { EngineError } from "../engine/errors";
import type { Env } from "../env";
import { configText, getStoredCredential } from "../ledger/credentials";
import { keeperTokenSource } from "../tokens/keeper-source";

// The run's credential with its secret decrypted, held only in memory for the job's requests.
export async function loadCredentialAuth(env: Env, credentialId: string): Promise<CredentialAuth> {
  const stored = await getStoredCredential(env.LEDGER, credentialId);
  if (stored === null) {
    throw new EngineError({
      code: "auth_failed",
      message: `The run's credential ${credentialId} no longer exists`,
      hint: "Create the credential again and point the connections at it",
    });
  }
  if (stored.scheme === "none") return { scheme: "none" };
  // Its secrets stay with the credential's token keeper, which checks them at each refresh.
  if (stored.scheme === "oauth2_refresh_token") return { scheme: "oauth2_refresh_token", tokens: keeperTokenSource(env, stored.id) };
  if (stored.secretCiphertext === null) {
    throw new EngineError({
      code: "auth_failed",
      message: `Credential "${stored.name}" (${stored.scheme}) has no secret`,
      hint: "Set the credential's secret on the Credentials page",
    });
  }
  const secret = await openCredentialSecret(env, stored, stored.secretCiphertext, SECRET_BINDINGS.credential(stored.id), "secret");
  const text = (key: string): string | undefined => configText(stored, key);
  switch (stored.scheme) {
    case "bearer":
      return { scheme: "bearer", token: secret };
    case "basic":
      return { scheme: "basic", username: text("username") ?? "", password: secret };
    case "api_key": {
      const prefix = text("value_prefix");
      return { scheme: "api_key", header_name: text("header_name") ?? "X-API-Key", key: secret, ...(prefix ? { value_prefix: prefix } : {}) };
    }
    case "oauth2_client_credentials": {
      const scope = text("scope");
      const audience = text("audience");
      const clientAuth = text("client_auth");
      const tokenUrl = text("token_url") ?? "";
      // The client secret goes there: checked under this deployment's rules before any token is asked for.
      const unsafe = unsafeUrlError([[`token URL of credential "${stored.name}"`, tokenUrl]], outboundUrlPolicy(env));
      if (unsafe !== null) throw unsafe;
      return {
        scheme: "oauth2_client_credentials",
        token_url: tokenUrl,
        client_id: text("client_id") ?? "",
        client_secret: secret,
        client_auth: clientAuth === "body" || clientAuth === "private_key_jwt" ? clientAuth : "basic",
        ...(scope ? { scope } : {}),
        ...(audience ? { audience } : {}),
        ...(text("algorithm") === "ES256" ? { algorithm: "ES256" as const } : {}),
        ...(text("key_id") ? { key_id: text("key_id")! } : {}),
        ...(text("certificate_thumbprint") ? { certificate_thumbprint: text("certificate_thumbprint")! } : {}),
      };
    }
    case "aws_sigv4": {
      // "" is a cleared setting.
      const roleArn = text("role_arn") || undefined;
      const stsUrl = text("sts_url") || undefined;
      // The signed AssumeRole goes there, good for 15 minutes: checked under this deployment's rules first.
      const unsafe = stsUrl === undefined ? null : unsafeUrlError([[`STS endpoint of credential "${stored.name}"`, stsUrl]], outboundUrlPolicy(env));
      if (unsafe !== null) throw unsafe;
      const externalId = text("external_id");
      return {
        scheme: "aws_sigv4",
        access_key_id: text("access_key_id") ?? "",
        secret_access_key: secret,
        region: text("region") ?? "",
        service: text("service") ?? "",
        ...(roleArn === undefined
          ? {}
          : {
              role: {
                role_arn: roleArn,
                session_name: text("session_name") || "outbound-sync",
                ...(externalId ? { external_id: externalId } : {}),
                ...(stsUrl ? { sts_url: stsUrl } : {}),
              },
            }),
      };
    }
    case "oauth2_jwt_bearer": {
      const tokenUrl = text("token_url") ?? "";
      // The signed assertion goes there: it is a credential for the minutes it lives.
      const unsafe = unsafeUrlError([[`token URL of credential "${stored.name}"`, tokenUrl]], outboundUrlPolicy(env));
      if (unsafe !== null) throw unsafe;
      const optional = Object.fromEntries((["subject", "audience", "scope", "key_id"] as const).flatMap((key) => (text(key) ? [[key, text(key)!]] : [])));
      return {
        scheme: "oauth2_jwt_bearer",
        token_url: tokenUrl,
        issuer: text("issuer") ?? "",
        algorithm: text("algorithm") === "ES256" ? "ES256" : "RS256",
        private_key: secret,
        ...optional,
      };
    }
  }
}
