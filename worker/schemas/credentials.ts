import { z } from "@hono/zod-openapi";
import { CREDENTIAL_SCHEMES, OAUTH2_CLIENT_AUTH, REFRESH_CLIENT_AUTH, type CredentialScheme } from "../engine/credential-auth";
import { JWT_ALGORITHMS, THUMBPRINT } from "../engine/jwt-assertion";
import { MAX_TOKEN_CHARS } from "../engine/token-request";
import { nameSchema, pageSchema, timestampSchema } from "./common";

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// fetch() owns these; an API key in one of them would corrupt the request.
const RESERVED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection", "content-type"]);

export const credentialNameSchema = nameSchema(100).openapi({ example: "Fleet API (production)" });

export const credentialSecretSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !/[\r\n\0]/.test(s), "must not contain line breaks or NUL")
  .openapi({
    writeOnly: true,
    description:
      "Write-only: the bearer token, basic password, API key, OAuth2 client secret or AWS secret access key. Stored encrypted; responses show only `secret_hint`.",
  });

// A private key is a PEM block (or a JSON key file holding one), so it has line breaks; it never goes into a header.
export const PRIVATE_KEY_MAX_CHARS = 16_384;
export const privateKeySecretSchema = z
  .string()
  .min(1)
  .max(PRIVATE_KEY_MAX_CHARS)
  .refine((s) => !s.includes("\0"), "must not contain NUL")
  .openapi({
    writeOnly: true,
    description:
      'Write-only: the PKCS #8 private key ("-----BEGIN PRIVATE KEY-----" block), or a Google service-account key file (JSON). Stored encrypted; responses show only `secret_hint`.',
  });

// A client secret is one line; with client_auth private_key_jwt it is the client's private key. The handler checks
// which (worker/auth/credential-secrets.ts).
const clientSecretSchema = privateKeySecretSchema.openapi({
  writeOnly: true,
  description:
    "Write-only: the OAuth2 client secret (one line), or with client_auth private_key_jwt the client's PKCS #8 private key. Stored encrypted; responses show only `secret_hint`.",
});

export const refreshTokenSchema = z
  .string()
  .min(1)
  .max(MAX_TOKEN_CHARS)
  .refine((s) => !/[\r\n\0\s]/.test(s), "is one word: no spaces, line breaks or NUL")
  .openapi({
    writeOnly: true,
    description:
      "Write-only, oauth2_refresh_token: the refresh token the provider issued when the app was authorized. Stored encrypted; when the provider rotates it, the new one replaces it. Responses show only `refresh_token.hint`.",
  });

// An optional setting that, when given, matches; "" clears it, as for the other optional settings.
function optionalMatching(pattern: RegExp, message: string) {
  return z
    .string()
    .refine((value) => value === "" || pattern.test(value), message)
    .optional();
}

