import { AwsV4Signer } from "aws4fetch";
import { EngineError, type JobFailure } from "./errors";
import type { HeaderMap, HttpClientOptions, RequestAttempt } from "./http-client";
import type { EngineRuntime } from "./runtime";
import { assumeRole, type AssumableRole, type AssumedKeys } from "./aws-assume-role";
import { cachedToken, requestToken, TOKEN_REQUEST_HEADERS, type CachedToken, type TokenGrant } from "./token-request";
import { sha256Hex } from "../../shared/sha256";
import {
  importSigningKey,
  JWT_BEARER_GRANT,
  JWT_CLIENT_ASSERTION_TYPE,
  PrivateKeyError,
  signAssertion,
  decodeAssertion,
  type AssertionClaims,
  type JwtAlgorithm,
  type KeyReference,
} from "./jwt-assertion";

export const CREDENTIAL_SCHEMES = [
  "none",
  "bearer",
  "basic",
  "api_key",
  "oauth2_client_credentials",
  "oauth2_jwt_bearer",
  "oauth2_refresh_token",
  "aws_sigv4",
] as const;
export type CredentialScheme = (typeof CREDENTIAL_SCHEMES)[number];

// The schemes that trade something for an access token at a token URL.
export const OAUTH2_SCHEMES: ReadonlySet<CredentialScheme> = new Set(["oauth2_client_credentials", "oauth2_jwt_bearer", "oauth2_refresh_token"]);

export const OAUTH2_CLIENT_AUTH = ["basic", "body", "private_key_jwt"] as const;
export type OAuth2ClientAuth = (typeof OAUTH2_CLIENT_AUTH)[number];
// A refresh-token client proves itself with its secret only.
export const REFRESH_CLIENT_AUTH = ["basic", "body"] as const;
export type RefreshClientAuth = (typeof REFRESH_CLIENT_AUTH)[number];

// A credential with its secret decrypted: only ever held in memory for the requests it authenticates.
export type CredentialAuth =
  | { scheme: "none" }
  | { scheme: "bearer"; token: string }
  | { scheme: "basic"; username: string; password: string }
  | { scheme: "api_key"; header_name: string; key: string; value_prefix?: string }
  | {
      scheme: "oauth2_client_credentials";
      token_url: string;
      client_id: string;
      // With private_key_jwt, the client's private key (RFC 7523 §2.2), which never leaves.
      client_secret: string;
      scope?: string;
      audience?: string;
      client_auth: OAuth2ClientAuth;
      algorithm?: JwtAlgorithm;
      key_id?: string;
      certificate_thumbprint?: string;
    }
  | {
      // RFC 7523 §2.1: a JWT signed with the private key is traded for an access token (service accounts).
      scheme: "oauth2_jwt_bearer";
      token_url: string;
      issuer: string;
      subject?: string;
      // Defaults to the token URL, as Google expects; Salesforce wants its login host.
      audience?: string;
      scope?: string;
      key_id?: string;
      algorithm: JwtAlgorithm;
      private_key: string;
    }
  | {
      // The refresh token and client secret stay with whoever keeps the credential's tokens (one keeper per credential,
      // so a token the provider rotates at each use is never sent twice); a run holds only the access tokens it is given.
      scheme: "oauth2_refresh_token";
      tokens: AccessTokenSource;
    }
  | {
      // AWS Signature Version 4: every request signed with the IAM user's secret access key (API Gateway with IAM
      // auth, Lambda function URLs, OpenSearch).
      scheme: "aws_sigv4";
      access_key_id: string;
      secret_access_key: string;
      region: string;
      service: string;
      // Requests are then signed with the role's temporary keys, assumed with the user's (cross-account access).
      role?: AssumableRole;
    };

export interface CredentialAuthOptions {
  runtime: Pick<EngineRuntime, "fetch" | "now" | "sleep">;
  // For the token endpoint; destination requests have their own timeout.
  timeout_ms?: number;
  // Tokens are renewed this long before they expire, so a request never leaves with a stale one.
  expiry_margin_ms?: number;
  // Each token request as sent and answered, for a job's request log; secrets in it are already masked.
  onAttempt?: (attempt: RequestAttempt) => void;
}

