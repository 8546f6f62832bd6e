import type { SandboxConfig } from "./sandbox-config";
import { fromBase64Url } from "../engine/jwt-assertion";

type JwtKnob = Pick<NonNullable<SandboxConfig["oauth_jwt"]>, "issuer" | "public_key" | "audience">;

const VERIFY: Record<string, { import: Parameters<SubtleCrypto["importKey"]>[2]; verify: Parameters<SubtleCrypto["verify"]>[0] }> = {
  RS256: { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verify: { name: "RSASSA-PKCS1-v1_5" } },
  ES256: { import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } },
};

// Google's limit: an assertion may live at most an hour, and may not claim to be made in the future.
const MAX_LIFETIME_S = 3600;
const CLOCK_SKEW_S = 60;

// RFC 7523 §3 as a provider checks it: the signature under the registered public key, the issuer, the audience
// (this token URL unless the knob names one), the assertion's times, and that its jti was not taken before
// (`take` records it). Null when it is good, else why not.
export async function assertionIssue(
  assertion: string,
  knob: JwtKnob,
  tokenUrl: string,
  nowMs: number,
  take: (jti: string, expiresAtMs: number) => boolean,
): Promise<string | null> {
  const parts = assertion.split(".");
  if (parts.length !== 3) return "the assertion is not a signed JWT (three dot-separated parts)";
  let header: { alg?: unknown };
  let claims: { iss?: unknown; aud?: unknown; exp?: unknown; iat?: unknown; jti?: unknown };
  try {
    header = JSON.parse(decodeText(parts[0]!)) as typeof header;
    claims = JSON.parse(decodeText(parts[1]!)) as typeof claims;
  } catch {
    return "the assertion's header or claims are not base64url JSON";
  }
  const algorithm = VERIFY[String(header.alg)];
  if (algorithm === undefined) return `alg ${String(header.alg)} is not accepted (RS256 or ES256)`;
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("spki", pemBytes(knob.public_key), algorithm.import, false, ["verify"]);
  } catch {
    return `the registered public key is not a ${String(header.alg)} key`;
  }
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  const valid = await crypto.subtle.verify(algorithm.verify, key, fromBase64Url(parts[2]!), signed).catch(() => false);
  if (!valid) return "Invalid JWT Signature.";
  if (claims.iss !== knob.issuer) return `iss ${JSON.stringify(claims.iss)} is not the registered issuer`;
  const audience = knob.audience ?? tokenUrl;
  if (claims.aud !== audience) return `aud ${JSON.stringify(claims.aud)} is not ${audience}`;
  const now = nowMs / 1000;
  if (typeof claims.exp !== "number" || typeof claims.iat !== "number") return "the assertion needs numeric iat and exp";
  if (claims.exp <= now) return "the assertion has expired";
  if (claims.iat > now + CLOCK_SKEW_S) return "the assertion's iat is in the future";
  if (claims.exp - claims.iat > MAX_LIFETIME_S) return "the assertion must be short-lived (exp at most an hour after iat)";
  if (typeof claims.jti === "string" && !take(claims.jti, claims.exp * 1000)) return `jti ${claims.jti} was used already: an assertion is taken once`;
  return null;
}

function pemBytes(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(body), (ch) => ch.charCodeAt(0));
}

function decodeText(part: string): string {
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(part));
}