// Non-secret settings per scheme. Each is strict, so a secret put in `config` by mistake is refused, not stored.
export const CREDENTIAL_CONFIG_SCHEMAS = {
  none: z.strictObject({}),
  bearer: z.strictObject({}),
  basic: z.strictObject({
    username: z
      .string()
      .min(1)
      .max(200)
      .refine((s) => !s.includes(":"), 'a basic-auth user name cannot contain ":"'),
  }),
  api_key: z.strictObject({
    header_name: z
      .string()
      .min(1)
      .max(100)
      .regex(HEADER_NAME, "is not a valid header name")
      .refine((s) => !RESERVED_HEADERS.has(s.toLowerCase()), "this header is set by the runtime")
      .default("X-API-Key"),
    value_prefix: z.string().max(50).optional().openapi({ description: 'Put before the key, e.g. "Key ".' }),
  }),
  oauth2_client_credentials: z.strictObject({
    token_url: z.string().min(1).max(2000).openapi({ example: "https://auth.example.com/oauth/token" }),
    client_id: z.string().min(1).max(500),
    scope: z.string().max(1000).optional(),
    audience: z.string().max(1000).optional(),
    client_auth: z.enum(OAUTH2_CLIENT_AUTH).default("basic").openapi({
      description:
        "basic: client id and secret in an HTTP Basic header (RFC 6749 default); body: in the form; private_key_jwt: a JWT signed with the client's private key (RFC 7523 §2.2; Okta, Auth0, Keycloak), the secret then being that key.",
    }),
    algorithm: z.enum(JWT_ALGORITHMS).optional().openapi({ description: "private_key_jwt: RS256 (the default) for an RSA key, ES256 for an EC key on P-256." }),
    key_id: z.string().max(200).optional().openapi({ description: "private_key_jwt: the assertion header's `kid`, as the client's JWKS names the key." }),
    certificate_thumbprint: z.string().regex(THUMBPRINT, "is a certificate thumbprint: 40 (SHA-1) or 64 (SHA-256) hex digits").optional().openapi({
      example: "84E05B9D8C3F2A1B7E6D5C4B3A29180F7E6D5C4B",
      description:
        "private_key_jwt with Microsoft Entra ID: the thumbprint of the certificate uploaded for the app, sent as the assertion's x5t (SHA-1) or x5t#S256 (SHA-256).",
    }),
  }),
  oauth2_jwt_bearer: z.strictObject({
    token_url: z.string().min(1).max(2000).openapi({ example: "https://oauth2.googleapis.com/token" }),
    issuer: z.string().min(1).max(500).openapi({
      example: "sync@fleet-project.iam.gserviceaccount.com",
      description: "The assertion's `iss`: a service account's email (Google) or the connected app's consumer key (Salesforce).",
    }),
    subject: z.string().max(500).optional().openapi({
      description: "The assertion's `sub`: the user to act as (Salesforce's user name, Google's domain-wide delegation).",
    }),
    audience: z.string().max(1000).optional().openapi({
      description: "The assertion's `aud`; the token URL when left out (Google). Salesforce wants https://login.salesforce.com.",
    }),
    scope: z.string().max(1000).optional().openapi({ description: "Space-separated; sent in the assertion and the token request." }),
    key_id: z.string().max(200).optional().openapi({ description: "The assertion header's `kid`, e.g. a Google key file's private_key_id." }),
    algorithm: z.enum(JWT_ALGORITHMS).default("RS256").openapi({ description: "RS256 for an RSA key, ES256 for an EC key on P-256." }),
  }),
  oauth2_refresh_token: z.strictObject({
    token_url: z.string().min(1).max(2000).openapi({ example: "https://api.hubapi.com/oauth/v1/token" }),
    client_id: z.string().min(1).max(500),
    scope: z.string().max(1000).optional().openapi({
      description: "Sent with each refresh only when given: most providers keep the scope the app was authorized for.",
    }),
    client_auth: z.enum(REFRESH_CLIENT_AUTH).default("basic").openapi({
      description: "basic: client id and secret in an HTTP Basic header (Xero, QuickBooks); body: in the form (HubSpot, Salesforce).",
    }),
    authorize_url: z.string().max(2000).optional().openapi({
      example: "https://app.hubspot.com/oauth/authorize",
      description:
        "The provider's authorization endpoint, for Connect (POST /api/credentials/{id}/connect); empty: none. Parameters a provider needs are written into it and kept: Google's `?access_type=offline&prompt=consent`.",
    }),
  }),
  aws_sigv4: z.strictObject({
    access_key_id: z
      .string()
      .regex(/^[A-Z0-9]{16,128}$/, "is an AWS access key id: upper-case letters and digits, e.g. AKIAIOSFODNN7EXAMPLE")
      .openapi({ example: "AKIAIOSFODNN7EXAMPLE" }),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z0-9]+)+-\d+$/, "is an AWS region, e.g. eu-west-1")
      .openapi({ example: "eu-west-1" }),
    service: z
      .string()
      .regex(/^[a-z0-9-]{2,64}$/, "is an AWS service's signing name, e.g. execute-api, lambda, es")
      .openapi({ example: "execute-api", description: "The signing name: execute-api (API Gateway), lambda (function URLs), es (OpenSearch), appsync." }),
    role_arn: optionalMatching(
      /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
      "is an IAM role ARN, e.g. arn:aws:iam::123456789012:role/outbound-sync",
    ).openapi({
      example: "arn:aws:iam::123456789012:role/outbound-sync",
      description:
        "A role (usually in the destination's account) to assume with the IAM user's key: requests are then signed with the role's temporary keys (AWS STS AssumeRole, an hour at a time). Empty: none.",
    }),
    external_id: optionalMatching(/^[\w+=,.@:/-]{2,1224}$/, "is 2–1224 letters, digits or + = , . @ : / - _").openapi({
      description: "role_arn: the external id the role's trust policy asks for (sts:ExternalId).",
    }),
    session_name: optionalMatching(/^[\w+=,.@-]{2,64}$/, "is 2–64 letters, digits or + = , . @ - _").openapi({
      description: "role_arn: the role session's name, as CloudTrail shows it; outbound-sync when left out.",
    }),
    sts_url: z.string().max(2000).optional().openapi({
      example: "https://sts.eu-west-1.amazonaws.com/",
      description: "role_arn: the STS endpoint; the region's own (https://sts.<region>.amazonaws.com/) when left out or empty.",
    }),
  }),
} as const satisfies Record<CredentialScheme, z.ZodType>;