// What a request-signing credential signs.
export interface SignableRequest {
  method: string;
  url: string;
  headers?: HeaderMap;
  body?: string;
}

export interface CredentialHeaders {
  // The request, for a credential that signs each one (AWS); the others ignore it.
  headers(request?: SignableRequest): Promise<HeaderMap>;
  // Everything secret this credential sends, as sent: the secret itself, derived values (user:password,
  // its base64), whole auth header values, and every access token fetched so far. A redactor derives
  // the other encodings from these.
  secrets(): string[];
  // Only OAuth2 can hand out different headers after invalidate; static secrets stay what they are.
  readonly refreshable: boolean;
  // Drops a cached access token, e.g. after the destination answered 401. Given the rejected headers, a token
  // fetched since then is kept, so requests rejected together lead to one new token.
  invalidate(rejected?: HeaderMap): void;
  // OAuth2: what is known about the access token now in use, never the token itself; null before one is fetched
  // and for static secrets.
  tokenInfo(): AccessTokenInfo | null;
  // A credential that signs JWTs: the header and claims of the last one sent (never its signature), so a provider's
  // refusal can be read against what it was sent; null otherwise.
  assertionInfo(): AssertionInfo | null;
}

export interface AssertionInfo {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

// An access token as a keeper hands it out, with the token requests made for it (for the asking run's request log).
export interface IssuedAccessToken {
  token: string;
  token_type: string;
  expires_at: number;
  expiry_stated: boolean;
  attempts: RequestAttempt[];
}

// A refusal keeps the token requests made for it, so the asking run logs them too.
export type KeptTokenAnswer = { ok: true; token: IssuedAccessToken } | { ok: false; error: JobFailure; attempts: RequestAttempt[] };

export interface AccessTokenSource {
  // rejected: the authorization header a destination refused, so a token issued since then is handed out instead of
  // a new one; fresh: a new token whatever is cached (Test authentication).
  token(request: { rejected: string | null; fresh: boolean }): Promise<KeptTokenAnswer>;
}

// The settings a refresh-token grant is made with: all of them secret but the URL, client id and scope.
export interface RefreshGrantAuth {
  token_url: string;
  client_id: string;
  client_secret: string;
  client_auth: RefreshClientAuth;
  scope?: string;
  refresh_token: string;
}

export interface AccessTokenInfo {
  token_type: string;
  expires_at: number;
  // False when the token endpoint gave no expires_in and the default lifetime was assumed.
  expiry_stated: boolean;
}

const DEFAULT_EXPIRY_MARGIN_MS = 30_000;

export function createCredentialHeaders(auth: CredentialAuth, options: CredentialAuthOptions): CredentialHeaders {
  switch (auth.scheme) {
    case "none":
      return staticHeaders({}, []);
    case "bearer":
      return staticHeaders({ authorization: `Bearer ${auth.token}` }, [auth.token]);
    case "basic": {
      const pair = `${auth.username}:${auth.password}`;
      const encoded = base64Utf8(pair);
      return staticHeaders({ authorization: `Basic ${encoded}` }, [auth.password, pair, encoded]);
    }
    case "api_key":
      return staticHeaders({ [auth.header_name]: `${auth.value_prefix ?? ""}${auth.key}` }, [auth.key]);
    case "oauth2_client_credentials":
      return oauth2Headers(grantTokens(clientCredentialsGrant(auth, options.runtime), options), clientSecrets(auth), options);
    case "oauth2_jwt_bearer":
      return oauth2Headers(grantTokens(jwtBearerGrant(auth, options.runtime), options), [auth.private_key], options);
    case "oauth2_refresh_token":
      return oauth2Headers(keptTokens(auth.tokens, options), [], options);
    case "aws_sigv4":
      return sigv4Headers(auth, options);
  }
}

// The auth options of an HTTP client for a credential: its headers on every request, and after a 401 a
// rejected OAuth2 token is dropped so the client resends once with a new one.
export function credentialClientAuth(
  credential: () => CredentialHeaders | Promise<CredentialHeaders>,
): Required<Pick<HttpClientOptions, "authHeaders" | "refreshAuth">> {
  return {
    authHeaders: async (request) => (await credential()).headers(request),
    refreshAuth: async (rejected) => {
      const auth = await credential();
      if (!auth.refreshable) return false;
      auth.invalidate(rejected);
      return true;
    },
  };
}

function staticHeaders(headers: HeaderMap, secrets: string[]): CredentialHeaders {
  const material = [...secrets, ...Object.values(headers)].filter((s) => s !== "");
  return {
    headers: async () => ({ ...headers }),
    secrets: () => [...material],
    refreshable: false,
    invalidate: () => undefined,
    tokenInfo: () => null,
    assertionInfo: () => null,
  };
}

type OAuth2Auth = Extract<CredentialAuth, { scheme: "oauth2_client_credentials" }>;
type JwtBearerAuth = Extract<CredentialAuth, { scheme: "oauth2_jwt_bearer" }>;

// Where a run's access tokens come from: a grant it makes itself, or a keeper that makes it for every run.
interface TokenSupply {
  // rejected: the header the destination refused, if that is why a token is wanted.
  next(rejected: string | null): Promise<CachedToken>;
  // Secrets learnt while getting it (a signed assertion is a credential until it expires).
  learnt(): string[];
  lastAssertion(): string | null;
}

function grantTokens(grant: () => Promise<TokenGrant>, options: CredentialAuthOptions): TokenSupply {
  const learnt: string[] = [];
  let lastAssertion: string | null = null;
  return {
    next: () =>
      requestToken(grant, options, (made) => {
        learnt.push(...made.secrets);
        lastAssertion = made.assertion ?? null;
      }),
    learnt: () => learnt,
    lastAssertion: () => lastAssertion,
  };
}

// A keeper's tokens: its token requests are logged as this run's, as if the run had made them.
function keptTokens(source: AccessTokenSource, options: CredentialAuthOptions, fresh = false): TokenSupply {
  let first = fresh;
  return {
    next: async (rejected) => {
      const answer = await source.token({ rejected, fresh: first });
      first = false;
      const attempts = answer.ok ? answer.token.attempts : answer.attempts;
      for (const attempt of attempts) options.onAttempt?.(attempt);
      if (!answer.ok) throw new EngineError(answer.error);
      const { token } = answer;
      return cachedToken(token.token, token.token_type, token.expires_at, token.expiry_stated);
    },
    learnt: () => [],
    lastAssertion: () => null,
  };
}

// Test authentication: the keeper is asked for a new token, so the refresh token itself is what is tested.
export function freshCredentialHeaders(auth: CredentialAuth, options: CredentialAuthOptions): CredentialHeaders {
  return auth.scheme === "oauth2_refresh_token" ? oauth2Headers(keptTokens(auth.tokens, options, true), [], options) : createCredentialHeaders(auth, options);
}

function oauth2Headers(supply: TokenSupply, secrets: string[], options: CredentialAuthOptions): CredentialHeaders {
  const { runtime } = options;
  const margin = options.expiry_margin_ms ?? DEFAULT_EXPIRY_MARGIN_MS;
  const seen: string[] = [...secrets];
  let cached: CachedToken | null = null;
  let rejected: string | null = null;
  let inflight: Promise<CachedToken> | null = null;

  const current = async (): Promise<CachedToken> => {
    if (cached && runtime.now() < cached.expiresAt - margin) return cached;
    // Concurrent requests share one token request instead of each asking for their own.
    inflight ??= supply
      .next(rejected)
      .then((token) => {
        cached = token;
        rejected = null;
        return token;
      })
      .finally(() => {
        seen.push(...supply.learnt().filter((secret) => !seen.includes(secret)));
        if (cached !== null && !seen.includes(cached.token)) seen.push(cached.token, cached.header);
        inflight = null;
      });
    return inflight;
  };

  return {
    headers: async () => ({ authorization: (await current()).header }),
    secrets: () => [...seen],
    refreshable: true,
    invalidate: (refused) => {
      if (refused === undefined || refused.authorization === cached?.header) {
        rejected = cached?.header ?? null;
        cached = null;
      }
    },
    tokenInfo: () => (cached ? { token_type: cached.type, expires_at: cached.expiresAt, expiry_stated: cached.expiryStated } : null),
    assertionInfo: () => {
      const assertion = supply.lastAssertion();
      return assertion === null ? null : decodeAssertion(assertion);
    },
  };
}

function clientCredentialsGrant(auth: OAuth2Auth, runtime: Pick<EngineRuntime, "now">): () => Promise<TokenGrant> {
  const sign = auth.client_auth === "private_key_jwt" ? assertionSigner(auth.client_secret, auth.algorithm ?? "RS256", runtime) : null;
  return async () => {
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (auth.scope) form.set("scope", auth.scope);
    if (auth.audience) form.set("audience", auth.audience);
    const headers: HeaderMap = { ...TOKEN_REQUEST_HEADERS };
    const secrets = clientSecrets(auth);
    let signed: string | undefined;
    if (auth.client_auth === "basic") {
      headers.authorization = clientBasicHeader(auth);
    } else if (sign !== null) {
      // RFC 7523 §3: the client is both issuer and subject, the token endpoint the audience.
      const assertion = await sign({ iss: auth.client_id, sub: auth.client_id, aud: auth.token_url }, auth);
      form.set("client_id", auth.client_id);
      form.set("client_assertion_type", JWT_CLIENT_ASSERTION_TYPE);
      form.set("client_assertion", assertion);
      secrets.push(assertion);
      signed = assertion;
    } else {
      form.set("client_id", auth.client_id);
      form.set("client_secret", auth.client_secret);
    }
    return {
      token_url: auth.token_url,
      form,
      headers,
      secrets,
      ...(signed === undefined ? {} : { assertion: signed }),
      hint:
        sign === null
          ? "Check the credential's client id, client secret, scope and token URL"
          : "Check the credential's client id, scope and token URL, and that its public key is registered with the client",
      resend: "any",
    };
  };
}

// The key is imported once per credential in use; each token request signs a new assertion, as one lives only minutes.
function assertionSigner(privateKey: string, algorithm: JwtAlgorithm, runtime: Pick<EngineRuntime, "now">) {
  let key: Promise<CryptoKey> | null = null;
  return async (claims: AssertionClaims, reference: KeyReference): Promise<string> => {
    key ??= importSigningKey(privateKey, algorithm).catch((error: unknown) => {
      key = null;
      if (!(error instanceof PrivateKeyError)) throw error;
      throw new EngineError({
        code: "auth_failed",
        message: `The credential's private key ${error.message}`,
        hint: "Paste the private key again on the Credentials page",
      });
    });
    return signAssertion(await key, algorithm, claims, runtime.now(), reference);
  };
}

function jwtBearerGrant(auth: JwtBearerAuth, runtime: Pick<EngineRuntime, "now">): () => Promise<TokenGrant> {
  const sign = assertionSigner(auth.private_key, auth.algorithm, runtime);
  return async () => {
    const claims = {
      iss: auth.issuer,
      ...(auth.subject ? { sub: auth.subject } : {}),
      aud: auth.audience || auth.token_url,
      ...(auth.scope ? { scope: auth.scope } : {}),
    };
    const assertion = await sign(claims, auth);
    const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
    if (auth.scope) form.set("scope", auth.scope);
    return {
      token_url: auth.token_url,
      form,
      headers: { ...TOKEN_REQUEST_HEADERS },
      secrets: [auth.private_key, assertion],
      assertion,
      hint: "Check the credential's issuer, subject, audience, scope and token URL, and that the key is registered with the provider and not revoked",
      resend: "any",
    };
  };
}

// A refresh-token grant (RFC 6749 §6), for the credential's keeper: the access token, and the refresh token to keep
// from now on when the provider rotated it (null: the one sent stays good).
export async function redeemRefreshToken(
  auth: RefreshGrantAuth,
  options: CredentialAuthOptions,
): Promise<{ token: CachedToken; refresh_token: string | null }> {
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: auth.refresh_token });
  if (auth.scope) form.set("scope", auth.scope);
  const { token, refreshToken } = await clientTokenRequest(
    auth,
    form,
    [auth.refresh_token],
    "Check the credential's client id, client secret and token URL; invalid_grant means the refresh token was revoked, expired or already used: connect again or give a new one on the Credentials page",
    options,
  );
  return { token, refresh_token: refreshToken !== null && refreshToken !== auth.refresh_token ? refreshToken : null };
}

