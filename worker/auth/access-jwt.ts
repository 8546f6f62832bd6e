import { readBody } from "../engine/read-body";
import type { Env } from "../env";
import { ROLES, type Role } from "./principal";
import { errorMessage } from "../../shared/lang";
import { withDeadline } from "../../shared/deadline";

export const ACCESS_JWT_HEADER = "Cf-Access-Jwt-Assertion";

export interface AccessVerifierOptions {
  teamDomain: string;
  audience: string;
  /** How the JWKS is fetched; tests serve their own keys through it. */
  fetch?: typeof fetch;
  now?: () => number;
  leewaySeconds?: number;
  jwksTtlMs?: number;
  /** How long reading the keys may take before they count as unavailable. */
  jwksTimeoutMs?: number;
}

export interface AccessIdentity {
  subject: string;
  /** Email of a person; service tokens have none and carry `common_name` instead. */
  email: string | null;
  displayName: string;
  /** The JWT's `exp`, in ms: a live socket opened with it closes then. */
  expiresAt: number;
}

export type AccessVerifier = (jwt: string) => Promise<AccessIdentity>;

/** `invalid`: the caller's JWT is wrong (401). `unavailable`: the team's keys could not be read (503). */
export class AccessJwtError extends Error {
  constructor(
    readonly kind: "invalid" | "unavailable",
    message: string,
  ) {
    super(message);
    this.name = "AccessJwtError";
  }
}

const DEFAULT_LEEWAY_SECONDS = 60;
const DEFAULT_JWKS_TTL_MS = 10 * 60_000;
// An unknown `kid` refetches the keys (Access rotates them), but not more often than this,
// so a stream of forged kids cannot turn every request into a JWKS fetch.
const MIN_REFETCH_MS = 30_000;
const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
// A team's JWKS holds a handful of keys, a few KiB.
const JWKS_MAX_BYTES = 1024 * 1024;
// Every signed-in request waits for the first read of the keys: a certs endpoint that never answers must not hold them.
export const JWKS_TIMEOUT_MS = 5_000;

export function accessConfigured(env: Pick<Env, "ACCESS_TEAM_DOMAIN" | "ACCESS_AUD">): boolean {
  return Boolean(env.ACCESS_TEAM_DOMAIN?.trim() && env.ACCESS_AUD?.trim());
}