export type CredentialConfigs = { [S in CredentialScheme]: z.output<(typeof CREDENTIAL_CONFIG_SCHEMAS)[S]> };
export type CredentialConfig = CredentialConfigs[CredentialScheme];

export const SCHEMES_WITH_SECRET: Record<CredentialScheme, boolean> = {
  none: false,
  bearer: true,
  basic: true,
  api_key: true,
  oauth2_client_credentials: true,
  oauth2_jwt_bearer: true,
  oauth2_refresh_token: true,
  aws_sigv4: true,
};

// Settings the scheme cannot do without, so `config` is required with it.
const CONFIG_REQUIRED = new Set<CredentialScheme>(["basic", "oauth2_client_credentials", "oauth2_jwt_bearer", "oauth2_refresh_token", "aws_sigv4"]);

const createVariant = <S extends CredentialScheme>(scheme: S) => {
  const base = { name: credentialNameSchema, scheme: z.literal(scheme) };
  const config = CREDENTIAL_CONFIG_SCHEMAS[scheme];
  // Schemes without settings may leave `config` out.
  const configField = CONFIG_REQUIRED.has(scheme) ? config : config.optional();
  const secret = scheme === "oauth2_jwt_bearer" ? privateKeySecretSchema : scheme === "oauth2_client_credentials" ? clientSecretSchema : credentialSecretSchema;
  // A refresh token may come later, from the Connect flow or a paste.
  if (scheme === "oauth2_refresh_token") return z.strictObject({ ...base, config: configField, secret, refresh_token: refreshTokenSchema.optional() });
  return SCHEMES_WITH_SECRET[scheme] ? z.strictObject({ ...base, config: configField, secret }) : z.strictObject({ ...base, config: configField });
};

export const createCredentialBodySchema = z
  .discriminatedUnion("scheme", [
    createVariant("none"),
    createVariant("bearer"),
    createVariant("basic"),
    createVariant("api_key"),
    createVariant("oauth2_client_credentials"),
    createVariant("oauth2_jwt_bearer"),
    createVariant("oauth2_refresh_token"),
    createVariant("aws_sigv4"),
  ])
  .openapi("CreateCredentialRequest", {
    description: "The destination auth context. `secret` is required for every scheme but none.",
  });
export type CreateCredentialBody = z.output<typeof createCredentialBodySchema>;

export const updateCredentialBodySchema = z
  .strictObject({
    name: credentialNameSchema.optional(),
    scheme: z.enum(CREDENTIAL_SCHEMES).optional(),
    config: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "Settings of the (new) scheme. With the scheme unchanged, the given keys are merged into the stored settings; a new scheme needs its full settings.",
    }),
    // Checked against the scheme by the handler: only a private key may span lines.
    secret: privateKeySecretSchema.optional().openapi({
      description: "Replaces the stored secret. Required when switching to a scheme that needs one. One line, except an oauth2_jwt_bearer private key.",
    }),
    refresh_token: refreshTokenSchema.optional().openapi({
      description: "oauth2_refresh_token: replaces the stored refresh token (after the app was authorized again) and clears its last refusal.",
    }),
  })
  .refine((body) => Object.keys(body).length > 0, "give at least one of name, scheme, config, secret, refresh_token")
  .openapi("UpdateCredentialRequest");
export type UpdateCredentialBody = z.output<typeof updateCredentialBodySchema>;

const credentialBase = {
  id: z.string().openapi({ example: "cred_01jd7v0q2k8x3c5n4m6p7r8s9t" }),
  name: z.string(),
  has_secret: z.boolean(),
  secret_hint: z.string().nullable().openapi({ example: "••••3f9a", description: "The only trace of the secret ever returned." }),
  connection_count: z.number().int(),
  created_at: timestampSchema,
  updated_at: timestampSchema,
};