export type AuthorizationCodeClient = Omit<RefreshGrantAuth, "refresh_token" | "scope">;

// Connect's last step (RFC 6749 §4.1.3 with PKCE, RFC 7636): the code the provider sent the person back with, for
// the refresh token the credential keeps from then on. A provider that issues none is refused with what to change.
export async function redeemAuthorizationCode(
  client: AuthorizationCodeClient,
  grant: { code: string; code_verifier: string; redirect_uri: string },
  options: CredentialAuthOptions,
): Promise<{ token: CachedToken; refresh_token: string }> {
  const form = new URLSearchParams({ grant_type: "authorization_code", ...grant });
  const { token, refreshToken } = await clientTokenRequest(
    client,
    form,
    [grant.code, grant.code_verifier],
    "Check the credential's client id, client secret and token URL, and that the redirect URI is registered with the provider's app",
    options,
  );
  if (refreshToken === null) {
    throw new EngineError({
      code: "auth_failed",
      message: "The provider issued an access token but no refresh token",
      hint: "Ask for offline access: Google wants access_type=offline&prompt=consent in the authorize URL, Salesforce the refresh_token scope, Microsoft the offline_access scope",
    });
  }
  return { token, refresh_token: refreshToken };
}

// A token request from a client with a secret, sent as its client_auth says.
async function clientTokenRequest(
  client: AuthorizationCodeClient,
  form: URLSearchParams,
  secrets: string[],
  hint: string,
  options: CredentialAuthOptions,
): Promise<{ token: CachedToken; refreshToken: string | null }> {
  const headers: HeaderMap = { ...TOKEN_REQUEST_HEADERS };
  if (client.client_auth === "basic") {
    headers.authorization = clientBasicHeader(client);
  } else {
    form.set("client_id", client.client_id);
    form.set("client_secret", client.client_secret);
  }
  const grant: TokenGrant = { token_url: client.token_url, form, headers, secrets: [...clientSecrets(client), ...secrets], hint, resend: "rate_limited" };
  const { refreshToken, ...token } = await requestToken(async () => grant, options);
  return { token, refreshToken };
}