/** Accepts "myteam.cloudflareaccess.com" with or without scheme and trailing slash. */
export function normaliseTeamDomain(teamDomain: string): string {
  return teamDomain
    .trim()
    .replace(/^https?:\/\//i, "")
    .replace(/\/+$/, "")
    .toLowerCase();
}

export function accessIssuer(teamDomain: string): string {
  return `https://${normaliseTeamDomain(teamDomain)}`;
}

export function accessCertsUrl(teamDomain: string): string {
  return `${accessIssuer(teamDomain)}/cdn-cgi/access/certs`;
}

interface KeySet {
  keys: Map<string, CryptoKey>;
  fetchedAt: number;
}

/** A verifier holds its own key cache, so one per isolate reuses keys across requests. */
export function createAccessVerifier(options: AccessVerifierOptions): AccessVerifier {
  const issuer = accessIssuer(options.teamDomain);
  const certsUrl = accessCertsUrl(options.teamDomain);
  const audience = options.audience.trim();
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const leeway = options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
  const ttl = options.jwksTtlMs ?? DEFAULT_JWKS_TTL_MS;
  const timeoutMs = options.jwksTimeoutMs ?? JWKS_TIMEOUT_MS;
  let cached: KeySet | null = null;
  let inflight: Promise<KeySet> | null = null;

  function loadKeys(): Promise<KeySet> {
    inflight ??= fetchKeySet(doFetch, certsUrl, now(), timeoutMs)
      .then((set) => (cached = set))
      .finally(() => (inflight = null));
    return inflight;
  }

  async function currentKeys(): Promise<KeySet> {
    if (cached && now() - cached.fetchedAt < ttl) return cached;
    try {
      return await loadKeys();
    } catch (err) {
      // Keys past their TTL still verify while the certs endpoint is unreachable.
      if (cached && err instanceof AccessJwtError && err.kind === "unavailable") return cached;
      throw err;
    }
  }

  async function keyFor(kid: string): Promise<CryptoKey> {
    let set = await currentKeys();
    if (!set.keys.has(kid) && now() - set.fetchedAt >= MIN_REFETCH_MS) set = await loadKeys();
    const key = set.keys.get(kid);
    if (!key) throw new AccessJwtError("invalid", `The Access JWT was signed with an unknown key (kid "${kid}").`);
    return key;
  }

  return async (jwt) => {
    const parts = jwt.split(".");
    if (parts.length !== 3) throw new AccessJwtError("invalid", "The Access JWT is malformed (expected three dot-separated parts).");
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart, "header");
    if (header.alg !== "RS256") throw new AccessJwtError("invalid", `The Access JWT uses alg "${String(header.alg)}"; only RS256 is accepted.`);
    if (typeof header.kid !== "string" || header.kid === "") throw new AccessJwtError("invalid", "The Access JWT header has no key id (kid).");

    const key = await keyFor(header.kid);
    const signature = decodeBase64Url(signaturePart, "signature");
    const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`);
    if (!(await crypto.subtle.verify(RS256, key, signature, signed))) {
      throw new AccessJwtError("invalid", "The Access JWT signature does not verify against the team's keys.");
    }

    const claims = decodeJson(payloadPart, "payload");
    checkClaims(claims, { issuer, audience, nowSeconds: now() / 1000, leeway });
    const subject = typeof claims.sub === "string" ? claims.sub : "";
    const email = typeof claims.email === "string" && claims.email !== "" ? claims.email : null;
    const commonName = typeof claims.common_name === "string" && claims.common_name !== "" ? claims.common_name : null;
    return { subject, email, displayName: email ?? commonName ?? (subject || "access-identity"), expiresAt: (claims.exp as number) * 1000 };
  };
}

interface ClaimRules {
  issuer: string;
  audience: string;
  nowSeconds: number;
  leeway: number;
}

function checkClaims(claims: Record<string, unknown>, rules: ClaimRules): void {
  if (claims.iss !== rules.issuer) {
    throw new AccessJwtError("invalid", `The Access JWT was issued by "${String(claims.iss)}", not ${rules.issuer}.`);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(rules.audience)) {
    throw new AccessJwtError("invalid", "The Access JWT is for another Access application (aud does not match ACCESS_AUD).");
  }
  if (typeof claims.exp !== "number") throw new AccessJwtError("invalid", "The Access JWT has no expiry (exp).");
  if (rules.nowSeconds > claims.exp + rules.leeway) {
    throw new AccessJwtError("invalid", `The Access JWT expired at ${new Date(claims.exp * 1000).toISOString()}; sign in again.`);
  }
  if (typeof claims.nbf === "number" && rules.nowSeconds + rules.leeway < claims.nbf) {
    throw new AccessJwtError("invalid", "The Access JWT is not valid yet (nbf is in the future).");
  }
}

async function fetchKeySet(doFetch: typeof fetch, url: string, fetchedAt: number, timeoutMs: number): Promise<KeySet> {
  const unavailable = (reason: string) => new AccessJwtError("unavailable", `Could not read the Cloudflare Access signing keys from ${url}: ${reason}.`);
  let body: unknown;
  try {
    body = await withDeadline(
      timeoutMs,
      () => unavailable(`no complete answer within ${timeoutMs} ms`),
      async (signal) => {
        const res = await doFetch(url, { headers: { accept: "application/json" }, signal });
        if (!res.ok) throw unavailable(`HTTP ${res.status}`);
        return JSON.parse((await readBody(res, { maxBytes: JWKS_MAX_BYTES, what: "the certs endpoint" })).text) as unknown;
      },
    );
  } catch (err) {
    throw err instanceof AccessJwtError ? err : unavailable(errorMessage(err));
  }
  const jwks = body as { keys?: unknown } | null;
  if (!Array.isArray(jwks?.keys)) throw unavailable('the answer is not a JWKS (no "keys" array)');

  const keys = new Map<string, CryptoKey>();
  for (const jwk of jwks.keys as Array<Record<string, unknown>>) {
    if (jwk.kty !== "RSA" || typeof jwk.kid !== "string" || typeof jwk.n !== "string" || typeof jwk.e !== "string") continue;
    if (jwk.use !== undefined && jwk.use !== "sig") continue;
    if (jwk.alg !== undefined && jwk.alg !== "RS256") continue;
    try {
      keys.set(jwk.kid, await crypto.subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e, alg: "RS256", ext: true }, RS256, false, ["verify"]));
    } catch (err) {
      throw unavailable(`key "${jwk.kid}" cannot be imported (${errorMessage(err)})`);
    }
  }
  if (keys.size === 0) throw unavailable("it holds no RS256 signing keys");
  return { keys, fetchedAt };
}

function decodeBase64Url(part: string, what: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new AccessJwtError("invalid", `The Access JWT ${what} is not base64url.`);
  // A length of 4n+1 cannot come from any byte string; atob would throw on it.
  if (part.length % 4 === 1) throw new AccessJwtError("invalid", `The Access JWT ${what} is not base64url.`);
  const padded = part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4);
  const binary = atob(padded);
  // Unused trailing bits must be zero, so one token has exactly one spelling.
  if (btoa(binary) !== padded) throw new AccessJwtError("invalid", `The Access JWT ${what} is not canonical base64url.`);
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  const bytes = decodeBase64Url(part, what);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new AccessJwtError("invalid", `The Access JWT ${what} is not JSON.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AccessJwtError("invalid", `The Access JWT ${what} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

type AccessRoleEnv = Pick<Env, "ACCESS_DEFAULT_ROLE" | "ACCESS_ADMIN_EMAILS" | "ACCESS_OPERATOR_EMAILS">;

/** Listed emails first; an unknown ACCESS_DEFAULT_ROLE falls back to viewer rather than granting more. */
export function accessRole(env: AccessRoleEnv, email: string | null): Role {
  if (email !== null) {
    const wanted = email.trim().toLowerCase();
    if (emailList(env.ACCESS_ADMIN_EMAILS).includes(wanted)) return "admin";
    if (emailList(env.ACCESS_OPERATOR_EMAILS).includes(wanted)) return "operator";
  }
  const fallback = env.ACCESS_DEFAULT_ROLE?.trim().toLowerCase();
  return (ROLES as readonly string[]).includes(fallback ?? "") ? (fallback as Role) : "viewer";
}

function emailList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
}