export const refreshTokenStateSchema = z
  .object({
    hint: z.string().openapi({ example: "••••9c1e", description: "The last characters of the refresh token now kept." }),
    set_at: timestampSchema.openapi({ description: "When a person (or Connect) last gave it." }),
    rotated_at: timestampSchema.nullable().openapi({ description: "When the provider last replaced it with a new one; null: never." }),
    error: z.string().nullable().openapi({
      description: "The provider's last refusal of it (e.g. invalid_grant: revoked, expired or already used); null after a success.",
    }),
    error_at: timestampSchema.nullable(),
  })
  .openapi("RefreshTokenState");
export type RefreshTokenState = z.infer<typeof refreshTokenStateSchema>;

const responseVariant = <S extends CredentialScheme>(scheme: S) =>
  z.object({ ...credentialBase, scheme: z.literal(scheme), config: CREDENTIAL_CONFIG_SCHEMAS[scheme] });

const refreshResponseVariant = z.object({
  ...credentialBase,
  scheme: z.literal("oauth2_refresh_token"),
  config: CREDENTIAL_CONFIG_SCHEMAS.oauth2_refresh_token,
  refresh_token: refreshTokenStateSchema.nullable().openapi({ description: "null until a refresh token is given: runs then fail at their first token." }),
});

export const credentialSchema = z
  .discriminatedUnion("scheme", [
    responseVariant("none"),
    responseVariant("bearer"),
    responseVariant("basic"),
    responseVariant("api_key"),
    responseVariant("oauth2_client_credentials"),
    responseVariant("oauth2_jwt_bearer"),
    refreshResponseVariant,
    responseVariant("aws_sigv4"),
  ])
  .openapi("Credential");
export type Credential = z.infer<typeof credentialSchema>;

export const credentialPageSchema = pageSchema(credentialSchema, "CredentialPage");

export const connectStartedSchema = z
  .object({
    authorize_url: z.string().openapi({ description: "Send the person's browser here; the provider asks them to approve the app." }),
    redirect_uri: z.string().openapi({
      example: "https://sync.example.com/api/oauth/callback",
      description: "Where the provider sends them back: it must be registered with the provider's app exactly so.",
    }),
    expires_at: timestampSchema.openapi({ description: "The authorization must come back before this (10 minutes)." }),
  })
  .openapi("ConnectStarted");
export type ConnectStarted = z.infer<typeof connectStartedSchema>;

export const testAuthBodySchema = z
  .strictObject({
    url: z.string().trim().min(1).max(2000).optional().openapi({
      example: "https://api.example.com/v1/devices?per_page=1",
      description: "Where to send one GET with the credential's auth. May be left out for OAuth2: then only a token is fetched.",
    }),
  })
  .openapi("TestAuthRequest");

export const testAuthResultSchema = z
  .object({
    ok: z.boolean().openapi({ description: "The GET answered 2xx (or, without a URL, an OAuth2 token was issued)." }),
    request: z
      .object({
        method: z.literal("GET"),
        url: z.string(),
        status: z.number().int().nullable().openapi({ description: "null when no response arrived." }),
        duration_ms: z.number(),
      })
      .nullable(),
    excerpt: z.string().nullable().openapi({ description: "The start of the response body, whitespace flattened; secrets masked." }),
    excerpt_truncated: z.boolean(),
    token: z
      .object({
        token_type: z.string(),
        expires_at: timestampSchema,
        expires_in_s: z.number().int(),
        expiry_stated: z.boolean().openapi({ description: "false: the token endpoint gave no expires_in; 5 minutes are assumed." }),
      })
      .nullable()
      .openapi({ description: "OAuth2: the access token's type and expiry. The token itself is never returned." }),
    assertion: z
      .object({ header: z.record(z.string(), z.unknown()), claims: z.record(z.string(), z.unknown()) })
      .nullable()
      .openapi({
        description:
          "A credential that signs JWTs (oauth2_jwt_bearer, private_key_jwt): the header and claims of the assertion sent, without its signature, to read a provider's refusal against.",
      }),
    error: z.object({ code: z.string(), message: z.string(), hint: z.string(), http_status: z.number().int().nullable() }).optional(),
  })
  .openapi("TestAuthResult");
export type TestAuthResult = z.infer<typeof testAuthResultSchema>;