type ClientAuthFields = Pick<OAuth2Auth, "client_id" | "client_secret"> & { client_auth: OAuth2ClientAuth };

// RFC 6749 §2.3.1: both parts are form-encoded before they are joined.
function clientBasicPair(auth: ClientAuthFields): string {
  return `${formEncode(auth.client_id)}:${formEncode(auth.client_secret)}`;
}

function clientBasicHeader(auth: ClientAuthFields): string {
  return `Basic ${base64Utf8(clientBasicPair(auth))}`;
}

// What the token request carries: the client secret, and in the Basic header the pair and its base64 (a private
// key is only held, but is secret all the same).
function clientSecrets(auth: ClientAuthFields): string[] {
  if (auth.client_auth !== "basic") return [auth.client_secret];
  const header = clientBasicHeader(auth);
  return [auth.client_secret, clientBasicPair(auth), header.slice("Basic ".length), header];
}

// application/x-www-form-urlencoded, as RFC 6749 asks for client credentials in the Basic header.
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

type SigV4Auth = Extract<CredentialAuth, { scheme: "aws_sigv4" }>;

// S3 and OpenSearch Serverless refuse a request without X-Amz-Content-Sha256; the others take it as signed.
const PAYLOAD_HASH_SERVICES = new Set(["s3", "aoss"]);

