import { z } from "zod";
import type { Env } from "../env";

export const sandboxConfigSchema = z.strictObject({
  latency_ms: z.number().int().min(0).max(30_000),
  throttle_every: z.number().int().min(1).nullable(),
  retry_after_s: z.number().int().min(0).max(3_600),
  error_every: z.number().int().min(1).nullable(),
  auth_token: z.string().min(1).max(200).nullable(),
  // As Slack's Web API does: a JSON device write answers 200 either way, {"ok": true, "device": …} or
  // {"ok": false, "error": {code, message}} where it would have answered 400, 404, 409, 412 or 422.
  errors_in_body: z.boolean(),
  // When set, the destination also takes access tokens from POST /sandbox/oauth/token (client credentials).
  oauth: z
    .strictObject({
      client_id: z.string().min(1).max(200),
      client_secret: z.string().min(1).max(200),
      token_ttl_s: z.number().int().min(1).max(86_400),
      // When set, the client may also authenticate with a JWT signed by this key's private half (private_key_jwt).
      client_public_key: z.string().min(1).max(8_192).optional(),
      // When set, the client may also trade this refresh token (grant_type=refresh_token), as an app a person
      // authorized once does; with rotate_refresh_tokens each use answers a new one and the old one is spent, and
      // a spent one sent again revokes every refresh token of the grant (reuse detection, as Auth0 and Okta do).
      refresh_token: z.string().min(1).max(500).optional(),
      rotate_refresh_tokens: z.boolean().optional(),
      // GET /sandbox/oauth/authorize approves at once, as if the person clicked Allow; this makes it answer
      // access_denied instead, as if they clicked Deny.
      deny_authorization: z.boolean().optional(),
    })
    .nullable(),
  // When set, POST /sandbox/oauth/token also takes JWT bearer assertions (RFC 7523) signed by the key whose public
  // half (SPKI PEM) is given, as a service account's provider does.
  oauth_jwt: z
    .strictObject({
      issuer: z.string().min(1).max(500),
      public_key: z.string().min(1).max(8_192),
      audience: z.string().min(1).max(1000).optional(),
      token_ttl_s: z.number().int().min(1).max(86_400),
    })
    .nullable(),
  // When set, the destination's /api and /xml routes take only requests signed with AWS Signature V4 under this
  // key, region and service, and answer 403 as API Gateway does otherwise.
  aws_sigv4: z
    .strictObject({
      access_key_id: z.string().min(1).max(128),
      secret_access_key: z.string().min(1).max(128),
      region: z.string().min(1).max(50),
      service: z.string().min(1).max(64),
      // When set, POST /sandbox/sts lets this key assume the role (with the external id, when one is set), and /api
      // and /xml take only requests signed with the role's temporary keys and session token, as a role's resource
      // policy would allow.
      role_arn: z.string().min(1).max(2048).optional(),
      external_id: z.string().min(1).max(1224).optional(),
      session_ttl_s: z.number().int().min(1).max(43_200).optional(),
    })
    .nullable(),
});
export type SandboxConfig = z.infer<typeof sandboxConfigSchema>;

// PUT /sandbox/_config changes only the knobs it names.
export const sandboxConfigPatchSchema = sandboxConfigSchema.partial();

export function defaultSandboxConfig(env: Pick<Env, "SANDBOX_LATENCY_MS" | "SANDBOX_THROTTLE_EVERY">): SandboxConfig {
  return {
    latency_ms: Math.min(envInteger(env.SANDBOX_LATENCY_MS) ?? 0, 30_000),
    throttle_every: envInteger(env.SANDBOX_THROTTLE_EVERY) || null,
    retry_after_s: 1,
    error_every: null,
    auth_token: null,
    errors_in_body: false,
    oauth: null,
    oauth_jwt: null,
    aws_sigv4: null,
  };
}

function envInteger(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}