// Each attempt is signed afresh (its own X-Amz-Date), over the method, URL, the request's own headers and a hash
// of its body; the secret access key itself never leaves. Content-Type and a few others are left unsigned, as
// aws4fetch leaves them, which AWS accepts.
function sigv4Headers(auth: SigV4Auth, options: CredentialAuthOptions): CredentialHeaders {
  const { runtime } = options;
  // Signing keys derived per day, region and service, as aws4fetch caches them.
  const cache = new Map<string, ArrayBuffer>();
  const seen = [auth.secret_access_key];
  const keys = assumedKeys(auth, options, (assumed) => seen.push(assumed.secret_access_key, assumed.session_token));
  return {
    headers: async (request) => {
      if (request === undefined) throw new TypeError("an AWS Signature V4 credential signs a request: give it one");
      // The body's own hash, never UNSIGNED-PAYLOAD: a body altered in transit is then refused.
      const payloadHash: HeaderMap = PAYLOAD_HASH_SERVICES.has(auth.service) ? { "x-amz-content-sha256": await sha256Hex(request.body ?? "") } : {};
      const signing = keys === null ? null : await keys();
      const signer = new AwsV4Signer({
        method: request.method,
        url: request.url,
        headers: { ...request.headers, ...payloadHash },
        body: request.body ?? "",
        accessKeyId: signing?.access_key_id ?? auth.access_key_id,
        secretAccessKey: signing?.secret_access_key ?? auth.secret_access_key,
        ...(signing === null ? {} : { sessionToken: signing.session_token }),
        region: auth.region,
        service: auth.service,
        cache,
        datetime: new Date(runtime.now()).toISOString().replace(/[:-]|\.\d{3}/g, ""),
      });
      const signed = (await signer.sign()).headers;
      const token = signed.get("x-amz-security-token");
      return {
        authorization: signed.get("authorization")!,
        "x-amz-date": signed.get("x-amz-date")!,
        ...(token === null ? {} : { "x-amz-security-token": token }),
        ...payloadHash,
      };
    },
    secrets: () => [...seen],
    refreshable: false,
    invalidate: () => undefined,
    tokenInfo: () => null,
    assertionInfo: () => null,
  };
}

// Temporary keys are renewed this long before they expire, so a request never leaves signed with stale ones.
const ASSUMED_KEYS_MARGIN_MS = 5 * 60_000;
const ASSUMED_KEYS_FLOOR_MS = 60_000;

// A role's temporary keys, assumed once and shared by concurrent requests until they near their expiry; null for a
// credential that signs with the user's own keys.
function assumedKeys(auth: SigV4Auth, options: CredentialAuthOptions, learnt: (keys: AssumedKeys) => void): (() => Promise<AssumedKeys>) | null {
  const role = auth.role;
  if (role === undefined) return null;
  let held: AssumedKeys | null = null;
  let renewAt = 0;
  let inflight: Promise<AssumedKeys> | null = null;
  return () => {
    if (held !== null && options.runtime.now() < renewAt) return Promise.resolve(held);
    inflight ??= assumeRole(auth, role, options)
      .then((keys) => {
        learnt(keys);
        held = keys;
        // An Expiration already near by this clock (a clock minutes off, a short session) is not asked again for every
        // request: at most once a minute.
        renewAt = Math.max(keys.expires_at - ASSUMED_KEYS_MARGIN_MS, options.runtime.now() + ASSUMED_KEYS_FLOOR_MS);
        return keys;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  };
}
